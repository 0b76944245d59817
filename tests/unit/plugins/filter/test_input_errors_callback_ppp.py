# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""input_errors('callback') and input_errors('ppp_server'): each message word for word, the smallest
values accepted, and the defaults a missing key stands for."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy

import pytest

from ansible_collections.dialin.callback.plugins.filter.input_errors import input_errors

QUOTE = ('was read by YAML as a number (a leading 0 is octal in YAML 1.1, and leading zeros and a leading + are'
         ' lost): quote it as written')
CALLBACK = {
    'callback_users': [{'name': 'call', 'number': '123456', 'lines': ['ttyS1']}], 'callback_after_callback': 'N',
    'callback_program_args': [], 'callback_dial_prefix': 'ATD', 'callback_modem_init': 'ATZ',
    'callback_program_mode': '0700', 'callback_max_time': 60, 'callback_rate_limit_count': 3,
    'callback_rate_limit_window': 3600, 'callback_ports': ['ttyS1'], 'callback_require_caller_id': False,
    '_local_accounts': ['root'],
}
NAME = "name must be a login name without whitespace, '*', '@', '/' or a leading '-'."
PORT = {'device': 'ttyS1', 'local_ip': '192.168.1.1', 'remote_ip': '192.168.1.2'}
PPP_SERVER = {
    'ppp_server_ports': [PORT], 'ppp_server_netmask': '255.255.255.0', 'ppp_server_ms_dns': ['192.168.1.10'],
    'ppp_server_extra_options': ['lcp-echo-interval 30'], 'ppp_server_pppd_mode': '4754',
    'ppp_server_users': [{'name': 'pppuser', 'password': 'Sup3r-Secret', 'addresses': ['192.168.1.2', '*']}],
    'ppp_server_insecure_logins_anywhere': False, 'ppp_server_insecure_no_callback_check': False,
}


def callback(**changes):
    values = copy.deepcopy(CALLBACK)
    values.update(changes)
    return input_errors(values, 'callback')


def callback_user(**changes):
    return callback(callback_users=[dict(CALLBACK['callback_users'][0], **changes)])


def ppp_server(**changes):
    values = copy.deepcopy(PPP_SERVER)
    values.update(changes)
    return input_errors(values, 'ppp_server')


def test_the_good_values():
    assert callback() == []
    assert ppp_server() == []


def test_required_caller_ids_name_the_switch():
    assert callback(callback_require_caller_id=True) == [
        'callback_users[0] ("call"): callback_require_caller_id is true, so every callback user needs a caller_id.']
    assert callback_user(caller_id='+49 30-123', number='0W5550100') == []
    assert callback(callback_require_caller_id=True, callback_users=[
        {'name': 'call', 'number': '1', 'caller_id': '+49 30-123'}]) == []
    # Anything that is not a boolean's word is false, not an error.
    assert callback(callback_require_caller_id='maybe') == []


def test_a_user_without_a_number():
    assert callback(callback_users=[{'name': 'call'}]) == [
        'callback_users[0] ("call"): number must be a quoted string of digits and dial modifiers (0-9 , W P T * #),'
        ' got "".']


@pytest.mark.parametrize('number, examples', [
    (0, 'number: "0"'),
    (1, 'number: "1", or number: "01" if you wrote 01'),
])
def test_the_smallest_numbers_read_by_yaml(number, examples):
    assert callback_user(number=number) == [
        'callback_users[0] ("call"): number %d %s, e.g. %s.' % (number, QUOTE, examples)]


def test_a_user_named_like_a_local_account():
    assert callback_user(name='root') == [
        'callback_users[0] ("root"): name is a local account on this host: a callback pseudo-login with that name would'
        ' shadow its login at the dial-in prompt; choose another name.']


def test_bad_lines_are_quoted():
    assert callback_user(lines=['ttyS1', '/dev/ttyS2']) == [
        'callback_users[0] ("call"): lines must be tty names such as ttyS1, got ["ttyS1", "/dev/ttyS2"].']


def test_two_users_without_a_name():
    assert callback(callback_users=[{'number': '1'}, {'number': '2'}]) == [
        'callback_users[0] ("?"): ' + NAME, 'callback_users[1] ("?"): ' + NAME,
        'callback_users: each name may appear once; declared more than once: [""].']


def test_the_callback_roles_own_variables():
    for after in ('-', 'Y', 'N'):
        assert callback(callback_after_callback=after) == []
    assert callback(callback_after_callback='y') == ['callback_after_callback must be -, Y or N (got "y").']
    assert callback(callback_program_args=['-x', '-y z']) == [
        'callback_program_args must be words without spaces (got ["-x", "-y z"]).']
    assert callback(callback_dial_prefix='ATD;ATH') == [
        'callback_dial_prefix must be a modem command prefix such as ATD (got "ATD;ATH").']
    assert callback(callback_modem_init='ATZ\nATH') == ['callback_modem_init must be a single line.']
    assert callback(callback_program_mode='rwx') == [
        'callback_program_mode must be an octal mode such as 0700 (got "rwx").']


