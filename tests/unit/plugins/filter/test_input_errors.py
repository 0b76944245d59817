# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.dialin.callback.plugins.filter.input_errors import input_errors
from ansible_collections.dialin.callback.plugins.filter.ipv4_network import ipv4_network

PORT = {'device': 'ttyS1', 'link': 'modem', 'local_ip': '192.168.1.1', 'remote_ip': '192.168.1.2'}

# Each role's variables with their defaults and one good port or user.
GOOD = {
    'modem': {'modem_ports': [PORT], 'modem_port_mode': '0660'},
    'mgetty': {
        'mgetty_ports': [PORT], 'mgetty_login_config_version': 2, 'mgetty_callback_only': True,
        'mgetty_refuse_program': '/bin/false', 'mgetty_autoppp_args': ['auth', '-chap', '+pap', 'login', 'nodetach'],
        'mgetty_port_mode': '0660', '_respawn_method': 'systemd', '_service_mgr': 'systemd',
        '_modem_types': ['hayes', 'usrobotics'],
        # grep -H of /proc/cmdline and /sys/class/tty/console/active: consoles, none on a port.
        '_consoles': ['/proc/cmdline:quiet console=tty0 console=ttyS0,115200n8',
                      '/sys/class/tty/console/active:tty0 ttyS0'],
    },
    'callback': {
        'callback_users': [{'name': 'call', 'number': '0W5550100', 'lines': ['ttyS1']}],
        'callback_after_callback': 'N', 'callback_program_args': [], 'callback_dial_prefix': 'ATD',
        'callback_modem_init': '', 'callback_program_mode': '0700', '_local_accounts': ['root', 'daemon', 'pppuser'],
        'callback_max_time': 120, 'callback_rate_limit_count': 3, 'callback_rate_limit_window': 3600,
    },
    'ppp_server': {
        'ppp_server_ports': [PORT], 'ppp_server_netmask': '255.255.255.0', 'ppp_server_ms_dns': ['192.168.1.10'],
        'ppp_server_extra_options': ['lcp-echo-interval 30'], 'ppp_server_pppd_mode': '4754',
        'ppp_server_users': [{'name': 'pppuser', 'password': 'Sup3r-Secret', 'addresses': ['192.168.1.2', '*']}],
        'ppp_server_insecure_logins_anywhere': False,
    },
    'server': {
        'server_ports': [PORT], 'server_callback_users': [{'name': 'call', 'number': '123', 'lines': ['ttyS1']}],
        'server_ppp_users': [{'name': 'pppuser', 'password': 'Sup3r-Secret'}],
    },
}


def with_changes(role, **changes):
    values = copy.deepcopy(GOOD[role])
    for key, value in changes.items():
        if key.endswith('__0'):
            values[key[:-3]][0].update(value)
        else:
            values[key] = value
    return values


@pytest.mark.parametrize('role', sorted(GOOD))
def test_good_input_has_no_error(role):
    assert input_errors(GOOD[role], role) == []


