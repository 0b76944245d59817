# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""dialin_session's steps on a /proc laid out by the test, with the kernel's signal calls replaced by
recording functions (test_processes_laid_out.Kernel): a signal "ends" a laid-out process by making
it a zombie in its stat. No test here sends a real signal."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import pwd
import signal

import pytest

from ansible_collections.dialin.callback.plugins.module_utils import utmp as utmp_file
from ansible_collections.dialin.callback.plugins.module_utils.processes import Processes
from ansible_collections.dialin.callback.plugins.modules import dialin_session as ds
from ansible_collections.dialin.callback.tests.unit.plugins.module_utils.test_processes_laid_out import (
    Kernel, process, stat_line)

HZ = os.sysconf('SC_CLK_TCK')
BTIME = 1700000000
# Each process started 50 s after the boot: at BTIME + 50.
START = 50 * HZ
STARTED = BTIME + 50
NOBODY = pwd.getpwnam('nobody').pw_uid
DAEMON = pwd.getpwnam('daemon').pw_uid


def status(uid):
    return ('Name:\tx\nUid:\t%d\t0\t0\t0\n' % uid).encode()


@pytest.fixture
def proc(tmp_path):
    d = tmp_path / 'proc'
    d.mkdir()
    (d / 'stat').write_bytes(b'cpu  1 2 3 4\nbtime %d\n' % BTIME)
    return d


def on_line(proc, pid, argv, line='ttyS1', uid=0, start=START, ppid=1):
    return process(proc, pid, argv, stat=dict(ppid=ppid, start=start), fds=['/dev/' + line], status=status(uid))


def end(proc, pid):
    """The laid-out process pid ends: a zombie waiting for its parent."""
    (proc / str(pid) / 'stat').write_bytes(stat_line(pid, state='Z', start=START))


def rec(user, pid, line='ttyS1', when=STARTED, kind='USER_PROCESS'):
    return dict(type=kind, line=line, user=user, pid=pid, time=when)


