# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The callback entries' rules (module_utils/callback_entries.py): how a callback line's arguments are
read back, which options of callback may be given, and the whole message of each refusal."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.dialin.callback.plugins.module_utils import callback_entries as ce
from ansible_collections.dialin.callback.plugins.module_utils.login_config import LoginConfig

GATE = '/usr/local/lib/dialin-callback/callback-gate'


@pytest.mark.parametrize('args, expected', [
    (['-S', '123'], ('123', [])),
    (['123'], ('123', [])),
    (['-x', '3', '-l', 'ttyS1:ttyS2', '123'], ('123', ['ttyS1', 'ttyS2'])),
    (['-l', 'ttyS1'], ('', ['ttyS1'])),
    (['-lttyS1:ttyS2', '5'], ('5', ['ttyS1', 'ttyS2'])),
    (['-la', '5'], ('5', ['a'])),
    (['-l'], ('', [])),                       # -l without its value at the end
    (['-l', 'a', '-S', '9'], ('9', [])),      # -S after -l: back on the calling line
    (['-x', '3', '5'], ('5', [])),            # -x's value is not a line list
    (['-V', '7'], ('7', [])),
    (['-', '7'], ('- 7', [])),               # a lone "-" is not an option
    (['1', '2'], ('1 2', [])),
])
def test_parse_callback_args(args, expected):
    assert ce.parse_callback_args(args) == expected


@pytest.mark.parametrize('program_args, expected', [
    ([], None),
    (['-x', '3'], None),
    (['-x3'], None),
    (['-a', '-d', '-V', '-s', '38400', '-m', 'ATZ'], None),
    (['-adV'], None),
    (['-'], "item '-' is not an option: the number and the lines are written by the module"),
    (['--'], "item '--' is not an option: the number and the lines are written by the module"),
    (['x'], "item 'x' is not an option: the number and the lines are written by the module"),
    (['-S'], 'option -S is written by the module (see lines)'),
    (['-l'], 'option -l is written by the module (see lines)'),
    (['-X'], 'callback has no option -X'),
    (['-x'], 'option -x needs a value'),
    (['-a', '-x', '3', '-q'], 'callback has no option -q'),
    (['-x', '3', '-q'], 'callback has no option -q'),
    (['-x3', '-q'], 'callback has no option -q'),
    (['-aq'], 'callback has no option -q'),
    (['-a', '-q'], 'callback has no option -q'),
])
def test_program_args_problem(program_args, expected):
    assert ce.program_args_problem(program_args) == expected


@pytest.mark.parametrize('program, gate, program_args, expected', [
    ('callback', None, [], "callback.program 'callback' must be an absolute path"),
    ('/usr/sbin/call back', None, [],
     "callback.program '/usr/sbin/call back' must not contain whitespace or control characters"),
    ('/usr/sbin/callback', 'gate', [], "callback.gate 'gate' must be an absolute path"),
    ('/usr/sbin/callback', '/usr/sbin/callback', [],
     "callback.gate '/usr/sbin/callback' must not be the callback program itself"),
    ('/usr/sbin/callback', None, ['-x', 'a b'],
     "callback.program_args[1] 'a b' must not contain whitespace or control characters"),
    ('/usr/sbin/callback', None, ['-q'], 'callback.program_args: callback has no option -q'),
])
def test_check_programs_messages(program, gate, program_args, expected):
    with pytest.raises(ce.CallbackEntryError) as err:
        ce.check_programs(program, gate, program_args, prefix='callback.')
    assert str(err.value) == expected


def user(**kw):
    return dict(dict(name='call', number='123456', lines=[], state='present', after_callback='-'), **kw)