# role, changes, words that the one message must contain
BAD = [
    ('modem', {'modem_ports__0': {'device': '/dev/ttyS1'}}, ['modem_ports[0] ("/dev/ttyS1")', 'device']),
    ('modem', {'modem_ports__0': {'link': '../modem'}}, ['modem_ports[0]', 'link', '"../modem"']),
    ('modem', {'modem_ports__0': {'match': 'a\nb'}}, ['modem_ports[0]', 'match must be a single line']),
    ('modem', {'modem_ports': [PORT, PORT]}, ['modem_ports:', 'once']),
    ('modem', {'modem_ports': [PORT, dict(PORT, device='ttyS2', link='ttyS1')]}, ['modem_ports:', 'link']),
    ('modem', {'modem_port_mode': '0666'}, ['modem_port_mode', 'others']),
    ('modem', {'modem_port_mode': 432}, ['modem_port_mode', '432']),
    ('mgetty', {'_respawn_method': 'unknown', '_service_mgr': 'runit'}, ['mgetty_respawn', '"runit"']),
    ('mgetty', {'mgetty_ports__0': {'device': 'modem'}}, ['mgetty_ports[0] ("modem")', 'device']),
    ('mgetty', {'mgetty_ports__0': {'speed': 'fast'}}, ['mgetty_ports[0]', 'speed "fast"']),
    ('mgetty', {'mgetty_ports__0': {'rings': 0}}, ['mgetty_ports[0]', 'rings 0']),
    ('mgetty', {'mgetty_ports__0': {'init_chat': '"" ATZ\nOK'}}, ['mgetty_ports[0]', 'init_chat']),
    ('mgetty', {'mgetty_ports__0': {'inittab_id': 'S1234'}}, ['mgetty_ports[0]', 'inittab_id']),
    ('mgetty', {'mgetty_ports__0': {'inittab_id': None}}, ['mgetty_ports[0]', 'inittab_id']),
    ('mgetty', {'mgetty_ports__0': {'mgetty_options': {'Speed': '1'}}}, ['mgetty_ports[0]', 'mgetty_options']),
    ('mgetty', {'mgetty_ports__0': {'mgetty_options': {'speed': '1\n2'}}}, ['mgetty_ports[0]', 'mgetty_options']),
    ('mgetty', {'mgetty_ports': [dict(PORT, inittab_id='S1'), dict(PORT, device='ttyS2', inittab_id='S1')]},
     ['mgetty_ports:', 'inittab_id']),
    ('mgetty', {'mgetty_login_config_version': 3}, ['mgetty_login_config_version', '1 or 2']),
    ('mgetty', {'mgetty_login_config_version': 1, 'mgetty_callback_only': 'yes'}, ['mgetty_callback_only']),
    ('mgetty', {'mgetty_refuse_program': 'false'}, ['mgetty_refuse_program', 'absolute']),
    ('mgetty', {'mgetty_autoppp_args': ['auth', 'a b']}, ['mgetty_autoppp_args']),
    ('mgetty', {'mgetty_autoppp_args': ['x'] * 9}, ['mgetty_autoppp_args', 'at most 8']),
    ('mgetty', {'mgetty_port_mode': '0661'}, ['mgetty_port_mode', 'others']),
    ('mgetty', {'mgetty_ports__0': {'modem_type': 'zyxel'}}, ['mgetty_ports[0]', 'modem_type', '"zyxel"', 'hayes']),
    ('mgetty', {'_consoles': ['/proc/cmdline:quiet console=ttyS1,115200n8']},
     ['mgetty_ports[0] ("ttyS1")', 'kernel console (console=ttyS1 on /proc/cmdline)', 'server_ports']),
    ('mgetty', {'_consoles': ['/proc/cmdline:console=/dev/ttyS1']}, ['mgetty_ports[0]', 'console=ttyS1']),
    ('mgetty', {'_consoles': ['/sys/class/tty/console/active:tty0 ttyS1']},
     ['mgetty_ports[0]', 'active console in /sys/class/tty/console/active']),
    ('callback', {'callback_users__0': {'name': 'ca ll'}}, ['callback_users[0] ("ca ll")', 'name']),
    ('callback', {'callback_users__0': {'name': '-call'}}, ['callback_users[0]', 'name']),
    ('callback', {'callback_users__0': {'name': '/AutoPPP/'}}, ['callback_users[0]', 'name']),
    ('callback', {'callback_users__0': {'number': '12a456'}}, ['callback_users[0]', 'number', '"12a456"']),
    ('callback', {'callback_users__0': {'number': '123456\nATZ'}}, ['callback_users[0]', 'number']),
    ('callback', {'callback_users__0': {'number': 123456}}, ['callback_users[0]', 'read by YAML as a number', 'quote it']),
    ('callback', {'callback_users__0': {'number': ''}}, ['callback_users[0]', 'number']),
    ('callback', {'callback_users__0': {'lines': ['/dev/ttyS1']}}, ['callback_users[0]', 'lines']),
    ('callback', {'callback_users': [{'name': 'a', 'number': '1'}, {'name': 'b', 'number': '2'},
                                     {'name': 'a', 'number': '3'}]}, ['callback_users:', '["a"]']),
    ('callback', {'callback_after_callback': 'X'}, ['callback_after_callback']),
    ('callback', {'callback_program_args': ['-x y']}, ['callback_program_args']),
    ('callback', {'callback_dial_prefix': 'ATD;ATH'}, ['callback_dial_prefix', 'prefix']),
    ('callback', {'callback_modem_init': 'ATZ\rATH'}, ['callback_modem_init', 'single line']),
    ('callback', {'callback_program_mode': 'rwx'}, ['callback_program_mode', 'octal']),
    ('callback', {'callback_rate_limit_count': -1}, ['callback_rate_limit_count', '0 or more', '-1']),
    ('callback', {'callback_rate_limit_count': 'three'}, ['callback_rate_limit_count', '"three"']),
    ('callback', {'callback_rate_limit_count': True}, ['callback_rate_limit_count', 'true']),
    ('callback', {'callback_rate_limit_count': '3\n'}, ['callback_rate_limit_count']),
    ('callback', {'callback_rate_limit_window': 0}, ['callback_rate_limit_window', 'at least 1']),
    ('callback', {'callback_rate_limit_window': None}, ['callback_rate_limit_window', 'null']),
    ('callback', {'callback_max_time': 0}, ['callback_max_time', 'at least 1']),
    ('ppp_server', {'ppp_server_ports__0': {'device': 'ttyS1 '}}, ['ppp_server_ports[0]', 'device']),
    ('ppp_server', {'ppp_server_ports__0': {'local_ip': '192.168.1.256'}}, ['ppp_server_ports[0]', 'IPv4']),
    ('ppp_server', {'ppp_server_ports__0': {'remote_ip': 'fe80::2'}}, ['ppp_server_ports[0]', 'IPv4']),
    ('ppp_server', {'ppp_server_ports__0': {'local_ip': 'gateway.example.org'}}, ['ppp_server_ports[0]', 'IPv4']),
    ('ppp_server', {'ppp_server_ports__0': {'remote_ip': '192.168.1.1'}}, ['ppp_server_ports[0]', 'different']),
    ('ppp_server', {'ppp_server_ports__0': {'remote_ip': '192.168.2.2'}}, ['ppp_server_ports[0]', 'netmask']),
    ('ppp_server', {'ppp_server_ports__0': {'ppp_options': ['mtu 1400\nnoauth']}}, ['ppp_server_ports[0]', 'ppp_options']),
    ('ppp_server', {'ppp_server_ports__0': {'ppp_options': ['mtu 1400 # comment']}}, ['ppp_options']),
    ('ppp_server', {'ppp_server_netmask': '255.255.255.0/24', 'ppp_server_ports': []}, ['ppp_server_netmask', 'IPv4']),
    ('ppp_server', {'ppp_server_ms_dns': ['8.8.8']}, ['ppp_server_ms_dns']),
    ('ppp_server', {'ppp_server_extra_options': ['\nnoauth']}, ['ppp_server_extra_options']),
    ('ppp_server', {'ppp_server_pppd_mode': '4755'}, ['ppp_server_pppd_mode', 'others']),
    ('ppp_server', {'ppp_server_pppd_mode': '754'}, ['ppp_server_pppd_mode', '4-digit']),
    ('ppp_server', {'ppp_server_users__0': {'name': 'PPP User'}}, ['ppp_server_users[0] ("PPP User")', 'name']),
    ('ppp_server', {'ppp_server_users__0': {'password': 'Sup3r\nnoauth'}}, ['ppp_server_users[0]', 'password']),
    ('ppp_server', {'ppp_server_users__0': {'password': 'Sup3r\r'}}, ['ppp_server_users[0]', 'password']),
    ('ppp_server', {'ppp_server_users__0': {'password': 'Sup3r\x00'}}, ['ppp_server_users[0]', 'password']),
    ('ppp_server', {'ppp_server_users__0': {'password': ''}}, ['ppp_server_users[0]', 'password']),
    ('ppp_server', {'ppp_server_users__0': {'addresses': ['10.0.0.300']}}, ['ppp_server_users[0]', 'addresses']),
    ('ppp_server', {'ppp_server_users': [{'name': 'p', 'password': 'a'}, {'name': 'p', 'password': 'b'}]},
     ['ppp_server_users:', '["p"]']),
    ('callback', {'callback_users__0': {'name': 'root'}}, ['callback_users[0] ("root")', 'local account']),
    ('callback', {'callback_users__0': {'name': 'pppuser'}}, ['callback_users[0] ("pppuser")', 'local account']),
    ('mgetty', {'mgetty_autoppp_args': ['noauth', 'login']}, ['mgetty_autoppp_args', '["noauth"]']),
    ('ppp_server', {'ppp_server_ports__0': {'ppp_options': ['noauth']}},
     ['ppp_server_ports[0]', '["noauth"]', 'ppp_server_insecure_allow_noauth']),
    ('ppp_server', {'ppp_server_ports__0': {'ppp_options': ['mtu 1400', 'allow-ip 10.0.0.0/8']}},
     ['ppp_server_ports[0]', 'allow-ip', 'ppp_server_insecure_allow_noauth']),
    ('ppp_server', {'ppp_server_extra_options': ['noauth']}, ['ppp_server_extra_options', 'ppp_server_insecure_allow_noauth']),
    ('ppp_server', {'ppp_server_insecure_logins_anywhere': 'false'},
     ['ppp_server_insecure_logins_anywhere', 'true or false', '"false"']),
    ('server', {'server_callback_users__0': {'lines': ['ttyS7']}}, ['server_callback_users', '"ttyS7"']),
    ('server', {'server_ports': [PORT, dict(PORT, device='ttyS2', local_ip='192.168.1.5')]},
     ['server_ports', 'remote_ip']),
    ('server', {'server_callback_users__0': {'name': 'pppuser'}}, ['server_ppp_users', '"pppuser"', 'shadow']),
    ('server', {'server_ports': [PORT, dict(PORT, device='ttyS2', remote_ip='192.168.1.3', speed=115200)]},
     ['server_ports', 'same speed', 'callback.config', '"ttyS2": 115200']),
]


