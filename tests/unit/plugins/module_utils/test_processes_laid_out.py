# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""processes.py on a /proc laid out by the test (each field of stat, status, environ and the open
descriptors chosen), and signal_process with the kernel's calls replaced by recording functions:
no test here sends a signal."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import errno
import os
import signal

import pytest

from ansible_collections.dialin.callback.plugins.module_utils.processes import (
    Processes, lock_owner, session_leader_on, signal_process)

# ttyS1's device number (4, 65) as the kernel writes it in stat's tty_nr.
TTYS1_NR = (4 << 8) | 65
NULL_NR = (1 << 8) | 3  # /dev/null, (1, 3): a character device every host has


def stat_line(pid, comm='sleep', state='S', ppid=1, pgrp=2, session=3, tty_nr=0, start=4000):
    """A /proc/PID/stat line: each field after the command name its own value."""
    rest = [state, ppid, pgrp, session, tty_nr, 17, 4194560] + list(range(101, 113)) + [start, 3133440, 382]
    return ('%d (%s) ' % (pid, comm) + ' '.join(str(x) for x in rest) + '\n').encode()


def process(proc, pid, argv, stat=None, fds=(), env=None, status=None):
    """/proc/PID as the kernel shows it: argv (bytes or str words), stat (the line, or stat_line's
    fields as a dict), fds (link targets of fd/0, fd/1, ...), environ, status."""
    d = proc / str(pid)
    (d / 'fd').mkdir(parents=True)
    (d / 'cmdline').write_bytes(b''.join((a if isinstance(a, bytes) else a.encode()) + b'\0' for a in argv))
    if stat is not None:
        (d / 'stat').write_bytes(stat if isinstance(stat, bytes) else stat_line(pid, **stat))
    for n, target in enumerate(fds):
        os.symlink(target, str(d / 'fd' / str(n)))
    if env is not None:
        (d / 'environ').write_bytes(b'\0'.join(env) + b'\0')
    if status is not None:
        (d / 'status').write_bytes(status)
    return d


@pytest.fixture
def proc(tmp_path):
    d = tmp_path / 'proc'
    d.mkdir()
    (d / 'stat').write_bytes(b'cpu  1 2 3 4\nintr 5\nctxt 6\nbtime 1700000000\nprocesses 7\n')
    return d


# ---------------------------------------------------------------- the snapshot


def test_the_snapshot_holds_each_process_with_a_command_line(proc):
    process(proc, 812, ['/usr/sbin/pppd', 'ttyS1', '115200'])
    process(proc, 900, ['-bash'])  # a login shell: argv[0] starts with '-'
    process(proc, 901, ['/usr/bin/Xvfb', ':1'])
    process(proc, 77, [b'/usr/bin/odd\xffname', b'', b'x'])  # not UTF-8; an empty word
    process(proc, 2, [])  # a kernel thread: an empty command line
    (proc / '3').mkdir()  # gone between listdir and open: no cmdline
    (proc / 'self').mkdir()
    (proc / 'self' / 'cmdline').write_bytes(b'python\0')
    procs = Processes(str(proc))
    assert procs.proc_dir == str(proc)
    assert procs.procs == {
        812: {'argv': ['/usr/sbin/pppd', 'ttyS1', '115200'], 'name': 'pppd'},
        900: {'argv': ['-bash'], 'name': 'bash'},
        901: {'argv': ['/usr/bin/Xvfb', ':1'], 'name': 'Xvfb'},
        77: {'argv': [u'/usr/bin/odd\ufffdname', 'x'], 'name': u'odd\ufffdname'},
    }


def test_a_process_that_ends_while_the_list_is_read_is_left_out(proc, monkeypatch):
    """Its directory listed, its cmdline gone: the processes listed after it are still read."""
    process(proc, 812, ['/usr/sbin/pppd'])
    process(proc, 813, ['/usr/sbin/pppd'])
    (proc / '800').mkdir()
    listdir = os.listdir
    monkeypatch.setattr(os, 'listdir', lambda d: ['self', '800', '812', 'stat', '813'] if d == str(proc) else listdir(d))
    assert sorted(Processes(str(proc)).procs) == [812, 813]


