# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""mgetty_restart's steps on a /proc laid out by the test, with the kernel's signal calls replaced by
recording functions (test_processes_laid_out.Kernel, os.kill included: uucp_lock's question whether
a PID is alive is answered from the laid-out /proc) and the module's clock by one that sleep()
advances at once. A signal "ends" a laid-out process by removing it. No test here sends a real
signal."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import errno
import os
import pwd
import shutil
import signal
import struct

import pytest

from ansible_collections.dialin.callback.plugins.module_utils import uucp_lock
from ansible_collections.dialin.callback.plugins.modules import mgetty_restart as mr
from ansible_collections.dialin.callback.tests.unit.plugins.module_utils.test_processes_laid_out import (
    Kernel, process)

HZ = os.sysconf('SC_CLK_TCK')
BTIME = 1700000000
START = 50 * HZ          # every process started 50 s after the boot, at BTIME + 50
NOBODY = pwd.getpwnam('nobody').pw_uid
UNKNOWN_UID = 54321      # a user ID without an account
NO_PID = 'its lock file holds no PID: mgetty would not take the line either'
SETTLING = 'mgetty PID 812 holds the line: it answers a call or sets up the modem'


class Clock(object):
    """mgetty_restart's time module: sleep() advances monotonic() at once, and is recorded;
    then() runs a function once the given number of sleeps were made."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps = []
        self.hooks = {}

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds
        hook = self.hooks.pop(len(self.sleeps), None)
        if hook:
            hook()

    def then(self, sleeps, hook):
        self.hooks[sleeps] = hook


class FakeModule(object):
    def __init__(self, params, check_mode=False):
        self.params = dict(dict(configs=[], settle_timeout=2, exit_timeout=2, foreign_lock_timeout=3), **params)
        self.check_mode = check_mode
        self.warnings = []

    def warn(self, msg):
        self.warnings.append(msg)


class Site(object):
    """A dial-in server: its /proc, lock, PID file and device directories, the kernel and the clock."""

    def __init__(self, tmp_path, monkeypatch):
        self.top = tmp_path
        self.proc = tmp_path / 'proc'
        for d in ('proc', 'lock', 'run', 'dev'):
            (tmp_path / d).mkdir()
        (self.proc / 'stat').write_bytes(b'cpu  1 2 3 4\nbtime %d\n' % BTIME)
        os.symlink('/dev/null', str(tmp_path / 'dev' / 'ttyS1'))
        self.reactions = {}
        self.on_open = {}
        self.kernel = Kernel(monkeypatch, on_signal=self.deliver, on_open=self.opened)
        self.clock = Clock()
        monkeypatch.setattr(mr, 'time', self.clock)

    def deliver(self, pid, signum):
        if not (self.proc / str(pid)).is_dir():
            raise OSError(errno.ESRCH, os.strerror(errno.ESRCH))
        if signum in self.reactions.get(pid, ()):
            self.gone(pid)

    def opened(self, pid):
        hook = self.on_open.get(pid)
        if hook:
            hook()

    def signals(self):
        return [s for s in self.kernel.signals() if s[1] != 0]

    def process(self, pid, argv, comm, start=START, state='S', env=None, fds=(), uid=0, ends_on=()):
        d = process(self.proc, pid, argv, stat=dict(state=state, start=start), fds=fds, env=env,
                    status=None if uid is None else ('Name:\tx\nUid:\t%d\t0\t0\t0\n' % uid).encode())
        (d / 'comm').write_bytes(comm.encode() + b'\n')
        self.reactions[pid] = set(ends_on)
        return d

    def mgetty(self, pid=812, line='ttyS1', ends_on=(signal.SIGUSR2,), pid_file=True, **kw):
        self.process(pid, ['/sbin/mgetty', '-s', '38400', line], 'mgetty', ends_on=ends_on, **kw)
        if pid_file:
            (self.top / 'run' / ('mgetty.pid.' + line)).write_text(u'%d\n' % pid)

    def gone(self, pid):
        shutil.rmtree(str(self.proc / str(pid)))

    def lock(self, contents, line='ttyS1'):
        path = self.top / 'lock' / ('LCK..' + line)
        path.write_bytes(contents if isinstance(contents, bytes) else uucp_lock.lock_contents(contents))
        return path

    def utmp(self, *records):
        (self.top / 'utmp').write_bytes(b''.join(
            struct.pack(mr.UTMP_FORMAT, kind, pid, line.encode(), b'S1', user.encode(), b'', 0, 0, 0, 0, 0, b'', b'')
            for kind, pid, line, user in records))

    def params(self, **kw):
        return dict(dict(lock_dir=str(self.top / 'lock'), pid_dir=str(self.top / 'run'), utmp=str(self.top / 'utmp'),
                         dev_dir=str(self.top / 'dev'), ports=['ttyS1']), **kw)

    def restart(self, check_mode=False, **kw):
        module = FakeModule(self.params(**kw), check_mode)
        return mr.LineRestart(module, mr.Proc(str(self.proc))), module

    def listing(self, d):
        return sorted(os.listdir(str(self.top / d)))


@pytest.fixture
def site(tmp_path, monkeypatch):
    return Site(tmp_path, monkeypatch)


# ---------------------------------------------------------------- parsing


@pytest.mark.parametrize('argv, line', [
    (['mgetty', '-'], '-'),                     # a lone dash is an operand
    (['mgetty', '--'], None),
    (['mgetty', '--', '-x'], '-x'),
    (['mgetty', '--', '/dev/ttyS1'], 'ttyS1'),
    (['mgetty', '-b', '--', 'ttyS1', 'x'], 'ttyS1'),
    (['mgetty', '-x'], None),                   # its argument missing
    (['mgetty', '-b', 'ttyS1'], 'ttyS1'),       # -b takes none
    (['mgetty', '-D', '-a', 'ttyS1'], 'ttyS1'),
    (['mgetty', '-sx', 'ttyS1'], 'ttyS1'),      # -s's argument "x" in the same word
    (['mgetty', '-bx', '4', 'ttyS1'], 'ttyS1'),  # -x's argument the next word
    (['mgetty', '-I', 'ttyS9 fax', '/dev/ttyS2', 'ttyS3'], 'ttyS2'),
    (['mgetty', 'dev/ttyS1'], 'dev/ttyS1'),
])
def test_mgetty_line_of_more_command_lines(argv, line):
    assert mr.mgetty_line(argv) == line


def test_parse_utmp_reads_whole_records_only():
    one = struct.pack(mr.UTMP_FORMAT, mr.USER_PROCESS, 900, b'ttyS1\0junk', b'S1', b'ppp\xffuser\0x', b'', 0, 0, 0, 0,
                      0, b'', b'')
    assert mr.parse_utmp(one) == [dict(type=mr.USER_PROCESS, pid=900, line='ttyS1', user=u'ppp\udcffuser')]
    odd = struct.pack(mr.UTMP_FORMAT, mr.LOGIN_PROCESS, 901, b'tty\xffS1', b'S1', b'LOGIN', b'', 0, 0, 0, 0, 0, b'', b'')
    assert mr.parse_utmp(odd) == [dict(type=mr.LOGIN_PROCESS, pid=901, line=u'tty\udcffS1', user='LOGIN')]
    assert mr.parse_utmp(one + one[:-1]) == mr.parse_utmp(one)
    assert mr.parse_utmp(one[:-1]) == []
    assert mr.parse_utmp(b'') == []


@pytest.mark.parametrize('argv, environ, lines', [
    (['callback', '-l'], {'DEVICE': 'ttyS2'}, ['ttyS2']),              # -l without its list
    (['callback', '-l'], {}, None),
    (['callback', '-l', 'ttyS1::ttyS3:', 'N'], {}, ['ttyS1', 'ttyS3']),
    (['callback', '-l/dev/ttyS3:/dev/ttyS1'], {}, ['ttyS1', 'ttyS3']),
    (['callback', '-l', 'ttyS3', '-S', 'N'], {'DEVICE': '/dev/ttyS2'}, ['ttyS2', 'ttyS3']),
    (['callback', '-l', 'ttyS3', '-S', 'N'], {}, ['ttyS3']),
    (['callback', '-l', 'ttyS3', 'N'], {'DEVICE': 'ttyS2'}, ['ttyS3']),
    (['callback', '-l', ':'], {}, None),
    (['callback', '-x', 'ttyS1'], {'DEVICE': ''}, None),
    (['-l', 'ttyS3'], {}, None),                                       # argv[0] is the program
    (['callback', '-l', 'ttyS3'], {}, ['ttyS3']),
    (['callback', '-lx', 'N'], {}, ['x']),
])
def test_callback_lines_of_more_command_lines(argv, environ, lines):
    assert mr.callback_lines(argv, environ) == lines


@pytest.mark.parametrize('holder, utmp, callbacks, why', [
    (dict(pid=900, comm='callback'), [], [dict(pid=900, lines=['ttyS1'])],
     ('callback', 'callback PID 900 is dialling out on it', 900)),
    (dict(pid=812, comm='mgetty'), [], [dict(pid=901, lines=None)],
     ('callback', 'a callback is pending on it (callback PID 901 waits to dial out)', 901)),
    (None, [], [dict(pid=902, lines=['ttyS2']), dict(pid=901, lines=['ttyS3', 'ttyS1'])],
     ('callback', 'a callback is pending on it (callback PID 901 waits to dial out)', 901)),
    (dict(pid=900, comm='callback'), [], [],
     ('callback', 'callback PID 900 is dialling out on it', 900)),
    (dict(pid=0, comm=None), [], [], ('locked', NO_PID, None)),
    (dict(pid=812, comm='mgetty'), [dict(type=mr.LOGIN_PROCESS, pid=812, line='ttyS1', user='LOGIN')], [],
     ('login', "a caller is at mgetty's login prompt (mgetty PID 812)", 812)),
    (dict(pid=812, comm='mgetty'), [dict(type=mr.LOGIN_PROCESS, pid=812, line='ttyS2', user='LOGIN'),
                                    dict(type=mr.LOGIN_PROCESS, pid=813, line='ttyS1', user='LOGIN'),
                                    dict(type=mr.USER_PROCESS, pid=812, line='ttyS1', user='LOGIN')], [],
     ('settling', SETTLING, 812)),
    (dict(pid=812, comm='login'), [dict(type=mr.LOGIN_PROCESS, pid=812, line='ttyS1', user='LOGIN'),
                                   dict(type=mr.USER_PROCESS, pid=812, line='ttyS1', user='first'),
                                   dict(type=mr.USER_PROCESS, pid=812, line='ttyS1', user='second')], [],
     ('session', 'a session of first is on it (login PID 812)', 812)),
    (dict(pid=812, comm=None), [], [], ('session', 'a call is in progress (unknown program PID 812 holds the line)', 812)),
    (dict(pid=812, comm='pppd'), [dict(type=mr.USER_PROCESS, pid=812, line='ttyS2', user='x'),
                                  dict(type=mr.USER_PROCESS, pid=813, line='ttyS1', user='y')], [],
     ('session', 'a call is in progress (pppd PID 812 holds the line)', 812)),
])
def test_busy_reason_word_for_word(holder, utmp, callbacks, why):
    assert mr.busy_reason('ttyS1', holder, utmp, callbacks) == why


def test_read_pid_file(tmp_path):
    path = tmp_path / 'pid'
    # Only the first 32 bytes are read.
    for text, pid in [(b'812\n', 812), (b'  812  \n', 812), (b'812 813\n', 812), (b'', None), (b'x\n', None),
                      (b' ' * 30 + b'4242\n', 42)]:
        path.write_bytes(text)
        assert mr.read_pid_file(str(path)) == pid
    assert mr.read_pid_file(str(tmp_path / 'none')) is None


def test_removing_a_pid_file_in_a_directory_that_is_not_one_fails(tmp_path):
    (tmp_path / 'file').write_text(u'x')
    with pytest.raises(OSError) as raised:
        mr.remove_pid_file_of(str(tmp_path / 'file' / 'mgetty.pid.ttyS1'), 812)
    assert raised.value.errno == errno.ENOTDIR


def test_a_pid_file_a_new_mgetty_writes_while_the_old_one_is_aside_is_kept(tmp_path, monkeypatch):
    """The file is renamed aside and read; meanwhile the next mgetty creates a new one at the path,
    which the old one (of another PID) must not replace."""
    path = tmp_path / 'mgetty.pid.ttyS1'
    path.write_text(u'813\n')
    read = mr.read_pid_file

    def new_mgetty_meanwhile(aside):
        path.write_text(u'900\n')
        return read(aside)
    monkeypatch.setattr(mr, 'read_pid_file', new_mgetty_meanwhile)
    assert mr.remove_pid_file_of(str(path), 812) is False
    assert path.read_text() == u'900\n' and os.listdir(str(tmp_path)) == ['mgetty.pid.ttyS1']


def test_newest_mtime(tmp_path):
    for name, when in (('a', 1000), ('b', 3000), ('c', 2000)):
        (tmp_path / name).write_text(u'x')
        os.utime(str(tmp_path / name), (when, when))
    assert mr.newest_mtime([str(tmp_path / n) for n in ('a', 'b', 'c', 'none')]) == 3000
    assert mr.newest_mtime([str(tmp_path / 'a')]) == 1000
    assert mr.newest_mtime([str(tmp_path / 'none')]) is None
    assert mr.newest_mtime([]) is None
    with pytest.raises(OSError) as raised:
        mr.newest_mtime([str(tmp_path / 'a' / 'x')])
    assert raised.value.errno == errno.ENOTDIR


# ---------------------------------------------------------------- Proc


def test_proc_reads_comm_argv_start_and_life(site):
    site.process(812, ['/sbin/mgetty', 'ttyS1'], 'mgetty', start=START + 3)
    site.process(813, ['/bin/sleep', '30'], 'sleep', state='Z')
    site.process(814, [b'/bin/x\xff'], '')
    (site.proc / '815').mkdir()
    (site.proc / '815' / 'stat').write_bytes(b'815 (sleep) S\n')
    proc = mr.Proc(str(site.proc))
    assert proc.root == str(site.proc)
    assert proc.comm(812) == 'mgetty' and proc.comm(814) is None and proc.comm(999) is None
    assert proc.argv(812) == ['/sbin/mgetty', 'ttyS1'] and proc.argv(814) == [u'/bin/x\udcff']
    assert proc.argv(999) is None
    assert proc.start_ticks(812) == START + 3 and proc.start_ticks(815) is None and proc.start_ticks(999) is None
    assert proc.gone(812) is False and proc.gone(813) is True and proc.gone(999) is True
    # Alive to kill(0) but its stat unreadable (ended in between): gone.
    (site.proc / '812' / 'stat').unlink()
    assert proc.gone(812) is True
    (site.proc / '812' / 'stat').write_bytes(b'812 mgetty S\n')
    assert proc.gone(812) is True


def test_proc_reads_a_name_that_is_not_utf_8_and_one_with_parentheses(site):
    site.process(812, ['/bin/x'], 'x')
    (site.proc / '812' / 'comm').write_bytes(b'mg\xffetty\n')
    (site.proc / '812' / 'stat').write_bytes(b'812 (a) S 1 2 3 0 b) S 1 2 3 0 ' + b' '.join(b'1' for dummy in range(14))
                                             + b' %d 5 6\n' % (START + 4))
    proc = mr.Proc(str(site.proc))
    assert proc.comm(812) == u'mg\udcffetty'
    assert proc.start_ticks(812) == START + 4


def test_proc_start_time_reads_the_boot_time_once(site):
    proc = mr.Proc(str(site.proc))
    assert proc.start_time(START) == BTIME + 50.0
    assert proc.start_time(HZ // 2) == BTIME + (HZ // 2) / float(HZ)
    (site.proc / 'stat').write_bytes(b'btime 1800000000\n')
    assert proc.start_time(0) == BTIME
    assert mr.Proc(str(site.proc)).start_time(0) == 1800000000


def test_mgetty_of_needs_an_mgetty_of_the_line_that_stays(site):
    site.mgetty(812)
    site.process(813, ['/sbin/mgetty', 'ttyS1'], 'getty')
    site.process(814, ['/bin/mgetty', 'ttyS1'], 'mgetty', state='Z')
    proc = mr.Proc(str(site.proc))
    assert proc.mgetty_of(812, 'ttyS1') == dict(pid=812, start=START)
    assert proc.mgetty_of(812, 'ttyS2') is None
    assert proc.mgetty_of(813, 'ttyS1') is None
    assert proc.mgetty_of(814, 'ttyS1') is None
    assert proc.mgetty_of(None, 'ttyS1') is None
    assert proc.mgetty_of(999, 'ttyS1') is None
    assert proc.is_still(dict(pid=812, start=START), 'ttyS1') is True
    assert proc.is_still(dict(pid=812, start=START - 1), 'ttyS1') is False
    assert proc.is_still(dict(pid=812, start=START), 'ttyS2') is False

    class Replaced(mr.Proc):
        """Another process takes the PID while its fields are read."""
        def argv(self, pid):
            argv = super(Replaced, self).argv(pid)
            (site.proc / '812' / 'stat').write_bytes(b'812 (mgetty) S 1 2 3 0 ' + b' '.join(b'1' for dummy in range(14))
                                                     + b' %d 5 6\n' % (START + 9))
            return argv
    assert Replaced(str(site.proc)).mgetty_of(812, 'ttyS1') is None


def test_callbacks_are_the_running_callback_processes(site):
    site.process(950, ['/usr/sbin/callback', '-l', 'ttyS9', 'N'], 'callback', env=[b'DEVICE=ttyS1', b'A=b=c'])
    site.process(951, ['/usr/sbin/callback', '-S', 'N'], 'callback', env=[b'X', b'DEVICE=/dev/ttyS2'],
                 start=START + 1)
    site.process(952, ['/usr/sbin/callback', 'N'], 'callback')                        # no environ: it ended
    site.process(953, ['/usr/sbin/callback', '-l', 'ttyS3', 'N'], 'callbackx', env=[])
    site.process(954, ['/usr/sbin/callback', '-l', 'ttyS3', 'N'], 'callback', env=[], state='S')
    site.process(955, ['/usr/sbin/callback', '-S', 'N'], 'callback', env=[b'DEVICE=tty\xffS4'])
    site.process(956, ['/usr/sbin/callback', '-S', 'N'], 'callback', env=[b'DEVICE=ttyS5=x'])
    (site.proc / '954' / 'stat').write_bytes(b'954 callback S\n')                      # its start unreadable
    site.mgetty(812)
    found = sorted(mr.Proc(str(site.proc)).callbacks(), key=lambda cb: cb['pid'])
    assert found == [
        dict(pid=950, lines=['ttyS9'], start=START, argv=['/usr/sbin/callback', '-l', 'ttyS9', 'N']),
        dict(pid=951, lines=['ttyS2'], start=START + 1, argv=['/usr/sbin/callback', '-S', 'N']),
        dict(pid=955, lines=[u'tty\udcffS4'], start=START, argv=['/usr/sbin/callback', '-S', 'N']),
        dict(pid=956, lines=['ttyS5=x'], start=START, argv=['/usr/sbin/callback', '-S', 'N'])]


def test_a_callback_whose_start_changes_while_it_is_read_is_left_out(site):
    site.process(950, ['/usr/sbin/callback', '-l', 'ttyS9', 'N'], 'callback', env=[])

    class Replaced(mr.Proc):
        def _read(self, pid, name):
            data = super(Replaced, self)._read(pid, name)
            if name == 'environ':
                (site.proc / '950' / 'stat').write_bytes(b'950 (callback) S 1 2 3 0 '
                                                         + b' '.join(b'1' for dummy in range(14))
                                                         + b' %d 5 6\n' % (START + 9))
            return data
    assert Replaced(str(site.proc)).callbacks() == []


def test_is_same_callback_reads_a_command_line_that_is_not_utf_8(site):
    site.process(950, [b'/usr/sbin/callback', b'-l', b'tty\xff', b'N'], 'callback', env=[])
    proc = mr.Proc(str(site.proc))
    chosen = [cb for cb in proc.callbacks() if cb['pid'] == 950][0]
    assert chosen['argv'] == ['/usr/sbin/callback', '-l', u'tty\udcff', 'N']
    assert proc.is_same_callback(chosen) is True


def test_is_same_callback(site):
    site.process(950, ['/usr/sbin/callback', '-l', 'ttyS9', 'N'], 'callback', env=[])
    proc = mr.Proc(str(site.proc))
    chosen = dict(pid=950, lines=['ttyS9'], start=START, argv=['/usr/sbin/callback', '-l', 'ttyS9', 'N'])
    assert proc.is_same_callback(chosen) is True
    assert proc.is_same_callback(dict(chosen, start=START + 1)) is False
    assert proc.is_same_callback(dict(chosen, argv=['/usr/sbin/callback'])) is False
    (site.proc / '950' / 'comm').write_bytes(b'sleep\n')
    assert proc.is_same_callback(chosen) is False
    (site.proc / '950' / 'comm').write_bytes(b'callback\n')
    (site.proc / '950' / 'stat').write_bytes(b'950 (callback) Z 1\n')
    assert proc.is_same_callback(chosen) is False
    site.gone(950)
    assert proc.is_same_callback(chosen) is False


# ---------------------------------------------------------------- LineRestart.run


def test_an_idle_mgetty_gets_sigusr2_and_its_pid_file_goes(site):
    site.mgetty(812)
    r, module = site.restart()
    assert r.run('ttyS1') == ('restarted', 'mgetty PID 812 was idle and exited on SIGUSR2', 812)
    assert site.signals() == [(812, signal.SIGUSR2)]
    assert site.listing('lock') == [] and site.listing('run') == []
    assert r.removed_pid_files == [str(site.top / 'run' / 'mgetty.pid.ttyS1')]
    assert site.clock.sleeps == [] and module.warnings == []


def test_check_mode_names_the_idle_mgetty_and_signals_nothing(site):
    site.mgetty(812)
    r, module = site.restart(check_mode=True)
    assert r.run('ttyS1') == ('restarted', 'mgetty PID 812 is idle', 812)
    assert site.signals() == [] and site.listing('lock') == [] and site.listing('run') == ['mgetty.pid.ttyS1']
    assert r.removed_pid_files == []


def test_an_mgetty_that_ignores_sigusr2_is_deferred_after_the_exit_timeout(site):
    site.mgetty(812, ends_on=())
    r, module = site.restart(exit_timeout=2)
    assert r.run('ttyS1') == ('deferred', 'mgetty PID 812 ignored SIGUSR2 (it is off-hook)', 812)
    assert set(site.clock.sleeps) == set([0.05]) and 2 - 1e-6 <= sum(site.clock.sleeps) < 2.1 + 1e-6
    assert site.signals() == [(812, signal.SIGUSR2)]
    assert site.listing('lock') == [] and site.listing('run') == ['mgetty.pid.ttyS1']
    assert r.removed_pid_files == []


def test_an_mgetty_that_exits_a_moment_after_the_signal(site):
    site.mgetty(812, ends_on=())
    site.clock.then(3, lambda: site.gone(812))
    r, module = site.restart(exit_timeout=2)
    assert r.run('ttyS1') == ('restarted', 'mgetty PID 812 was idle and exited on SIGUSR2', 812)
    assert site.clock.sleeps == [0.05, 0.05, 0.05]


def test_an_mgetty_that_ends_before_the_signal(site):
    site.mgetty(812)
    site.on_open[812] = lambda: site.gone(812)
    r, module = site.restart()
    assert r.run('ttyS1') == ('current', 'mgetty PID 812 ended before the signal: the next one reads the '
                              'configuration when it starts', None)
    assert site.signals() == [] and site.listing('lock') == []
    assert site.listing('run') == ['mgetty.pid.ttyS1']


def test_no_mgetty_on_the_line(site):
    r, module = site.restart()
    assert r.run('ttyS1') == ('current', 'no mgetty runs on it: the next one reads the configuration when it starts',
                              None)
    assert site.listing('lock') == [] and r.removed_pid_files == []


@pytest.mark.parametrize('check_mode', [False, True])
def test_a_pid_file_of_a_process_that_is_no_mgetty_of_the_line(site, check_mode):
    site.process(812, ['/bin/sleep', '30'], 'sleep')
    (site.top / 'run' / 'mgetty.pid.ttyS1').write_text(u'812\n')
    (site.top / 'run' / 'mgetty.pid.ttyS2').write_text(u'812\n')
    r, module = site.restart(check_mode=check_mode)
    assert r.run('ttyS1')[0] == 'current'
    assert r.removed_pid_files == [str(site.top / 'run' / 'mgetty.pid.ttyS1')]
    assert site.listing('run') == (['mgetty.pid.ttyS1', 'mgetty.pid.ttyS2'] if check_mode else ['mgetty.pid.ttyS2'])
    assert site.signals() == []


def test_check_mode_keeps_a_pid_file_rewritten_by_the_next_mgetty(site):
    r, module = site.restart(check_mode=True)
    (site.top / 'run' / 'mgetty.pid.ttyS1').write_text(u'813\n')
    r.remove_stale_pid_file(str(site.top / 'run' / 'mgetty.pid.ttyS1'), 812)
    assert r.removed_pid_files == []
    r, module = site.restart()
    r.remove_stale_pid_file(str(site.top / 'run' / 'mgetty.pid.ttyS1'), 812)
    assert r.removed_pid_files == [] and site.listing('run') == ['mgetty.pid.ttyS1']


@pytest.mark.parametrize('changed, outcome', [
    (BTIME + 49.99, ('current', 'mgetty PID 812 started after the configuration changed', 812)),
    (BTIME + 50, ('restarted', 'mgetty PID 812 was idle and exited on SIGUSR2', 812)),
    (BTIME + 60, ('restarted', 'mgetty PID 812 was idle and exited on SIGUSR2', 812)),
])
def test_an_mgetty_that_started_after_the_newest_configuration_is_current(site, changed, outcome):
    site.mgetty(812)
    configs = []
    for name, when in (('mgetty.config', changed), ('login.config', changed - 100)):
        (site.top / name).write_text(u'x\n')
        os.utime(str(site.top / name), (when, when))
        configs.append(str(site.top / name))
    r, module = site.restart(configs=configs + [str(site.top / 'none')])
    assert r.run('ttyS1') == outcome


def test_settling_waits_for_the_settle_timeout(site):
    site.mgetty(812)
    lock = site.lock(812)
    r, module = site.restart(settle_timeout=2)
    assert r.run('ttyS1') == ('deferred', SETTLING, 812)
    assert set(site.clock.sleeps) == set([0.5]) and 2 - 1e-6 <= sum(site.clock.sleeps) <= 2.5 + 1e-6
    assert lock.read_bytes() == uucp_lock.lock_contents(812) and site.signals() == []


@pytest.mark.parametrize('check_mode', [False, True])
def test_a_line_that_settles_within_the_timeout_is_restarted(site, check_mode):
    site.mgetty(812)
    lock = site.lock(812)
    site.clock.then(2, lock.unlink)
    r, module = site.restart(check_mode=check_mode, settle_timeout=10)
    assert r.run('ttyS1') == (('restarted', 'mgetty PID 812 is idle', 812) if check_mode else
                              ('restarted', 'mgetty PID 812 was idle and exited on SIGUSR2', 812))
    assert site.clock.sleeps == [0.5, 0.5]


@pytest.mark.parametrize('check_mode', [False, True])
def test_a_caller_at_the_login_prompt_defers_at_once(site, check_mode):
    site.mgetty(812)
    lock = site.lock(812)
    site.utmp((mr.LOGIN_PROCESS, 812, 'ttyS1', 'LOGIN'), (mr.LOGIN_PROCESS, 0, 'ttyS1', 'LOGIN'))
    r, module = site.restart(check_mode=check_mode)
    assert r.run('ttyS1') == ('deferred', "a caller is at mgetty's login prompt (mgetty PID 812)", 812)
    assert site.clock.sleeps == [] and lock.read_bytes() == uucp_lock.lock_contents(812)


def test_utmp_records_of_ended_processes_are_left_out(site):
    site.mgetty(812)
    site.lock(812)
    site.process(1, ['/sbin/init'], 'systemd')
    site.utmp((mr.LOGIN_PROCESS, 812, 'ttyS1', 'LOGIN'), (mr.USER_PROCESS, 999, 'ttyS1', 'x'),
              (mr.USER_PROCESS, 0, 'ttyS1', 'y'), (mr.USER_PROCESS, -5, 'ttyS1', 'z'), (1, 1, '~', 'runlevel'))
    r, module = site.restart()
    assert r.utmp() == [dict(type=mr.LOGIN_PROCESS, pid=812, line='ttyS1', user='LOGIN'),
                        dict(type=1, pid=1, line='~', user='runlevel')]
    site.utmp()
    assert r.utmp() == []
    (site.top / 'utmp').unlink()
    assert r.utmp() == []


@pytest.mark.parametrize('check_mode', [False, True])
def test_a_session_on_the_line_defers_at_once(site, check_mode):
    site.mgetty(812)
    site.process(900, ['/usr/sbin/pppd', 'ttyS1'], 'pppd', fds=['/dev/null'])
    lock = site.lock(900)
    site.utmp((mr.USER_PROCESS, 900, 'ttyS1', 'pppuser'))
    r, module = site.restart(check_mode=check_mode)
    assert r.run('ttyS1') == ('deferred', 'a session of pppuser is on it (pppd PID 900)', 900)
    assert site.clock.sleeps == [] and site.signals() == []
    assert lock.read_bytes() == uucp_lock.lock_contents(900)


@pytest.mark.parametrize('check_mode', [False, True])
def test_a_lock_without_a_pid_defers_at_once(site, check_mode):
    site.mgetty(812)
    lock = site.lock(b'garbage\n')
    r, module = site.restart(check_mode=check_mode)
    assert r.run('ttyS1') == ('deferred', NO_PID, None)
    assert site.clock.sleeps == [] and lock.read_bytes() == b'garbage\n'


@pytest.mark.parametrize('check_mode', [False, True])
def test_a_pending_callback_defers_at_once(site, check_mode):
    site.mgetty(812)
    site.process(950, ['/usr/sbin/callback', '-l', 'ttyS1', 'N'], 'callback', env=[])
    r, module = site.restart(check_mode=check_mode)
    assert r.run('ttyS1') == ('deferred', 'a callback is pending on it (callback PID 950 waits to dial out)', 950)
    assert site.listing('lock') == [] and site.signals() == []


@pytest.mark.parametrize('uid, user', [(NOBODY, 'nobody'), (UNKNOWN_UID, str(UNKNOWN_UID)), (None, 'unknown')])
def test_a_foreign_lock_fails_the_line_after_its_timeout(site, uid, user):
    site.mgetty(812)
    site.process(901, ['/bin/sleep', '30'], 'sleep', uid=uid)
    lock = site.lock(901)
    r, module = site.restart(foreign_lock_timeout=3)
    assert r.run('ttyS1') == ('foreign', '%s is held by PID 901 (sleep, user %s), not by mgetty, callback, login or '
                              'pppd on ttyS1, for 3 s (foreign_lock_timeout): mgetty cannot answer calls on the line '
                              'while it stays; end that process or remove the lock file' % (lock, user), 901)
    assert set(site.clock.sleeps) == set([0.5]) and 3 - 1e-6 <= sum(site.clock.sleeps) <= 3.5 + 1e-6
    assert site.signals() == [] and lock.read_bytes() == uucp_lock.lock_contents(901)


def test_a_lock_holder_whose_command_line_is_an_mgetty_of_the_line_is_no_foreign_one(site):
    """Its name (comm, set with prctl) tells a call in progress; its command line, that of the
    line's mgetty, makes it the line's own: deferred at once, not waited for as a foreign lock."""
    site.mgetty(812)
    site.process(900, ['/sbin/mgetty', 'ttyS1'], 'login')
    site.lock(900)
    r, module = site.restart(foreign_lock_timeout=30)
    assert r.run('ttyS1') == ('deferred', 'a call is in progress (login PID 900 holds the line)', 900)
    assert site.clock.sleeps == []


def test_a_foreign_lock_of_an_unknown_program(site):
    site.mgetty(812)
    site.process(901, ['/bin/sleep', '30'], '', uid=NOBODY)
    lock = site.lock(901)
    r, module = site.restart(foreign_lock_timeout=0)
    assert r.run('ttyS1')[1].startswith('%s is held by PID 901 (unknown program, user nobody), not by' % lock)


def test_a_foreign_lock_that_goes_lets_the_idle_mgetty_restart(site):
    site.mgetty(812)
    site.process(901, ['/bin/sleep', '30'], 'sleep')
    lock = site.lock(901)
    site.clock.then(2, lambda: site.gone(901))
    r, module = site.restart(foreign_lock_timeout=30, settle_timeout=0)
    assert r.run('ttyS1') == ('restarted', 'mgetty PID 812 was idle and exited on SIGUSR2', 812)
    assert site.clock.sleeps == [0.5, 0.5]
    assert module.warnings == ['removed the stale lock file %s of ttyS1 (PID 901 is gone)' % lock]
    assert site.listing('lock') == []


def test_a_foreign_lock_found_again_after_a_settling_line_keeps_its_own_deadline(site):
    """The foreign lock's timeout starts when it is first seen; the settle timeout is the line's."""
    site.mgetty(812)
    lock = site.lock(812)
    site.process(901, ['/bin/sleep', '30'], 'sleep', uid=NOBODY)
    site.clock.then(2, lambda: lock.write_bytes(uucp_lock.lock_contents(901)))
    r, module = site.restart(foreign_lock_timeout=2, settle_timeout=100)
    outcome = r.run('ttyS1')
    assert outcome[0] == 'foreign' and outcome[2] == 901, outcome
    assert site.clock.sleeps == [0.5] * 7


def test_a_lock_in_this_process_s_own_name_that_it_did_not_take_is_left(site):
    """The lock is released only when this run took it: a lock file naming this process, found
    taken (as another run in the same process could leave it), is a holder's like any other."""
    site.mgetty(812)
    site.process(os.getpid(), ['/usr/bin/python3'], 'python3', uid=NOBODY)
    lock = site.lock(os.getpid())
    r, module = site.restart(foreign_lock_timeout=0)
    outcome = r.run('ttyS1')
    assert outcome[0] == 'foreign' and outcome[2] == os.getpid(), outcome
    assert lock.read_bytes() == uucp_lock.lock_contents(os.getpid())
    assert site.signals() == []