@pytest.mark.parametrize('role, changes', [
    ('callback', {'callback_program_mode': '700'}),
    ('callback', {'callback_rate_limit_count': 0}),
    ('callback', {'callback_rate_limit_count': '5', 'callback_rate_limit_window': '60'}),
    ('callback', {'callback_users__0': {'number': '*70,0W555#'}}),
    ('mgetty', {'mgetty_ports__0': {'inittab_id': 12}}),
    ('mgetty', {'mgetty_ports__0': {'modem_type': 'usrobotics'}}),
    ('mgetty', {'_consoles': ['/proc/cmdline:console=ttyS10']}),
    ('mgetty', {'_consoles': []}),
    ('server', {'server_callback_users': [],
                'server_ports': [PORT, dict(PORT, device='ttyS2', remote_ip='192.168.1.3', speed=115200)]}),
    ('server', {'server_ports': [dict(PORT, speed='38400'), dict(PORT, device='ttyS2', remote_ip='192.168.1.3')]}),
    ('mgetty', {'mgetty_login_config_version': '1', 'mgetty_callback_only': False,
                'mgetty_insecure_logins_before_callback': True}),
    ('modem', {'modem_ports__0': {'link': None}}),
    ('modem', {'modem_port_mode': '660'}),
    ('ppp_server', {'ppp_server_users__0': {'addresses': []}}),
    # The escape hatch, and an option that only starts with the word.
    ('ppp_server', {'ppp_server_extra_options': ['noauth'], 'ppp_server_insecure_allow_noauth': True}),
    ('ppp_server', {'ppp_server_ports__0': {'ppp_options': ['noauthfoo']}}),
])
def test_good_variants_have_no_error(role, changes):
    assert input_errors(with_changes(role, **changes), role) == []