def test_named_lists_the_pids_of_a_program_in_order(proc):
    for pid in (300, 4, 1000, 25):
        process(proc, pid, ['/usr/sbin/pppd'])
    process(proc, 7, ['/sbin/mgetty', 'ttyS1'])
    procs = Processes(str(proc))
    assert procs.named('pppd') == [4, 25, 300, 1000]
    assert procs.named('mgetty') == [7]
    assert procs.named('login') == []


def test_argv_is_read_again(proc):
    d = process(proc, 812, ['/usr/sbin/pppd', 'ttyS1'])
    procs = Processes(str(proc))
    (d / 'cmdline').write_bytes(b'pppd: ttyS1 [up]\0\0b\xff\0')
    assert procs.argv(812) == ['pppd: ttyS1 [up]', u'b\ufffd']
    assert procs.procs[812]['argv'] == ['/usr/sbin/pppd', 'ttyS1']
    assert procs.argv(813) is None


# ---------------------------------------------------------------- stat


def test_the_fields_of_stat_follow_the_last_parenthesis(proc):
    # A command name may hold ") " and digits: only the last ')' ends it.
    process(proc, 812, ['x'], stat=stat_line(812, comm='a) R 5 6 7 8 9 (b', state='S', ppid=40, session=812,
                                             tty_nr=TTYS1_NR, start=123456))
    procs = Processes(str(proc))
    assert procs.ppid(812) == 40
    assert procs.start_ticks(812) == 123456
    assert procs.controlling_tty(812) == (4, 65)
    assert procs.running(812) is True


@pytest.mark.parametrize('major, minor', [(4, 65), (136, 300), (0xabc, 0x12345), (0xabc, 0x12344), (16, 256), (1, 3)])
def test_the_controlling_terminal_decoded_from_tty_nr(proc, major, minor):
    tty_nr = (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12)
    process(proc, 812, ['x'], stat=dict(tty_nr=tty_nr))
    assert Processes(str(proc)).controlling_tty(812) == (major, minor)


@pytest.mark.parametrize('stat', [
    stat_line(812, tty_nr=0),             # no controlling terminal
    stat_line(812, tty_nr='x'),           # not a number
    b'812 (sleep) S 1 2 3\n',             # too short
    b'812 sleep S 1 2 3 1089 5\n',        # no command name in parentheses
    None,                                 # gone
])
def test_no_controlling_terminal(proc, stat):
    process(proc, 812, ['x'], stat=stat)
    assert Processes(str(proc)).controlling_tty(812) is None


@pytest.mark.parametrize('stat', [b'812 (sleep) S\n', b'812 (sleep) S x 2\n', b'812 sleep S 5 2\n', None])
def test_no_parent_when_stat_lacks_it_or_the_process_is_gone(proc, stat):
    process(proc, 812, ['x'], stat=stat)
    assert Processes(str(proc)).ppid(812) is None


@pytest.mark.parametrize('stat', [b'812 (sleep) S 1 2 3\n', stat_line(812, start='x'), None])
def test_no_start_when_stat_lacks_it_or_the_process_is_gone(proc, stat):
    process(proc, 812, ['x'], stat=stat)
    procs = Processes(str(proc))
    assert procs.start_ticks(812) is None
    assert procs.start_time(812) is None


@pytest.mark.parametrize('state, running', [('S', True), ('R', True), ('D', True), ('T', True),
                                            ('Z', False), ('X', False)])
def test_running_is_false_for_a_zombie_or_a_dead_process(proc, state, running):
    process(proc, 812, ['x'], stat=dict(state=state))
    assert Processes(str(proc)).running(812) is running


