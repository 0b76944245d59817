# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The shared checks, and that the roles' filter and the modules that use one agree on it."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ansible_collections.dialin.callback.plugins.filter.input_errors import input_errors
from ansible_collections.dialin.callback.plugins.filter.ipv4_network import FilterModule as Ipv4NetworkFilter
from ansible_collections.dialin.callback.plugins.module_utils import validators
from ansible_collections.dialin.callback.plugins.modules import callback_user, ppp_secret

SETTINGS = settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                             HealthCheck.too_slow])


# ---------------------------------------------------------------- dial numbers
@pytest.mark.parametrize('number', ['123456', '0W123456', '0w123456', '*70,,5550100', '#31#5550100', 'T5550100',
                                    'p5550100', ','])
def test_dial_number_accepts_digits_and_modifiers(number):
    assert validators.DIAL_NUMBER.match(number)


@pytest.mark.parametrize('number', ['', '12a456', '123 456', '+49301234', '123;', '(030)1234', '555-0100', '1\t2',
                                    '１２３'])
def test_dial_number_rejects_anything_else(number):
    assert not validators.DIAL_NUMBER.match(number)


def callback_role_rejects_number(number):
    values = {'callback_users': [{'name': 'call', 'number': number, 'lines': ['ttyS1']}],
              'callback_after_callback': 'N', 'callback_program_args': [], 'callback_dial_prefix': 'ATD',
              'callback_modem_init': '', 'callback_program_mode': '0700'}
    return any('number must be' in message for message in input_errors(values, 'callback'))


def callback_user_rejects_number(run_module, path, number):
    res = run_module(callback_user.main, dict(path=path, name='call', number=number), check_mode=True)
    if res.failed:
        assert 'number' in res['msg'], res
    return res.failed


@SETTINGS
@given(number=st.text(alphabet='0123456789,WPTwpt*#aZ +;-()\t', max_size=10))
def test_callback_role_and_module_agree_on_numbers(run_module, tmp_path, number):
    # check mode on a file that does not exist: the module reads nothing and writes nothing
    path = str(tmp_path / 'login.config')
    rejected = callback_role_rejects_number(number)
    assert rejected == callback_user_rejects_number(run_module, path, number)
    assert rejected == (not validators.DIAL_NUMBER.match(number))
    assert not os.path.exists(path)


# ---------------------------------------------------------------- newline, carriage return, NUL
@pytest.mark.parametrize('value, name', [
    ('a\nb', 'a newline'), ('a\rb', 'a carriage return'), ('a\x00b', 'a NUL byte'),
    # several at once: named in the fixed order newline, carriage return, NUL
    ('\r\n', 'a newline'), ('\x00\r', 'a carriage return'), ('\x00\n', 'a newline'),
])
def test_line_break_or_nul_names_the_character(value, name):
    assert validators.line_break_or_nul(value) == name


@pytest.mark.parametrize('value', ['', 'top secret', 'tab\there', '"quoted"', '\\n', '\x0b\x0c', '\u2028', '@/etc/x'])
def test_line_break_or_nul_is_none_for_a_single_line(value):
    assert validators.line_break_or_nul(value) is None


def ppp_server_role_rejects_password(password):
    values = {'ppp_server_ports': [], 'ppp_server_netmask': '255.255.255.0', 'ppp_server_ms_dns': [],
              'ppp_server_extra_options': [], 'ppp_server_pppd_mode': '4754',
              'ppp_server_users': [{'name': 'pppuser', 'password': password}]}
    return any('password must be' in message for message in input_errors(values, 'ppp_server'))


@SETTINGS
@given(password=st.text(alphabet='ab \t\n\r\x00"#\\', min_size=1, max_size=8))
def test_ppp_server_role_and_ppp_secret_agree_on_secrets(run_module, tmp_path, password):
    path = str(tmp_path / 'pap-secrets')
    res = run_module(ppp_secret.main, dict(path=path, client='pppuser', secret=password), check_mode=True)
    name = validators.line_break_or_nul(password)
    # the role has the PPP password rule (also the client's); the module only what pppd reads in a
    # secrets file: what the role lets through, the module writes
    assert ppp_server_role_rejects_password(password) == (validators.ppp_password_problem(password) is not None)
    assert res.failed == (name is not None)
    assert ppp_server_role_rejects_password(password) or not res.failed
    if name is not None:
        assert res['msg'] == 'secret contains %s, which pppd cannot read in a secrets file' % name
    assert not os.path.exists(path)


# ---------------------------------------------------------------- IPv4 networks
@pytest.mark.parametrize('address, netmask, network', [
    ('192.168.1.2', '255.255.255.0', '192.168.1.0/24'),
    ('192.168.1.2', '255.255.255.252', '192.168.1.0/30'),
    ('10.1.2.3', '255.0.0.0', '10.0.0.0/8'),
    ('10.1.2.3', '255.255.255.255', '10.1.2.3/32'),
    ('0.0.0.0', '0.0.0.0', '0.0.0.0/0'),
])
def test_ipv4_network_of_valid_input(address, netmask, network):
    assert validators.ipv4_network(address, netmask) == network


@pytest.mark.parametrize('address, netmask', [
    ('256.1.1.1', '255.255.255.0'), ('192.168.1', '255.255.255.0'), ('192.168.1.2/24', '255.255.255.0'),
    ('192.168.1.2', '255.0.255.0'), ('192.168.1.2', 'x'), ('', '255.255.255.0'), (None, '255.255.255.0'),
    ('fe80::1', '255.255.255.0'), ('192.168.1.2', ''),
])
def test_ipv4_network_is_empty_for_invalid_input(address, netmask):
    assert validators.ipv4_network(address, netmask) == ''


def test_ipv4_network_filter_is_the_shared_function():
    assert Ipv4NetworkFilter().filters() == {'ipv4_network': validators.ipv4_network}


# ---------------------------------------------------------------- PPP passwords: the words of each refusal
@pytest.mark.parametrize('value, problem', [
    ('', 'is empty or not a string'),
    (None, 'is empty or not a string'),
    (5, 'is empty or not a string'),
    ('a\tb', 'contains a control character (newline, tab, ^C, DEL...)'),
    ('a\x7f', 'contains a control character (newline, tab, ^C, DEL...)'),
    ('x' * 256, 'is longer than 255 bytes'),
    (u'\u00e9' * 128, 'is longer than 255 bytes'),
    ('@/etc/ppp/secret', 'starts with "@/", which pppd reads as the name of a file holding the secret'),
])
def test_ppp_password_problem_in_its_words(value, problem):
    assert validators.ppp_password_problem(value) == problem


@pytest.mark.parametrize('value', ['x' * 255, u'\u00e9' * 127 + 'x', '@', 'a@/b', ' top "secret" #1\\'])
def test_ppp_password_problem_is_none_for_a_usable_password(value):
    assert validators.ppp_password_problem(value) is None
