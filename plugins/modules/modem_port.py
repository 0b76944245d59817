#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: modem_port
short_description: Check a modem's serial port, optionally talk to the modem or set its owner and mode
version_added: 0.1.0
description:
  - Read-only checks of the serial port a modem is attached to, in this order
    - the path exists (symlinks followed; the real device and the link target are reported);
    - it is a character device;
    - the kernel driver behind it (from C(/sys/class/tty/NAME/device/driver), looking past the
      C(serial-base) bus of Linux 6.5 and later; null for a pty);
    - UUCP lock files C(LCK..NAME) in O(lock_dir), for the name of O(path) and for the name of the
      real device (not for the name of a link that is another line's, such as a link
      C(/dev/dialin-callback/ttyUSB0) to C(ttyUSB1) where C(/dev/ttyUSB0) is another modem). A lock held by
      a live process fails the task (the module never opens a line another process holds), unless that
      process is one of O(allowed_holders) (with O(holder_on_line=true), only while it is on the port);
      the port is then in use by the dial-in service itself, reported as RV(in_use), and neither opened
      nor probed. A stale lock (its process is gone) is reported and, without O(probe=true), left in place;
    - it is a terminal (C(isatty) on a descriptor opened non-blocking, so it never waits for carrier).
  - With O(probe=true) it first takes the line's UUCP lock the way mgetty 1.2.1 does (C(locks.c)), with a
    temporary file C(LCK..TM.*) in O(lock_dir) holding its PID as ten ASCII digits and a newline
    (C(%10d\n), as Debian's build writes them, ASCII and not binary), then C(link) to C(LCK..NAME), which fails when
    the file exists, so two programs never both get the line. It locks the real device's name and, when
    O(path) is a link, the link's name too. A lock file in the way whose PID is dead is stale; it is removed
    (as mgetty, pppd and callback do) and the link is tried again. A lock taken by a live process between
    the check above and this step means the line is busy; the line is not opened nor probed, RV(probe.skipped)
    names the holder, and the task fails only with O(probe_required=true).
  - Holding the lock, it sets the line raw 8N1 at O(speed) with CLOCAL, sends C(AT), expects C(OK)
    within O(timeout) seconds, sends C(ATI) and returns the identity lines the modem answers with.
    An mgetty waiting on the line sees the lock when the modem's answers wake it up, closes the line and
    waits until the lock is gone (its C(dialout) state), then exits and is respawned; without the lock it
    would read the answers itself and exit with "Junk on the line".
  - The probe's lock files are removed when it ends, also on a timeout, an error, or C(SIGTERM), C(SIGHUP)
    or C(SIGINT) (turned into a failure). Only a C(SIGKILL) can leave one behind, and its PID is then dead,
    a stale lock that every UUCP program, this module included, removes.
  - With O(owner), O(group) or O(mode), once the checks above passed and only when the port is not in use
    (see RV(in_use); a call, a callback or mgetty's set-up sets the line's owner and mode itself),
    the real device gets them; the result is then changed when one differed. Nothing else is changed.
author:
  - dialin.callback maintainers (@dialin)
extends_documentation_fragment:
  - dialin.callback.attributes
  - dialin.callback.attributes.writes
attributes:
  check_mode:
    details: >-
      The checks (and the probe) run as without check mode; O(owner), O(group) and O(mode) are
      compared and reported as changes, not set.
  diff_mode:
    details: The device's owner, group and mode before and after, when O(owner), O(group) or O(mode) is given.
options:
  path:
    description: The modem's port, usually a symlink made by a udev rule.
    type: path
    default: /dev/modem
  prefer_path:
    description:
      - A path checked instead of O(path) when it exists (as a link, even a dangling one), for example the
        udev link C(/dev/dialin-callback/ttyUSB0) of a USB modem found by its serial number, which points
        at the tty the modem has now; O(path) is then the name to fall back on (no udev, the modem
        unplugged). RV(path) says which one was checked.
    type: path
    version_added: 0.1.0
  probe:
    description:
      - Talk to the modem (C(AT), then C(ATI)), holding the line's UUCP lock while it talks.
      - Only when no live process holds the port's lock; otherwise the probe is skipped (see
        O(probe_required)).
    type: bool
    default: false
  commands:
    description:
      - With O(probe=true), further commands sent after C(ATI), each answered within O(timeout), for
        example V(AT&V) (the active profile) or V(ATI3); their answers are in RV(probe.answers).
      - Each is C(AT) followed by printable ASCII without spaces. Commands that would dial, answer, hang
        up, reset or store a profile (C(D), C(A), C(H), C(O), C(Z), C(&F), C(&W) among the basic commands),
        and extended C(+) commands that are not queries ending in C(?), are refused before the line is
        touched.
    type: list
    elements: str
    default: []
    version_added: 0.1.0
  probe_required:
    description:
      - With O(probe=true), fail when the probe cannot be done because a live process holds the port's
        lock (one of O(allowed_holders), or any process that took the lock just before the probe).
      - When false, the probe is skipped, RV(probe.skipped) says why and the task does not fail for it.
    type: bool
    default: false
  timeout:
    description: Seconds to wait for each answer of the modem.
    type: float
    default: 5
  speed:
    description: Line speed (bit/s) used for the probe.
    type: int
    default: 38400
  lock_dir:
    description: Directory of UUCP lock files.
    type: path
    default: /var/lock
  allowed_holders:
    description:
      - Names of programs (as in C(/proc/PID/comm)) whose lock on the port is no error, for a server
        already set up, for example V(mgetty) and the programs it hands the line to (V(callback),
        V(login), V(pppd)).
      - Any other live holder fails the task.
    type: list
    elements: str
    default: []
  owner:
    description:
      - Owner of the real device (a name or a UID), set when the port is not in use.
    type: str
    version_added: 0.1.0
  group:
    description:
      - Group of the real device (a name or a GID), set when the port is not in use.
    type: str
    version_added: 0.1.0
  mode:
    description:
      - Mode of the real device (octal as a string, such as V('0660'), or symbolic), set when the port is
        not in use.
    type: raw
    version_added: 0.1.0
  holder_on_line:
    description:
      - An allowed holder's lock counts as the service's own only while that process is on the port
        (C(mgetty) running for the port, the last word of its command line; C(callback) for it, by its
        C(DEVICE) that mgetty sets or the port open; any other allowed program with the port open or as its
        controlling terminal, such as login and pppd in the process mgetty executed).
      - Any other live holder is a foreign lock, which fails the task naming its PID, program and user
        (C(/run/lock) is writable by every local user, who can put any live PID, of a process named
        C(mgetty) too, in C(LCK..NAME) and keep mgetty off the line).
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: Check that /dev/modem is a free serial port
  dialin.callback.modem_port:
    path: /dev/modem