def test_a_process_without_stat_is_not_running(proc):
    process(proc, 812, ['x'])
    assert Processes(str(proc)).running(812) is False
    assert Processes(str(proc)).running(999) is False


def test_start_time_is_the_boot_time_plus_the_ticks(proc):
    process(proc, 812, ['x'], stat=dict(start=12345))
    process(proc, 813, ['x'], stat=dict(start=0))
    procs = Processes(str(proc))
    hz = os.sysconf('SC_CLK_TCK')
    assert procs.start_time(812) == 1700000000 + 12345.0 / hz
    assert procs.start_time(813) == 1700000000.0
    # The boot time is read once.
    (proc / 'stat').write_bytes(b'btime 1800000000\n')
    assert procs.start_time(812) == 1700000000 + 12345.0 / hz
    assert Processes(str(proc)).start_time(812) == 1800000000 + 12345.0 / hz


@pytest.mark.parametrize('host_stat', [b'cpu 1 2\nintr 5\n', b'btime\n', b'btime soon\n', None])
def test_no_start_time_without_the_boot_time(proc, host_stat):
    if host_stat is None:
        (proc / 'stat').unlink()
    else:
        (proc / 'stat').write_bytes(host_stat)
    process(proc, 812, ['x'], stat=dict(start=12345))
    procs = Processes(str(proc))
    assert procs.start_time(812) is None
    assert procs.start_ticks(812) == 12345


def test_a_boot_time_line_is_told_by_its_whole_name(proc):
    (proc / 'stat').write_bytes(b'btimex 5\nbtime 1700000000\n')
    process(proc, 812, ['x'], stat=dict(start=0))
    assert Processes(str(proc)).start_time(812) == 1700000000.0


# ---------------------------------------------------------------- status and environ


@pytest.mark.parametrize('status, uid', [
    (b'Name:\tpppd\nUmask:\t0022\nUid:\t1000\t0\t0\t0\nGid:\t1000\t1000\t1000\t1000\n', 1000),
    (b'Name:\tsleep\nUid:\t0\t1001\t1001\t1001\n', 0),
    (b'Name:\tsleep\nXUid:\t5\t5\t5\t5\nUid:\t7\t7\t7\t7\n', 7),
    (b'Name:\tsleep\n', None),
    (b'Uid:\n', None),
    (b'Uid:\tabc\t0\t0\t0\n', None),
    (None, None),
])
def test_the_real_user_id_from_status(proc, status, uid):
    process(proc, 812, ['x'], status=status)
    assert Processes(str(proc)).real_uid(812) == uid


def test_environ_is_read_as_a_dict(proc):
    process(proc, 160, ['callback'], env=[b'DEVICE=ttyS1', b'A=b=c', b'EMPTY=', b'NOVALUE', b'', b'K\xff=v\xfe'])
    procs = Processes(str(proc))
    assert procs.environ(160) == {'DEVICE': 'ttyS1', 'A': 'b=c', 'EMPTY': '', u'K\ufffd': u'v\ufffd'}
    assert procs.environ(161) == {}


# ---------------------------------------------------------------- the line


def test_a_line_that_is_the_controlling_terminal(proc):
    # Its descriptors are unreadable (no fd directory): the controlling terminal decides.
    process(proc, 812, ['x'], stat=dict(tty_nr=NULL_NR))
    (proc / '812' / 'fd').rmdir()
    process(proc, 813, ['x'], stat=dict(tty_nr=(1 << 8) | 5))
    (proc / '813' / 'fd').rmdir()
    procs = Processes(str(proc))
    assert procs.uses_line(812, '/dev/null') is True
    assert procs.uses_line(813, '/dev/null') is False


def test_a_line_open_by_its_path(proc, tmp_path):
    # The path need not exist (no device number to compare): the link's text decides.
    process(proc, 812, ['x'], stat=dict(), fds=['/dev/pts/0', str(tmp_path / 'gone' / 'ttyS1')])
    procs = Processes(str(proc))
    assert procs.uses_line(812, str(tmp_path / 'gone' / 'ttyS1')) is True
    assert procs.uses_line(812, str(tmp_path / 'gone' / 'ttyS2')) is False


