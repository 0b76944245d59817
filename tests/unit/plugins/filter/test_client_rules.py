# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The client role's input rules are the server roles' (one rule each for numbers and passwords), and
a password the server accepts reaches the server as written: through the client's chat script as
chat reads it (chat_reference, a transcription of chat.c) and through pap-secrets as pppd reads it
(pppd_reference)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy
import os

import jinja2
import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from ansible_collections.dialin.callback.plugins.filter.chat_escape import chat_escape
from ansible_collections.dialin.callback.plugins.filter.input_errors import input_errors
from ansible_collections.dialin.callback.plugins.module_utils import validators
from ansible_collections.dialin.callback.plugins.modules import ppp_secret
from ansible_collections.dialin.callback.tests.unit.plugins.filter import chat_reference
from ansible_collections.dialin.callback.tests.unit.plugins.modules.pppd_reference import parse_secrets_text

ROLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', '..', 'roles', 'client')
SETTINGS = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def client_defaults():
    with open(os.path.join(ROLE, 'defaults', 'main.yml')) as f:
        values = yaml.safe_load(f)
    values.update(client_server_number='5550100', client_ppp_user='pppuser', client_ppp_password='Sup3r-Secret')
    return values


CLIENT_VARIABLES = ('client_server_number', 'client_peer_name', 'client_callback_user', 'client_ppp_user',
                    'client_ppp_password', 'client_remote_name', 'client_device', 'client_modem_init',
                    'client_dial_command', 'client_answer_command', 'client_ppp_start_expect', 'client_speed',
                    'client_modem_timeout', 'client_dial_timeout', 'client_login_timeout', 'client_callback_timeout',
                    'client_lcp_echo_interval', 'client_lcp_echo_failure', 'client_extra_options')


def client_values(**changes):
    values = client_defaults()
    values.update(changes)
    return dict((name, values[name]) for name in CLIENT_VARIABLES)


def test_the_validation_passes_every_client_variable_it_checks():
    # The role's validate.yml hands these variables to the filter, each under its own name.
    with open(os.path.join(ROLE, 'tasks', 'validate.yml')) as f:
        text = f.read()
    for name in CLIENT_VARIABLES:
        assert "'%s': %s," % (name, name) in text or "'%s': %s\n" % (name, name) in text, name
    assert "dialin.callback.input_errors('client')" in text


def test_the_defaults_with_the_required_values_are_good():
    assert input_errors(client_values(), 'client') == []


def test_every_problem_is_reported_at_once_naming_its_variable():
    values = client_values(client_server_number='+49 30 1234', client_peer_name='.hidden', client_callback_user='-x',
                           client_ppp_user='PPP User', client_ppp_password='Leak\x03Me', client_remote_name='a b',
                           client_device='ttyS0', client_modem_init='ZZ', client_dial_command='ATD T',
                           client_answer_command='"ATA"', client_ppp_start_expect="'", client_speed='fast',
                           client_modem_timeout=0, client_dial_timeout=-1, client_login_timeout='x',
                           client_callback_timeout=None, client_lcp_echo_interval=-1, client_lcp_echo_failure=0,
                           client_extra_options=['debug\nnoauth'])
    errors = input_errors(values, 'client')
    assert sorted(message.split(' ', 1)[0] for message in errors) == sorted(CLIENT_VARIABLES), errors
    assert not any('Leak' in message for message in errors)


def test_the_two_users_must_differ():
    errors = input_errors(client_values(client_callback_user='pppuser'), 'client')
    assert len(errors) == 1
    assert 'client_callback_user and client_ppp_user must differ' in errors[0]


# ---------------------------------------------------------------- one rule for numbers
def callback_role_number_errors(number):
    values = {'callback_users': [{'name': 'call', 'number': number, 'lines': ['ttyS1']}],
              'callback_after_callback': 'N', 'callback_program_args': [], 'callback_dial_prefix': 'ATD',
              'callback_modem_init': '', 'callback_program_mode': '0700', 'callback_max_time': 120,
              'callback_rate_limit_count': 3, 'callback_rate_limit_window': 3600}
    return [message for message in input_errors(values, 'callback') if 'number must be' in message]


@SETTINGS
@given(number=st.text(alphabet='0123456789,WPTwpt*#+;!@aZ -()\t', max_size=10))
def test_the_client_and_the_server_accept_the_same_numbers(number):
    client = [m for m in input_errors(client_values(client_server_number=number), 'client')
              if m.startswith('client_server_number')]
    assert bool(client) == bool(callback_role_number_errors(number))
    assert bool(client) == (not validators.DIAL_NUMBER.match(number))


# ---------------------------------------------------------------- one rule for passwords
def ppp_server_password_errors(password):
    values = {'ppp_server_ports': [], 'ppp_server_netmask': '255.255.255.0', 'ppp_server_ms_dns': [],
              'ppp_server_extra_options': [], 'ppp_server_pppd_mode': '4754',
              'ppp_server_users': [{'name': 'pppuser', 'password': password}]}
    return [message for message in input_errors(values, 'ppp_server') if 'password' in message]


def client_password_errors(password):
    return [message for message in input_errors(client_values(client_ppp_password=password), 'client')
            if message.startswith('client_ppp_password')]