@pytest.mark.parametrize('role, changes, words', BAD)
def test_bad_input_gives_one_message_naming_the_variable(role, changes, words):
    errors = input_errors(with_changes(role, **changes), role)
    assert len(errors) == 1, errors
    for word in words:
        assert word in errors[0], errors
    assert 'Sup3r' not in errors[0]


def test_every_problem_is_reported_at_once():
    values = with_changes('callback', callback_users=[{'name': 'a b', 'number': 'x'}], callback_after_callback='?')
    errors = input_errors(values, 'callback')
    assert len(errors) == 3, errors
    variables = [e.split(':')[0].split(' ')[0] for e in errors]
    assert variables == ['callback_users[0]', 'callback_users[0]', 'callback_after_callback']


def test_a_password_is_never_echoed():
    values = with_changes('ppp_server', ppp_server_users=[{'name': 'Bad Name', 'password': 'Leak\nMe', 'addresses': ['x']}])
    errors = input_errors(values, 'ppp_server')
    assert len(errors) == 3
    assert not any('Leak' in e for e in errors)


@pytest.mark.parametrize('values, role, word', [
    ({}, 'pppd', 'role must be one of'),
    ([], 'modem', 'must be a dict'),
])
def test_bad_call(values, role, word):
    with pytest.raises(AnsibleFilterError, match=word):
        input_errors(values, role)


