# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""mgetty_restart's decisions: which line is in use and why, read from real lock files, a utmp
file in glibc's layout, real processes (this test's children) and /proc."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import pwd
import signal
import struct
import subprocess
import sys
import time

import pytest

from ansible_collections.dialin.callback.plugins.module_utils import uucp_lock
from ansible_collections.dialin.callback.plugins.modules import mgetty_restart as mr
from ansible_collections.dialin.callback.tests.unit.plugins.modules.pid_namespace import run_in_pid_namespace


def utmp_record(kind, pid, line, user):
    return struct.pack(mr.UTMP_FORMAT, kind, pid, line.encode(), b'S1', user.encode(), b'', 0, 0, 0, 0, 0,
                       b'', b'')


def test_utmp_layout_is_glibc_s():
    assert mr.UTMP_SIZE == 384


def test_parse_utmp():
    data = utmp_record(mr.LOGIN_PROCESS, 812, 'ttyS1', 'LOGIN') + utmp_record(mr.USER_PROCESS, 900, 'ttyS2', 'pppuser')
    assert mr.parse_utmp(data) == [
        dict(type=mr.LOGIN_PROCESS, pid=812, line='ttyS1', user='LOGIN'),
        dict(type=mr.USER_PROCESS, pid=900, line='ttyS2', user='pppuser'),
    ]


@pytest.mark.parametrize('argv, environ, lines', [
    # The collection's gate runs "callback -l ttyS1 NUMBER" for a user with lines.
    (['/usr/sbin/callback', '-l', 'ttyS1', '0W5551234'], {'DEVICE': 'ttyS2'}, ['ttyS1']),
    (['/usr/sbin/callback', '-lttyS1:ttyS3', '123'], {}, ['ttyS1', 'ttyS3']),
    # -S: the line the call came in on (mgetty's DEVICE for the login program).
    (['/usr/sbin/callback', '-S', '123456'], {'DEVICE': 'ttyS2'}, ['ttyS2']),
    (['/usr/sbin/callback', '123456'], {'DEVICE': '/dev/ttyS2'}, ['ttyS2']),
    # Neither: callback.config's dialout-devices, any line.
    (['/usr/sbin/callback', '123456'], {}, None),
])
def test_callback_lines(argv, environ, lines):
    assert mr.callback_lines(argv, environ) == lines


MGETTY = dict(pid=812, comm='mgetty')


@pytest.mark.parametrize('holder, utmp, callbacks, kind', [
    # mgetty waiting for a call holds no lock: idle.
    (None, [], [], None),
    # A utmp entry of another line or process does not make this line busy.
    (None, [dict(type=mr.USER_PROCESS, pid=5, line='ttyS2', user='x')], [], None),
    # Its own mgetty with the lock and a LOGIN_PROCESS entry: a caller at the login prompt.
    (MGETTY, [dict(type=mr.LOGIN_PROCESS, pid=812, line='ttyS1', user='LOGIN')], [], 'login'),
    # Its own mgetty with the lock, no login prompt: answering or setting up the modem.
    (MGETTY, [], [], 'settling'),
    # mgetty executed login, or pppd, or the session's program: the lock's PID is theirs.
    (dict(pid=812, comm='login'), [dict(type=mr.USER_PROCESS, pid=812, line='ttyS1', user='pppuser')], [],
     'session'),
    (dict(pid=812, comm='pppd'), [], [], 'session'),
    # callback dialling out holds the lock in its own name.
    (dict(pid=900, comm='callback'), [], [dict(pid=900, lines=['ttyS1'])], 'callback'),
    # A callback waiting its delay holds no lock; it will dial on this line.
    (None, [], [dict(pid=901, lines=['ttyS1'])], 'callback'),
    # ... or on any line.
    (None, [], [dict(pid=901, lines=None)], 'callback'),
    # A lock file with no PID in it: mgetty would not take the line.
    (dict(pid=0, comm=None), [], [], 'locked'),
])
def test_busy_reason(holder, utmp, callbacks, kind):
    why = mr.busy_reason('ttyS1', holder, utmp, callbacks)
    assert (why[0] if why else None) == kind


