#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: mgetty_restart
short_description: Make the idle mgetty processes reread their configuration, never dropping a call
version_added: 0.1.0
description:
  - "mgetty reads C(mgetty.config) only when it starts. This module ends the mgetty of each idle line
    with C(SIGUSR2) (mgetty 1.2.1's new configuration signal, which exits only when no user is online),
    and init or systemd starts it again at once with the new configuration. A line in use is left alone
    and reported as deferred, with the reason; its next mgetty, started by init or systemd when the call
    ends, reads the new configuration."
  - "A line is in use when (read from mgetty 1.2.1's C(mgetty.c), C(locks.c), C(login.c) and
    C(callback/callback.c)): its UUCP lock C(LCK..NAME) is held by a live process. mgetty drops its
    lock while it waits for a call and takes it again when the modem speaks (a RING); the lock then
    stays with that process while it answers, shows the login prompt (a C(LOGIN_PROCESS) utmp entry)
    and after it executes the login program (login, pppd, callback: the same PID). callback takes the
    lock in its own name while it dials out, and the waiting mgetty takes it over on CONNECT."
  - "Or: a C(callback) process may dial out on the line. callback detaches from the line and waits
    its delay without any lock, then reads the line's mgetty PID from C(mgetty.pid.NAME) and signals
    that PID on CONNECT; it gives up when that process is gone. A callback process whose environment
    says C(DEVICE=NAME) (mgetty sets it for the login program) or whose C(-l) list names the line
    holds the line; one with neither (it dials on C(callback.config)'s C(dialout-devices)) holds
    every line."
  - "The check and the signal cannot race with a call: the module takes the line's UUCP lock itself,
    in mgetty's format, before it looks, and keeps it until the signal is sent. An mgetty woken by a
    RING meanwhile finds the line locked and waits; a callback finds it locked and retries later."
  - An mgetty that started after the newest of O(configs) changed already runs with it and is left
    alone.
  - "The PID in C(mgetty.pid.NAME) is signalled only if it is an mgetty serving that line: its command
    name is C(mgetty) and its command line's line argument (the first operand after mgetty's options,
    with or without C(/dev/)) is NAME. Its start time (field 22 of C(/proc/PID/stat)) is recorded when
    it is read, and right before the signal the PID must still have that start time and command line:
    a PID that a new process took meanwhile is not signalled."
  - "mgetty removes its PID file only before it executes a login program: one ended by a signal
    leaves it, naming a PID a later process may take (and callback signals the PID it reads there).
    A PID file that names no mgetty of its line, or names the mgetty this module ended, is removed,
    unless the next mgetty has written its own PID there meanwhile."
author:
  - dialin.callback maintainers (@dialin)
extends_documentation_fragment:
  - dialin.callback.attributes
attributes:
  check_mode:
    details: In check mode nothing is locked or signalled; the lines that would be restarted or deferred are reported.
  diff_mode:
    support: none
  platform:
    platforms: debian
requirements:
  - mgetty 1.2.1 (its PID files and lock format); Linux C(/proc).
