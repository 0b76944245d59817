# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import stat

import pytest

from ansible_collections.dialin.callback.plugins.modules import callback_user
from ansible_collections.dialin.callback.tests.unit.plugins.modules.managed_file import managed_file, run_on_path, snapshot

BASE = (
    "# callback users\n"
    "/AutoPPP/ -\ta_ppp\t/usr/sbin/pppd auth -chap +pap login\n"
    "*\t-\t-\t/bin/login @\n"
)


@pytest.fixture
def conf(tmp_path):
    return managed_file(tmp_path / 'login.config', BASE, 0o600)


def run(run_module, path, check_mode=False, **kw):
    return run_on_path(run_module, callback_user.main, path, check_mode, **kw)


def test_add_v1(run_module, conf):
    res = run(run_module, conf, name='call', number='123456')
    assert not res.failed, res
    assert res['changed']
    assert res['added'] == ['call']
    assert conf.read_text() == (
        "# callback users\n"
        "/AutoPPP/ -\ta_ppp\t/usr/sbin/pppd auth -chap +pap login\n"
        "call\t-\t-\t/usr/sbin/callback\t-S\t123456\n"
        "*\t-\t-\t/bin/login @\n")
    assert res['users'] == [dict(name='call', number='123456', lines=[])]
    assert stat.S_IMODE(os.stat(str(conf)).st_mode) == 0o600
    res = run(run_module, conf, name='call', number='123456')
    assert not res['changed']
    assert res['added'] == res['updated'] == res['removed'] == []


def test_add_v2_after_callback_n(run_module, conf):
    conf.write_text("!version 2\n" + "*\t-\t-\t-\t/bin/login @\n")
    res = run(run_module, conf, name='call', number='123456')
    assert not res.failed, res
    assert conf.read_text() == ("!version 2\n"
                                "call\tN\t-\t-\t/usr/sbin/callback\t-S\t123456\n"
                                "*\t-\t-\t-\t/bin/login @\n")


def test_lines_and_program_args(run_module, conf):
    res = run(run_module, conf, name='call', number='0W12,34', lines=['ttyS1', '/dev/ttyS2'],
              program_args=['-x', '3'])
    assert not res.failed, res
    assert "call\t-\t-\t/usr/sbin/callback\t-x\t3\t-l\tttyS1:/dev/ttyS2\t0W12,34\n" in conf.read_text()
    assert res['users'] == [dict(name='call', number='0W12,34', lines=['ttyS1', '/dev/ttyS2'])]


def test_update_number(run_module, conf):
    run(run_module, conf, name='call', number='1')
    res = run(run_module, conf, name='call', number='2')
    assert res['changed'] and res['updated'] == ['call']
    assert "call\t-\t-\t/usr/sbin/callback\t-S\t2\n" in conf.read_text()
    assert conf.read_text().count('call\t') == 1


def test_absent(run_module, conf):
    run(run_module, conf, name='call', number='1')
    res = run(run_module, conf, name='call', state='absent')
    assert res['changed'] and res['removed'] == ['call']
    assert conf.read_text() == BASE
    res = run(run_module, conf, name='call', state='absent')
    assert not res['changed']


def test_users_exclusive(run_module, conf):
    run(run_module, conf, users=[dict(name='a', number='1'), dict(name='b', number='2'),
                                 dict(name='c', number='3')])
    res = run(run_module, conf, users=[dict(name='b', number='2'), dict(name='d', number='4', after_callback='-')],
              exclusive=True)
    assert not res.failed, res
    assert sorted(res['removed']) == ['a', 'c']
    assert res['added'] == ['d']
    assert [u['name'] for u in res['users']] == ['b', 'd']
    text = conf.read_text()
    assert '/AutoPPP/' in text and '*\t-\t-\t/bin/login @' in text


def test_users_exclusive_empty_removes_all(run_module, conf):
    run(run_module, conf, users=[dict(name='a', number='1')])
    res = run(run_module, conf, users=[], exclusive=True)
    assert res['removed'] == ['a']
    assert conf.read_text() == BASE


