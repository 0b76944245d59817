# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""input_errors('server'), ('caller_kits') and ('client'), step_errors, the filter's own errors and the way
values are quoted: each message word for word."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.dialin.callback.plugins.filter.input_errors import (
    FilterModule, _json, input_errors, step_errors)

PORT = {'device': 'ttyS1', 'local_ip': '192.168.1.1', 'remote_ip': '192.168.1.2'}
USER = {'name': 'call', 'number': '123456'}
KITS = {
    'server_ports': [PORT], 'server_callback_users': [USER, {'name': 'call2', 'number': '0W5551234'}],
    'server_ppp_users': [{'name': 'pppuser', 'password': 'Sup3r-Secret'}], 'server_netmask': '255.255.255.0',
    'server_require_caller_id': False, 'caller_kits_server_number': '100', 'caller_kits_ppp_users': {},
    'caller_kits_dir': '/srv/caller-kits',
}
CLIENT = {
    'client_server_number': '5550100', 'client_peer_name': 'callback', 'client_callback_user': 'call',
    'client_ppp_user': 'pppuser', 'client_ppp_password': 'Sup3r-Secret', 'client_remote_name': '',
    'client_device': '/dev/ttyS0', 'client_modem_init': 'ATZ', 'client_dial_command': 'ATDT',
    'client_answer_command': 'ATA', 'client_ppp_start_expect': '', 'client_speed': 38400, 'client_modem_timeout': 5,
    'client_dial_timeout': 60, 'client_login_timeout': 30, 'client_callback_timeout': 90,
    'client_lcp_echo_interval': 30, 'client_lcp_echo_failure': 4, 'client_extra_options': [],
}
AT_LEAST_1 = ('client_speed', 'client_modem_timeout', 'client_dial_timeout', 'client_login_timeout',
              'client_callback_timeout', 'client_lcp_echo_failure')


def server(ports, users, ppp_users=(), **others):
    values = dict({'server_ports': ports, 'server_callback_users': users, 'server_ppp_users': list(ppp_users)}, **others)
    return input_errors(values, 'server')


def kits(**changes):
    values = copy.deepcopy(KITS)
    values.update(changes)
    return input_errors(values, 'caller_kits')


def client(**changes):
    values = copy.deepcopy(CLIENT)
    values.update(changes)
    return input_errors(values, 'client')


def test_lines_not_in_a_port_without_a_device():
    assert server([{'remote_ip': '192.168.1.2'}], [dict(USER, lines=['ttyS7'])]) == [
        'server_callback_users: lines ["ttyS7"] are not in server_ports ([""]).']


def test_required_caller_ids_need_two_rings_on_each_port():
    assert server([{'remote_ip': '192.168.1.2'}], [USER], server_require_caller_id=True) == [
        'server_ports: rings must be 2 or more on ["?"] when callback users have a caller_id: mgetty reads the caller'
        ' ID between the first and the second RING, and with rings 1 it answers before (every call of such a user'
        ' would be refused).']
    assert server([dict(PORT, rings=2)], [USER], server_require_caller_id=True) == []


def test_ports_of_one_speed():
    ports = [dict(PORT, speed=115200), dict(PORT, device='ttyS2', remote_ip='192.168.1.3', speed=115200)]
    assert server(ports, [USER]) == []


def test_ports_of_two_speeds_without_a_device_nor_addresses():
    assert server([{}, {'device': 'ttyS2', 'speed': 115200}], [USER]) == [
        'server_ports: every port needs the same speed when there are server_callback_users: the callback program'
        ' has one speed for all lines (callback.config speed); got {"": 38400, "ttyS2": 115200}.',
        'server_ports: remote_ip must differ between ports (got ["", ""]).']


def test_users_without_a_name_share_it():
    assert server([PORT], [{'number': '1'}], [{'password': 'x'}]) == [
        'server_callback_users and server_ppp_users share [""]: a callback pseudo-login would shadow the PPP'
        " account's login."]


def test_step_messages_without_server_variables_stay():
    assert step_errors(['a: b', 'a: b', 'c'], {}) == ['a: b', 'c']


def test_only_whole_names_are_renamed():
    variables = {'callback_users': '{{ server_callback_users }}'}
    assert step_errors(['Xcallback_users[0] is bad', 'callback_users[0] is bad'], variables) == [
        'Xcallback_users[0] is bad', 'server_callback_users[0] is bad']


def test_the_longest_name_is_renamed():
    variables = {'a': '{{ server_a }}', 'a.b': '{{ server_b }}'}
    assert step_errors(['a.b is bad', 'a is bad'], variables) == ['server_b is bad', 'server_a is bad']