options:
  ports:
    description: Device names of the lines, as mgetty runs on them (C(ttyS1), without C(/dev/)).
    type: list
    elements: str
    required: true
  configs:
    description:
      - Files the running mgetty must have read (C(mgetty.config), its unit file). An mgetty started
        after the newest of them changed is left alone. Empty or missing files do not count.
    type: list
    elements: path
    default: []
  lock_dir:
    description: Directory of UUCP lock files.
    type: path
    default: /var/lock
  pid_dir:
    description: Directory of mgetty's PID files C(mgetty.pid.NAME) (its C(VARRUNDIR)).
    type: path
    default: /run
  utmp:
    description: The utmp file (only read, for the reason given for a line in use).
    type: path
    default: /run/utmp
  settle_timeout:
    description:
      - Seconds to wait for a line whose lock its own mgetty holds without a login prompt (setting up
        the modem when it starts, or answering a RING) before deferring it.
    type: int
    default: 10
  exit_timeout:
    description: Seconds to wait for a signalled mgetty to exit (and for a callback ended on a removed port).
    type: int
    default: 10
  foreign_lock_timeout:
    description:
      - "Seconds to wait for a foreign lock to go before the task fails, naming it. A lock is foreign when
        its live holder is not the line's mgetty, a callback for the line, nor login, pppd or what mgetty
        executed on the line (C(/run/lock) is world-writable: any local user can keep the service off a
        line with a lock of their own). mgetty cannot answer calls on the line while it stays."
    type: int
    default: 30
    version_added: 0.1.0
  dev_dir:
    description: Where the lines' device files are (tests lay out one of their own).
    type: path
    default: /dev
    version_added: 0.1.0
  removed_ports:
    description:
      - Lines no longer served (the role has stopped their mgetty). A pending C(callback) that can dial
        out only on these lines (its C(-l) list, or mgetty's C(DEVICE) of the call) is ended with
        C(SIGTERM), after the same check of its start time and command line as before any signal
        (C(SIGKILL) after O(exit_timeout)). A callback that may also dial on a line still served, or on
        any line (C(callback.config)'s C(dialout-devices)), is left alone.
      - These lines are not restarted; list them here, not in O(ports).
    type: list
    elements: str
    default: []
    version_added: 0.1.0
notes:
  - A line with a foreign lock fails the task after O(foreign_lock_timeout), once every other line was handled.
  - A deferred line reports C(changed) (the new configuration is written, not yet in force there).
  - With sysvinit, init starts the next mgetty at once; with systemd after the unit's C(RestartSec).
'''

EXAMPLES = r'''
- name: Restart the idle mgetty processes with the new mgetty.config
  dialin.callback.mgetty_restart:
    ports: [ttyS1, ttyS2]
    configs: [/etc/mgetty/mgetty.config]
  register: mgetty_restart

- name: Say which lines take the configuration after their call
  ansible.builtin.debug:
    msg: "{{ item.port }}: deferred, {{ item.reason }}"
  loop: "{{ mgetty_restart.deferred }}"
'''

RETURN = r'''
restarted:
  description: Lines whose mgetty was idle and ended (or, in check mode, would be); init or systemd starts it again.
  returned: always
  type: list
  elements: str
  sample: [ttyS2]
deferred:
  description: Lines in use, left alone; each takes the new configuration when its call ends.
  returned: always
  type: list
  elements: dict
  contains:
    port:
      description: The line.
      type: str
    reason:
      description: What holds the line.
      type: str
    pid:
      description: The process holding the line (the lock's PID, or a pending callback's), else null.
      type: int
  sample: [{port: ttyS1, pid: 812, reason: "a caller is at mgetty's login prompt (mgetty PID 812)"}]
stopped_callbacks:
  description: The pending callbacks ended because every line they could dial on is in O(removed_ports) (in check mode, would be).
  returned: always
  type: list
  elements: dict
  contains:
    pid:
      description: The callback process.
      type: int
    lines:
      description: The lines it could dial on.
      type: list
      elements: str
  sample: [{pid: 1377, lines: [ttyS2]}]
current:
  description: Lines whose mgetty started after the configuration changed, or that run no mgetty now (it reads the configuration when it starts).
  returned: always
  type: list
  elements: str
  sample: []
removed_pid_files:
  description: Stale PID files of mgetty removed (or, in check mode, to be removed).
  returned: always
  type: list
  elements: path
  sample: [/run/mgetty.pid.ttyS1]
'''

import errno
import os
import pwd
import signal
import struct
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.dialin.callback.plugins.module_utils.processes import Processes, lock_owner, signal_process
from ansible_collections.dialin.callback.plugins.module_utils.uucp_lock import (
    lock_path, pid_alive, read_lock_pid, release_lock, take_lock)

# glibc's struct utmp on Linux (x86_64 and the other 64-bit ABIs with 32-bit time fields):
# type, pid, line[32], id[4], user[32], host[256], exit, session, tv, addr_v6, unused: 384 bytes.
UTMP_FORMAT = '=hxxi32s4s32s256shhiii16s20s'
UTMP_SIZE = struct.calcsize(UTMP_FORMAT)
LOGIN_PROCESS = 6
USER_PROCESS = 7
# mgetty 1.2.1's options that take an argument (its getopt string "c:x:s:rp:n:R:i:DC:FS:k:m:I:baV").
MGETTY_OPTIONS_WITH_ARGUMENT = 'cxspnRiCSkmI'


def mgetty_line(argv):
    """The line an mgetty command line serves, without /dev/: its first operand (GNU getopt takes
    options anywhere before it), or None."""
    args = list(argv[1:])
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == '--':
            operand = args[i + 1] if i + 1 < len(args) else None
            break
        if arg.startswith('-') and len(arg) > 1:
            for j, letter in enumerate(arg[1:]):
                if letter in MGETTY_OPTIONS_WITH_ARGUMENT:
                    if j == len(arg) - 2:
                        i += 1  # the argument is the next word
                    break
            i += 1
            continue
        operand = arg
        break
    else:
        return None
    if operand is not None and operand.startswith('/dev/'):
        operand = operand[len('/dev/'):]
    return operand


def parse_utmp(data):
    """The records of a utmp file's bytes as dicts (type, pid, line, user)."""
    records = []
    for offset in range(0, len(data) - UTMP_SIZE + 1, UTMP_SIZE):
        fields = struct.unpack(UTMP_FORMAT, data[offset:offset + UTMP_SIZE])
        records.append(dict(type=fields[0], pid=fields[1],
                            line=to_native(fields[2].split(b'\0')[0], errors='surrogate_or_replace'),
                            user=to_native(fields[4].split(b'\0')[0], errors='surrogate_or_replace')))
    return records


def callback_lines(argv, environ):
    """The lines a callback process may dial out on: its -l list, or the line it was called on
    (mgetty's DEVICE; callback -S takes the same tty), or None for any line (callback.config's
    dialout-devices)."""
    lines = set()
    args = list(argv[1:])
    for i, arg in enumerate(args):
        if arg == '-l' and i + 1 < len(args):
            lines.update(x for x in args[i + 1].split(':') if x)
        elif arg.startswith('-l') and len(arg) > 2:
            lines.update(x for x in arg[2:].split(':') if x)
    if '-S' in args or not lines:
        device = environ.get('DEVICE')
        if device:
            lines.add(os.path.basename(device))
        elif not lines:
            return None
    return sorted(os.path.basename(x) for x in lines)


def busy_reason(port, holder, utmp, callbacks):
    """Why the line ``port`` must not be restarted now, or None when it is idle.

    holder: None (no live process holds the line's lock) or dict(pid, comm) of the process that does;
    utmp: utmp records of live processes; callbacks: dicts(pid, lines) of running callback processes
    (lines None: any line). Returns (kind, reason, pid); kind 'settling' is a lock its own mgetty holds
    with no login prompt yet.
    """
    for cb in callbacks:
        if cb['lines'] is None or port in cb['lines']:
            if holder is not None and holder['pid'] == cb['pid']:
                return ('callback', 'callback PID %d is dialling out on it' % cb['pid'], cb['pid'])
            return ('callback', 'a callback is pending on it (callback PID %d waits to dial out)' % cb['pid'],
                    cb['pid'])
    if holder is None:
        return None
    pid, comm = holder['pid'], holder['comm'] or 'unknown program'
    if pid == 0:
        return ('locked', 'its lock file holds no PID: mgetty would not take the line either', None)
    entries = [r for r in utmp if r['line'] == port and r['pid'] == pid]
    users = [r['user'] for r in entries if r['type'] == USER_PROCESS]
    if comm == 'callback':
        return ('callback', 'callback PID %d is dialling out on it' % pid, pid)
    if comm == 'mgetty':
        if any(r['type'] == LOGIN_PROCESS for r in entries):
            return ('login', "a caller is at mgetty's login prompt (mgetty PID %d)" % pid, pid)
        return ('settling', 'mgetty PID %d holds the line: it answers a call or sets up the modem' % pid, pid)
    if users:
        return ('session', 'a session of %s is on it (%s PID %d)' % (users[0], comm, pid), pid)
    return ('session', 'a call is in progress (%s PID %d holds the line)' % (comm, pid), pid)


class Proc(object):
    """What /proc says about processes."""

    def __init__(self, root='/proc'):
        self.root = root
        self._btime = None

    def _read(self, pid, name):
        with open(os.path.join(self.root, str(pid), name), 'rb') as f:
            return f.read()

    def comm(self, pid):
        try:
            return to_native(self._read(pid, 'comm').strip(), errors='surrogate_or_replace') or None
        except (IOError, OSError):
            return None

    def _stat_fields(self, pid):
        data = self._read(pid, 'stat')
        # The command name is in parentheses and may hold spaces: the fields follow the last ')'.
        return data[data.rindex(b')') + 2:].split()

    def gone(self, pid):
        """A process that exited (no more, or a zombie waiting for its parent)."""
        if not pid_alive(pid):
            return True
        try:
            return self._stat_fields(pid)[0] == b'Z'
        except (IOError, OSError, ValueError):
            return True

    def start_ticks(self, pid):
        """The process's start in clock ticks since boot (field 22 of stat), None when it is gone."""
        try:
            return int(self._stat_fields(pid)[19])
        except (IOError, OSError, ValueError, IndexError):
            return None

    def argv(self, pid):
        try:
            return [to_native(a, errors='surrogate_or_replace') for a in self._read(pid, 'cmdline').split(b'\0')[:-1]]
        except (IOError, OSError):
            return None

    def mgetty_of(self, pid, port):
        """dict(pid, start) of the process pid if it is an mgetty serving port, else None."""
        if pid is None or self.gone(pid):
            return None
        start = self.start_ticks(pid)
        argv = self.argv(pid)
        comm = self.comm(pid)
        # Read again after the other fields: all of them are then of one process.
        if start is None or self.start_ticks(pid) != start or comm != 'mgetty' or mgetty_line(argv or []) != port:
            return None
        return dict(pid=pid, start=start)

    def is_still(self, chosen, port):
        """The PID still names the mgetty chosen: an mgetty of port with the start time it had."""
        now = self.mgetty_of(chosen['pid'], port)
        return now is not None and now['start'] == chosen['start']

    def start_time(self, ticks):
        """A start in clock ticks since boot as seconds since the epoch (10 ms resolution)."""
        if self._btime is None:
            with open(os.path.join(self.root, 'stat'), 'rb') as f:
                for line in f:
                    if line.startswith(b'btime '):
                        self._btime = int(line.split()[1])
        return self._btime + float(ticks) / os.sysconf('SC_CLK_TCK')

    def callbacks(self):
        """Running callback processes: dicts(pid, lines, start, argv)."""
        found = []
        for name in os.listdir(self.root):
            if not name.isdigit() or self.comm(int(name)) != 'callback':
                continue
            pid = int(name)
            try:
                start = self.start_ticks(pid)
                argv = [to_native(a, errors='surrogate_or_replace') for a in self._read(pid, 'cmdline').split(b'\0')[:-1]]
                env = {}
                for item in self._read(pid, 'environ').split(b'\0'):
                    key, sep, value = to_native(item, errors='surrogate_or_replace').partition('=')
                    if sep:
                        env[key] = value
            except (IOError, OSError):
                continue  # it ended meanwhile
            if start is None or self.start_ticks(pid) != start:
                continue
            found.append(dict(pid=pid, lines=callback_lines(argv, env), start=start, argv=argv))
        return found

    def is_same_callback(self, chosen):
        """The PID still names the callback chosen: same start time and command line."""
        pid = chosen['pid']
        try:
            argv = [to_native(a, errors='surrogate_or_replace') for a in self._read(pid, 'cmdline').split(b'\0')[:-1]]
        except (IOError, OSError):
            return False
        return (not self.gone(pid) and self.comm(pid) == 'callback' and argv == chosen['argv']
                and self.start_ticks(pid) == chosen['start'])


def read_pid_file(path):
    try:
        with open(path, 'rb') as f:
            return int(f.read(32).split()[0])
    except (IOError, OSError, ValueError, IndexError):
        return None


def remove_pid_file_of(path, pid):
    """Removes mgetty's PID file if it names pid; returns whether it did.

    The file is first renamed aside, then read: an mgetty starting meanwhile either writes its PID
    into the file (then it is put back) or creates a new one at the path (then the old one goes)."""
    aside = '%s.stale.%d' % (path, os.getpid())
    try:
        os.rename(path, aside)
    except OSError as e:
        if e.errno == errno.ENOENT:
            return False
        raise
    try:
        if read_pid_file(aside) == pid:
            return True
        try:
            os.link(aside, path)
        except OSError as e:
            if e.errno != errno.EEXIST:
                raise
        return False
    finally:
        os.unlink(aside)


def newest_mtime(paths):
    times = []
    for path in paths:
        try:
            times.append(os.stat(path).st_mtime)
        except OSError as e:
            if e.errno != errno.ENOENT:
                raise
    return max(times) if times else None


class LineRestart(object):
    def __init__(self, module, proc):
        self.module, self.proc, self.p = module, proc, module.params
        self.removed_pid_files = []

    def remove_stale_pid_file(self, path, pid):
        """Removes the PID file at path if it still names pid (a process that is no mgetty of its line)."""
        if self.module.check_mode:
            if read_pid_file(path) == pid:
                self.removed_pid_files.append(path)
        elif remove_pid_file_of(path, pid):
            self.removed_pid_files.append(path)

    def utmp(self):
        try:
            with open(self.p['utmp'], 'rb') as f:
                records = parse_utmp(f.read())
        except (IOError, OSError):
            return []
        return [r for r in records if r['pid'] > 0 and not self.proc.gone(r['pid'])]

    def holder(self, path):
        """The live process holding lock file ``path`` (dict pid, comm), or None."""
        try:
            pid = read_lock_pid(path)
        except (IOError, OSError) as e:
            if e.errno == errno.ENOENT:
                return None
            raise
        if pid is None:
            return dict(pid=0, comm=None)
        if self.proc.gone(pid):
            return None
        return dict(pid=pid, comm=self.proc.comm(pid))

    def busy(self, port, holder):
        return busy_reason(port, holder, self.utmp(), self.proc.callbacks())

    def run(self, port):
        """('restarted' | 'current' | 'deferred', reason, pid)"""
        pid_file = os.path.join(self.p['pid_dir'], 'mgetty.pid.' + port)
        file_pid = read_pid_file(pid_file)
        mgetty = self.proc.mgetty_of(file_pid, port)
        if file_pid is not None and mgetty is None:
            self.remove_stale_pid_file(pid_file, file_pid)
        changed_at = newest_mtime(self.p['configs'])
        if (mgetty is not None and changed_at is not None
                and self.proc.start_time(mgetty['start']) > changed_at):
            return ('current', 'mgetty PID %d started after the configuration changed' % file_pid, file_pid)
        path = lock_path(self.p['lock_dir'], port)
        deadline = time.monotonic() + self.p['settle_timeout']
        foreign_deadline = None
        while True:
            if self.module.check_mode:
                holder = self.holder(path)
            else:
                pid = take_lock(self.p['lock_dir'], path, on_stale=lambda dead: self.module.warn(
                    'removed the stale lock file %s of %s (PID %d is gone)' % (path, port, dead)))
                holder = None if pid is None else dict(pid=pid, comm=self.proc.comm(pid) if pid else None)
            try:
                why = self.busy(port, holder)
                if why is None:
                    return self.signal(port, mgetty, pid_file)
            finally:
                if holder is None and not self.module.check_mode:
                    release_lock(path)
            if why[0] == 'session' and self.foreign(port, holder):
                if foreign_deadline is None:
                    foreign_deadline = time.monotonic() + self.p['foreign_lock_timeout']
                if time.monotonic() > foreign_deadline:
                    return ('foreign', self.foreign_reason(port, holder, path), holder['pid'])
                time.sleep(0.5)
                continue
            if why[0] != 'settling' or time.monotonic() > deadline:
                return ('deferred', why[1], why[2])
            time.sleep(0.5)

    def foreign(self, port, holder):
        """The lock's live holder does not work for the line (module_utils.processes.lock_owner)."""
        procs = Processes(self.proc.root)
        return not lock_owner(procs, holder['pid'], port, dev=os.path.join(self.p['dev_dir'], port))

    def foreign_reason(self, port, holder, path):
        procs = Processes(self.proc.root)
        uid = procs.real_uid(holder['pid'])
        try:
            user = pwd.getpwuid(uid).pw_name if uid is not None else 'unknown'
        except KeyError:
            user = str(uid)
        return ('%s is held by PID %d (%s, user %s), not by mgetty, callback, login or pppd on %s, for %d s'
                ' (foreign_lock_timeout): mgetty cannot answer calls on the line while it stays; end that'
                ' process or remove the lock file' % (path, holder['pid'], holder['comm'] or 'unknown program',
                                                      user, port, self.p['foreign_lock_timeout']))

    def signal(self, port, mgetty, pid_file):
        """Called holding the line's lock: end its idle mgetty (dict pid, start, as read from its PID file)."""
        if mgetty is None:
            return ('current', 'no mgetty runs on it: the next one reads the configuration when it starts', None)
        pid = mgetty['pid']
        if self.module.check_mode:
            return ('restarted', 'mgetty PID %d is idle' % pid, pid)
        if not signal_process(pid, signal.SIGUSR2, lambda: self.proc.is_still(mgetty, port)):
            return ('current', 'mgetty PID %d ended before the signal: the next one reads the configuration '
                    'when it starts' % pid, None)
        # SIGUSR2's handler exits at once in every state but answering and the login prompt, which
        # need the lock we hold: the lock can go before mgetty is reaped, and an mgetty that init
        # starts at once (sysvinit) then finds the line free instead of waiting 15 s for our lock.
        release_lock(lock_path(self.p['lock_dir'], port))
        deadline = time.monotonic() + self.p['exit_timeout']
        while self.proc.is_still(mgetty, port):
            if time.monotonic() > deadline:
                return ('deferred', 'mgetty PID %d ignored SIGUSR2 (it is off-hook)' % pid, pid)
            time.sleep(0.05)
        # mgetty's exit on a signal leaves its PID file.
        self.remove_stale_pid_file(pid_file, pid)
        return ('restarted', 'mgetty PID %d was idle and exited on SIGUSR2' % pid, pid)


def stop_callbacks(module, proc, removed_ports):
    """End the pending callbacks that can dial only on removed_ports; dicts(pid, lines)."""
    removed = set(removed_ports)
    stopped = []
    for cb in proc.callbacks():
        if cb['lines'] is None or not set(cb['lines']) <= removed:
            continue
        if not module.check_mode:
            if not signal_process(cb['pid'], signal.SIGTERM, lambda: proc.is_same_callback(cb)):
                continue
            deadline = time.monotonic() + module.params['exit_timeout']
            while proc.is_same_callback(cb):
                if time.monotonic() > deadline:
                    signal_process(cb['pid'], signal.SIGKILL, lambda: proc.is_same_callback(cb))
                    break
                time.sleep(0.05)
        stopped.append(dict(pid=cb['pid'], lines=cb['lines']))
    return stopped


def main():
    module = AnsibleModule(
        argument_spec=dict(
            ports=dict(type='list', elements='str', required=True),
            configs=dict(type='list', elements='path', default=[]),
            lock_dir=dict(type='path', default='/var/lock'),
            pid_dir=dict(type='path', default='/run'),
            utmp=dict(type='path', default='/run/utmp'),
            settle_timeout=dict(type='int', default=10),
            exit_timeout=dict(type='int', default=10),
            removed_ports=dict(type='list', elements='str', default=[]),
            foreign_lock_timeout=dict(type='int', default=30),
            dev_dir=dict(type='path', default='/dev'),
        ),
        supports_check_mode=True,
    )
    for option in ('ports', 'removed_ports'):
        for port in module.params[option]:
            if not port or '/' in port or port.startswith('.'):
                module.fail_json(msg='%s: %r is not a device name without /dev/ (such as ttyS1)' % (option, port))
    proc = Proc()
    restart = LineRestart(module, proc)
    result = dict(changed=False, restarted=[], deferred=[], current=[], removed_pid_files=[], stopped_callbacks=[])
    try:
        result['stopped_callbacks'] = stop_callbacks(module, proc, module.params['removed_ports'])
    except (IOError, OSError) as e:
        module.fail_json(msg='removed_ports: %s' % to_native(e), **result)
    foreign = []
    for port in module.params['ports']:
        try:
            outcome, reason, pid = restart.run(port)
        except (IOError, OSError) as e:
            result['removed_pid_files'] = restart.removed_pid_files
            module.fail_json(msg='%s: %s' % (port, to_native(e)), **result)
        if outcome in ('deferred', 'foreign'):
            result['deferred'].append(dict(port=port, reason=reason, pid=pid))
            if outcome == 'foreign':
                foreign.append('%s: %s' % (port, reason))
        else:
            result[outcome].append(port)
    result['removed_pid_files'] = restart.removed_pid_files
    result['changed'] = bool(result['restarted'] or result['deferred'] or result['removed_pid_files']
                             or result['stopped_callbacks'])
    if foreign:
        module.fail_json(msg='; '.join(foreign), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