def test_a_line_open_through_another_name_of_its_device(proc, tmp_path):
    modem = tmp_path / 'modem'
    os.symlink('/dev/null', str(modem))
    process(proc, 812, ['x'], stat=dict(), fds=[str(tmp_path / 'dangling'), '/dev/null'])
    process(proc, 813, ['x'], stat=dict(), fds=['/dev/zero'])  # another character device
    regular = tmp_path / 'regular'
    regular.write_text(u'x')
    process(proc, 814, ['x'], stat=dict(), fds=[str(regular)])
    procs = Processes(str(proc))
    assert procs.uses_line(812, str(modem)) is True
    assert procs.uses_line(813, str(modem)) is False
    assert procs.uses_line(814, str(modem)) is False
    # A regular file is no device: only its own path names it.
    assert procs.uses_line(814, str(regular)) is True
    assert procs.uses_line(812, str(regular)) is False


def test_a_process_without_descriptors_or_terminal_has_no_line(proc):
    process(proc, 812, ['x'], stat=dict())
    (proc / '812' / 'fd').rmdir()
    process(proc, 813, ['x'], stat=dict(), fds=['/dev/zero'])
    procs = Processes(str(proc))
    assert procs.uses_line(812, '/dev/null') is False
    assert procs.uses_line(813, '/dev/null') is False
    assert procs.uses_line(999, '/dev/null') is False


def test_a_regular_file_has_no_device_number(proc, tmp_path):
    """Not even (0, 0), which a tty_nr of only high bits decodes to."""
    regular = tmp_path / 'regular'
    regular.write_text(u'x')
    process(proc, 812, ['x'], stat=dict(tty_nr=1 << 32))
    (proc / '812' / 'fd').rmdir()
    procs = Processes(str(proc))
    assert procs.controlling_tty(812) == (0, 0)
    assert procs.uses_line(812, str(regular)) is False


def test_the_device_number_of_a_line_is_read_once(proc, tmp_path):
    modem = tmp_path / 'modem'
    os.symlink('/dev/null', str(modem))
    process(proc, 812, ['x'], stat=dict(tty_nr=NULL_NR))
    (proc / '812' / 'fd').rmdir()
    procs = Processes(str(proc))
    assert procs.uses_line(812, str(modem)) is True
    modem.unlink()
    os.symlink('/dev/zero', str(modem))
    assert procs.uses_line(812, str(modem)) is True
    assert Processes(str(proc)).uses_line(812, str(modem)) is False


# ---------------------------------------------------------------- session_leader_on


@pytest.mark.parametrize('stat, leads', [
    (stat_line(812, session=812, tty_nr=NULL_NR), True),
    (stat_line(812, comm='a) S 1 2 812', session=812, tty_nr=NULL_NR), True),
    (stat_line(812, session=811, pgrp=812, tty_nr=NULL_NR), False),   # not the session's leader
    (stat_line(812, session=812, tty_nr=(1 << 8) | 5), False),         # leads a session on another line
    (b'812 (sh) S 1 812\n', False),
    (b'812 (sh) S 1 812 x\n', False),
    (b'812 sh S 1 812 812\n', False),
    (None, False),
])
def test_session_leader_on(proc, stat, leads):
    process(proc, 812, ['/bin/sh'], stat=stat)
    (proc / '812' / 'fd').rmdir()
    assert session_leader_on(Processes(str(proc)), 812, '/dev/null') is leads


# ---------------------------------------------------------------- lock_owner