def test_holder_in_check_mode(site):
    r, module = site.restart(check_mode=True)
    path = str(site.top / 'lock' / 'LCK..ttyS1')
    assert r.holder(path) is None
    site.lock(999)
    assert r.holder(path) is None
    site.lock(b'\n')
    assert r.holder(path) == dict(pid=0, comm=None)
    site.process(901, ['/bin/sleep', '30'], 'sleep')
    site.lock(901)
    assert r.holder(path) == dict(pid=901, comm='sleep')
    with pytest.raises(OSError) as raised:
        r.holder(str(site.top / 'lock' / 'LCK..ttyS1' / 'x'))
    assert raised.value.errno == errno.ENOTDIR


# ---------------------------------------------------------------- stop_callbacks


def listed_in_order(monkeypatch, site, order):
    """os.listdir of the laid-out /proc gives the PIDs in this order."""
    listdir = os.listdir
    monkeypatch.setattr(os, 'listdir', lambda d: list(order) if d == str(site.proc) else listdir(d))


def test_stop_callbacks_ends_those_of_removed_lines_only(site, monkeypatch):
    site.process(950, ['/usr/sbin/callback', '-l', 'ttyS9:ttyS8', 'N'], 'callback', env=[], ends_on=[signal.SIGTERM])
    site.process(951, ['/usr/sbin/callback', '-l', 'ttyS9:ttyS1', 'N'], 'callback', env=[], ends_on=[signal.SIGTERM])
    site.process(952, ['/usr/sbin/callback', 'N'], 'callback', env=[], ends_on=[signal.SIGTERM])
    site.process(953, ['/usr/sbin/callback', '-l', 'ttyS8', 'N'], 'callback', env=[], ends_on=[signal.SIGTERM])
    module = FakeModule(site.params(removed_ports=['ttyS9', 'ttyS8']))
    listed_in_order(monkeypatch, site, ['951', '952', '950', 'stat', '953'])
    stopped = mr.stop_callbacks(module, mr.Proc(str(site.proc)), ['ttyS9', 'ttyS8'])
    assert sorted(stopped, key=lambda cb: cb['pid']) == [
        dict(pid=950, lines=['ttyS8', 'ttyS9']), dict(pid=953, lines=['ttyS8'])]
    assert sorted(site.signals()) == [(950, signal.SIGTERM), (953, signal.SIGTERM)]
    assert site.clock.sleeps == []