@pytest.mark.parametrize('password, problem', [
    ('', 'is empty'), (None, 'is empty'), ('a\nb', 'control character'), ('a\rb', 'control character'),
    ('a\x00b', 'control character'), ('tab\there', 'control character'), ('^C\x03', 'control character'),
    ('del\x7f', 'control character'), ('x' * 256, 'longer than 255 bytes'), (u'\xe9' * 128, 'longer than 255 bytes'),
    ('@/etc/shadow', 'starts with "@/"'),
])
def test_a_password_that_cannot_reach_the_server_is_refused_on_both_sides(password, problem):
    assert problem in validators.ppp_password_problem(password)
    assert len(client_password_errors(password)) == 1 and problem in client_password_errors(password)[0]
    assert len(ppp_server_password_errors(password)) == 1 and problem in ppp_server_password_errors(password)[0]


@pytest.mark.parametrize('password', [
    'x', 'with space', ' lead and trail ', 'dq"uote', "sq'uote", 'back\\slash', '\\', "'", '"', '^C^M', '$HOME',
    '#hash', '@login', '@home', 'x@/y', 'EOT', 'BREAK', '\\q\\c\\d', 'x' * 255, u'\xe9' * 127 + 'x', u'\u00fcml\u00e4ut',
])
def test_a_password_the_server_accepts_the_client_accepts(password):
    assert validators.ppp_password_problem(password) is None
    assert client_password_errors(password) == []
    assert ppp_server_password_errors(password) == []


# Printable ASCII with every character chat, pppd's getword() or a shell treat specially, control
# characters, and a few non-ASCII ones.
PASSWORDS = st.text(alphabet=u' !"#$%&\'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~\t\n\r\x00\x03\x7f\xe9\u20ac', min_size=1,
                    max_size=24)


def render_chat_script(password, mode='ppplogin'):
    """The role's chat.j2 as the template module renders it (trim_blocks), with the collection's filter."""
    with open(os.path.join(ROLE, 'templates', 'chat.j2')) as f:
        source = f.read()
    env = jinja2.Environment(trim_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    env.filters['dialin.callback.chat_escape'] = chat_escape
    values = client_defaults()
    values.update(client_ppp_password=password, client_mode=mode, ansible_managed='Ansible managed')
    return env.from_string(source).render(**values).encode('utf-8')


def sent_after(script, expect):
    """What chat writes in answer to the expect string *expect*, and whether its log hides it."""
    pairs = chat_reference.words(script)
    position = pairs.index(('expect', expect.encode()))
    kind, word = pairs[position + 1]
    assert kind == 'send'
    return chat_reference.put_string(word)


def test_the_chat_reference_reads_chat_s_documented_examples():
    # chat(8): quotes hold spaces, \s is a space, ^C a control character, \c ends without a return,
    # \q hides the string in the log, \\ is a backslash.
    assert chat_reference.words(b"ogin:--ogin: ppp\n'hello world' \\q'x'\n# comment\n") == [
        ('expect', b'ogin:--ogin:'), ('send', b'ppp'), ('expect', b'hello world'), ('send', b"\\q'x'")]
    assert chat_reference.put_string(b'a\\sb^C\\\\') == (b'a b\x03\\\r', False)
    assert chat_reference.put_string(b'ATDT5550100\\c') == (b'ATDT5550100', False)
    assert chat_reference.put_string(b'\\qsecret') == (b'secret\r', True)
    assert chat_reference.put_string(b'\\101\\d') == (b'A\r', False)
    # a quote inside a quoted string ends it: the rest is another word
    assert chat_reference.words(b"assword: 'it's'\n") == [('expect', b'assword:'), ('send', b'it'),
                                                          ('expect', b"s'")]
    with pytest.raises(chat_reference.ChatError):
        chat_reference.words(b"assword: 'it\n")


@SETTINGS
@given(password=PASSWORDS)
def test_chat_sends_a_password_the_server_accepts_exactly_and_hides_it(password):
    if validators.ppp_password_problem(password) is not None:
        return
    script = render_chat_script(password)
    plain = chat_reference.words(render_chat_script('plain'))
    # the password is one word in its place: nothing before or after it changed
    pairs = chat_reference.words(script)
    at = plain.index(('expect', b'assword:')) + 1
    assert len(pairs) == len(plain)
    assert pairs[:at] == plain[:at] and pairs[at + 1:] == plain[at + 1:]
    assert sent_after(script, 'assword:') == (password.encode('utf-8') + b'\r', True)


def test_autoppp_s_chat_script_holds_no_password():
    script = render_chat_script('Sup3r-Secret', mode='autoppp')
    assert b'Sup3r' not in script
    assert ('expect', b'assword:') not in chat_reference.words(script)


@SETTINGS
@given(password=PASSWORDS)
def test_pap_secrets_hold_a_password_the_server_accepts_as_pppd_reads_it(run_module, tmp_path, password):
    # The caller's entry (server field: its remotename) and the server's are written by one module.
    if validators.ppp_password_problem(password) is not None:
        return
    path = tmp_path / 'pap-secrets'
    if path.exists():
        path.unlink()
    res = run_module(ppp_secret.main, dict(path=str(path), client='pppuser', server='dialin-callback',
                                           secret=password, addresses=[]))
    assert not res.failed, res
    assert [entry[:3] for entry in parse_secrets_text(path.read_bytes())] == [['pppuser', 'dialin-callback', password]]


def test_a_server_password_example_is_copied_unchanged():
    # the role's variables are deep-copied by the filter's caller: it must not change them
    values = client_values(client_ppp_password="it's $5")
    before = copy.deepcopy(values)
    input_errors(values, 'client')
    assert values == before
