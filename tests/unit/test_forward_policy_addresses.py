"""The forwarding policy's allowed sources: the ports' remote_ip and the PPP accounts' own addresses.
pppd gives an account with addresses in its pap-secrets entry one of those instead of the port's
remote_ip; the policy dropped all of its packets as spoofed until the server role passed them on (found
by the rehearsal of tests/rehearse/inventory.yml's dialin-broken, whose `fixedip` links and then pings
nothing; that test is the end-to-end proof)."""
import functools
from pathlib import Path

import jinja2
import pytest
import yaml

from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import init_plugin_loader
from ansible.template import Templar

try:
    from ansible.template import trust_as_template
except ImportError:  # pragma: no cover - ansible-core < 2.19 templates every string
    def trust_as_template(value):
        return value

ROLES = Path(__file__).resolve().parents[2] / 'roles'


@functools.cache
def plugins():
    """Ansible's filters (unique, flatten), loaded once."""
    init_plugin_loader()


def render(expression, variables):
    plugins()
    return Templar(loader=DataLoader(), variables=variables).template(trust_as_template(expression))


def server_var(name):
    return yaml.safe_load((ROLES / 'server' / 'vars' / 'main.yml').read_text())[name]


def test_the_server_role_passes_the_accounts_own_addresses():
    # A bad address is left to ppp_server's check, which names it under server_ppp_users.
    users = [{'name': 'fixed', 'password': 'x', 'addresses': ['10.20.0.9', '*', '10.0.0.300']},
             {'name': 'any', 'password': 'y', 'addresses': []},
             {'name': 'plain', 'password': 'z'},
             {'name': 'again', 'password': 'w', 'addresses': ['10.20.0.9', '10.20.0.10']}]
    assert render(server_var('ip_forward_ppp_addresses'), {'server_ppp_users': users}) == ['10.20.0.9', '10.20.0.10']
    assert render(server_var('ip_forward_ppp_addresses'), {'server_ppp_users': []}) == []


@pytest.mark.parametrize('addresses, sources', [
    ([], '192.168.10.2, 192.168.10.3'),
    (['10.20.0.9', '192.168.10.2'], '192.168.10.2, 192.168.10.3, 10.20.0.9'),
])
def test_the_table_admits_them_as_sources(addresses, sources):
    tasks = yaml.safe_load((ROLES / 'ip_forward' / 'tasks' / 'policy.yml').read_text())
    expression = next(t for t in tasks if 'vars' in t and '__ip_forward_remote_addresses' in t['vars'])[
        'vars']['__ip_forward_remote_addresses']
    ports = [{'remote_ip': '192.168.10.2'}, {'remote_ip': '192.168.10.3'}, {'remote_ip': '192.168.10.2'}]
    remote = render(expression, {'ip_forward_ports': ports, 'ip_forward_ppp_addresses': addresses})
    table = jinja2.Environment().from_string(
        (ROLES / 'ip_forward' / 'templates' / 'dialin-callback.nft.j2').read_text()).render(
        __ip_forward_remote_addresses=remote, __ip_forward_nft_table='dialin_callback', ansible_managed='',
        __ip_forward_lan_names='"eth0"')
    assert 'elements = { %s }' % sources in table


@pytest.mark.parametrize('value', [['10.20.0.256'], ['*'], 'eth0', {'a': 1}])
def test_bad_addresses_are_named(value):
    expression = yaml.safe_load((ROLES / 'ip_forward' / 'vars' / 'main.yml').read_text())['__ip_forward_input_errors']
    variables = dict(yaml.safe_load((ROLES / 'ip_forward' / 'defaults' / 'main.yml').read_text()),
                     **yaml.safe_load((ROLES / 'ip_forward' / 'vars' / 'main.yml').read_text()))
    variables.update(ip_forward_lan_interfaces=['eth0'], ip_forward_ppp_addresses=value)
    errors = render(expression, variables)
    assert [e for e in errors if e.startswith('ip_forward_ppp_addresses must be a list of IPv4 addresses')], errors