def test_stop_callbacks_in_check_mode_signals_nothing(site):
    site.process(950, ['/usr/sbin/callback', '-l', 'ttyS9', 'N'], 'callback', env=[])
    module = FakeModule(site.params(removed_ports=['ttyS9']), check_mode=True)
    assert mr.stop_callbacks(module, mr.Proc(str(site.proc)), ['ttyS9']) == [dict(pid=950, lines=['ttyS9'])]
    assert site.signals() == []
    assert mr.stop_callbacks(module, mr.Proc(str(site.proc)), []) == []


def test_a_callback_that_ignores_sigterm_gets_sigkill_after_the_exit_timeout(site):
    site.process(950, ['/usr/sbin/callback', '-l', 'ttyS9', 'N'], 'callback', env=[], ends_on=[signal.SIGKILL])
    module = FakeModule(site.params(exit_timeout=2))
    assert mr.stop_callbacks(module, mr.Proc(str(site.proc)), ['ttyS9']) == [dict(pid=950, lines=['ttyS9'])]
    assert site.signals() == [(950, signal.SIGTERM), (950, signal.SIGKILL)]
    assert set(site.clock.sleeps) == set([0.05]) and 2 - 1e-6 <= sum(site.clock.sleeps) < 2.1 + 1e-6


def test_a_callback_that_ends_a_moment_after_sigterm(site):
    site.process(950, ['/usr/sbin/callback', '-l', 'ttyS9', 'N'], 'callback', env=[])
    site.clock.then(2, lambda: site.gone(950))
    module = FakeModule(site.params(exit_timeout=2))
    assert mr.stop_callbacks(module, mr.Proc(str(site.proc)), ['ttyS9']) == [dict(pid=950, lines=['ttyS9'])]
    assert site.signals() == [(950, signal.SIGTERM)] and site.clock.sleeps == [0.05, 0.05]


