# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""login_config's refusals and warnings, word for word (each names the option and the entry), and the
cases where its entries and callback options meet."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type


import pytest

from ansible_collections.dialin.callback.plugins.modules import login_config
from ansible_collections.dialin.callback.tests.unit.plugins.modules.managed_file import (
    managed_file, run_on_path, snapshot, warning_texts)

GATE = '/usr/local/lib/dialin-callback/callback-gate'
V1 = "fred\t-\t-\t/bin/login\tfred\n*\t-\t-\t/bin/login\t@\n"
V2 = "!version 2\nfred\t-\t-\t-\t/bin/login\tfred\n*\tY\t-\t-\t/bin/login\t@\n"


def run(run_module, path, check_mode=False, **kw):
    return run_on_path(run_module, login_config.main, path, check_mode, **kw)


@pytest.fixture
def v1(tmp_path):
    return managed_file(tmp_path / 'login.config', V1, 0o600)


@pytest.fixture
def v2(tmp_path):
    return managed_file(tmp_path / 'login.config', V2, 0o600)


@pytest.mark.parametrize('entries, expected', [
    ([dict(name='a b', program='/bin/login')], "entries[0].name 'a b' must not contain whitespace or control characters"),
    ([dict(name='x', program='/bin/login'), dict(name='x', program='/bin/true')],
     'entries[1] (name x): name is listed more than once in entries with after_callback=-'),
    ([dict(name='x', program='/bin/login', after_callback='Y'), dict(name='x', program='/bin/true', after_callback='Y')],
     'entries[1] (name x): name is listed more than once in entries with after_callback=Y'),
    ([dict(name='x', state='absent'), dict(name='y')], 'entries[1] (name y): program is required when state=present'),
    ([dict(name='y', program='bin/login')], "entries[0] (name y): program 'bin/login' must be an absolute path"),
    ([dict(name='y', program='/bin/login', userid='a b')],
     "entries[0] (name y): userid 'a b' must not contain whitespace or control characters"),
    ([dict(name='y', program='/bin/login', args=['1', '2', '3', '4', '5', '6', '7', '8', '9'])],
     'entries[0] (name y): args has 9 items; mgetty passes at most 8 arguments (9 words with the program)'),
    ([dict(name='y', program='/bin/login', args=['@', 'a b'])],
     "entries[0] (name y): args[1] 'a b' must not contain whitespace or control characters"),
])
def test_entries_refusals(run_module, v2, entries, expected):
    before = snapshot(v2)
    res = run(run_module, v2, entries=entries)
    assert res.failed and res['msg'] == expected, res
    assert snapshot(v2) == before


def test_a_name_twice_in_a_version_1_file(run_module, v1):
    res = run(run_module, v1, entries=[dict(name='x', program='/bin/login', after_callback='Y'),
                                       dict(name='x', program='/bin/login', after_callback='N')])
    assert res.failed and res['msg'] == ('entries: a name may be listed once per after_callback value only in a '
                                         'version 2 file; %s is format version 1 (set version=2)' % v1), res


def test_others_after_callback_only_in_a_version_1_file(run_module, v1):
    res = run(run_module, v1, others_after_callback_only=True)
    assert res.failed and res['msg'] == ('others_after_callback_only needs a format version 2 file; %s is format '
                                         'version 1 (set version=2)' % v1), res


def test_a_column_in_a_version_1_file_is_not_written_and_said(run_module, v1):
    res = run(run_module, v1, entries=[dict(name='y', program='/bin/login', after_callback='Y')])
    assert warning_texts(res) == ['entry y: after_callback=Y is not written: %s is format version 1 (set version=2)' % v1]
    quiet = run(run_module, v1, entries=[dict(name='z', program='/bin/login')])
    assert warning_texts(quiet) == [], quiet
    assert quiet['restricted'] == []


def test_an_absent_entry_of_a_version_1_file_goes_whatever_its_column(run_module, v1):
    res = run(run_module, v1, entries=[dict(name='fred', state='absent', after_callback='Y')])
    assert res['changed'] and v1.read_text() == "*\t-\t-\t/bin/login\t@\n"


def test_the_insecure_reason_is_said_word_for_word(run_module, v2):
    res = run(run_module, v2, insecure_reason='version 1 allows logins before a callback')
    assert warning_texts(res) == ['%s: version 1 allows logins before a callback' % v2]


def test_callback_names_also_in_entries_are_all_named(run_module, v2):
    res = run(run_module, v2, entries=[dict(name='b', program='/bin/login'), dict(name='a', program='/bin/login')],
              callback=dict(users=[dict(name='a', number='1'), dict(name='b', number='2')]))
    assert res.failed and res['msg'] == ('callback.users: a, b also in entries; a name is either a callback entry '
                                         'or another entry'), res


def test_the_gate_s_argument_counts_against_mgetty_s_limit(run_module, v2):
    callback = dict(users=[dict(name='call', number='1')], program_args=['-a', '-d', '-V', '-x', '3', '-a'])
    assert not run(run_module, v2, check_mode=True, callback=callback).failed
    res = run(run_module, v2, check_mode=True, callback=dict(callback, gate=GATE))
    assert res.failed and res['msg'] == ('callback.users[0] (user call): program_args leave no room: mgetty passes '
                                         'at most 8 arguments to the program'), res


def test_a_direct_callback_line_not_listed_stays_usable_before_a_callback(run_module, v2):
    # With a gate, a line that runs the callback program directly (written before the gate, its user not
    # listed and exclusive off) is still a callback line: others_after_callback_only leaves its column.
    v2.write_text(V2.replace('*\tY', 'old\tN\t-\t-\t/usr/sbin/callback\t-S\t9\n*\tY'))
    res = run(run_module, v2, version=2, others_after_callback_only=True,
              callback=dict(users=[dict(name='call', number='1')], gate=GATE))
    assert not res.failed, res
    assert 'old\tN\t-\t-\t/usr/sbin/callback\t-S\t9' in v2.read_text().splitlines()
    assert res['restricted'] == ['fred']