def test_check_mode(run_module, conf):
    before = snapshot(conf)
    res = run(run_module, conf, check_mode=True, name='call', number='123')
    assert res['changed']
    assert snapshot(conf) == before
    assert 'call\t-\t-\t/usr/sbin/callback\t-S\t123' in res['diff']['after']
    assert res['diff']['before'] == BASE


def test_backup(run_module, conf):
    res = run(run_module, conf, name='call', number='123', backup=True)
    with open(res['backup_file']) as f:
        assert f.read() == BASE


def test_collision_with_non_callback_entry(run_module, conf):
    conf.write_text(BASE + "pppuser - - /etc/ppp/ppplogin\n")
    before = snapshot(conf)
    res = run(run_module, conf, name='pppuser', number='1')
    assert res.failed
    assert 'pppuser' in res['msg'] and 'collides' in res['msg']
    assert snapshot(conf) == before


@pytest.mark.parametrize('kw, word', [
    (dict(name='call', number='12 34'), 'number'),
    (dict(name='call', number='12;34'), 'number'),
    (dict(name='call', number='ATZ'), 'number'),
    (dict(name='call', number=''), 'number'),
    (dict(name='call', number='1\n2'), 'number'),
    (dict(name='call', number='123\n'), 'number'),
    (dict(name='call', number='1', lines=['ttyS1\n']), 'lines'),
    (dict(name='call'), 'number'),
    (dict(name='ca ll', number='1'), 'name'),
    (dict(name='-call', number='1'), 'name'),
    (dict(name='call*', number='1'), 'name'),
    (dict(name='*', number='1'), 'name'),
    (dict(name='a@b', number='1'), 'name'),
    (dict(name='a/b', number='1'), 'name'),
    (dict(name='/AutoPPP/', number='1'), 'name'),
    (dict(name='/FIDO/', number='1'), 'name'),
    (dict(name='call', number='1', lines=['/etc/passwd']), 'lines'),
    (dict(name='call', number='1', lines=['tty S1']), 'lines'),
    (dict(name='call', number='1', lines=['ttyS1:ttyS2']), 'lines'),
    (dict(name='call', number='1', program='callback'), 'program'),
    (dict(name='call', number='1', program_args=['a b']), 'program_args'),
    (dict(name='call', number='1', program_args=['-d'] * 7), 'program_args'),
    (dict(name='call', number='1', program_args=['-x']), 'program_args'),
    (dict(name='call', number='1', program_args=['-S']), 'program_args'),
    (dict(name='call', number='1', program_args=['-l', 'ttyS1']), 'program_args'),
    (dict(name='call', number='1', program_args=['123']), 'program_args'),
    (dict(name='call', number='1', program_args=['-q']), 'program_args'),
    (dict(users=[dict(name='a', number='1'), dict(name='a', number='2')]), 'twice'),
    (dict(users=[dict(name='a', number='x')]), 'number'),
])
def test_validation(run_module, conf, kw, word):
    before = snapshot(conf)
    res = run(run_module, conf, **kw)
    assert res.failed, res
    assert word in res['msg']
    assert snapshot(conf) == before


def test_number_message_names_user(run_module, conf):
    res = run(run_module, conf, users=[dict(name='alice', number='1'), dict(name='bob', number='1 2')])
    assert res.failed
    assert 'number' in res['msg'] and 'bob' in res['msg']


def test_name_and_users_exclusive(run_module, conf):
    res = run(run_module, conf, name='a', number='1', users=[])
    assert res.failed
    assert 'name' in res['msg'] and 'users' in res['msg']