class Clock(object):
    """dialin_session's time module: sleep() advances time() at once, and is recorded."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def time(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(ds, 'time', c)
    return c


# ---------------------------------------------------------------- uids_of and sessions_on


def test_uids_of_the_users_that_have_an_account():
    assert ds.uids_of(['nobody', 'no-such-user-here', 'daemon']) == {NOBODY: 'nobody', DAEMON: 'daemon'}
    assert ds.uids_of([]) == {}


def test_a_session_found_by_a_record_holds_every_process_on_the_line_but_mgetty_and_callback(proc):
    on_line(proc, 812, ['/usr/sbin/pppd', 'ttyS1', '115200'])
    on_line(proc, 90, ['-bash'], start=START + 7)
    on_line(proc, 700, ['/sbin/mgetty', 'ttyS1'])
    on_line(proc, 701, ['/usr/sbin/callback', '-S', '5550199'])
    on_line(proc, 813, ['/usr/sbin/pppd', 'ttyS2'], line='ttyS2')
    procs = Processes(str(proc))
    found = ds.sessions_on(['ttyS1', 'ttyS2'], {'leaver'}, procs, [rec('leaver', 812)])
    assert found == [{'line': 'ttyS1', 'user': 'leaver', 'found_by': 'utmp', 'pids': [90, 812],
                      'identities': {90: (START + 7, ['-bash']), 812: (START, ['/usr/sbin/pppd', 'ttyS1', '115200'])}}]


@pytest.mark.parametrize('when, found', [(STARTED, True), (STARTED - 1, True), (STARTED - 2, False),
                                         (STARTED - 3600, False), (STARTED + 3600, True)])
def test_a_record_counts_from_a_second_before_the_process_started(proc, when, found):
    on_line(proc, 812, ['/usr/sbin/pppd'])
    got = ds.sessions_on(['ttyS1'], {'leaver'}, Processes(str(proc)), [rec('leaver', 812, when=when)])
    assert [s['user'] for s in got] == (['leaver'] if found else [])


def test_a_record_of_a_process_whose_start_is_unknown_counts(proc):
    process(proc, 812, ['/usr/sbin/pppd'], fds=['/dev/ttyS1'])  # no stat
    got = ds.sessions_on(['ttyS1'], {'leaver'}, Processes(str(proc)), [rec('leaver', 812, when=-1)])
    assert got == [{'line': 'ttyS1', 'user': 'leaver', 'found_by': 'utmp', 'pids': [812],
                    'identities': {812: (None, ['/usr/sbin/pppd'])}}]


@pytest.mark.parametrize('record', [
    rec('leaver', 812, kind='LOGIN_PROCESS'),
    rec('leaver', 812, kind='DEAD_PROCESS'),
    rec('leaver', 812, line='ttyS2'),
    rec('alice', 812),
    rec('leaver', 813),   # its PID has no line open
    rec('leaver', 700),   # mgetty's
])
def test_records_that_are_no_session_of_the_users_on_the_line(proc, record):
    on_line(proc, 812, ['/usr/sbin/pppd'], uid=NOBODY)
    on_line(proc, 700, ['/sbin/mgetty', 'ttyS1'])
    process(proc, 813, ['/usr/sbin/cron'], stat=dict(start=START))
    assert ds.sessions_on(['ttyS1'], {'leaver', 'bob'}, Processes(str(proc)), [record]) == []


def test_the_last_record_of_the_line_names_the_user(proc):
    on_line(proc, 812, ['/usr/sbin/pppd'])
    records = [rec('leaver', 812), rec('bob', 812), rec('carol', 812)]
    got = ds.sessions_on(['ttyS1'], {'leaver', 'bob'}, Processes(str(proc)), records)
    assert [(s['user'], s['found_by']) for s in got] == [('bob', 'utmp')]


def test_a_session_found_by_the_real_user_of_a_process_on_the_line(proc):
    on_line(proc, 812, ['/usr/sbin/pppd'], uid=DAEMON)
    on_line(proc, 813, ['/usr/sbin/pppd'], uid=NOBODY)
    on_line(proc, 814, ['/usr/sbin/pppd'], uid=0)
    on_line(proc, 700, ['/sbin/mgetty', 'ttyS1'], uid=NOBODY)
    process(proc, 815, ['/usr/sbin/pppd'], stat=dict(start=START), fds=['/dev/ttyS1'])  # no status
    procs = Processes(str(proc))
    got = ds.sessions_on(['ttyS1'], {'nobody', 'daemon'}, procs, [])
    assert [(s['user'], s['found_by'], s['pids']) for s in got] == [('daemon', 'uid', [812, 813, 814, 815])]
    assert ds.sessions_on(['ttyS1'], {'nobody'}, procs, []) == [
        {'line': 'ttyS1', 'user': 'nobody', 'found_by': 'uid', 'pids': [812, 813, 814, 815],
         'identities': {812: (START, ['/usr/sbin/pppd']), 813: (START, ['/usr/sbin/pppd']),
                        814: (START, ['/usr/sbin/pppd']), 815: (START, ['/usr/sbin/pppd'])}}]
    # A record names the user before the real user IDs are looked at.
    got = ds.sessions_on(['ttyS1'], {'nobody', 'leaver'}, procs, [rec('leaver', 814)])
    assert [(s['user'], s['found_by']) for s in got] == [('leaver', 'utmp')]
    assert ds.sessions_on(['ttyS1'], {'bob'}, procs, []) == []


def test_the_first_process_on_the_line_names_the_user_by_its_real_user_id(proc):
    on_line(proc, 900, ['/usr/sbin/pppd'], uid=DAEMON)
    on_line(proc, 901, ['/usr/sbin/pppd'], uid=NOBODY)
    got = ds.sessions_on(['ttyS1'], {'nobody', 'daemon'}, Processes(str(proc)), [])
    assert [(s['user'], s['found_by']) for s in got] == [('daemon', 'uid')]


def test_no_session_on_a_line_without_processes(proc):
    on_line(proc, 700, ['/sbin/mgetty', 'ttyS1'], uid=NOBODY)
    assert ds.sessions_on(['ttyS1'], {'nobody'}, Processes(str(proc)), [rec('nobody', 700)]) == []


# ---------------------------------------------------------------- same_process, wait_gone, describe


def test_same_process_needs_the_start_the_command_line_and_life(proc):
    on_line(proc, 812, ['/usr/sbin/pppd', 'ttyS1'])
    procs = Processes(str(proc))
    identity = (START, ['/usr/sbin/pppd', 'ttyS1'])
    assert ds.same_process(procs, 812, identity) is True
    assert ds.same_process(procs, 812, (START + 1, identity[1])) is False
    assert ds.same_process(procs, 812, (START, ['/usr/sbin/pppd'])) is False
    end(proc, 812)
    assert ds.same_process(procs, 812, identity) is False
    assert ds.same_process(procs, 813, identity) is False


def test_wait_gone_returns_what_is_left_after_the_timeout(proc, clock):
    on_line(proc, 812, ['/usr/sbin/pppd'])
    on_line(proc, 813, ['/usr/sbin/pppd'])
    end(proc, 813)
    procs = Processes(str(proc))
    identities = {812: (START, ['/usr/sbin/pppd']), 813: (START, ['/usr/sbin/pppd'])}
    assert ds.wait_gone(procs, [812, 813], identities, 3) == [812]
    # Every 0.2 s until the timeout is over.
    assert set(clock.sleeps) == set([0.2]) and 3 - 1e-6 <= sum(clock.sleeps) < 3.2 + 1e-9
    end(proc, 812)
    clock.sleeps = []
    assert ds.wait_gone(procs, [812, 813], identities, 30) == []
    assert clock.sleeps == []


def test_wait_gone_with_a_timeout_of_0_looks_once(proc, clock):
    on_line(proc, 812, ['/usr/sbin/pppd'])
    identities = {812: (START, ['/usr/sbin/pppd'])}
    assert ds.wait_gone(Processes(str(proc)), [812], identities, 0) == [812]
    assert clock.sleeps == []


def test_wait_gone_looks_until_the_process_ends(proc, clock):
    on_line(proc, 812, ['/usr/sbin/pppd'])
    procs = Processes(str(proc))
    identities = {812: (START, ['/usr/sbin/pppd'])}

    def sleep(seconds):
        clock.sleeps.append(seconds)
        clock.now += seconds
        if len(clock.sleeps) == 3:
            end(proc, 812)
    clock.sleep = sleep
    assert ds.wait_gone(procs, [812], identities, 10) == []
    assert clock.sleeps == [0.2, 0.2, 0.2]


def test_describe_names_each_process_by_its_program():
    class Procs(object):
        procs = {812: {'name': 'pppd', 'argv': ['/usr/sbin/pppd']}, 90: {'name': 'bash', 'argv': ['-bash']}}
    assert ds.describe(Procs(), [812, 90, 1234]) == ['pppd 812', 'bash 90', '? 1234']
    assert ds.describe(Procs(), []) == []


# ---------------------------------------------------------------- end_session


def session(proc, pids, line='ttyS1'):
    procs = Processes(str(proc))
    return procs, dict(line=line, user='leaver', found_by='utmp', pids=pids,
                       identities=dict((pid, (procs.start_ticks(pid), procs.procs[pid]['argv'])) for pid in pids))


def ends_on(proc, *signums):
    def on_signal(pid, signum):
        if signum in signums:
            end(proc, pid)
    return on_signal


def test_a_session_that_ends_on_sighup(proc, monkeypatch, clock):
    on_line(proc, 812, ['/usr/sbin/pppd'])
    on_line(proc, 90, ['-bash'])
    k = Kernel(monkeypatch, on_signal=ends_on(proc, signal.SIGHUP))
    procs, sess = session(proc, [90, 812])
    assert ds.end_session(procs, sess, 30) == (['SIGHUP'], [])
    assert clock.sleeps == []
    assert k.signals() == [(90, signal.SIGHUP), (812, signal.SIGHUP)]


def test_sigterm_after_the_timeout_then_sigkill_five_seconds_later(proc, monkeypatch, clock):
    on_line(proc, 812, ['/usr/sbin/pppd'])     # ends on SIGTERM
    on_line(proc, 90, ['-bash'])               # on SIGHUP
    on_line(proc, 91, ['/usr/bin/stubborn'])   # on SIGKILL only
    on_line(proc, 92, ['/usr/bin/stuck'])      # in the kernel: not even SIGKILL ends it
    stubborn = set([91])

    def on_signal(pid, signum):
        if pid == 90 or (pid == 812 and signum != signal.SIGHUP) or (pid in stubborn and signum == signal.SIGKILL):
            end(proc, pid)
    k = Kernel(monkeypatch, on_signal=on_signal)
    procs, sess = session(proc, [90, 91, 92, 812])
    times = []
    deliver = k._deliver

    def noted(pid, signum):
        times.append((signum, clock.now))
        deliver(pid, signum)
    k._deliver = noted
    assert ds.end_session(procs, sess, 3) == (['SIGHUP', 'SIGTERM', 'SIGKILL'], [92])
    # SIGTERM the timeout after SIGHUP, SIGKILL the same timeout later, then 5 s for SIGKILL.
    hup, term, kill = (min(t for s, t in times if s == signum) for signum in (signal.SIGHUP, signal.SIGTERM, signal.SIGKILL))
    assert 3 - 1e-6 <= term - hup < 3.2 + 1e-9 and 3 - 1e-6 <= kill - term < 3.2 + 1e-9, times
    assert 5 - 1e-6 <= clock.now - kill < 5.2 + 1e-9, (clock.now, times)
    assert k.signals() == [(90, signal.SIGHUP), (91, signal.SIGHUP), (92, signal.SIGHUP), (812, signal.SIGHUP),
                           (91, signal.SIGTERM), (92, signal.SIGTERM), (812, signal.SIGTERM),
                           (91, signal.SIGKILL), (92, signal.SIGKILL)]


def test_sigkill_ends_what_sigterm_left(proc, monkeypatch, clock):
    on_line(proc, 812, ['/usr/sbin/pppd'])
    k = Kernel(monkeypatch, on_signal=ends_on(proc, signal.SIGKILL))
    procs, sess = session(proc, [812])
    assert ds.end_session(procs, sess, 0) == (['SIGHUP', 'SIGTERM', 'SIGKILL'], [])
    assert clock.sleeps == []
    assert k.signals() == [(812, signal.SIGHUP), (812, signal.SIGTERM), (812, signal.SIGKILL)]


def test_a_process_that_ended_or_left_the_line_gets_no_signal(proc, monkeypatch, clock):
    on_line(proc, 812, ['/usr/sbin/pppd'])
    on_line(proc, 813, ['/usr/sbin/pppd'])
    k = Kernel(monkeypatch, on_signal=ends_on(proc, signal.SIGHUP))
    procs, sess = session(proc, [812, 813])
    end(proc, 812)
    os.unlink(str(proc / '813' / 'fd' / '0'))
    assert ds.end_session(procs, sess, 30) == ([], [])
    assert k.calls == []


def test_a_process_replaced_when_its_pidfd_is_opened_gets_no_signal(proc, monkeypatch, clock):
    """The check after the process is held: its PID now another process's (a later start, or
    another command line), or the process off the line."""
    for pid in (812, 813, 814, 815):
        on_line(proc, pid, ['/usr/sbin/pppd'])

    def on_open(pid):
        if pid == 812:
            (proc / '812' / 'stat').write_bytes(stat_line(812, start=START + 1))
        elif pid == 813:
            (proc / '813' / 'cmdline').write_bytes(b'/usr/sbin/pppd\0call\0')
        elif pid == 814:
            os.unlink(str(proc / '814' / 'fd' / '0'))
    k = Kernel(monkeypatch, on_open=on_open, on_signal=ends_on(proc, signal.SIGHUP))
    procs, sess = session(proc, [812, 813, 814, 815])
    assert ds.end_session(procs, sess, 0) == (['SIGHUP'], [])
    assert k.signals() == [(815, signal.SIGHUP)]


# ---------------------------------------------------------------- the module


def utmp_bytes(*records):
    return b''.join(utmp_file.RECORD.pack(7, pid, line.encode(), line[-2:].encode(), user.encode(), b'', 0, 0,
                                          0, when, 0, b'') for user, pid, line, when in records)


@pytest.fixture
def files(tmp_path):
    (tmp_path / 'utmp').write_bytes(b'')
    (tmp_path / 'wtmp').write_bytes(b'')
    return tmp_path


def args(proc, files, **kw):
    a = dict(users=['leaver'], ports=['ttyS1'], utmp=str(files / 'utmp'), wtmp=str(files / 'wtmp'),
             proc_dir=str(proc), timeout=0)
    a.update(kw)
    return a


def test_the_module_ends_the_sessions_and_shows_them_in_the_diff(run_module, proc, files, monkeypatch):
    on_line(proc, 812, ['/usr/sbin/pppd', 'ttyS1'])
    on_line(proc, 90, ['-bash'])
    on_line(proc, 813, ['/usr/sbin/pppd', 'ttyS2'], line='ttyS2')
    (files / 'utmp').write_bytes(utmp_bytes(('leaver', 90, 'ttyS1', STARTED)))
    (files / 'wtmp').write_bytes(utmp_bytes(('bob', 813, 'ttyS2', STARTED)))
    k = Kernel(monkeypatch, on_signal=ends_on(proc, signal.SIGHUP))
    res = run_module(ds.main, args(proc, files, users=['leaver', 'bob'], ports=['/dev/ttyS1', 'ttyS2', 'ttyS3']))
    assert res['changed'] is True and 'failed' not in res, res
    assert res['sessions'] == [
        {'line': 'ttyS1', 'user': 'leaver', 'found_by': 'utmp', 'processes': ['bash 90', 'pppd 812'],
         'signals': ['SIGHUP'], 'ended': True},
        {'line': 'ttyS2', 'user': 'bob', 'found_by': 'utmp', 'processes': ['pppd 813'],
         'signals': ['SIGHUP'], 'ended': True}]
    assert res['diff'] == {'before': 'ttyS1: leaver (bash 90, pppd 812)\nttyS2: bob (pppd 813)\n', 'after': '',
                           'before_header': 'sessions', 'after_header': 'sessions'}
    assert sorted(k.signals()) == [(90, signal.SIGHUP), (812, signal.SIGHUP), (813, signal.SIGHUP)]


def test_without_diff_mode_no_diff(run_module, proc, files, monkeypatch):
    on_line(proc, 812, ['/usr/sbin/pppd', 'ttyS1'])
    (files / 'utmp').write_bytes(utmp_bytes(('leaver', 812, 'ttyS1', STARTED)))
    Kernel(monkeypatch, on_signal=ends_on(proc, signal.SIGHUP))
    res = run_module(ds.main, args(proc, files), diff=False)
    assert res['changed'] is True and 'diff' not in res, res


def test_nothing_found_changes_nothing(run_module, proc, files, monkeypatch):
    on_line(proc, 812, ['/usr/sbin/pppd', 'ttyS1'])
    (files / 'utmp').write_bytes(utmp_bytes(('alice', 812, 'ttyS1', STARTED)))
    k = Kernel(monkeypatch)
    res = run_module(ds.main, args(proc, files))
    assert res['changed'] is False and res['sessions'] == [] and 'failed' not in res, res
    assert res['diff']['before'] == ''
    assert k.calls == []


def test_check_mode_signals_nothing(run_module, proc, files, monkeypatch):
    on_line(proc, 812, ['/usr/sbin/pppd', 'ttyS1'])
    (files / 'wtmp').write_bytes(utmp_bytes(('leaver', 812, 'ttyS1', STARTED)))
    k = Kernel(monkeypatch)
    res = run_module(ds.main, args(proc, files), check_mode=True)
    assert res['changed'] is True and res['sessions'] == [
        {'line': 'ttyS1', 'user': 'leaver', 'found_by': 'utmp', 'processes': ['pppd 812'], 'signals': [],
         'ended': False}], res
    assert k.calls == []


def test_a_process_left_after_sigkill_fails_the_module(run_module, proc, files, monkeypatch, clock):
    on_line(proc, 812, ['/usr/sbin/pppd', 'ttyS1'])
    on_line(proc, 90, ['-bash'])
    on_line(proc, 813, ['/usr/sbin/pppd', 'ttyS2'], line='ttyS2')
    (files / 'utmp').write_bytes(utmp_bytes(('leaver', 812, 'ttyS1', STARTED), ('leaver', 813, 'ttyS2', STARTED)))
    k = Kernel(monkeypatch)
    res = run_module(ds.main, args(proc, files, ports=['ttyS1', 'ttyS2']))
    assert res['failed'] is True and res['msg'] == \
        'processes still running after SIGKILL: ttyS1: bash 90, pppd 812; ttyS2: pppd 813', res
    assert [(s['line'], s['signals'], s['ended']) for s in res['sessions']] == [
        ('ttyS1', ['SIGHUP', 'SIGTERM', 'SIGKILL'], False), ('ttyS2', ['SIGHUP', 'SIGTERM', 'SIGKILL'], False)]
    assert res['changed'] is True and res['diff']['before'] == 'ttyS1: leaver (bash 90, pppd 812)\nttyS2: leaver (pppd 813)\n'
    assert len(k.signals()) == 9
    assert 10 - 1e-6 <= sum(clock.sleeps) < 10.4 + 1e-9


def test_only_the_last_4_mib_of_wtmp_are_read(run_module, proc, files, monkeypatch):
    """10922 records (4 MiB rounded down to whole records) are read; the one before them is not."""
    on_line(proc, 812, ['/usr/sbin/pppd', 'ttyS1'])
    others = utmp_bytes(('bob', 812, 'ttyS2', STARTED)) * 10921
    Kernel(monkeypatch, on_signal=ends_on(proc, signal.SIGHUP))
    for key in ('utmp', 'wtmp'):
        (files / key).write_bytes(utmp_bytes(('leaver', 812, 'ttyS1', STARTED)) + others)
        res = run_module(ds.main, args(proc, files), check_mode=True)
        assert [s['user'] for s in res['sessions']] == ['leaver'], res
        (files / key).write_bytes(utmp_bytes(('leaver', 812, 'ttyS1', STARTED), ('bob', 812, 'ttyS2', STARTED))
                                  + others)
        res = run_module(ds.main, args(proc, files), check_mode=True)
        assert res['sessions'] == [], res
        (files / key).write_bytes(b'')


@pytest.mark.parametrize('port', ['../ttyS1', '', '/dev/', 'ttyS1/x', '.ttyS1', '/dev/.x', 'dev/ttyS1', '/dev/pts/1'])
def test_a_bad_port_is_refused_with_its_name(run_module, proc, files, port):
    res = run_module(ds.main, args(proc, files, ports=['ttyS1', port]))
    assert res['failed'] is True and res['msg'] == 'ports: %r is not a device name (ttyS1 or /dev/ttyS1)' % port


def test_a_negative_timeout_is_refused(run_module, proc, files):
    res = run_module(ds.main, args(proc, files, timeout=-1))
    assert res['failed'] is True and res['msg'] == 'timeout: -1 is negative'


@pytest.mark.parametrize('key', ['utmp', 'wtmp'])
def test_a_file_that_is_not_utmp_is_refused_naming_it(run_module, proc, files, key):
    (files / key).write_bytes(b'x' * 100)
    res = run_module(ds.main, args(proc, files))
    assert res['failed'] is True and res['msg'] == \
        '%s: %s: 100 bytes is not a multiple of struct utmp (384 bytes)' % (key, files / key)


def test_missing_utmp_files_find_sessions_by_the_real_user(run_module, proc, files, monkeypatch):
    on_line(proc, 812, ['/usr/sbin/pppd', 'ttyS1'], uid=NOBODY)
    Kernel(monkeypatch, on_signal=ends_on(proc, signal.SIGHUP))
    res = run_module(ds.main, args(proc, files, users=['nobody'], utmp=str(files / 'none'), wtmp=str(files / 'none')))
    assert [(s['user'], s['found_by'], s['ended']) for s in res['sessions']] == [('nobody', 'uid', True)], res
