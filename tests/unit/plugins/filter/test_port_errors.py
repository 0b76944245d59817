# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""One check per port (port_errors): every role that takes the port list reports a bad port key
with the same message, under its own variable's name."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.dialin.callback.plugins.filter.input_errors import input_errors, port_errors

PORT = {'device': 'ttyS1', 'link': 'modem', 'local_ip': '192.168.1.1', 'remote_ip': '192.168.1.2'}
ROLES = {
    'modem': {'modem_port_mode': '0660'},
    'mgetty': {
        'mgetty_login_config_version': 2, 'mgetty_callback_only': True, 'mgetty_refuse_program': '/bin/false',
        'mgetty_autoppp_args': [], 'mgetty_port_mode': '0660', '_respawn_method': 'systemd',
        '_modem_types': ['hayes', 'usrobotics'],
    },
    'ppp_server': {
        'ppp_server_netmask': '255.255.255.0', 'ppp_server_ms_dns': [], 'ppp_server_extra_options': [],
        'ppp_server_pppd_mode': '4754', 'ppp_server_users': [],
    },
}

# A bad key, and the message every role gives for it (after "<role>_ports[0] ("<device>"): ").
BAD_KEYS = [
    ({'device': 'S1'}, 'device must be a serial port name such as ttyS1 or ttyUSB0 (got "S1").'),
    ({'link': '../modem'}, 'link must be a plain name such as modem (got "../modem").'),
    ({'match': 'a\nb'}, 'match must be a single line.'),
    ({'identify': {'serial': 'a b'}}, 'identify serial must be udev property values'),
    ({'speed': 0}, 'speed and rings must be positive numbers (got speed 0, rings 1).'),
    ({'init_chat': '"" ATZ\nOK'}, 'init_chat must be a single line.'),
    ({'inittab_id': 'S1234'}, 'inittab_id must be 1 to 4 letters or digits (got "S1234").'),
    ({'mgetty_options': {'Speed': '1'}}, 'mgetty_options keys must be lower-case mgetty.config keywords'),
    ({'ppp_options': ['mtu 1400\nnoauth']}, 'ppp_options must be single-line pppd options'),
]


def role_errors(role, port):
    values = dict(ROLES[role], **{role + '_ports': [port]})
    return input_errors(values, role)


@pytest.mark.parametrize('role', sorted(ROLES))
def test_a_good_port_is_good_in_every_role(role):
    assert role_errors(role, PORT) == []


@pytest.mark.parametrize('role', sorted(ROLES))
@pytest.mark.parametrize('change, message', BAD_KEYS)
def test_a_bad_key_is_the_same_message_in_every_role(role, change, message):
    port = dict(PORT, **change)
    errors = role_errors(role, port)
    assert len(errors) == 1, errors
    label = '%s_ports[0] ("%s"): ' % (role, port['device'])
    assert errors[0].startswith(label + message), errors


def test_the_ppp_server_role_requires_the_addresses_and_the_others_do_not():
    port = {'device': 'ttyS1'}
    assert role_errors('modem', port) == []
    assert role_errors('mgetty', port) == []
    assert role_errors('ppp_server', port) == [
        'ppp_server_ports[0] ("ttyS1"): local_ip and remote_ip must be IPv4 addresses (got null and null).']


def test_modem_type_and_noauth_need_their_role_context():
    port = dict(PORT, modem_type='zyxel', ppp_options=['noauth'])
    assert port_errors(port, 'p') == []
    assert port_errors(port, 'p', modem_types=['hayes']) == ['p: modem_type must be one of hayes (got "zyxel").']
    assert port_errors(port, 'p', ppp={'netmask': '255.255.255.0', 'allow_noauth': True}) == []
    assert port_errors(port, 'p', ppp={'netmask': '255.255.255.0', 'allow_noauth': False}) == [
        'p: ppp_options ["noauth"] turn off authentication on a dial-in line (any caller would get a link);'
        ' refused unless ppp_server_insecure_allow_noauth is true.']