def test_custom_program(run_module, conf):
    conf.write_text(BASE + "x - - /usr/sbin/callback -S 1\n")
    res = run(run_module, conf, users=[dict(name='y', number='2')], program='/usr/local/sbin/callback',
              exclusive=True)
    assert not res.failed, res
    # the /usr/sbin/callback entry is not ours to remove
    assert 'x - - /usr/sbin/callback -S 1\n' in conf.read_text()
    assert res['users'] == [dict(name='y', number='2', lines=[])]


GATE = '/usr/local/lib/dialin-callback/callback-gate'


def test_gate_entries(run_module, conf):
    conf.write_text("!version 2\n" + "*\tY\t-\t-\t/bin/login @\n")
    res = run(run_module, conf, users=[dict(name='call', number='123456'),
                                       dict(name='callus', number='0W5551234', lines=['ttyS1'])], gate=GATE)
    assert not res.failed, res
    assert conf.read_text() == ("!version 2\n"
                                "call\tN\t-\t-\t%s\t@\t-S\t123456\n"
                                "callus\tN\t-\t-\t%s\t@\t-l\tttyS1\t0W5551234\n"
                                "*\tY\t-\t-\t/bin/login @\n") % (GATE, GATE)
    # '@' is the gate's, not a number
    assert res['users'] == [dict(name='call', number='123456', lines=[]),
                            dict(name='callus', number='0W5551234', lines=['ttyS1'])]
    res = run(run_module, conf, users=[dict(name='call', number='123456'),
                                       dict(name='callus', number='0W5551234', lines=['ttyS1'])], gate=GATE)
    assert not res['changed']


def test_gate_rewrites_entries_that_run_the_program_directly(run_module, conf):
    # Lines written before the gate existed: replaced, not duplicated; an old one no longer
    # listed is removed with exclusive.
    conf.write_text(BASE + "call - - /usr/sbin/callback -S 123456\nold - - /usr/sbin/callback -S 1\n")
    res = run(run_module, conf, users=[dict(name='call', number='123456')], gate=GATE, exclusive=True)
    assert not res.failed, res
    assert res['updated'] == ['call'] and res['removed'] == ['old'] and res['added'] == []
    text = conf.read_text()
    assert text == BASE + "call\t-\t-\t%s\t@\t-S\t123456\n" % GATE
    assert res['users'] == [dict(name='call', number='123456', lines=[])]


def test_gate_check_mode_and_diff(run_module, conf):
    conf.write_text(BASE + "call - - /usr/sbin/callback -S 123456\n")
    before = snapshot(conf)
    res = run(run_module, conf, check_mode=True, name='call', number='123456', gate=GATE)
    assert res['changed'] and res['updated'] == ['call']
    assert snapshot(conf) == before
    assert "call\t-\t-\t%s\t@\t-S\t123456\n" % GATE in res['diff']['after']
    assert "call - - /usr/sbin/callback -S 123456\n" in res['diff']['before']


def test_gate_absent_removes_gate_and_direct_entries(run_module, conf):
    conf.write_text(BASE + "call - - %s @ -S 1\n" % GATE)
    res = run(run_module, conf, name='call', state='absent', gate=GATE)
    assert res['changed'] and res['removed'] == ['call']
    assert conf.read_text() == BASE


def test_gate_counts_in_the_argument_limit(run_module, conf):
    # -S, the number and '@' leave room for 5 options within mgetty's 8 arguments, not 6.
    before = snapshot(conf)
    res = run(run_module, conf, name='call', number='1', program_args=['-d'] * 6, gate=GATE)
    assert res.failed and 'program_args' in res['msg']
    assert snapshot(conf) == before
    res = run(run_module, conf, name='call', number='1', program_args=['-d'] * 5, gate=GATE)
    assert not res.failed, res


@pytest.mark.parametrize('gate', ['callback-gate', '/usr/sbin/callback', '/usr/local/lib/a gate'])
def test_gate_validation(run_module, conf, gate):
    before = snapshot(conf)
    res = run(run_module, conf, name='call', number='1', gate=gate)
    assert res.failed and 'gate' in res['msg']
    assert snapshot(conf) == before
