# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""login_config's callback option: the callback entries written by login.config's one writer, and the
deprecated callback_user module writing the same file for the same input."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import stat

import pytest

from ansible_collections.dialin.callback.plugins.modules import callback_user, login_config
from ansible_collections.dialin.callback.tests.unit.plugins.modules.managed_file import managed_file, run_on_path, snapshot

GATE = '/usr/local/lib/dialin-callback/callback-gate'
V2 = (
    "# login.config\n"
    "!version 2\n"
    "/AutoPPP/\tY\t-\ta_ppp\t/usr/sbin/pppd\tauth\t-chap\t+pap\tlogin\n"
    "*\tY\t-\t-\t/bin/login\t@\n"
)
V1 = (
    "/AutoPPP/ -\ta_ppp\t/usr/sbin/pppd auth -chap +pap login\n"
    "*\t-\t-\t/bin/login @\n"
)


@pytest.fixture
def conf(tmp_path):
    return managed_file(tmp_path / 'login.config', V2, 0o644)


def run(run_module, path, check_mode=False, **kw):
    return run_on_path(run_module, login_config.main, path, check_mode, **kw)


def test_callback_users_through_the_gate_before_the_wildcard_with_column_n(run_module, conf):
    callback = dict(users=[dict(name='call', number='123456'), dict(name='call2', number='0W555', lines=['ttyS1'])],
                    gate=GATE, program_args=['-x', '3'])
    res = run(run_module, conf, callback=callback)
    assert not res.failed, res
    assert res['changed']
    assert conf.read_text() == (
        "# login.config\n"
        "!version 2\n"
        "/AutoPPP/\tY\t-\ta_ppp\t/usr/sbin/pppd\tauth\t-chap\t+pap\tlogin\n"
        "call\tN\t-\t-\t%s\t@\t-x\t3\t-S\t123456\n"
        "call2\tN\t-\t-\t%s\t@\t-x\t3\t-l\tttyS1\t0W555\n"
        "*\tY\t-\t-\t/bin/login\t@\n" % (GATE, GATE))
    assert res['callback'] == dict(users=[dict(name='call', number='123456', lines=[]),
                                          dict(name='call2', number='0W555', lines=['ttyS1'])],
                                   added=['call', 'call2'], removed=[], updated=[])
    assert stat.S_IMODE(os.stat(str(conf)).st_mode) == 0o600
    before = snapshot(conf)
    again = run(run_module, conf, callback=callback)
    assert not again['changed']
    assert again['callback']['added'] == again['callback']['removed'] == again['callback']['updated'] == []
    assert snapshot(conf) == before


def test_without_the_callback_option_callback_entries_are_not_touched(run_module, conf):
    run(run_module, conf, callback=dict(users=[dict(name='call', number='123456')]))
    written = conf.read_text()
    autoppp = dict(name='/AutoPPP/', after_callback='Y', utmp='a_ppp', program='/usr/sbin/pppd',
                   args=['auth', '-chap', '+pap', 'login'])
    res = run(run_module, conf, version=2, entries=[autoppp])
    assert not res.failed, res
    assert not res['changed']
    assert 'callback' not in res
    assert conf.read_text() == written


def test_exclusive_removes_the_unlisted_and_rewrites_direct_entries_to_the_gate(run_module, conf):
    conf.write_text(V2.replace("*\tY", "old\tN\t-\t-\t/usr/sbin/callback\t-S\t999\n"
                                       "call\tN\t-\t-\t/usr/sbin/callback\t-S\t123456\n*\tY"))
    res = run(run_module, conf, callback=dict(users=[dict(name='call', number='123456')], gate=GATE, exclusive=True))
    assert not res.failed, res
    assert res['callback']['removed'] == ['old']
    assert res['callback']['updated'] == ['call']
    lines = conf.read_text().splitlines()
    assert "call\tN\t-\t-\t%s\t@\t-S\t123456" % GATE in lines
    assert not [line for line in lines if line.startswith('old')]
    assert not [line for line in lines if '/usr/sbin/callback' in line]


def test_state_absent_removes_one_user_only(run_module, conf):
    run(run_module, conf, callback=dict(users=[dict(name='call', number='1'), dict(name='call2', number='2')]))
    res = run(run_module, conf, callback=dict(users=[dict(name='call2', state='absent')]))
    assert not res.failed, res
    assert res['callback']['removed'] == ['call2']
    assert [u['name'] for u in res['callback']['users']] == ['call']


