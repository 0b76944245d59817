# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Phone numbers that YAML read as numbers say so, and the server role's validation names the server's
variables in the step roles' messages (input_errors' step_errors and server_errors)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

import pytest
import yaml

from ansible_collections.dialin.callback.plugins.filter.input_errors import input_errors, step_errors

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
QUOTE = ('was read by YAML as a number (a leading 0 is octal in YAML 1.1, and leading zeros and a leading + are'
         ' lost): quote it as written')


def callback_values(**user):
    values = {'callback_users': [dict({'name': 'call', 'number': '123456'}, **user)], 'callback_after_callback': '-',
              'callback_program_args': [], 'callback_dial_prefix': 'ATD', 'callback_modem_init': 'ATZ',
              'callback_program_mode': '0700', 'callback_max_time': 60, 'callback_rate_limit_count': 3,
              'callback_rate_limit_window': 3600, 'callback_ports': ['ttyS1'], 'callback_require_caller_id': False,
              '_local_accounts': ['root']}
    return values


def test_the_good_values_have_no_problem():
    assert input_errors(callback_values(), 'callback') == []


def test_a_number_written_with_a_leading_zero_is_octal_and_says_quote_it():
    # number: 0123456 unquoted: YAML 1.1 (PyYAML, Ansible) reads the octal 42798.
    assert yaml.safe_load('number: 0123456') == {'number': 42798}
    assert input_errors(callback_values(number=42798), 'callback') == [
        'callback_users[0] ("call"): number 42798 ' + QUOTE + ', e.g. number: "42798", or number: "0123456" if you'
        ' wrote 0123456.']


def test_a_number_written_without_quotes_says_quote_it():
    assert input_errors(callback_values(number=123456), 'callback') == [
        'callback_users[0] ("call"): number 123456 ' + QUOTE + ', e.g. number: "123456", or number: "0361100" if'
        ' you wrote 0361100.']


def test_a_caller_id_read_as_a_number_says_quote_it():
    # caller_id: +4930123 unquoted is the int 4930123: the + is lost.
    assert yaml.safe_load('caller_id: +4930123') == {'caller_id': 4930123}
    errors = input_errors(callback_values(caller_id=4930123), 'callback')
    assert errors == ['callback_users[0] ("call"): caller_id 4930123 ' + QUOTE + ', e.g. caller_id: "4930123", or'
                      ' caller_id: "022635113" if you wrote 022635113.']
    # The octal digits the message suggests are what YAML read as that number.
    assert yaml.safe_load('caller_id: 022635113') == {'caller_id': 4930123}


@pytest.mark.parametrize('number, message', [
    ('12a456', 'callback_users[0] ("call"): number must be a quoted string of digits and dial modifiers'
               ' (0-9 , W P T * #), got "12a456".'),
    (True, 'callback_users[0] ("call"): number must be a quoted string of digits and dial modifiers'
           ' (0-9 , W P T * #), got true.'),
    (12.5, 'callback_users[0] ("call"): number 12.5 ' + QUOTE + ', e.g. number: "12.5".'),
])
def test_other_bad_numbers(number, message):
    assert input_errors(callback_values(number=number), 'callback') == [message]


def test_a_caller_id_with_letters_keeps_its_message():
    assert input_errors(callback_values(caller_id='55a5'), 'callback') == [
        'callback_users[0] ("call"): caller_id must be a quoted string of digits (a leading + and blanks or dashes'
        ' between them allowed), got "55a5".']


def client_values(**changes):
    values = {'client_server_number': '5550100', 'client_peer_name': 'callback', 'client_callback_user': 'call',
              'client_ppp_user': 'pppuser', 'client_ppp_password': 'Sup3r-Secret', 'client_remote_name': '',
              'client_device': '/dev/ttyS0', 'client_modem_init': 'ATZ', 'client_dial_command': 'ATDT',
              'client_answer_command': 'ATA', 'client_ppp_start_expect': '', 'client_speed': 38400,
              'client_modem_timeout': 5, 'client_dial_timeout': 60, 'client_login_timeout': 30,
              'client_callback_timeout': 90, 'client_lcp_echo_interval': 30, 'client_lcp_echo_failure': 4,
              'client_extra_options': []}
    values.update(changes)
    return values


def test_the_client_server_number():
    assert input_errors(client_values(), 'client') == []
    assert input_errors(client_values(client_server_number=42798), 'client') == [
        'client_server_number 42798 ' + QUOTE + ', e.g. client_server_number: "42798", or client_server_number:'
        ' "0123456" if you wrote 0123456.']
    assert input_errors(client_values(client_server_number='55x'), 'client') == [
        'client_server_number must be a quoted string of digits and dial modifiers (0-9 , W P T * #), the characters'
        ' a server accepts in callback_users numbers, got "55x".']


def kit_values(**changes):
    values = {'server_ports': [{'device': 'ttyS1', 'local_ip': '192.168.7.1', 'remote_ip': '192.168.7.2'}],
              'server_callback_users': [{'name': 'call', 'number': '123456'}],
              'server_ppp_users': [{'name': 'pppuser', 'password': 'unit-secret-1'}],
              'server_netmask': '255.255.255.0', 'server_require_caller_id': False,
              'caller_kits_server_number': '100', 'caller_kits_dir': 'kits', 'caller_kits_ppp_users': {}}
    values.update(changes)
    return values