@pytest.mark.parametrize('address, netmask, network', [
    ('192.168.1.2', '255.255.255.0', '192.168.1.0/24'),
    ('10.1.2.3', '255.0.0.0', '10.0.0.0/8'),
    ('192.168.1.256', '255.255.255.0', ''),
    ('192.168.1.2', '255.255.255.0/24', ''),
    ('fe80::1', '255.255.255.0', ''),
])
def test_ipv4_network(address, netmask, network):
    assert ipv4_network(address, netmask) == network


# A value that only differs from a good one by a final newline: `$` would accept it, and the
# module would write a line break into login.config or options.<tty>.
TRAILING_NEWLINE = [
    ('callback', {'callback_users__0': {'number': '0W5550100\n'}}, 'callback_users'),
    ('callback', {'callback_users__0': {'name': 'call\n'}}, 'callback_users'),
    ('callback', {'callback_users__0': {'lines': ['ttyS1\n']}}, 'callback_users'),
    ('modem', {'modem_ports__0': {'device': 'ttyS1\n'}}, 'modem_ports'),
    ('modem', {'modem_ports__0': {'link': 'modem\n'}}, 'modem_ports'),
    ('ppp_server', {'ppp_server_ports__0': {'local_ip': '192.168.1.1\n'}}, 'ppp_server_ports'),
    ('ppp_server', {'ppp_server_users__0': {'name': 'pppuser\n'}}, 'ppp_server_users'),
    ('ppp_server', {'ppp_server_pppd_mode': '4754\n'}, 'ppp_server_pppd_mode'),
]


@pytest.mark.parametrize('role, changes, variable', TRAILING_NEWLINE)
def test_a_final_newline_is_refused(role, changes, variable):
    errors = input_errors(with_changes(role, **changes), role)
    assert errors and all(variable in message for message in errors), errors


@pytest.mark.parametrize('switch', ['ppp_server_insecure_no_callback_check', 'ppp_server_insecure_logins_anywhere',
                                    'ppp_server_insecure_allow_noauth'])
def test_an_insecure_switch_is_a_warning_of_every_run(monkeypatch, switch):
    from ansible.utils.display import Display
    said = []
    monkeypatch.setattr(Display, 'warning', lambda self, msg, *args, **kwargs: said.append(msg))
    values = {'ppp_server_ports': [], 'ppp_server_users': [], switch: True}
    input_errors(values, 'ppp_server')
    assert len(said) == 1 and said[0].startswith(switch + ' ') and ' is true: ' in said[0], said
    said[:] = []
    input_errors(dict(values, **{switch: False}), 'ppp_server')
    assert said == []


def test_a_caller_id_needs_two_rings_on_the_ports():
    port = {'device': 'ttyS1', 'local_ip': '192.168.1.1', 'remote_ip': '192.168.1.2'}
    users = [{'name': 'call', 'number': '123', 'caller_id': '555'}]
    errors = input_errors({'server_ports': [port], 'server_callback_users': users, 'server_ppp_users': []}, 'server')
    assert any('rings must be 2 or more on ["ttyS1"]' in e for e in errors), errors
    errors = input_errors({'server_ports': [dict(port, rings=2)], 'server_callback_users': users,
                           'server_ppp_users': []}, 'server')
    assert not any('rings' in e for e in errors), errors
    # No caller ID anywhere: rings 1 is fine.
    errors = input_errors({'server_ports': [port], 'server_callback_users': [{'name': 'call', 'number': '123'}],
                           'server_ppp_users': []}, 'server')
    assert not any('rings' in e for e in errors), errors
