#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: dialin_session
short_description: End the calls in progress of given users on the dial-in lines
version_added: 0.1.0
description:
  - Locking or removing an account stops its next login, not the call it is in. This module hangs up
    the dial-in lines on which one of O(users) is logged in.
  - "A line is a user's when utmp or wtmp has a C(USER_PROCESS) record of that user on it, written by
    a process that has the line open since that process started (C(login) writes one to both, pppd's
    C(login) option, an AutoPPP PAP login, to wtmp), or when a process that has the line open runs
    with the user's real user ID (pppd started by the
    C(ppplogin) shell is setuid root but keeps its caller's real user ID)."
  - "Every process that has the line open gets C(SIGHUP), as a modem's hang-up would send: pppd ends
    the link and drops DTR, a shell or login ends. What is still there after O(timeout) seconds gets
    C(SIGTERM), then C(SIGKILL). mgetty and callback are never signalled: the line's mgetty is
    started again by init or systemd when the call ends."
  - "Each signal goes only to the process that was found: right before it, the PID must still have
    the start time (field 22 of C(/proc/PID/stat)) and the command line it had when it was found,
    and the line open. A process that ended, and whose PID a new process took, counts as ended and
    gets nothing."
  - Lines on which none of O(users) is logged in are not touched.
author:
  - dialin.callback maintainers (@dialin)
extends_documentation_fragment:
  - dialin.callback.attributes
  - dialin.callback.attributes.WRITES
attributes:
  check_mode:
    details: In check mode no process is signalled; the sessions that would be ended are returned.
  diff_mode:
    details: The sessions found on the lines before, and none of them after.
  platform:
    platforms: debian
requirements:
  - Linux C(/proc); glibc's utmp format.
options:
  users:
    description: Login names whose calls are ended. An empty list does nothing.
    type: list
    elements: str
    required: true
  ports:
    description: Dial-in lines to look at, as device names (C(ttyS1); a leading C(/dev/) is dropped).
    type: list
    elements: str
    required: true
  timeout:
    description: Seconds to wait after C(SIGHUP) (and again after C(SIGTERM)) for the line's processes to end.
    type: int
    default: 10
  utmp:
    description: The utmp file.
    type: path
    default: /var/run/utmp
  wtmp:
    description: The wtmp file (its last 4 MiB are read).
    type: path
    default: /var/log/wtmp
  proc_dir:
    description: Where the process list is read (tests lay out one of their own).
    type: path
    default: /proc
seealso:
  - module: dialin.callback.line_status
    description: What each line is doing now.
notes:
  - The role M(dialin.callback.ppp_server) runs this module for the accounts it revokes
    (C(ppp_server_revoke_ends_calls)).
'''

EXAMPLES = r'''
- name: Hang up the calls of accounts that were just revoked
  dialin.callback.dialin_session:
    users: [leaver]
    ports: [ttyS1, ttyS2]
  become: true

- name: See which lines a user is on, without hanging up
  dialin.callback.dialin_session:
    users: [alice]
    ports: [ttyS1]
  check_mode: true
  register: alice_calls
'''

RETURN = r'''
sessions:
  description: The sessions of O(users) found on O(ports), ended (or, in check mode, to be ended).
  returned: always
  type: list
  elements: dict
  contains:
    line:
      description: The line (device name).
      type: str
      sample: ttyS1
    user:
      description: Whose session it is.
      type: str
      sample: leaver
    found_by:
      description: C(utmp) (a C(USER_PROCESS) record in utmp or wtmp of a process on the line) or C(uid) (a process on the line runs as the user).
      type: str
      sample: utmp
    processes:
      description: The processes that had the line open, as C(program PID).
      type: list
      elements: str
      sample: [pppd 812]
    signals:
      description: The signals sent, in order (empty in check mode).
      type: list
      elements: str
      sample: [SIGHUP]
    ended:
      description: No process of the session is left (false in check mode).
      type: bool
      sample: true
