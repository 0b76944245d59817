"""The dial-in port list is one schema: the server role's, copied into the roles that take it.

The modem, mgetty and ppp_server roles each document the same list of ports (the server role hands
them server_ports as is); this test fails as soon as one copy differs from the server's.
"""
from pathlib import Path

import pytest
import yaml

ROLES = Path(__file__).resolve().parents[2] / 'roles'
PORT_LISTS = {'modem': 'modem_ports', 'mgetty': 'mgetty_ports', 'ppp_server': 'ppp_server_ports'}


def main_options(role):
    spec = yaml.safe_load((ROLES / role / 'meta' / 'argument_specs.yml').read_text())
    return spec['argument_specs']['main']['options']


@pytest.mark.parametrize('role', sorted(PORT_LISTS))
def test_port_schema_matches_the_server_role(role):
    server = main_options('server')['server_ports']
    ports = main_options(role)[PORT_LISTS[role]]
    assert ports['options'] == server['options'], (
        'roles/%s/meta/argument_specs.yml: %s differs from server_ports in roles/server: '
        'copy the suboptions from the server role' % (role, PORT_LISTS[role]))
    assert (ports['type'], ports['elements'], ports['default']) == ('list', 'dict', [])


def test_server_hands_each_role_its_ports():
    mapping = yaml.safe_load((ROLES / 'server' / 'vars' / 'main.yml').read_text())
    for variable in PORT_LISTS.values():
        assert mapping[variable] == '{{ server_ports }}'