@pytest.mark.parametrize('argv, dev, owner', [
    (['/usr/sbin/mgetty', 'ttyS1'], None, True),
    (['/usr/sbin/mgetty', '/dev/ttyS1'], None, True),
    (['/usr/sbin/mgetty', '-s', '38400', 'ttyS1'], '/srv/dev/ttyS1', True),
    (['/usr/sbin/mgetty', '/dev/ttyS1'], '/srv/dev/ttyS1', True),
    (['/usr/sbin/mgetty', '/srv/dev/ttyS1'], '/srv/dev/ttyS1', True),
    (['/usr/sbin/mgetty', '/srv/dev/ttyS1'], None, False),
    (['/usr/sbin/mgetty', 'ttyS2'], None, False),
    (['/usr/sbin/mgetty', 'ttyS1', 'x'], None, False),
])
def test_an_mgetty_owns_the_lock_of_the_line_it_serves(proc, argv, dev, owner):
    process(proc, 812, argv, stat=dict())
    assert lock_owner(Processes(str(proc)), 812, 'ttyS1', dev=dev) is owner


@pytest.mark.parametrize('device, dev, owner', [
    (b'ttyS1', None, True),
    (b'/dev/ttyS1', None, True),
    (b'/dev/ttyS1', '/srv/dev/ttyS1', True),
    (b'/srv/dev/ttyS1', '/srv/dev/ttyS1', True),
    (b'ttyS1', '/srv/dev/ttyS1', True),
    (b'/srv/dev/ttyS1', None, False),
    (b'ttyS2', None, False),
    (None, None, False),
])
def test_a_callback_owns_the_lock_of_the_line_it_was_called_on(proc, device, dev, owner):
    process(proc, 160, ['/usr/sbin/callback', '-S', '5550199'], stat=dict(),
            env=[b'HOME=/'] + ([b'DEVICE=' + device] if device else []))
    assert lock_owner(Processes(str(proc)), 160, 'ttyS1', dev=dev) is owner


def test_a_callback_owns_the_lock_of_the_line_it_has_open(proc, tmp_path):
    modem = tmp_path / 'ttyS1'
    os.symlink('/dev/null', str(modem))
    process(proc, 160, ['/usr/sbin/callback', '-l', 'ttyS1', '5550199'], stat=dict(), fds=['/dev/null'],
            env=[b'DEVICE=ttyS2'])
    process(proc, 161, ['/usr/sbin/callback', '-l', 'ttyS1', '5550199'], stat=dict(), fds=['/dev/zero'],
            env=[b'DEVICE=ttyS2'])
    procs = Processes(str(proc))
    assert lock_owner(procs, 160, 'ttyS1', dev=str(modem)) is True
    assert lock_owner(procs, 161, 'ttyS1', dev=str(modem)) is False


def test_the_program_is_the_title_s_first_word_split_at_a_blank(proc):
    """A title "pppd\tx" is no pppd (only a blank separates words in login's title): it owns the line's
    lock only as the session leader on it, which it is not."""
    process(proc, 812, ['pppd\tx'], stat=dict(), fds=['/dev/ttyS1'])
    process(proc, 813, ['login -- pppuser'], stat=dict(), fds=['/dev/ttyS1'])
    procs = Processes(str(proc))
    assert lock_owner(procs, 812, 'ttyS1') is False
    assert lock_owner(procs, 813, 'ttyS1') is True


@pytest.mark.parametrize('argv', [['/usr/sbin/pppd', 'ttyS1'], ['/bin/login', '--', 'pppuser'],
                                  ['login -- pppuser']])
def test_login_or_pppd_owns_the_lock_of_the_line_it_or_its_child_has_open(proc, tmp_path, argv):
    modem = tmp_path / 'ttyS1'
    os.symlink('/dev/null', str(modem))
    # On the line itself (not a session leader: session 3).
    process(proc, 812, argv, stat=dict(), fds=['/dev/null'])
    # Gave up the terminal; its child (the session) has the line.
    process(proc, 813, argv, stat=dict())
    process(proc, 900, ['-bash'], stat=dict(ppid=813), fds=['/dev/null'])
    # Neither it nor a child of its on the line; another process's child on the line.
    process(proc, 814, argv, stat=dict(), fds=['/dev/zero'])
    process(proc, 901, ['-bash'], stat=dict(ppid=815), fds=['/dev/null'])
    process(proc, 902, ['-bash'], stat=dict(ppid=814), fds=['/dev/zero'])
    procs = Processes(str(proc))
    assert lock_owner(procs, 812, 'ttyS1', dev=str(modem)) is True
    assert lock_owner(procs, 813, 'ttyS1', dev=str(modem)) is True
    assert lock_owner(procs, 814, 'ttyS1', dev=str(modem)) is False