def test_the_time_and_rate_limits():
    assert callback(callback_max_time=1, callback_rate_limit_count=0, callback_rate_limit_window=1) == []
    assert callback(callback_max_time=0, callback_rate_limit_count=-1, callback_rate_limit_window=0) == [
        'callback_max_time must be a whole number of seconds, at least 1 (callback gives up after them) (got 0).',
        'callback_rate_limit_count must be a whole number of callbacks per pseudo-login, 0 or more (0 disables the'
        ' limit) (got -1).',
        'callback_rate_limit_window must be a whole number of seconds, at least 1 (got 0).']


@pytest.mark.parametrize('budget', ['number', 'line', 'server'])
def test_each_budget(budget):
    count, window = 'callback_%s_limit_count' % budget, 'callback_%s_limit_window' % budget
    assert callback(**{count: 0, window: 1}) == []
    assert callback(**{count: -1, window: 0}) == [
        '%s must be a whole number of callbacks, 0 or more (0 disables the limit) (got -1).' % count,
        '%s must be a whole number of seconds, at least 1 (got 0).' % window]
    # Without its count, a budget is not checked.
    assert callback(**{window: 0}) == []


def test_the_callback_ports():
    assert callback(callback_ports=['ttyS1', 'ttyS2 ']) == [
        'callback_ports must be tty names such as ttyS1, got ["ttyS1", "ttyS2 "].']
    assert callback(callback_ports={'ttyS1': 1}) == ['callback_ports must be tty names such as ttyS1, got {"ttyS1": 1}.']


def test_an_allow_noauth_that_is_no_boolean_is_false():
    assert ppp_server(ppp_server_extra_options=['noauth'], ppp_server_insecure_allow_noauth='maybe') == [
        'ppp_server_extra_options ["noauth"] turn off authentication for every pppd (any caller or local user would get'
        ' a link); refused unless ppp_server_insecure_allow_noauth is true.']


def test_allow_noauth_lets_a_port_turn_off_authentication():
    assert ppp_server(ppp_server_ports=[dict(PORT, ppp_options=['noauth'])], ppp_server_insecure_allow_noauth=True) == []
    assert ppp_server(ppp_server_ports=[dict(PORT, ppp_options=['noauth'])]) == [
        'ppp_server_ports[0] ("ttyS1"): ppp_options ["noauth"] turn off authentication on a dial-in line (any caller'
        ' would get a link); refused unless ppp_server_insecure_allow_noauth is true.']


def test_the_pppd_mode():
    # The digits of 4744 add up to an odd number: only the last one tells whether others may execute pppd.
    assert ppp_server(ppp_server_pppd_mode='4744') == []
    assert ppp_server(ppp_server_pppd_mode='4755') == [
        'ppp_server_pppd_mode must be a 4-digit octal mode that does not let others execute pppd (got "4755").']


def test_two_ppp_users_without_a_name():
    name = 'name must be a system user name (lower case, digits, _ and -).'
    assert ppp_server(ppp_server_users=[{'password': 'a'}, {'password': 'b'}]) == [
        'ppp_server_users[0] ("?"): ' + name, 'ppp_server_users[1] ("?"): ' + name,
        'ppp_server_users: each name may appear once; declared more than once: [""].']


def test_bad_addresses_are_quoted():
    assert ppp_server(ppp_server_users=[{'name': 'pppuser', 'password': 'x', 'addresses': ['*', '10.0.0.300']}]) == [
        'ppp_server_users[0] ("pppuser"): addresses must be IPv4 addresses or * (got ["*", "10.0.0.300"]).']


@pytest.mark.parametrize('switch', ['ppp_server_insecure_logins_anywhere', 'ppp_server_insecure_no_callback_check'])
def test_a_quoted_switch(switch):
    assert ppp_server(**{switch: 'true'}) == ['%s must be true or false, not quoted (got "true").' % switch]


def test_the_network_variables():
    assert ppp_server(ppp_server_netmask='255.255.255.0/24', ppp_server_ports=[]) == [
        'ppp_server_netmask must be an IPv4 netmask such as 255.255.255.0 (got "255.255.255.0/24").']
    assert ppp_server(ppp_server_ms_dns=['192.168.1.10', '8.8.8']) == [
        'ppp_server_ms_dns must be IPv4 addresses (got ["192.168.1.10", "8.8.8"]).']
    assert ppp_server(ppp_server_extra_options=['mtu 1400\nnoauth']) == [
        'ppp_server_extra_options must be single-line pppd options.']


def test_the_port_addresses():
    assert ppp_server(ppp_server_ports=[dict(PORT, local_ip='192.168.1.256')]) == [
        'ppp_server_ports[0] ("ttyS1"): local_ip and remote_ip must be IPv4 addresses (got "192.168.1.256" and'
        ' "192.168.1.2").']
    assert ppp_server(ppp_server_ports=[dict(PORT, remote_ip='192.168.1.1')]) == [
        'ppp_server_ports[0] ("ttyS1"): local_ip and remote_ip must be different addresses (both are "192.168.1.1").']
    assert ppp_server(ppp_server_ports=[dict(PORT, remote_ip='192.168.2.2')]) == [
        'ppp_server_ports[0] ("ttyS1"): local_ip "192.168.1.1" and remote_ip "192.168.2.2" must be on one network'
        ' under the netmask "255.255.255.0".']