def test_the_caller_kits_server_number():
    assert input_errors(kit_values(), 'caller_kits') == []
    assert input_errors(kit_values(caller_kits_server_number=100), 'caller_kits') == [
        'caller_kits_server_number 100 ' + QUOTE + ', e.g. caller_kits_server_number: "100", or'
        ' caller_kits_server_number: "0144" if you wrote 0144.']
    assert input_errors(kit_values(caller_kits_server_number='1OO'), 'caller_kits') == [
        'caller_kits_server_number must be the number the callers dial to reach this server, a quoted string of'
        ' digits and dial modifiers (0-9 , W P T * #), got "1OO".']
    users = [{'name': 'call', 'number': 42798}]
    assert input_errors(kit_values(server_callback_users=users), 'caller_kits') == [
        'server_callback_users[0] ("call"): number 42798 ' + QUOTE + ', e.g. number: "42798", or number: "0123456"'
        ' if you wrote 0123456.']


def server_variables():
    with open(os.path.join(REPO, 'roles', 'server', 'vars', 'main.yml')) as stream:
        return yaml.safe_load(stream)


def test_step_messages_name_the_server_variables():
    messages = [
        'callback_users[0] ("call"): number 42798 ' + QUOTE + ', e.g. number: "42798".',
        'ppp_server_users[1] ("ppp2"): addresses must be IPv4 addresses or * (got ["10.0.0.300"]).',
        'modem_ports[0] ("ttyS1 "): device must be a serial port name such as ttyS1 or ttyUSB0 (got "ttyS1 ").',
        'mgetty_ports[0] ("ttyS1 "): device must be a serial port name such as ttyS1 or ttyUSB0 (got "ttyS1 ").',
        'ppp_server_ports[0] ("ttyS1 "): device must be a serial port name such as ttyS1 or ttyUSB0 (got "ttyS1 ").',
        'callback_ports must be tty names such as ttyS1, got ["ttyS1 "].',
        'mgetty_callback_only false (server_callback_only with the server role): mgetty accepts every login. Refused'
        ' unless mgetty_insecure_logins_before_callback (server_insecure_logins_before_callback) is true; set it to'
        ' true.',
        'ip_forward_lan_interfaces must name the LAN interfaces the callers may reach (e.g. [eth0]) while'
        ' ip_forward_policy is true (server_lan_interfaces and server_ip_forward_policy with the server role); set'
        ' the policy to false to leave forwarding to your own firewall.',
        # Not set by the server role: the user sets it under its own name.
        'mgetty_refuse_program must be an absolute path (got "x").',
        'callback_users[1] ("c2"): callback_require_caller_id is true, so every callback user needs a caller_id.',
    ]
    assert step_errors(messages, server_variables()) == [
        'server_callback_users[0] ("call"): number 42798 ' + QUOTE + ', e.g. number: "42798".',
        'server_ppp_users[1] ("ppp2"): addresses must be IPv4 addresses or * (got ["10.0.0.300"]).',
        'server_ports[0] ("ttyS1 "): device must be a serial port name such as ttyS1 or ttyUSB0 (got "ttyS1 ").',
        'server_callback_only false: mgetty accepts every login. Refused unless server_insecure_logins_before_callback'
        ' is true; set it to true.',
        'server_lan_interfaces must name the LAN interfaces the callers may reach (e.g. [eth0]) while'
        ' server_ip_forward_policy is true; set the policy to false to leave forwarding to your own firewall.',
        'mgetty_refuse_program must be an absolute path (got "x").',
        'server_callback_users[1] ("c2"): server_require_caller_id is true, so every callback user needs a'
        ' caller_id.',
    ]


def test_the_server_check_reports_the_steps_problems_then_its_own():
    values = {'server_ports': [{'device': 'ttyS1', 'remote_ip': '192.168.7.2'},
                               {'device': 'ttyS2', 'remote_ip': '192.168.7.2'}],
              'server_callback_users': [{'name': 'call', 'number': 42798}],
              'server_ppp_users': [{'name': 'pppuser', 'password': 'x', 'addresses': ['10.0.0.300']}],
              'server_require_caller_id': False,
              '_step_errors': ['ppp_server_users[0] ("pppuser"): addresses must be IPv4 addresses or *'
                               ' (got ["10.0.0.300"]).',
                               'callback_users[0] ("call"): number 42798 ' + QUOTE + '.'],
              '_step_variables': server_variables()}
    assert input_errors(values, 'server') == [
        'server_ppp_users[0] ("pppuser"): addresses must be IPv4 addresses or * (got ["10.0.0.300"]).',
        'server_callback_users[0] ("call"): number 42798 ' + QUOTE + '.',
        'server_ports: remote_ip must differ between ports (got ["192.168.7.2", "192.168.7.2"]).',
    ]
    # Without step messages (playbooks/caller_kits.yml's use): the server's own checks alone.
    del values['_step_errors']
    assert input_errors(values, 'server') == [
        'server_ports: remote_ip must differ between ports (got ["192.168.7.2", "192.168.7.2"]).']