def test_a_callback_replaced_before_the_signal_is_not_stopped(site, monkeypatch):
    site.process(950, ['/usr/sbin/callback', '-l', 'ttyS9', 'N'], 'callback', env=[])
    site.on_open[950] = lambda: (site.proc / '950' / 'cmdline').write_bytes(b'/usr/sbin/callback\0other\0')
    site.process(951, ['/usr/sbin/callback', '-l', 'ttyS9', 'M'], 'callback', env=[], ends_on=[signal.SIGTERM])
    listed_in_order(monkeypatch, site, ['950', '951'])
    module = FakeModule(site.params())
    assert mr.stop_callbacks(module, mr.Proc(str(site.proc)), ['ttyS9']) == [dict(pid=951, lines=['ttyS9'])]
    assert site.signals() == [(951, signal.SIGTERM)]


def test_a_callback_gets_sigkill_once_the_exit_timeout_is_over(site):
    """With exit_timeout 0: one look after SIGTERM, then SIGKILL."""
    site.process(950, ['/usr/sbin/callback', '-l', 'ttyS9', 'N'], 'callback', env=[], ends_on=[signal.SIGKILL])
    module = FakeModule(site.params(exit_timeout=0))
    assert mr.stop_callbacks(module, mr.Proc(str(site.proc)), ['ttyS9']) == [dict(pid=950, lines=['ttyS9'])]
    assert site.signals() == [(950, signal.SIGTERM), (950, signal.SIGKILL)] and site.clock.sleeps == [0.05]