@pytest.mark.parametrize('kw, expected', [
    (dict(name='a@b'), "u name 'a@b' must not contain \"@\""),
    (dict(number=''), 'u (user call): number is required when state=present'),
    (dict(number=None), 'u (user call): number is required when state=present'),
    (dict(number='12ab'), "u (user call): number must consist of digits and the dial modifiers , W P T * # only "
                          "(no spaces, letters or \";\"); got '12ab'"),
    (dict(lines=['/dev/']), "u (user call): lines item '/dev/' must match [A-Za-z0-9_./-]+ and an absolute name "
                            "must start with /dev/"),
    (dict(lines=['/dev//']), "u (user call): lines item '/dev//' must match [A-Za-z0-9_./-]+ and an absolute name "
                             "must start with /dev/"),
    (dict(lines=['/etc/x']), "u (user call): lines item '/etc/x' must match [A-Za-z0-9_./-]+ and an absolute name "
                             "must start with /dev/"),
    (dict(lines=['a b']), "u (user call): lines item 'a b' must match [A-Za-z0-9_./-]+ and an absolute name "
                          "must start with /dev/"),
])
def test_check_user_messages(kw, expected):
    with pytest.raises(ce.CallbackEntryError) as err:
        ce.check_user(user(**kw), 'u', [], None)
    assert str(err.value) == expected


def test_check_user_counts_the_gate_s_argument_against_mgetty_s_limit():
    # 6 options + -S + the number = 8 arguments: mgetty's limit; the gate's "@" makes 9.
    program_args = ['-a', '-d', '-V', '-x', '3', '-a']
    ce.check_user(user(), 'u', program_args, None)
    with pytest.raises(ce.CallbackEntryError) as err:
        ce.check_user(user(), 'u', program_args, GATE)
    assert str(err.value) == 'u (user call): program_args leave no room: mgetty passes at most 8 arguments to the program'


def test_an_absent_user_needs_no_number_and_good_lines_pass():
    ce.check_user(user(number=None, state='absent'), 'u', [], None)
    ce.check_user(user(lines=['ttyS1', '/dev/ttyUSB0', 'serial/by-id']), 'u', [], None)


def doc(text):
    return LoginConfig(text)


def test_apply_users_checks_every_present_user_for_a_collision_after_an_absent_one():
    d = doc("fred\t-\t-\t/bin/login\tfred\n")
    users = [user(name='gone', state='absent'), user(name='fred')]
    with pytest.raises(ce.CallbackEntryError) as err:
        ce.apply_users(d, 'login.config', users, ['users[0]', 'users[1]'], False, '/usr/sbin/callback', [], None)
    assert str(err.value) == ('users[1]: name fred collides with an existing entry of login.config that is not a '
                              'callback entry (program /bin/login); refusing to replace it')


def test_apply_users_goes_on_after_an_absent_user():
    d = doc("a\t-\t-\t/usr/sbin/callback\t-S\t1\n")
    result = ce.apply_users(d, 'p', [user(name='a', state='absent'), user(name='b')], ['0', '1'], False,
                            '/usr/sbin/callback', [], None)
    assert result == (['b'], ['a'], [])
    assert d.text() == "b\t-\t-\t/usr/sbin/callback\t-S\t123456\n"


def test_users_of_takes_the_gate_s_at_sign_off_its_own_lines_only():
    d = doc("direct\t-\t-\t/usr/sbin/callback\t-l\tttyS1\t9\n"
            "odd\t-\t-\t/usr/sbin/callback\t@\t-S\t8\n"
            "gated\t-\t-\t%s\t@\t-S\t7\n"
            "other\t-\t-\t/bin/login\t@\n" % GATE)
    assert ce.users_of(d, '/usr/sbin/callback', GATE) == [
        dict(name='direct', number='9', lines=['ttyS1']),
        dict(name='odd', number='@ 8', lines=[]),
        dict(name='gated', number='7', lines=[]),
    ]
    assert ce.users_of(d, '/usr/sbin/callback', None) == [
        dict(name='direct', number='9', lines=['ttyS1']),
        dict(name='odd', number='@ 8', lines=[]),
    ]


def test_a_line_without_a_program_is_no_callback_entry():
    # A line too short to name a program (someone else's broken line) is not a callback entry: it stays.
    d = doc("short\t-\n")
    assert ce.users_of(d, '/usr/sbin/callback', None) == []
    assert ce.apply_users(d, 'p', [], [], True, '/usr/sbin/callback', [], None) == ([], [], [])
    assert d.text() == "short\t-\n"