def test_which_step_variables_are_renamed():
    # Only a string naming one server variable, for a variable the user may set (not starting with _).
    variables = {'x': 'no server variable', '_y': '{{ server_y }}', 'z': ['server_z'],
                 'w': '{{ server_w or server_v }}'}
    messages = ['x is bad', '_y is bad', 'z is bad', 'w is bad']
    assert step_errors(messages, variables) == messages


def test_the_caller_kits_ppp_users():
    assert kits(caller_kits_ppp_users=None) == []
    values = copy.deepcopy(KITS)
    del values['caller_kits_ppp_users']
    del values['server_require_caller_id']
    assert input_errors(values, 'caller_kits') == []
    assert kits(caller_kits_ppp_users=['call']) == [
        'caller_kits_ppp_users must map pseudo-logins to PPP account names (got ["call"]).']


def test_a_ppp_user_twice_in_the_caller_kits():
    users = [{'name': 'pppuser', 'password': 'a'}, {'name': 'pppuser', 'password': 'b'}]
    assert kits(server_ppp_users=users, caller_kits_ppp_users={'call': 'pppuser', 'call2': 'pppuser'}) == [
        'server_ppp_users: each name may appear once; declared more than once: ["pppuser"].']


def test_the_caller_kits_dir():
    assert kits(caller_kits_dir='kits\nother') == [
        'caller_kits_dir must be a directory on the controller (got "kits\\nother").']


def test_the_client_names():
    assert client() == []
    assert client(client_peer_name='.x') == [
        'client_peer_name must be letters, digits, ., _ and - not starting with . (got ".x").']
    assert client(client_callback_user='-call') == [
        "client_callback_user must be a login name without whitespace, '*', '@', '/' or a leading '-', as in"
        ' callback_users (got "-call").']
    assert client(client_ppp_user='PPP') == [
        'client_ppp_user must be a system user name (lower case, digits, _ and -), as in ppp_server_users'
        ' (got "PPP").']
    assert client(client_callback_user='pppuser') == [
        'client_callback_user and client_ppp_user must differ (both are "pppuser"): the server maps the pseudo-login'
        ' to its callback program.']
    assert client(client_remote_name='a b') == [
        'client_remote_name must be empty or a word without whitespace, quotes or backslashes (got "a b").']


def test_the_client_modem():
    assert client(client_device='ttyS0') == [
        'client_device must be an absolute path without whitespace, quotes or backslashes (got "ttyS0").']
    assert client(client_ppp_start_expect='a b') == [
        'client_ppp_start_expect must hold no whitespace, quotes or backslashes (got "a b").']
    assert client(client_extra_options=['mtu 1400']) == []
    assert client(client_extra_options=['mtu 1400', 'a\nb']) == [
        'client_extra_options must be single-line pppd options (got ["mtu 1400", "a\\nb"]).']


@pytest.mark.parametrize('variable', ['client_modem_init', 'client_dial_command', 'client_answer_command'])
def test_each_modem_command(variable):
    assert client(**{variable: 'ATZ 1'}) == [
        '%s must be a modem command starting with AT, without whitespace, quotes or backslashes (got "ATZ 1").'
        % variable]


@pytest.mark.parametrize('variable', AT_LEAST_1)
def test_each_number_of_at_least_1(variable):
    assert client(**{variable: 1}) == []
    assert client(**{variable: 0}) == ['%s must be a whole number of at least 1 (got 0).' % variable]


def test_the_lcp_echo_interval():
    assert client(client_lcp_echo_interval=0) == []
    assert client(client_lcp_echo_interval=-1) == [
        'client_lcp_echo_interval must be a whole number of seconds, 0 or more (0: no echo) (got -1).']


@pytest.mark.parametrize('values, role, message', [
    ({}, 'pppd', 'input_errors: role must be one of callback, caller_kits, client, mgetty, modem, ppp_server, server,'
                 ' got "pppd"'),
    ([], 'modem', 'input_errors: the input must be a dict of variables, got list'),
])
def test_the_filters_own_errors(values, role, message):
    with pytest.raises(AnsibleFilterError) as raised:
        input_errors(values, role)
    assert raised.value.message == message


def test_values_json_cannot_write():
    # A value JSON has no type for is quoted as its text, inside the list that holds it.
    assert _json([b'ttyS1', 1]) == '["ttyS1", 1]'
    # A value JSON cannot write at all (a list holding itself) is quoted as its text.
    circular = ['ttyS1']
    circular.append(circular)
    assert _json(circular) == '"[\'ttyS1\', [...]]"'


def test_the_filter_is_named_input_errors():
    assert FilterModule().filters() == {'input_errors': input_errors}