def test_timeouts_of_0_look_once_more_after_a_sleep(site):
    site.mgetty(812, ends_on=())
    r, module = site.restart(exit_timeout=0)
    assert r.run('ttyS1') == ('deferred', 'mgetty PID 812 ignored SIGUSR2 (it is off-hook)', 812)
    assert site.clock.sleeps == [0.05]
    site.clock.sleeps = []
    site.lock(812)
    r, module = site.restart(settle_timeout=0)
    assert r.run('ttyS1') == ('deferred', SETTLING, 812)
    assert site.clock.sleeps == [0.5]
    site.clock.sleeps = []
    site.process(901, ['/bin/sleep', '30'], 'sleep', uid=NOBODY)
    site.lock(901)
    r, module = site.restart(foreign_lock_timeout=0)
    assert r.run('ttyS1')[0] == 'foreign'
    assert site.clock.sleeps == [0.5]


# ---------------------------------------------------------------- the module


@pytest.fixture
def module_site(site, monkeypatch):
    """The module's Proc() reads the laid-out /proc."""
    real = mr.Proc
    monkeypatch.setattr(mr, 'Proc', lambda: real(str(site.proc)))
    return site


def module_args(site, **kw):
    return dict(dict(site.params(), settle_timeout=0, exit_timeout=1, foreign_lock_timeout=1), **kw)


