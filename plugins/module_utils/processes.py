# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The processes of a Linux host as /proc shows them: argv, open descriptors, environment, user.

The directory is a parameter (the modules' C(proc_dir)) so that tests can lay out a /proc of their own.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import errno
import os
import signal
import stat


class Processes(object):
    """A snapshot of the process list (argv and program name); the other fields are read when asked."""

    def __init__(self, proc_dir='/proc'):
        self.proc_dir = proc_dir
        self.procs = {}
        self._btime = False  # the boot time from <proc_dir>/stat, read when first needed
        self._rdevs = {}
        for d in os.listdir(proc_dir):
            if not d.isdigit():
                continue
            pid = int(d)
            try:
                with open(os.path.join(proc_dir, d, 'cmdline'), 'rb') as f:
                    argv = [a.decode('utf-8', 'replace') for a in f.read().split(b'\0') if a]
            except (IOError, OSError):
                continue
            if argv:
                self.procs[pid] = {'argv': argv, 'name': os.path.basename(argv[0]).lstrip('-')}

    def uses_line(self, pid, dev):
        """The process has the device dev open, or as its controlling terminal.

        An open descriptor counts by its path or by its device number (a link such as C(/dev/modem),
        or a test modem's C(/dev/ttyS1) link to a pty, opens the same device). Reading another user's
        descriptors needs CAP_SYS_PTRACE (root in a container may lack it); the controlling terminal,
        in C(stat), is readable by anyone, and a call's login or pppd has the line as its terminal.
        """
        rdev = self._rdev(dev)
        if rdev is not None and self.controlling_tty(pid) == (os.major(rdev), os.minor(rdev)):
            return True
        fd_dir = os.path.join(self.proc_dir, str(pid), 'fd')
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            return False
        for fd in fds:
            path = os.path.join(fd_dir, fd)
            try:
                if os.readlink(path) == dev:
                    return True
                if rdev is not None:
                    st = os.stat(path)
                    if stat.S_ISCHR(st.st_mode) and st.st_rdev == rdev:
                        return True
            except OSError:
                pass
        return False

    def controlling_tty(self, pid):
        """(major, minor) of the process's controlling terminal, None without one."""
        fields = self._stat_fields(pid)
        try:
            tty_nr = int(fields[4])
        except (TypeError, ValueError, IndexError):
            return None
        if not tty_nr:
            return None
        return (tty_nr >> 8) & 0xfff, (tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00)

    def ppid(self, pid):
        """The parent's PID, None when the process is gone."""
        fields = self._stat_fields(pid)
        try:
            return int(fields[1])
        except (TypeError, ValueError, IndexError):
            return None

    def _stat_fields(self, pid):
        """The fields of /proc/PID/stat after the command name (state first), None when gone."""
        try:
            with open(os.path.join(self.proc_dir, str(pid), 'stat'), 'rb') as f:
                data = f.read()
            # The command name is in parentheses and may hold spaces: the fields follow the last ')'.
            return data[data.rindex(b')') + 2:].split()
        except (IOError, OSError, ValueError):
            return None

    def _rdev(self, dev):
        if dev not in self._rdevs:
            try:
                st = os.stat(dev)
                self._rdevs[dev] = st.st_rdev if stat.S_ISCHR(st.st_mode) else None
            except OSError:
                self._rdevs[dev] = None
        return self._rdevs[dev]

    def environ(self, pid):
        try:
            with open(os.path.join(self.proc_dir, str(pid), 'environ'), 'rb') as f:
                pairs = f.read().split(b'\0')
        except (IOError, OSError):
            return {}
        env = {}
        for p in pairs:
            if b'=' in p:
                k, v = p.split(b'=', 1)
                env[k.decode('utf-8', 'replace')] = v.decode('utf-8', 'replace')
        return env

    def named(self, name):
        return [pid for pid, p in sorted(self.procs.items()) if p['name'] == name]

    def real_uid(self, pid):
        """The real user ID (a setuid pppd keeps its caller's), None when the process is gone."""
        try:
            with open(os.path.join(self.proc_dir, str(pid), 'status'), 'rb') as f:
                for line in f:
                    if line.startswith(b'Uid:'):
                        return int(line.split()[1])
        except (IOError, OSError, ValueError, IndexError):
            pass
        return None

    def start_ticks(self, pid):
        """The process's start in clock ticks since boot (field 22 of stat), None when it is gone.

        With the PID it names one process: a PID reused later has a later start."""
        try:
            return int(self._stat_fields(pid)[19])
        except (TypeError, ValueError, IndexError):
            return None

    def argv(self, pid):
        """The command line as it is now (not the snapshot's), None when the process is gone."""
        try:
            with open(os.path.join(self.proc_dir, str(pid), 'cmdline'), 'rb') as f:
                return [a.decode('utf-8', 'replace') for a in f.read().split(b'\0') if a]
        except (IOError, OSError):
            return None

    def start_time(self, pid):
        """When the process started, in seconds since the epoch (to 1/CLK_TCK), None when it is gone."""
        try:
            if self._btime is False:
                self._btime = None
                with open(os.path.join(self.proc_dir, 'stat'), 'rb') as f:
                    for line in f:
                        if line.startswith(b'btime '):
                            self._btime = int(line.split()[1])
            ticks = int(self._stat_fields(pid)[19])
        except (IOError, OSError, ValueError, IndexError, TypeError):
            return None
        if self._btime is None:
            return None
        return self._btime + float(ticks) / os.sysconf('SC_CLK_TCK')

    def running(self, pid):
        """The process exists and is not a zombie waiting for its parent."""
        fields = self._stat_fields(pid)
        return bool(fields) and fields[0] not in (b'Z', b'X')


def signal_process(pid, signum, still_same):
    """Sends signum to pid if still_same() says, once the process is held, that the PID names the
    process chosen earlier. Returns whether the signal was sent.

    The process is held by a pidfd (Linux 5.3, Python 3.9) before still_same() looks, so a process
    that ends and whose PID is reused between the check and the signal gets no signal: the pidfd
    names the process that was checked. Without pidfds the check comes right before kill().
    """
    pidfd = None
    try:
        pidfd = os.pidfd_open(pid)
    except AttributeError:
        pass
    except OSError as e:
        if e.errno == errno.ESRCH:
            return False
        if e.errno not in (errno.ENOSYS, errno.EPERM, errno.EINVAL):
            raise
    try:
        if not still_same():
            return False
        if pidfd is not None:
            signal.pidfd_send_signal(pidfd, signum)
        else:
            os.kill(pid, signum)
        return True
    except OSError:
        return False
    finally:
        if pidfd is not None:
            os.close(pidfd)


# The programs that hold a dial-in line's UUCP lock in its own service (mgetty 1.2.1 hands the line,
# with its PID and lock, to login, pppd or what login.config runs; callback locks it to dial out).
LINE_PROGRAMS = ('mgetty', 'callback', 'login', 'pppd')


def session_leader_on(procs, pid, dev):
    """The process leads the session whose controlling terminal is dev: mgetty itself or the program it
    executed in its place (login, pppd, what login.config runs), which keeps mgetty's PID and its lock."""
    try:
        with open(os.path.join(procs.proc_dir, str(pid), 'stat'), 'rb') as f:
            data = f.read()
        session = int(data[data.rindex(b')') + 2:].split()[3])
    except (IOError, OSError, ValueError, IndexError):
        return False
    return session == pid and procs.uses_line(pid, dev)


def lock_owner(procs, pid, line, dev=None):
    """Whether the lock holder pid works for the line: the line's mgetty, a callback for it, login or
    pppd on it, or what mgetty executed on it. Anything else is a foreign lock (/run/lock is
    world-writable: any local user can put a live PID in LCK..<tty> and keep the service off the line).
    dev: the line's device path (default /dev/<line>)."""
    dev = dev or '/dev/' + line
    proc = procs.procs.get(pid)
    if proc is None:
        return False
    # util-linux's login sets its title to one string, "login -- pppuser": the program is its first word.
    name = proc['name'].split(' ', 1)[0]
    if name == 'mgetty':
        return proc['argv'][-1] in (line, dev, '/dev/' + line)
    if name == 'callback':
        return procs.environ(pid).get('DEVICE') in (line, dev, '/dev/' + line) or procs.uses_line(pid, dev)
    if name in LINE_PROGRAMS:
        # util-linux's login (Debian 13) gives up the terminal in the process that holds mgetty's PID
        # and lock, and waits for its child, the session, which has the line.
        return procs.uses_line(pid, dev) or any(
            procs.ppid(child) == pid and procs.uses_line(child, dev) for child in procs.procs)
    return session_leader_on(procs, pid, dev)