- name: Check that a modem answers on it
  dialin.callback.modem_port:
    path: /dev/ttyS1
    probe: true
    timeout: 3
  register: modem

- name: Show the modem's identity
  ansible.builtin.debug:
    var: modem.probe.identity

- name: Check a port mgetty may be answering on (a call or the modem's set-up holds its lock)
  dialin.callback.modem_port:
    path: /dev/ttyS1
    allowed_holders: [mgetty, callback, login, pppd]

- name: Check a server's port; a lock of any process but the port's own mgetty, callback, login or pppd fails
  dialin.callback.modem_port:
    path: /dev/ttyS1
    allowed_holders: [mgetty, callback, login, pppd]
    holder_on_line: true

- name: Give an idle port to mgetty's owner and mode; a port in a call is left as its call set it
  dialin.callback.modem_port:
    path: /dev/ttyS1
    allowed_holders: [mgetty, callback, login, pppd]
    owner: root
    group: dialout
    mode: "0660"

- name: Probe a modem that must answer now; fail when the line is busy
  dialin.callback.modem_port:
    path: /dev/ttyS1
    probe: true
    probe_required: true
    allowed_holders: [mgetty, callback, login, pppd]
'''

RETURN = r'''
path:
  description: The path checked, O(path) or O(prefer_path) when that exists.
  returned: always
  type: str
  sample: /dev/ttyS1
device:
  description: Real path of the port (symlinks resolved).
  returned: when the path exists
  type: str
  sample: /dev/ttyS1
link_target:
  description: Target of O(path) when it is a symlink, else null.
  returned: always
  type: str
  sample: ttyS1
is_char_device:
  description: Whether the path is a character device.
  returned: always
  type: bool
  sample: true
is_tty:
  description: Whether the device is a terminal; null when the port is in use (RV(in_use)) and was not opened.
  returned: always
  type: bool
  sample: true
in_use:
  description:
    - Whether the port is locked by one of O(allowed_holders) (it is then neither opened nor probed, and
      O(owner), O(group) and O(mode) are not set).
  returned: always
  type: bool
  sample: false
driver:
  description: Kernel driver of the port, null when unknown (for example a pseudo-terminal).
  returned: always
  type: str
  sample: serial8250
lock:
  description: UUCP lock found for the port.
  returned: always
  type: dict
  contains:
    path:
      description: Lock file found (null when none).
      type: str
    pid:
      description: PID in the lock file.
      type: int
    alive:
      description: Whether that process exists.
      type: bool
    stale:
      description: Whether the lock file is left over from a process that is gone.
      type: bool
    holder:
      description: Name of the live process holding the lock (from C(/proc/PID/comm)), else null.
      type: str
    user:
      description: The user of the live process holding the lock (its UID when it has no name), else null.
      type: str
    foreign:
      description: The live holder is none of O(allowed_holders), or with O(holder_on_line=true) not on the port.
      type: bool
  sample: {path: null, pid: null, alive: false, stale: false, holder: null, user: null, foreign: false}
probe:
  description: Result of the probe.
  returned: always
  type: dict
  contains:
    ok:
      description: Whether the modem answered C(OK) to C(AT); null when not probed.
      type: bool
    response:
      description: What the modem sent in answer to C(AT).
      type: str
    identity:
      description: Lines the modem sent in answer to C(ATI), without the echo and C(OK).
      type: list
      elements: str
    answers:
      description:
        - One per O(commands), in order, when probed; empty otherwise.
      type: list
      elements: dict
      contains:
        command:
          description: The command sent.
          type: str
        lines:
          description: The lines the modem answered, without the echo and the final result.
          type: list
          elements: str
        result:
          description: The final result (C(OK), C(ERROR)), or null when none came within O(timeout).
          type: str
    lock_files:
      description:
        - The UUCP lock files the probe held while it talked (removed since); empty when it did not probe.
      type: list
      elements: str
    skipped:
      description:
        - Why the probe was not done although O(probe=true) (the lock holder's PID and name), else null.
      type: str
  sample: {ok: true, response: "AT\r\r\nOK\r\n", identity: ["56000", "U.S. Robotics"],
           answers: [{command: "AT&V", lines: ["ACTIVE PROFILE:", "E1 Q0 V1 X4 &C1 &D2"], result: OK}],
           lock_files: [/var/lock/LCK..ttyS1], skipped: null}
'''

import errno
import os
import pwd
import re
import select
import stat
import signal
import termios
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native
from ansible_collections.dialin.callback.plugins.module_utils import uucp_lock
from ansible_collections.dialin.callback.plugins.module_utils.processes import Processes
from ansible_collections.dialin.callback.plugins.module_utils.uucp_lock import (
    pid_alive, read_lock_pid, release_lock)


def process_name(pid):
    """The command name of a live process (/proc/PID/comm), or None when it cannot be read."""
    try:
        with open('/proc/%d/comm' % pid, 'rb') as f:
            return to_native(f.read().strip(), errors='surrogate_or_strict') or None
    except (IOError, OSError):
        return None


def process_user(pid):
    """The owner of a live process (its name, else its UID), or None when it cannot be read."""
    try:
        uid = os.stat('/proc/%d' % pid).st_uid
    except OSError:
        return None
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def holder_on_port(pid, holder, path, device):
    """The lock holder works on this port: its mgetty, a callback for it, or a program with the port open
    or as its controlling terminal (what mgetty executed keeps its PID and the line)."""
    procs = Processes()
    proc = procs.procs.get(pid)
    if proc is None:
        return False
    names = (os.path.basename(device), os.path.basename(path), device, path)
    if holder == 'mgetty':
        return proc['argv'][-1] in names
    if holder == 'callback' and procs.environ(pid).get('DEVICE') in names:
        return True
    return procs.uses_line(pid, device) or procs.uses_line(pid, path)


def another_lines_name(name, device):
    """The name is another line's (/dev/NAME is another device): its lock is not this port's."""
    other = os.path.join('/dev', name)
    return os.path.exists(other) and os.path.realpath(other) != device


def driver_of(device, sys_root='/sys'):
    """Driver name of a tty from sysfs; None when there is none (a pty).

    Since Linux 6.5 a serial port's "device" is a port of the serial-base bus
    (drivers "port" and "ctrl"); the hardware driver is further up.
    """
    name = os.path.basename(device)
    dev = os.path.join(sys_root, 'class/tty', name, 'device')
    if not os.path.exists(dev):
        return None
    dev = os.path.realpath(dev)
    for dummy in range(4):
        link = os.path.join(dev, 'driver')
        if not os.path.exists(link):
            return None
        driver = os.path.realpath(link)
        if '/bus/serial-base/' not in driver:
            return os.path.basename(driver)
        dev = os.path.dirname(dev)
    return os.path.basename(driver)


# After AT, among the basic commands: those that dial (D), answer (A), hang up (H), go online (O),
# reset (Z, &F) or store a profile (&W). The others a modem only reports or sets for the session,
# which mgetty's next init chat sets again.
CHANGING_COMMANDS = re.compile(r'[DAHOZ]|&[FW]', re.IGNORECASE)


def command_problem(command):
    """Why a probe command is refused, or None."""
    if not re.match(r'^AT[!-~]*\Z', command, re.IGNORECASE):
        return 'is not AT followed by printable ASCII without spaces'
    basic, plus, extended = command[2:].partition('+')
    if CHANGING_COMMANDS.search(basic) or (plus and not extended.endswith('?')):
        return ('would dial, answer, hang up, reset or store a profile (an extended +command must be a'
                ' query ending in ?): the probe only asks the modem')
    return None


class ProbeInterrupted(Exception):
    """A signal that ends the probe; raised so that the lock files are removed on the way out."""


def take_lock(lock_dir, lock_path, module):
    """Take the UUCP lock lock_path atomically, as mgetty's do_makelock() does.

    Returns None once the lock is ours, else a dict (path, pid, holder) of the live process that
    holds it (pid None: a lock file whose contents are no PID, which mgetty would not take either).
    """
    def warn_stale(pid):
        module.warn('removed stale lock file %s (PID %d is gone) to take the line for the probe'
                    % (lock_path, pid))

    pid = uucp_lock.take_lock(lock_dir, lock_path, on_stale=warn_stale)
    if pid is None:
        return None
    if pid == 0:
        return dict(path=lock_path, pid=None, holder=None)
    return dict(path=lock_path, pid=pid, holder=process_name(pid))


def _interrupt(signum, frame):
    raise ProbeInterrupted('interrupted by signal %d' % signum)


class Probe(object):
    def __init__(self, fd, timeout):
        self.fd = fd
        self.timeout = timeout

    def command(self, cmd):
        """Send *cmd*; return (bytes received, final result or None)."""
        os.write(self.fd, cmd + b'\r')
        deadline = time.monotonic() + self.timeout
        buf = b''
        while True:
            final = self.final_result(buf)
            if final:
                return buf, final
            left = deadline - time.monotonic()
            if left <= 0:
                return buf, None
            ready, dummy, dummy = select.select([self.fd], [], [], left)
            if not ready:
                continue
            try:
                chunk = os.read(self.fd, 1024)
            except OSError as e:
                if e.errno in (errno.EAGAIN, errno.EINTR):
                    continue
                if e.errno == errno.EIO:  # other side gone (pty master closed)
                    return buf, None
                raise
            if not chunk:
                time.sleep(0.05)
                continue
            buf += chunk

    @staticmethod
    def lines(buf):
        return [x.strip() for x in re.split(br'[\r\n]+', buf) if x.strip()]

    def final_result(self, buf):
        for line in self.lines(buf):
            if line in (b'OK', b'ERROR', b'NO CARRIER'):
                return line
        return None


def set_raw(fd, speed):
    attrs = termios.tcgetattr(fd)
    baud = getattr(termios, 'B%d' % speed)
    iflag, oflag, cflag, lflag, ispeed, ospeed, cc = attrs
    iflag = termios.IGNBRK | termios.IGNPAR
    oflag = 0
    cflag = (cflag & ~(termios.CSIZE | termios.PARENB | termios.CSTOPB | termios.CBAUD)) \
        | termios.CS8 | termios.CREAD | termios.CLOCAL | baud
    lflag = 0
    cc = list(cc)
    cc[termios.VMIN] = 0
    cc[termios.VTIME] = 0
    termios.tcsetattr(fd, termios.TCSANOW, [iflag, oflag, cflag, lflag, baud, baud, cc])
    return attrs


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', default='/dev/modem'),
            prefer_path=dict(type='path'),
            probe=dict(type='bool', default=False),
            timeout=dict(type='float', default=5),
            speed=dict(type='int', default=38400),
            lock_dir=dict(type='path', default='/var/lock'),
            allowed_holders=dict(type='list', elements='str', default=[]),
            holder_on_line=dict(type='bool', default=False),
            probe_required=dict(type='bool', default=False),
            commands=dict(type='list', elements='str', default=[]),
            owner=dict(type='str'),
            group=dict(type='str'),
            mode=dict(type='raw'),
        ),
        supports_check_mode=True,
    )
    p = module.params
    path = p['path']
    if p['prefer_path'] and os.path.lexists(p['prefer_path']):
        path = p['prefer_path']
    result = dict(changed=False, path=path, device=None, link_target=None, is_char_device=False,
                  is_tty=False, in_use=False, driver=None,
                  lock=dict(path=None, pid=None, alive=False, stale=False, holder=None, user=None, foreign=False),
                  probe=dict(ok=None, response=None, identity=[], answers=[], lock_files=[], skipped=None))

    if p['timeout'] <= 0:
        module.fail_json(msg='timeout must be greater than 0, got %s' % p['timeout'], **result)
    for command in p['commands']:
        problem = command_problem(command)
        if problem:
            module.fail_json(msg='commands: %r %s' % (command, problem), **result)
    if p['probe'] and not hasattr(termios, 'B%d' % p['speed']):
        module.fail_json(msg='speed %s is not a speed the terminal driver knows' % p['speed'], **result)

    if os.path.islink(path):
        result['link_target'] = os.readlink(path)
    if not os.path.exists(path):
        module.fail_json(msg='%s does not exist%s' % (
            path, ' (dangling symlink to %s)' % result['link_target'] if result['link_target'] else ''),
            **result)
    device = os.path.realpath(path)
    result['device'] = device

    st = os.stat(device)
    result['is_char_device'] = stat.S_ISCHR(st.st_mode)
    if not result['is_char_device']:
        module.fail_json(msg='%s (%s) is not a character device' % (path, device), **result)

    result['driver'] = driver_of(device)

    names = []
    # The real device's name first: the one mgetty, callback and pppd lock.
    for name in (os.path.basename(device), os.path.basename(path)):
        if name not in names and not (names and another_lines_name(name, device)):
            names.append(name)
    for name in names:
        lock_path = os.path.join(p['lock_dir'], 'LCK..%s' % name)
        if not os.path.lexists(lock_path):
            continue
        result['lock']['path'] = lock_path
        try:
            pid = read_lock_pid(lock_path)
        except (IOError, OSError) as e:
            module.fail_json(msg='cannot read lock file %s: %s' % (lock_path, to_native(e)), **result)
        result['lock']['pid'] = pid
        if pid is None:
            module.fail_json(msg='%s is locked: lock file %s holds no PID this module can read'
                                 % (path, lock_path), **result)
        alive = pid_alive(pid)
        result['lock']['alive'] = alive
        result['lock']['stale'] = not alive
        if alive:
            holder = process_name(pid)
            result['lock']['holder'] = holder
            result['lock']['user'] = process_user(pid)
            ours = holder is not None and holder in p['allowed_holders'] and (
                not p['holder_on_line'] or holder_on_port(pid, holder, path, device))
            result['lock']['foreign'] = not ours
            if ours:
                # The service's own line (mgetty waiting, a call, a callback): never touched.
                result['in_use'] = True
                result['is_tty'] = None
                skip_probe(module, result, 'the line is in use: locked by PID %d (%s), lock file %s'
                           % (pid, holder, lock_path))
                module.exit_json(**result)
            module.fail_json(msg='%s is locked by PID %d%s (lock file %s)%s'
                                 % (path, pid, ' (%s, user %s)' % (holder, result['lock']['user']) if holder else '',
                                    lock_path,
                                    ': a foreign lock, not %s on %s' % (', '.join(p['allowed_holders']),
                                                                        os.path.basename(path))
                                    if p['allowed_holders'] else ''), **result)
        if not p['probe']:
            # With the probe, take_lock removes it to take the line, and says so.
            module.warn('stale lock file %s (PID %d is gone); left in place' % (lock_path, pid))

    lock_files = result['probe']['lock_files']
    interrupted = None
    old_handlers = {}
    if p['probe']:
        for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            old_handlers[signum] = signal.signal(signum, _interrupt)
    try:
        if p['probe']:
            take_probe_locks(module, names, lock_files, result)
        check_tty_and_probe(module, path, device, p, result)
    except ProbeInterrupted as e:
        interrupted = to_native(e)
    finally:
        # Also on exit_json/fail_json (SystemExit): the lock files go before the process does.
        for lock_path in reversed(lock_files):
            release_lock(lock_path)
        for signum, handler in old_handlers.items():
            signal.signal(signum, handler)
    if interrupted:
        module.fail_json(msg='probe of %s %s; its lock files were removed' % (device, interrupted), **result)
    set_attributes(module, device, result)
    module.exit_json(**result)


def set_attributes(module, device, result):
    """The idle port's owner, group and mode (in check mode only compared), with their diff."""
    p = module.params
    if p['owner'] is None and p['group'] is None and p['mode'] is None:
        return
    diff = dict(before=dict(path=device), after=dict(path=device))
    changed = False
    try:
        if p['owner'] is not None:
            changed = module.set_owner_if_different(device, p['owner'], changed, diff, expand=False)
        if p['group'] is not None:
            changed = module.set_group_if_different(device, p['group'], changed, diff, expand=False)
        if p['mode'] is not None:
            changed = module.set_mode_if_different(device, p['mode'], changed, diff, expand=False)
    except (IOError, OSError) as e:
        module.fail_json(msg='cannot set the owner, group or mode of %s: %s' % (device, to_native(e)), **result)
    result['changed'] = changed
    if module._diff:
        result['diff'] = diff


def skip_probe(module, result, reason):
    """The line is held by a live process: no probe; a failure only when the probe is required."""
    if not module.params['probe']:
        return
    result['probe']['skipped'] = reason
    if module.params['probe_required']:
        module.fail_json(msg='%s was not probed: %s' % (result['device'], reason), **result)


def take_probe_locks(module, names, lock_files, result):
    """Take LCK..NAME for each name; on a live holder, report it and end the module without probing."""
    lock_dir = module.params['lock_dir']
    for name in names:
        lock_path = os.path.join(lock_dir, 'LCK..%s' % name)
        # Listed before it is taken, so that a signal right after link() still removes it
        # (release_lock removes only a lock that holds this process's PID).
        lock_files.append(lock_path)
        try:
            holder = take_lock(lock_dir, lock_path, module)
        except (IOError, OSError) as e:
            lock_files.pop()
            module.fail_json(msg='cannot take the lock %s for the probe: %s' % (lock_path, to_native(e)),
                             **result)
        if holder is None:
            continue
        lock_files.pop()
        result['in_use'] = holder['holder'] is not None and holder['holder'] in module.params['allowed_holders']
        result['lock'] = dict(path=lock_path, pid=holder['pid'], alive=holder['pid'] is not None,
                              stale=False, holder=holder['holder'],
                              user=process_user(holder['pid']) if holder['pid'] else None, foreign=not result['in_use'])
        result['is_tty'] = None
        if holder['pid'] is None:
            reason = 'lock file %s appeared and holds no PID this module can read' % lock_path
        else:
            reason = 'the line was locked just before the probe by PID %d%s, lock file %s' % (
                holder['pid'], ' (%s)' % holder['holder'] if holder['holder'] else '', lock_path)
        skip_probe(module, result, reason)
        module.exit_json(**result)


def check_tty_and_probe(module, path, device, p, result):
    flags = os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK
    try:
        fd = os.open(device, flags)
    except OSError as e:
        module.fail_json(msg='cannot open %s: %s' % (device, to_native(e)), **result)
    try:
        result['is_tty'] = os.isatty(fd)
        if not result['is_tty']:
            module.fail_json(msg='%s (%s) is not a terminal' % (path, device), **result)
        if p['probe']:
            run_probe(module, fd, p, result)
    finally:
        os.close(fd)


def run_probe(module, fd, p, result):
    try:
        old = set_raw(fd, p['speed'])
    except termios.error as e:
        module.fail_json(msg='cannot set %s raw at %s bit/s: %s' % (result['device'], p['speed'], e),
                         **result)
    try:
        termios.tcflush(fd, termios.TCIFLUSH)
        probe = Probe(fd, p['timeout'])
        buf, final = probe.command(b'AT')
        result['probe']['response'] = buf.decode('ascii', 'replace')
        if final != b'OK':
            result['probe']['ok'] = False
            if not buf.strip():
                module.fail_json(msg='no answer within %s s from the modem on %s'
                                     % (p['timeout'], result['device']), **result)
            module.fail_json(msg='unexpected answer: %r' % result['probe']['response'], **result)
        result['probe']['ok'] = True
        buf, final = probe.command(b'ATI')
        identity = []
        for line in probe.lines(buf):
            if line in (b'OK', b'ATI', b'ERROR') or line.upper() == b'ATI':
                continue
            identity.append(line.decode('ascii', 'replace'))
        result['probe']['identity'] = identity
        if final != b'OK':
            module.warn('the modem did not answer OK to ATI within %s s' % p['timeout'])
        for command in p['commands']:
            sent = command.encode('ascii')
            buf, final = probe.command(sent)
            lines = [line.decode('ascii', 'replace') for line in probe.lines(buf)
                     if line.upper() != sent.upper() and line not in (b'OK', b'ERROR')]
            result['probe']['answers'].append(dict(
                command=command, lines=lines, result=final.decode('ascii') if final else None))
    finally:
        try:
            termios.tcsetattr(fd, termios.TCSANOW, old)
        except termios.error:
            pass


if __name__ == '__main__':
    main()