def test_the_module_reports_each_line(run_module, module_site):
    site = module_site
    site.mgetty(812)
    site.mgetty(813, line='ttyS3')
    site.lock(813, line='ttyS3')
    site.utmp((mr.LOGIN_PROCESS, 813, 'ttyS3', 'LOGIN'))
    site.process(950, ['/usr/sbin/callback', '-l', 'ttyS9', 'N'], 'callback', env=[], ends_on=[signal.SIGTERM])
    res = run_module(mr.main, module_args(site, ports=['ttyS1', 'ttyS2', 'ttyS3'], removed_ports=['ttyS9']))
    assert 'failed' not in res, res
    assert dict((k, res[k]) for k in ('changed', 'restarted', 'current', 'deferred', 'removed_pid_files',
                                      'stopped_callbacks')) == dict(
        changed=True, restarted=['ttyS1'], current=['ttyS2'],
        deferred=[dict(port='ttyS3', reason="a caller is at mgetty's login prompt (mgetty PID 813)", pid=813)],
        removed_pid_files=[str(site.top / 'run' / 'mgetty.pid.ttyS1')],
        stopped_callbacks=[dict(pid=950, lines=['ttyS9'])])


@pytest.mark.parametrize('setup, changed', [('nothing', False), ('stale', True), ('callback', True),
                                            ('deferred', True), ('restarted', True)])