'''

import pwd
import signal
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dialin.callback.plugins.module_utils import utmp as utmp_file
from ansible_collections.dialin.callback.plugins.module_utils.processes import Processes, signal_process

# The line's getty and the callback program are not part of a session.
SPARED = ('mgetty', 'callback')
# The end of wtmp that is read: a session in progress logged in after the process on the line
# started; 4 MiB are the last 10,000 logins and ends of all the host's lines.
WTMP_TAIL = 4 * 1024 * 1024


def uids_of(users):
    """{uid: name} of the users that still have an account (a removed one is found by utmp only)."""
    found = {}
    for name in users:
        try:
            found[pwd.getpwnam(name).pw_uid] = name
        except KeyError:
            pass
    return found


def sessions_on(lines, users, procs, records):
    """The sessions of users on lines: dicts(line, user, found_by, pids, identities).

    identities: {pid: (start ticks, argv)} as the process was when found, to tell it from a later
    process with its PID."""
    uids = uids_of(users)
    found = []
    for line in lines:
        dev = '/dev/' + line
        pids = sorted(pid for pid, p in procs.procs.items()
                      if p['name'] not in SPARED and procs.uses_line(pid, dev))
        user = by = None
        for rec in records:
            # Only a record of a process that has the line open, written since that process
            # started: an older record with the same PID is of a process that ended.
            if (rec['type'] == 'USER_PROCESS' and rec['line'] == line and rec['user'] in users
                    and rec['pid'] in pids and rec['time'] >= (procs.start_time(rec['pid']) or 0) - 1):
                user, by = rec['user'], 'utmp'
        if user is None:
            owners = [uids[procs.real_uid(pid)] for pid in pids if procs.real_uid(pid) in uids]
            if owners:
                user, by = owners[0], 'uid'
        if user is not None and pids:
            identities = dict((pid, (procs.start_ticks(pid), procs.procs[pid]['argv'])) for pid in pids)
            found.append({'line': line, 'user': user, 'found_by': by, 'pids': sorted(pids),
                          'identities': identities})
    return found


def same_process(procs, pid, identity):
    """The PID still names the process found: same start and command line, not a zombie."""
    return (procs.running(pid) and procs.start_ticks(pid) == identity[0]
            and procs.argv(pid) == identity[1])


def wait_gone(procs, pids, identities, timeout):
    deadline = time.time() + timeout
    left = [pid for pid in pids if same_process(procs, pid, identities[pid])]
    while left and time.time() < deadline:
        time.sleep(0.2)
        left = [pid for pid in left if same_process(procs, pid, identities[pid])]
    return left


def end_session(procs, sess, timeout):
    """Sends SIGHUP, then SIGTERM and SIGKILL to what is left of the session's processes, each only
    while it is the process found on the line; returns (signals sent, pids left)."""
    sent = []
    dev = '/dev/' + sess['line']
    identities = sess['identities']
    left = list(sess['pids'])
    for signum, name, wait in ((signal.SIGHUP, 'SIGHUP', timeout), (signal.SIGTERM, 'SIGTERM', timeout),
                               (signal.SIGKILL, 'SIGKILL', 5)):
        # A process that ended (its PID maybe another's now) or left the line is no longer the session's.
        left = [pid for pid in left if same_process(procs, pid, identities[pid]) and procs.uses_line(pid, dev)]
        if not left:
            break
        for pid in left:
            signal_process(pid, signum, lambda pid=pid: (same_process(procs, pid, identities[pid])
                                                         and procs.uses_line(pid, dev)))
        sent.append(name)
        left = wait_gone(procs, left, identities, wait)
        if not left:
            break
    return sent, left


def describe(procs, pids):
    return ['%s %d' % (procs.procs.get(pid, {}).get('name', '?'), pid) for pid in pids]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            users=dict(type='list', elements='str', required=True),
            ports=dict(type='list', elements='str', required=True),
            timeout=dict(type='int', default=10),
            utmp=dict(type='path', default='/var/run/utmp'),
            wtmp=dict(type='path', default='/var/log/wtmp'),
            proc_dir=dict(type='path', default='/proc'),
        ),
        supports_check_mode=True,
    )
    p = module.params
    lines = []
    for port in p['ports']:
        line = port[len('/dev/'):] if port.startswith('/dev/') else port
        if not line or '/' in line or line.startswith('.'):
            module.fail_json(msg="ports: %r is not a device name (ttyS1 or /dev/ttyS1)" % port)
        lines.append(line)
    if p['timeout'] < 0:
        module.fail_json(msg='timeout: %d is negative' % p['timeout'])
    users = set(p['users'])
    records = []
    for key in ('utmp', 'wtmp'):
        try:
            records += utmp_file.read_tail(p[key], WTMP_TAIL)
        except utmp_file.UtmpFormatError as e:
            module.fail_json(msg='%s: %s: %s' % (key, p[key], e))
    procs = Processes(p['proc_dir'])
    found = sessions_on(lines, users, procs, records) if users else []

    result = []
    failed = []
    for sess in found:
        entry = {'line': sess['line'], 'user': sess['user'], 'found_by': sess['found_by'],
                 'processes': describe(procs, sess['pids']), 'signals': [], 'ended': False}
        if not module.check_mode:
            entry['signals'], left = end_session(procs, sess, p['timeout'])
            entry['ended'] = not left
            if left:
                failed.append('%s: %s' % (sess['line'], ', '.join(describe(procs, left))))
        result.append(entry)

    before = ''.join('%s: %s (%s)\n' % (e['line'], e['user'], ', '.join(e['processes'])) for e in result)
    out = dict(changed=bool(result), sessions=result)
    if module._diff:
        out['diff'] = dict(before=before, after='', before_header='sessions', after_header='sessions')
    if failed:
        module.fail_json(msg='processes still running after SIGKILL: %s' % '; '.join(failed), **out)
    module.exit_json(**out)


if __name__ == '__main__':
    main()