def test_the_line_is_dev_and_its_name_by_default(proc):
    process(proc, 812, ['/usr/sbin/pppd'], stat=dict(), fds=['/dev/ttyS1'])
    process(proc, 813, ['/usr/sbin/pppd'], stat=dict(), fds=['/dev/ttyS2'])
    procs = Processes(str(proc))
    assert lock_owner(procs, 812, 'ttyS1') is True
    assert lock_owner(procs, 813, 'ttyS1') is False


def test_another_program_owns_the_lock_as_the_session_leader_on_the_line(proc, tmp_path):
    """What login.config runs in mgetty's place keeps its PID: it leads the session on the line."""
    modem = tmp_path / 'ttyS1'
    os.symlink('/dev/null', str(modem))
    process(proc, 812, ['/usr/local/sbin/gate'], stat=dict(session=812, tty_nr=NULL_NR))
    process(proc, 813, ['/usr/bin/sleep', '30'], stat=dict(session=3), fds=['/dev/null'])
    process(proc, 814, ['/usr/bin/sleep', '30'], stat=dict(session=814))
    procs = Processes(str(proc))
    assert lock_owner(procs, 812, 'ttyS1', dev=str(modem)) is True
    assert lock_owner(procs, 813, 'ttyS1', dev=str(modem)) is False
    assert lock_owner(procs, 814, 'ttyS1', dev=str(modem)) is False
    assert lock_owner(procs, 815, 'ttyS1', dev=str(modem)) is False  # not in the snapshot


# ---------------------------------------------------------------- signal_process, with recording functions


class Kernel(object):
    """os.pidfd_open, signal.pidfd_send_signal and os.kill replaced: each call recorded (a signal
    through a pidfd as the PID the pidfd was opened for), none reaches a process. A pidfd is a real
    descriptor (of /dev/null) so that its closing is seen. on_open(pid) and on_signal(pid, signum)
    play the process's part: a process that ends or is replaced at that moment."""

    def __init__(self, monkeypatch, open_error=None, send_error=None, pidfds=True, on_open=None, on_signal=None):
        self.calls = []
        self.fds = []
        self.pid_of = {}
        self.open_error, self.send_error = open_error, send_error
        self.on_open, self.on_signal = on_open, on_signal
        if pidfds:
            monkeypatch.setattr(os, 'pidfd_open', self.pidfd_open, raising=False)
        else:
            monkeypatch.delattr(os, 'pidfd_open', raising=False)
        monkeypatch.setattr(signal, 'pidfd_send_signal', self.pidfd_send_signal, raising=False)
        monkeypatch.setattr(os, 'kill', self.kill)

    def pidfd_open(self, pid, *flags):
        self.calls.append(('pidfd_open', pid) + flags)
        if self.open_error is not None:
            raise OSError(self.open_error, os.strerror(self.open_error))
        fd = os.open(os.devnull, os.O_RDONLY)
        self.fds.append(fd)
        self.pid_of[fd] = pid
        if self.on_open:
            self.on_open(pid)
        return fd

    def pidfd_send_signal(self, fd, signum, *rest):
        self.calls.append(('pidfd_send_signal', self.pid_of[fd], signum) + rest)
        self._deliver(self.pid_of[fd], signum)

    def kill(self, pid, signum):
        self.calls.append(('kill', pid, signum))
        self._deliver(pid, signum)

    def _deliver(self, pid, signum):
        if self.send_error is not None:
            raise OSError(self.send_error, os.strerror(self.send_error))
        if self.on_signal:
            self.on_signal(pid, signum)

    def signals(self):
        """(pid, signal) of each signal sent."""
        return [c[1:3] for c in self.calls if c[0] in ('pidfd_send_signal', 'kill')]

    def closed(self):
        """Whether the one pidfd opened was closed."""
        assert len(self.fds) == 1
        try:
            os.fstat(self.fds[0])
        except OSError as e:
            return e.errno == errno.EBADF
        os.close(self.fds[0])
        return False

    def still(self, answer):
        def still_same():
            self.calls.append(('still_same',))
            return answer
        return still_same