def test_the_module_changed_something(run_module, module_site, setup, changed):
    site = module_site
    if setup == 'stale':
        (site.top / 'run' / 'mgetty.pid.ttyS2').write_text(u'999\n')
    elif setup == 'callback':
        site.process(950, ['/usr/sbin/callback', '-l', 'ttyS9', 'N'], 'callback', env=[], ends_on=[signal.SIGTERM])
    elif setup == 'deferred':
        site.lock(b'\n')
        site.mgetty(812)
    elif setup == 'restarted':
        site.mgetty(812)
    res = run_module(mr.main, module_args(site, ports=['ttyS1', 'ttyS2'], removed_ports=['ttyS9']), check_mode=True)
    assert 'failed' not in res and res['changed'] is changed, res


def test_a_foreign_lock_fails_the_module_naming_each_line(run_module, module_site):
    site = module_site
    site.process(901, ['/bin/sleep', '30'], 'sleep', uid=NOBODY)
    one = site.lock(901)
    two = site.lock(901, line='ttyS2')
    res = run_module(mr.main, module_args(site, ports=['ttyS1', 'ttyS2'], foreign_lock_timeout=0))
    reason = ('%s is held by PID 901 (sleep, user nobody), not by mgetty, callback, login or pppd on %s, for 0 s '
              '(foreign_lock_timeout): mgetty cannot answer calls on the line while it stays; end that process or '
              'remove the lock file')
    assert res['failed'] is True, res
    assert res['msg'] == 'ttyS1: %s; ttyS2: %s' % (reason % (one, 'ttyS1'), reason % (two, 'ttyS2'))
    assert res['deferred'] == [dict(port='ttyS1', reason=reason % (one, 'ttyS1'), pid=901),
                               dict(port='ttyS2', reason=reason % (two, 'ttyS2'), pid=901)]
    assert res['changed'] is True