def test_a_callback_for_another_line_does_not_hold_this_one():
    assert mr.busy_reason('ttyS1', None, [], [dict(pid=901, lines=['ttyS2'])]) is None


def test_reasons_name_the_process_and_the_user():
    why = mr.busy_reason('ttyS1', dict(pid=812, comm='login'),
                         [dict(type=mr.USER_PROCESS, pid=812, line='ttyS1', user='pppuser')], [])
    assert why[1] == 'a session of pppuser is on it (login PID 812)'
    why = mr.busy_reason('ttyS1', MGETTY, [dict(type=mr.LOGIN_PROCESS, pid=812, line='ttyS1', user='LOGIN')], [])
    assert why[1] == "a caller is at mgetty's login prompt (mgetty PID 812)"


# ---------------------------------------------------------------- the module's steps on real processes


class FakeModule(object):
    def __init__(self, params, check_mode=False):
        self.params = dict(dict(configs=[], settle_timeout=1, exit_timeout=5, foreign_lock_timeout=1,
                                dev_dir='/dev'), **params)
        self.check_mode = check_mode
        self.warnings = []

    def warn(self, msg):
        self.warnings.append(msg)


# A stand-in for mgetty: a Python process named "mgetty" (its comm) whose command line names its line
# as mgetty's does (python's -c takes an argument, as mgetty's -c: the line is the first operand
# after it); it exits 0 on SIGUSR2, like mgetty waiting for a call, without removing its PID file;
# with "ignore" it ignores the signal, like mgetty off-hook.
STANDIN = r'''
import ctypes, signal, sys, time
ctypes.CDLL(None).prctl(15, b"mgetty", 0, 0, 0)
if sys.argv[2] == "ignore":
    signal.signal(signal.SIGUSR2, signal.SIG_IGN)
else:
    signal.signal(signal.SIGUSR2, lambda *a: sys.exit(0))
print("ready", flush=True)
while True:
    time.sleep(1)
'''


@pytest.fixture
def dirs(tmp_path):
    for d in ('lock', 'run'):
        (tmp_path / d).mkdir()
    return tmp_path