def test_the_signal_goes_through_the_pidfd_after_the_check(monkeypatch):
    k = Kernel(monkeypatch)
    assert signal_process(4242, signal.SIGHUP, k.still(True)) is True
    assert k.calls == [('pidfd_open', 4242), ('still_same',), ('pidfd_send_signal', 4242, signal.SIGHUP)]
    assert k.closed()


def test_no_signal_when_the_pid_names_another_process_now(monkeypatch):
    k = Kernel(monkeypatch)
    assert signal_process(4242, signal.SIGTERM, k.still(False)) is False
    assert k.calls == [('pidfd_open', 4242), ('still_same',)]
    assert k.closed()


def test_no_signal_and_no_check_when_the_process_is_gone(monkeypatch):
    k = Kernel(monkeypatch, open_error=errno.ESRCH)
    assert signal_process(4242, signal.SIGTERM, k.still(True)) is False
    assert k.calls == [('pidfd_open', 4242)]


@pytest.mark.parametrize('error', [errno.ENOSYS, errno.EPERM, errno.EINVAL])
def test_kill_after_the_check_when_the_kernel_has_no_pidfd(monkeypatch, error):
    k = Kernel(monkeypatch, open_error=error)
    assert signal_process(4242, signal.SIGUSR2, k.still(True)) is True
    assert k.calls == [('pidfd_open', 4242), ('still_same',), ('kill', 4242, signal.SIGUSR2)]
    k2 = Kernel(monkeypatch, open_error=error)
    assert signal_process(4242, signal.SIGUSR2, k2.still(False)) is False
    assert k2.calls == [('pidfd_open', 4242), ('still_same',)]


def test_kill_after_the_check_when_python_has_no_pidfd(monkeypatch):
    k = Kernel(monkeypatch, pidfds=False)
    assert signal_process(4242, signal.SIGKILL, k.still(True)) is True
    assert k.calls == [('still_same',), ('kill', 4242, signal.SIGKILL)]


@pytest.mark.parametrize('error', [errno.EMFILE, errno.ENOMEM])
def test_another_error_of_pidfd_open_is_raised(monkeypatch, error):
    k = Kernel(monkeypatch, open_error=error)
    with pytest.raises(OSError) as raised:
        signal_process(4242, signal.SIGHUP, k.still(True))
    assert raised.value.errno == error
    assert k.calls == [('pidfd_open', 4242)]


@pytest.mark.parametrize('pidfds', [True, False])
def test_a_signal_the_kernel_refuses_is_not_sent(monkeypatch, pidfds):
    k = Kernel(monkeypatch, send_error=errno.ESRCH, pidfds=pidfds)
    assert signal_process(4242, signal.SIGHUP, k.still(True)) is False
    assert k.calls[-1] == (('pidfd_send_signal', 4242, signal.SIGHUP) if pidfds else ('kill', 4242, signal.SIGHUP))
    assert k.fds == [] if not pidfds else k.closed()


def test_a_check_that_fails_closes_the_pidfd(monkeypatch):
    k = Kernel(monkeypatch)

    def still_same():
        raise OSError(errno.EACCES, 'unreadable')
    assert signal_process(4242, signal.SIGHUP, still_same) is False
    assert k.calls == [('pidfd_open', 4242)]
    assert k.closed()