def test_an_error_on_a_line_fails_the_module_naming_it(run_module, module_site):
    site = module_site
    (site.top / 'run' / 'mgetty.pid.ttyS1').write_text(u'999\n')
    res = run_module(mr.main, module_args(site, lock_dir=str(site.top / 'nolock')))
    # uucp_lock's temporary file, made in the lock directory to be linked as the lock.
    assert res['failed'] is True and res['msg'].startswith("ttyS1: [Errno 2] No such file or directory: '%s/LCK.." % (
        site.top / 'nolock')), res
    assert res['removed_pid_files'] == [str(site.top / 'run' / 'mgetty.pid.ttyS1')]


def test_an_error_reading_the_callbacks_fails_the_module(run_module, module_site):
    site = module_site
    shutil.rmtree(str(site.proc))
    res = run_module(mr.main, module_args(site))
    assert res['failed'] is True and res['msg'] == "removed_ports: [Errno 2] No such file or directory: '%s'" % (
        site.proc), res
    assert dict((k, res[k]) for k in ('changed', 'restarted', 'deferred', 'current', 'removed_pid_files',
                                      'stopped_callbacks')) == dict(
        changed=False, restarted=[], deferred=[], current=[], removed_pid_files=[], stopped_callbacks=[])


@pytest.mark.parametrize('option, port', [('ports', '/dev/ttyS1'), ('ports', ''), ('ports', '.x'),
                                          ('removed_ports', 'a/b'), ('removed_ports', '..')])
def test_a_port_that_is_no_device_name_is_refused(run_module, module_site, option, port):
    site = module_site
    res = run_module(mr.main, module_args(site, **{option: ['ttyS1', port]}))
    assert res['failed'] is True and res['msg'] == (
        '%s: %r is not a device name without /dev/ (such as ttyS1)' % (option, port)), res