def start_standin(dirs, mode='exit', line='ttyS1'):
    """A stand-in mgetty serving line, named in ttyS1's PID file."""
    proc = subprocess.Popen([sys.executable, '-c', STANDIN, line, mode], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == 'ready'
    (dirs / 'run' / 'mgetty.pid.ttyS1').write_text('%d\n' % proc.pid)
    return proc


def start_program(*argv, **popen_args):
    """A child process, returned once it runs its program (its comm is the program's name)."""
    proc = subprocess.Popen(list(argv), **popen_args)
    deadline = time.monotonic() + 10
    while mr.Proc().comm(proc.pid) != os.path.basename(argv[0]):
        assert time.monotonic() < deadline, 'the child did not start %s' % argv[0]
        time.sleep(0.01)
    return proc


class OwnProc(mr.Proc):
    """This machine's /proc, but only the callback processes this test started: the machine may run
    others on a line named ttyS1 (a test container's mgetty and callback share its /proc)."""

    def callbacks(self):
        return [cb for cb in super(OwnProc, self).callbacks() if self._parent(cb['pid']) == os.getpid()]

    def _parent(self, pid):
        try:
            return int(self._stat_fields(pid)[1])
        except (IOError, OSError):
            return None  # it ended meanwhile


def restart(dirs, check_mode=False, **params):
    module = FakeModule(dict(dict(lock_dir=str(dirs / 'lock'), pid_dir=str(dirs / 'run'),
                                  utmp=str(dirs / 'utmp'), ports=['ttyS1']), **params), check_mode)
    return mr.LineRestart(module, OwnProc()), module


def test_an_idle_mgetty_is_signalled_and_the_lock_is_left_free(dirs):
    proc = start_standin(dirs)
    try:
        r, module = restart(dirs)
        outcome = r.run('ttyS1')
        assert outcome[0] == 'restarted', outcome
        assert proc.wait(timeout=5) == 0
        assert not (dirs / 'lock' / 'LCK..ttyS1').exists()
        assert os.listdir(str(dirs / 'lock')) == []
        # The PID file it left (as mgetty ended by a signal does) is removed.
        assert os.listdir(str(dirs / 'run')) == []
        assert r.removed_pid_files == [str(dirs / 'run' / 'mgetty.pid.ttyS1')]
    finally:
        proc.kill()
        proc.wait()


def test_check_mode_signals_nothing_and_writes_no_lock(dirs):
    proc = start_standin(dirs)
    try:
        r, module = restart(dirs, check_mode=True)
        assert r.run('ttyS1')[0] == 'restarted'
        time.sleep(0.3)
        assert proc.poll() is None
        assert os.listdir(str(dirs / 'lock')) == []
        assert (dirs / 'run' / 'mgetty.pid.ttyS1').read_text() == '%d\n' % proc.pid
    finally:
        proc.kill()
        proc.wait()


def test_check_mode_reports_a_stale_pid_file_and_keeps_it(dirs):
    dead = subprocess.Popen(['true'])
    dead.wait()
    (dirs / 'run' / 'mgetty.pid.ttyS1').write_text('%d\n' % dead.pid)
    r, module = restart(dirs, check_mode=True)
    assert r.run('ttyS1')[0] == 'current'
    assert r.removed_pid_files == [str(dirs / 'run' / 'mgetty.pid.ttyS1')]
    assert (dirs / 'run' / 'mgetty.pid.ttyS1').read_text() == '%d\n' % dead.pid


@pytest.fixture
def line(dirs):
    """The line ttyS1 of dev_dir: a link to a pty (its slave end, open here as the caller's side)."""
    master, slave = os.openpty()
    (dirs / 'dev').mkdir()
    os.symlink(os.ttyname(slave), str(dirs / 'dev' / 'ttyS1'))
    yield slave
    os.close(master)
    os.close(slave)


def test_a_line_locked_by_a_session_on_it_is_deferred_and_its_lock_kept(dirs, line):
    proc = start_standin(dirs)
    # A session leader with the line as its standard input, as what mgetty executed in a call is
    # (once it runs sleep: setsid() came before the exec).
    session = start_program('sleep', '30', stdin=line, start_new_session=True)
    lock = dirs / 'lock' / 'LCK..ttyS1'
    lock.write_bytes(uucp_lock.lock_contents(session.pid))
    try:
        r, module = restart(dirs, dev_dir=str(dirs / 'dev'))
        outcome = r.run('ttyS1')
        assert outcome == ('deferred', 'a call is in progress (sleep PID %d holds the line)' % session.pid, session.pid)
        assert proc.poll() is None, 'the mgetty of a busy line was signalled'
        assert lock.read_bytes() == uucp_lock.lock_contents(session.pid)
    finally:
        for p in (proc, session):
            p.kill()
            p.wait()


def test_a_foreign_lock_fails_the_line_after_the_timeout_naming_its_holder(dirs, line):
    """A live process that is not on the line holds its lock (any local user can write one in
    /run/lock): not a call to wait for. After foreign_lock_timeout the line fails, naming the holder;
    its lock and the line's mgetty are left alone."""
    proc = start_standin(dirs)
    squatter = start_program('sleep', '30')
    lock = dirs / 'lock' / 'LCK..ttyS1'
    lock.write_bytes(uucp_lock.lock_contents(squatter.pid))
    try:
        r, module = restart(dirs, dev_dir=str(dirs / 'dev'), foreign_lock_timeout=1)
        started = time.monotonic()
        outcome, reason, pid = r.run('ttyS1')
        assert time.monotonic() - started >= 1
        assert (outcome, pid) == ('foreign', squatter.pid), reason
        assert reason.startswith('%s is held by PID %d (sleep, user %s), not by mgetty, callback, login or pppd on ttyS1'
                                 % (lock, squatter.pid, pwd.getpwuid(os.getuid()).pw_name)), reason
        assert proc.poll() is None, 'the mgetty of a line with a foreign lock was signalled'
        assert lock.read_bytes() == uucp_lock.lock_contents(squatter.pid)
    finally:
        for p in (proc, squatter):
            p.kill()
            p.wait()


def test_a_foreign_lock_that_goes_within_the_timeout_lets_the_idle_mgetty_restart(dirs, line):
    proc = start_standin(dirs)
    # A sleep that init reaps when it ends (its parent shell is gone): not this test's zombie.
    squatter = int(subprocess.run(['sh', '-c', 'sleep 1 >/dev/null 2>&1 & echo $!'], capture_output=True, text=True,
                                  check=True).stdout)
    lock = dirs / 'lock' / 'LCK..ttyS1'
    lock.write_bytes(uucp_lock.lock_contents(squatter))
    try:
        r, module = restart(dirs, dev_dir=str(dirs / 'dev'), foreign_lock_timeout=10)
        outcome = r.run('ttyS1')
        assert outcome[0] == 'restarted', outcome
        assert proc.wait(timeout=5) == 0
    finally:
        proc.kill()
        proc.wait()


def test_a_stale_lock_is_removed_and_the_idle_mgetty_restarted(dirs):
    proc = start_standin(dirs)
    dead = subprocess.Popen(['true'])
    dead.wait()
    (dirs / 'lock' / 'LCK..ttyS1').write_bytes(uucp_lock.lock_contents(dead.pid))
    try:
        r, module = restart(dirs)
        assert r.run('ttyS1')[0] == 'restarted'
        assert module.warnings and 'stale' in module.warnings[0]
        assert not (dirs / 'lock' / 'LCK..ttyS1').exists()
    finally:
        proc.kill()
        proc.wait()


def test_an_mgetty_that_ignores_the_signal_is_deferred(dirs):
    proc = start_standin(dirs, 'ignore')
    try:
        r, module = restart(dirs, exit_timeout=1)
        outcome = r.run('ttyS1')
        assert outcome[0] == 'deferred' and 'ignored SIGUSR2' in outcome[1]
        assert proc.poll() is None
        assert os.listdir(str(dirs / 'lock')) == []
    finally:
        proc.kill()
        proc.wait()


def test_an_mgetty_started_after_the_change_is_current(dirs):
    config = dirs / 'mgetty.config'
    config.write_text('x\n')
    past = time.time() - 60
    os.utime(str(config), (past, past))
    proc = start_standin(dirs)
    try:
        r, module = restart(dirs, configs=[str(config)])
        assert r.run('ttyS1')[0] == 'current'
        assert proc.poll() is None
        # Changed after it started: it must reread.
        os.utime(str(config), None)
        assert r.run('ttyS1')[0] == 'restarted'
    finally:
        proc.kill()
        proc.wait()


def test_no_mgetty_is_current(dirs):
    r, module = restart(dirs)
    assert r.run('ttyS1')[0] == 'current'
    assert os.listdir(str(dirs / 'lock')) == []


def test_a_signal_to_a_dead_pid_file_is_never_sent(dirs):
    """A PID file left by an mgetty that exited names no live mgetty: nothing is signalled, and the
    stale file is removed."""
    other = start_program('sleep', '30')
    (dirs / 'run' / 'mgetty.pid.ttyS1').write_text('%d\n' % other.pid)
    try:
        r, module = restart(dirs)
        assert r.run('ttyS1')[0] == 'current'
        assert other.poll() is None
        assert os.listdir(str(dirs / 'run')) == []
    finally:
        other.send_signal(signal.SIGKILL)
        other.wait()


def test_an_mgetty_of_another_line_in_the_pid_file_is_not_signalled(dirs):
    """A live process called mgetty is not enough: it must serve the line of the PID file."""
    proc = start_standin(dirs, line='ttyS2')
    try:
        r, module = restart(dirs)
        outcome = r.run('ttyS1')
        assert outcome[0] == 'current', outcome
        time.sleep(0.3)
        assert proc.poll() is None, 'the mgetty of ttyS2 was signalled for ttyS1'
        assert r.removed_pid_files == [str(dirs / 'run' / 'mgetty.pid.ttyS1')]
        # The control: the same process named in its own line's PID file is signalled.
        (dirs / 'run' / 'mgetty.pid.ttyS2').write_text('%d\n' % proc.pid)
        assert r.run('ttyS2')[0] == 'restarted'
        assert proc.wait(timeout=5) == 0
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize('argv, line', [
    (['/usr/sbin/mgetty', 'ttyS1'], 'ttyS1'),
    (['/sbin/mgetty', '/dev/ttyUSB0'], 'ttyUSB0'),
    (['mgetty', '-s', '38400', '-x', '4', 'ttyS1'], 'ttyS1'),
    (['mgetty', '-x4', '-rb', 'ttyS2'], 'ttyS2'),
    (['mgetty', '-bs38400', 'ttyS3'], 'ttyS3'),
    # GNU getopt takes options after the operand too.
    (['mgetty', 'ttyS1', '-s', '38400'], 'ttyS1'),
    # An option's argument is not the line.
    (['mgetty', '-m', 'ttyS9', 'ttyS1'], 'ttyS1'),
    (['mgetty', '--', 'ttyS1'], 'ttyS1'),
    (['mgetty'], None),
    (['mgetty', '-s'], None),
])
def test_mgetty_line(argv, line):
    assert mr.mgetty_line(argv) == line


def test_a_pid_file_the_next_mgetty_rewrote_is_kept(dirs):
    path = dirs / 'run' / 'mgetty.pid.ttyS1'
    path.write_text('4242\n')
    assert mr.remove_pid_file_of(str(path), 4241) is False
    assert path.read_text() == '4242\n' and os.listdir(str(dirs / 'run')) == ['mgetty.pid.ttyS1']
    assert mr.remove_pid_file_of(str(path), 4242) is True
    assert os.listdir(str(dirs / 'run')) == []
    assert mr.remove_pid_file_of(str(path), 4242) is False


# The module's steps in a PID namespace of the test's own: the mgetty read from the PID file ends
# while the module checks the line, and a new process with the same command line takes its PID.
REUSED_PID = r'''
import tempfile
from ansible_collections.dialin.callback.plugins.modules import mgetty_restart as mr

STANDIN = %r
top = tempfile.mkdtemp()
for d in ('lock', 'run'):
    os.mkdir(os.path.join(top, d))
pid_file = os.path.join(top, 'run', 'mgetty.pid.ttyS1')


def standin(pid=None):
    argv = [sys.executable, '-c', STANDIN, 'ttyS1', 'exit']
    proc = start_with_pid(pid, argv, stdout=subprocess.PIPE) if pid else subprocess.Popen(argv, stdout=subprocess.PIPE)
    assert proc.stdout.readline().strip() == b'ready'
    return proc


class Module(object):
    params = dict(lock_dir=os.path.join(top, 'lock'), pid_dir=os.path.join(top, 'run'),
                  utmp=os.path.join(top, 'utmp'), configs=[], settle_timeout=1, exit_timeout=3)
    check_mode = False

    def warn(self, msg):
        pass


class PidReusedMeanwhile(mr.LineRestart):
    def busy(self, port, holder):
        global second, first_start, second_start
        first_start = start_ticks(first.pid)
        first.kill()
        first.wait()
        time.sleep(0.05)  # five clock ticks: the new process starts later
        second = standin(first.pid)
        second_start = start_ticks(second.pid)
        return super(PidReusedMeanwhile, self).busy(port, holder)


first = standin()
with open(pid_file, 'w') as f:
    f.write('%%d\n' %% first.pid)
outcome = PidReusedMeanwhile(Module(), mr.Proc()).run('ttyS1')
time.sleep(0.5)
second_alive = second.poll() is None
second.kill()
second.wait()
# The control: the same steps without the PID reused signal the mgetty.
third = standin()
with open(pid_file, 'w') as f:
    f.write('%%d\n' %% third.pid)
control = mr.LineRestart(Module(), mr.Proc()).run('ttyS1')
third_status = third.wait(timeout=5)
report(outcome=outcome, same_pid=second.pid == first.pid, starts=[first_start, second_start],
       second_alive=second_alive, control=control, third_status=third_status)
''' % STANDIN


def test_a_reused_pid_is_not_signalled():
    res = run_in_pid_namespace(REUSED_PID)
    assert res['same_pid'] and res['starts'][0] < res['starts'][1], res
    assert res['outcome'][0] == 'current' and 'ended before the signal' in res['outcome'][1], res
    assert res['second_alive'], 'the process that took the PID was signalled: %r' % res
    assert res['control'][0] == 'restarted' and res['third_status'] == 0, res


# A stand-in for a pending callback: a Python process named "callback" whose command line carries
# callback's -l list (python's -c takes the script, the rest are callback's options); with "ignore"
# it ignores SIGTERM.
CALLBACK_STANDIN = r'''
import ctypes, signal, sys, time
ctypes.CDLL(None).prctl(15, b"callback", 0, 0, 0)
if "ignore" in sys.argv:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("ready", flush=True)
while True:
    time.sleep(1)
'''


def start_callback(*options):
    proc = subprocess.Popen([sys.executable, '-c', CALLBACK_STANDIN] + list(options), stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == 'ready'
    return proc


@pytest.mark.parametrize('check_mode', [False, True])
def test_a_callback_that_can_dial_only_on_removed_ports_is_ended(check_mode):
    removed_only = start_callback('-l', 'ttyS9:ttyS8', '0W5551234')
    also_served = start_callback('-l', 'ttyS9:ttyS1', '0W5551234')
    any_line = start_callback('0W5551234')
    try:
        module = FakeModule(dict(removed_ports=['ttyS9', 'ttyS8'], exit_timeout=5), check_mode)
        stopped = mr.stop_callbacks(module, OwnProc(), module.params['removed_ports'])
        assert stopped == [dict(pid=removed_only.pid, lines=['ttyS8', 'ttyS9'])]
        if check_mode:
            time.sleep(0.2)
            assert removed_only.poll() is None
        else:
            assert removed_only.wait(timeout=5) == -signal.SIGTERM
        assert also_served.poll() is None and any_line.poll() is None
    finally:
        for p in (removed_only, also_served, any_line):
            p.kill()
            p.wait()


def test_a_callback_that_ignores_sigterm_is_killed_after_the_exit_timeout():
    stubborn = start_callback('ignore', '-l', 'ttyS9', '0W5551234')
    try:
        module = FakeModule(dict(removed_ports=['ttyS9'], exit_timeout=1))
        assert mr.stop_callbacks(module, OwnProc(), ['ttyS9']) == [dict(pid=stubborn.pid, lines=['ttyS9'])]
        assert stubborn.wait(timeout=5) == -signal.SIGKILL
    finally:
        stubborn.kill()
        stubborn.wait()


def test_a_callback_whose_pid_was_reused_is_not_signalled():
    first = start_callback('-l', 'ttyS9', '0W5551234')
    proc = OwnProc()
    chosen = [cb for cb in proc.callbacks() if cb['pid'] == first.pid][0]
    assert proc.is_same_callback(chosen)
    # The same PID with another start time or command line is another process.
    assert not proc.is_same_callback(dict(chosen, start=chosen['start'] - 1))
    assert not proc.is_same_callback(dict(chosen, argv=chosen['argv'] + ['x']))
    first.kill()
    first.wait()
    assert not proc.is_same_callback(chosen)