def test_others_after_callback_only_leaves_the_callback_lines_usable_before_a_callback(run_module, conf):
    conf.write_text(V2.replace("*\tY", "fred\t-\t-\t-\t/bin/login\tfred\n*\tY"))
    res = run(run_module, conf, version=2, others_after_callback_only=True,
              callback=dict(users=[dict(name='call', number='123456')], gate=GATE))
    assert not res.failed, res
    lines = conf.read_text().splitlines()
    assert "call\tN\t-\t-\t%s\t@\t-S\t123456" % GATE in lines
    assert "fred\tY\t-\t-\t/bin/login\tfred" in lines
    assert res['restricted'] == ['fred']


@pytest.mark.parametrize('callback, message', [
    (dict(users=[dict(name='call', number='123; reboot')]), "callback.users[0] (user call): number must consist"),
    (dict(users=[dict(name='call', number='12ab')]), "callback.users[0] (user call): number must consist"),
    (dict(users=[dict(name='call me', number='1')]), "callback.users[0] name 'call me'"),
    (dict(users=[dict(name='call')]), "callback.users[0] (user call): number is required"),
    (dict(users=[dict(name='call', number='1', lines=['/etc/passwd'])]), "callback.users[0] (user call): lines item"),
    (dict(users=[dict(name='a', number='1'), dict(name='a', number='2')]), "callback.users[1]: name a is declared twice"),
    (dict(users=[], gate='relative/gate'), "callback.gate 'relative/gate' must be an absolute path"),
    (dict(users=[], program='callback'), "callback.program 'callback' must be an absolute path"),
    (dict(users=[], program_args=['-S']), "callback.program_args: option -S is written by the module"),
])
def test_bad_input_names_the_option_and_writes_nothing(run_module, conf, callback, message):
    before = snapshot(conf)
    res = run(run_module, conf, callback=callback)
    assert res.failed
    assert res['msg'].startswith(message), res['msg']
    assert snapshot(conf) == before


def test_a_name_in_entries_and_in_callback_users_is_refused(run_module, conf):
    before = snapshot(conf)
    res = run(run_module, conf, entries=[dict(name='call', program='/bin/login')],
              callback=dict(users=[dict(name='call', number='1')]))
    assert res.failed
    assert res['msg'] == 'callback.users: call also in entries; a name is either a callback entry or another entry'
    assert snapshot(conf) == before


def test_a_name_of_another_kind_of_entry_is_refused(run_module, conf):
    conf.write_text(V2.replace("*\tY", "fred\t-\t-\t-\t/bin/login\tfred\n*\tY"))
    before = snapshot(conf)
    res = run(run_module, conf, callback=dict(users=[dict(name='fred', number='1')]))
    assert res.failed
    assert res['msg'].startswith('callback.users[0]: name fred collides with an existing entry of %s that is not a '
                                 'callback entry (program /bin/login)' % conf)
    assert snapshot(conf) == before


def test_check_mode_shows_the_entries_in_the_diff_and_writes_nothing(run_module, conf):
    before = snapshot(conf)
    res = run(run_module, conf, check_mode=True, callback=dict(users=[dict(name='call', number='123456')]))
    assert res['changed']
    assert 'call\tN\t-\t-\t/usr/sbin/callback\t-S\t123456\n' in res['diff']['after']
    assert res['diff']['before'] == V2
    assert snapshot(conf) == before


@pytest.mark.parametrize('text', [V1, V2])
@pytest.mark.parametrize('users, options', [
    ([dict(name='call', number='123456')], dict()),
    ([dict(name='call', number='0W1', lines=['ttyS1', '/dev/ttyS2'], after_callback='-')],
     dict(gate=GATE, program_args=['-x', '3'], after_callback='Y')),
    ([dict(name='keep', number='1')], dict(exclusive=True, gate=GATE)),
])
def test_the_deprecated_callback_user_writes_the_same_file(run_module, tmp_path, text, users, options):
    existing = "old\t-\t-\t/usr/sbin/callback\t-S\t9\n" if text == V1 else "old\tN\t-\t-\t/usr/sbin/callback\t-S\t9\n"
    start = text.replace("*\t", existing + "*\t")
    by_login_config = managed_file(tmp_path / 'a', start, 0o600)
    by_callback_user = managed_file(tmp_path / 'b', start, 0o600)
    res_a = run(run_module, by_login_config, callback=dict(options, users=users))
    res_b = run_on_path(run_module, callback_user.main, by_callback_user, users=users, **options)
    assert not res_a.failed and not res_b.failed, (res_a, res_b)
    assert res_a['changed'] and res_b['changed']
    assert by_login_config.read_text() == by_callback_user.read_text()
    assert res_a['callback'] == dict((k, res_b[k]) for k in ('users', 'added', 'removed', 'updated'))
