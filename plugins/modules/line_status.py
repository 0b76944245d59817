#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: line_status
short_description: State of each dial-in line now, its calls since a given time, and a health flag
version_added: 0.1.0
description:
  - Reads what mgetty, callback, the collection's callback gate and pppd leave on the host, and changes
    nothing (the result's C(changed) is always false; check mode behaves the same).
  - B(State now), per dial-in port, from these sources (each line's RV(lines[].sources) names the ones used)
    the processes (C(/proc/PID/cmdline), their open descriptors, callback's C(DEVICE) environment variable
    that mgetty sets); the line's UUCP lock C(LCK..TTY) in O(lock_dir) and its holder; the last mgetty run
    in C(mg_TTY.log) of O(mgetty_log_dir); utmp (O(utmp)); pppd's C(ppp*.pid) files in O(run_dir) and the
    interface in C(/sys/class/net) with its addresses (C(ip -j addr)).
  - The states are C(no_mgetty), C(initializing), C(idle), C(ringing) (a RING woke mgetty, not yet
    connected), C(login_prompt), C(login) (a login program or shell holds the line), C(waiting_for_callback)
    (callback runs for the line and waits before it dials), C(calling_back) (callback holds the line's lock),
    C(ppp_up) (pppd on the line with its interface up), C(modem_not_answering) (mgetty's last run failed to
    initialise the modem, also while the mgetty respawned after that failure sets the modem up again),
    C(foreign_lock) (the line's UUCP lock is held by a live process that is not the line's mgetty, a
    callback for the line, nor a program on the line - login, pppd or what C(login.config) runs in mgetty's
    place; mgetty, callback and pppd then leave the line alone, so it answers no call).
  - B(Calls) since O(since), put together from mgetty's log of the line (each answered call, the name typed
    and what C(login.config) ran), callback's log (C(mg_callback.log)), the gate's and pppd's syslog lines
    (O(syslog_source)) and C(login.config) (the number a pseudo-login is called back on).
  - B(Health) per line, for monitoring, see RV(lines[].health).
author:
  - dialin.callback maintainers (@dialin)
extends_documentation_fragment:
  - dialin.callback.attributes
  - dialin.callback.attributes.read_only
options:
  ports:
    description:
      - The dial-in ports (tty names such as C(ttyS1), or C(/dev/ttyS1)).
      - A port found by C(identify) (a USB modem, see the collection's C(docs/usb-modems.md)) is its
        configured name, or its link in O(identified_link_dir); it is read on the tty that link points to
        now (RV(lines[].line)), its configured name is RV(lines[].port).
      - Default, the ports the C(dialin.callback.mgetty) role recorded in O(facts_file), else one per
        C(mg_TTY.log) in O(mgetty_log_dir).
    type: list
    elements: str
  since:
    description:
      - The calls that started at or after this time are returned. Seconds since the epoch, an ISO 8601
        date or time (C(2026-11-30), C(2026-11-30T08:00:00), local time without a zone), or a duration
        before now (C(24h), C(7d), C(90m), C(3600s)).
    type: str
    default: 24h
  mgetty_log_dir:
    description: mgetty's log directory (Debian C(/var/log/mgetty)); callback logs there too.
    type: path
    default: /var/log/mgetty
  callback_log:
    description: callback's log file.
    type: path
    default: /var/log/mgetty/mg_callback.log
  login_config:
    description: mgetty's C(login.config), read for the numbers each pseudo-login is called back on.
    type: path
    default: /etc/mgetty/login.config
  syslog_source:
    description:
      - Where pppd's and the gate's syslog lines are read. C(auto) reads O(syslog_files) that exist, and the
        systemd journal when none does and C(journalctl) is there; C(files) only the files; C(journal) only
        the journal; C(none) no syslog (no PPP sessions, no gate verdicts).
    type: str
    choices: [auto, files, journal, none]
    default: auto
  syslog_files:
    description: Syslog files with pppd's lines (RFC 3164 or RFC 3339 time stamps, or raw C(<PRI>) lines).
    type: list
    elements: path
    default: [/var/log/syslog, /var/log/messages]
  lock_dir:
    description: Directory of the UUCP lock files.
    type: path
    default: /var/lock
  utmp:
    description: The utmp file.
    type: path
    default: /var/run/utmp
  run_dir:
    description: Where pppd writes C(pppN.pid).
    type: path
    default: /var/run
  facts_file:
    description: The local fact the mgetty role writes (its managed ports).
    type: path
    default: /etc/ansible/facts.d/dialin_callback_mgetty.fact
  identified_link_dir:
    description:
      - Where udev links each port found by C(identify) under its configured name (the C(dialin.callback.modem)
        role's rule). A port with a link there is read on the tty the link points to.
    type: path
    default: /dev/dialin-callback
  proc_dir:
    description:
      - The process table. Another directory laid out the same way is read alike (the unit tests give an
        empty one, since on a host running containers C(/proc) shows their processes too).
    type: path
    default: /proc
notes:
  - Root is needed to read the logs, C(/proc/PID/environ) and other users' descriptors; as another user the
    module reports what it can read and names the sources it could not read in RV(lines[].unreadable).
  - Log times without a year (mgetty's, RFC 3164 syslog) are taken in the host's local time zone, in the
    last year that puts them no later than a day from now.
  - Use from Nagios/Icinga checks and Prometheus' textfile collector, and the fleet report of
    C(playbooks/status.yml), are described in the collection's C(docs/status.md).
'''

EXAMPLES = r'''
- name: State of the dial-in lines and the calls of the last day
  dialin.callback.line_status:
    since: 24h
  register: lines
  become: true

- name: Fail when a line is not healthy (a monitoring play)
  ansible.builtin.assert:
    that: lines.healthy
    fail_msg: "{{ lines.lines | rejectattr('healthy') | map(attribute='reason') | list }}"

- name: Calls since a date on one port
  dialin.callback.line_status:
    ports: [ttyS1]
    since: "2026-11-30T08:00:00"
  become: true

- name: Prometheus textfile collector (node_exporter --collector.textfile.directory)
  ansible.builtin.copy:
    content: "{{ lines.prometheus }}"
    dest: /var/lib/prometheus/node-exporter/dialin_callback.prom
    mode: "0644"
  become: true
'''

RETURN = r'''
now:
  description: The host's time when the module ran (seconds since the epoch).
  returned: always
  type: float
  sample: 1796074600.5
since:
  description: O(since) as seconds since the epoch.
  returned: always
  type: float
  sample: 1795988200.5
healthy:
  description: Whether every line is healthy.
  returned: always
  type: bool
  sample: true
lines:
  description: One entry per port.
  returned: always
  type: list
  elements: dict
  contains:
    line:
      description: The port's tty name (for a port found by C(identify), the tty its modem has now).
      type: str
      sample: ttyS1
    port:
      description: The port's name as given (O(ports), the fact, or the log's name), without C(/dev/).
      type: str
      sample: ttyS1
    state:
      description: The line's state now (see the description's list).
      type: str
      sample: idle
    detail:
      description: What the state rests on, in words.
      type: str
      sample: mgetty 512 waits for a call (its log, 21:38:15)
    sources:
      description: The sources read for the state, each C(kind:path) (C(proc), C(lock), C(mgetty_log), C(utmp), C(pidfile), C(interface)).
      type: list
      elements: str
      sample: [proc, "lock:/var/lock/LCK..ttyS1", "mgetty_log:/var/log/mgetty/mg_ttyS1.log"]
    unreadable:
      description: Sources that exist but could not be read (permissions).
      type: list
      elements: str
      sample: []
    mgetty_pid:
      description: PID of the mgetty on the line, null when none.
      type: int
      sample: 512
    lock:
      description:
        - The UUCP lock, null when none; pid, alive, program (the holder's name), user (the holder's user,
          its UID when it has no name), foreign (a live holder that is not the line's mgetty, callback,
          nor a program on the line; the state is then C(foreign_lock)).
      type: dict
      sample: {pid: 512, alive: true, program: mgetty, user: root, foreign: false}
    ppp:
      description: With RV(lines[].state) C(ppp_up), the link; else null.
      type: dict
      contains:
        pid:
          description: pppd's PID.
          type: int
        interface:
          description: The PPP interface.
          type: str
          sample: ppp0
        local_ip:
          description: The server's address on the link.
          type: str
          sample: 192.168.1.1
        peer_ip:
          description: The caller's address.
          type: str
          sample: 192.168.1.2
        user:
          description: The PPP user (PAP name from pppd's syslog, or utmp).
          type: str
          sample: pppuser
        since:
          description: When the link came up (pppd's C(Connect:) line), null when not in the logs read.
          type: float
    calls:
      description: The calls since O(since), oldest first.
      type: list
      elements: dict
      contains:
        start:
          description: Time of the RING (seconds since the epoch).
          type: float
        line:
          description: The port.
          type: str
        login:
          description: The name login.config matched (C(/AutoPPP/) for a caller speaking PPP at once).
          type: str
        program:
          description: What login.config ran for it.
          type: str
        pseudo_login:
          description: The callback pseudo-login, null when the call was no callback request.
          type: str
        callback_allowed:
          description: The rate limit gate's verdict, null without a gate line in the syslog read.
          type: bool
        callback_number:
          description: The number (callback's arguments in login.config) the pseudo-login is called back on.
          type: str
        callback_result:
          description: C(success), C(failed), C(refused) (by the gate), C(none) (no callback record), null (no callback asked).
          type: str
        callback_time:
          description: When callback connected (or failed).
          type: float
        callback_login:
          description: The login after the callback (a PPP account, C(/AutoPPP/)).
          type: str
        ppp_user:
          description: The PPP user (PAP name).
          type: str
        ppp_start:
          description: When the PPP link came up.
          type: float
        ppp_end:
          description: When pppd exited.
          type: float
        bytes_in:
          description: Bytes received from the caller (pppd's count).
          type: int
        bytes_out:
          description: Bytes sent to the caller.
          type: int
        end_reason:
          description: pppd's reason to end (C(Modem hangup), C(LCP terminated by peer (User request)), C(PAP peer authentication failed for ...)).
          type: str
        outcome:
          description: C(ppp), C(ppp_auth_failed), C(callback_refused), C(callback_failed), C(refused) (login.config ran a refusal), C(login), C(no_login).
          type: str
        end:
          description: The last time known of the call.
          type: float
    counts:
      description: Calls since O(since) by RV(lines[].calls[].outcome), and C(total).
      type: dict
      sample: {total: 3, ppp: 1, refused: 1, ppp_auth_failed: 1}
    health:
      description:
        - C(OK), C(WARNING) or C(CRITICAL), as a Nagios/Icinga check reports (exit codes 0, 1, 2).
        - C(CRITICAL) when no mgetty and no call holds the line, mgetty's last run failed to initialise the
          modem, or a foreign process holds the line's lock; C(WARNING) when a callback since O(since) failed;
          else C(OK).
      type: str
      sample: OK
    healthy:
      description: RV(lines[].health) is not C(CRITICAL).
      type: bool
    reason:
      description: Why, in one line (fit for a monitoring alert).
      type: str
      sample: mgetty 512 waits for a call
prometheus:
  description:
    - The lines' state, health and call counts in Prometheus' text exposition format, for node_exporter's
      textfile collector (gauges C(dialin_callback_line_up), C(dialin_callback_line_health),
      C(dialin_callback_line_state), C(dialin_callback_calls)).
  returned: always
  type: str
'''

import datetime
import json
import os
import pwd
import re
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dialin.callback.plugins.module_utils import call_accounting
from ansible_collections.dialin.callback.plugins.module_utils import mgetty_log
from ansible_collections.dialin.callback.plugins.module_utils import pppd_syslog
from ansible_collections.dialin.callback.plugins.module_utils.processes import Processes, lock_owner
from ansible_collections.dialin.callback.plugins.module_utils import utmp as utmp_file

STATES = ('no_mgetty', 'initializing', 'idle', 'ringing', 'login_prompt', 'login', 'waiting_for_callback',
          'calling_back', 'ppp_up', 'modem_not_answering', 'foreign_lock')
# The programs that take a line's UUCP lock in the dial-in service's own name (login and pppd: in the
# process mgetty executed, or pppd's own lock when it opens the line).


def parse_since(value, now):
    value = (value or '').strip()
    m = re.match(r'^(\d+(?:\.\d+)?)\s*([smhd])$', value)
    if m:
        return now - float(m.group(1)) * {'s': 1, 'm': 60, 'h': 3600, 'd': 86400}[m.group(2)]
    if re.match(r'^\d+(\.\d+)?$', value):
        return float(value)
    for fmt in ('%Y-%m-%dT%H:%M:%S', '%Y-%m-%d %H:%M:%S', '%Y-%m-%dT%H:%M', '%Y-%m-%d %H:%M', '%Y-%m-%d'):
        try:
            return time.mktime(datetime.datetime.strptime(value, fmt).timetuple())
        except ValueError:
            pass
    raise ValueError('since: %r is neither seconds since the epoch, an ISO 8601 date or time, nor a '
                     'duration like 24h' % value)


def read_text(path, unreadable):
    try:
        with open(path, 'rb') as f:
            return f.read().decode('utf-8', 'replace')
    except (IOError, OSError) as exc:
        if os.path.exists(path):
            unreadable.append('%s (%s)' % (path, exc.strerror))
        return None


def resolve_port(port, link_dir):
    """(configured name, tty now): a port with a link in link_dir (found by identify) is read on the
    tty the link points to; any other port on its own name (a test modem's /dev/ttyS1 may be a link
    to a pty, which is not the line's name)."""
    name = os.path.basename(port)
    link = os.path.join(link_dir, name)
    if os.path.islink(link):
        return name, os.path.basename(os.path.realpath(link))
    return name, name


def user_name(uid):
    if uid is None:
        return None
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def read_lock(lock_dir, line, procs):
    path = os.path.join(lock_dir, 'LCK..' + line)
    try:
        with open(path, 'rb') as f:
            raw = f.read()
    except (IOError, OSError):
        return None, path
    pid = None
    text = raw.strip()
    if re.match(br'^\d+$', text):
        pid = int(text)
    elif len(raw) == 4:
        pid = int.from_bytes(raw, 'little')
    alive = pid is not None and os.path.exists(os.path.join(procs.proc_dir, str(pid)))
    program = procs.procs.get(pid, {}).get('name') if alive else None
    user = user_name(procs.real_uid(pid)) if alive else None
    return {'pid': pid, 'alive': alive, 'program': program, 'user': user,
            'foreign': alive and not lock_owner(procs, pid, line)}, path


def ppp_interfaces(run_dir):
    """{pppd pid: interface} from pppN.pid files."""
    out = {}
    try:
        names = os.listdir(run_dir)
    except OSError:
        return out
    for name in names:
        m = re.match(r'^(ppp\d+)\.pid$', name)
        if not m:
            continue
        try:
            with open(os.path.join(run_dir, name)) as f:
                out[int(f.read().split()[0])] = m.group(1)
        except (IOError, OSError, ValueError, IndexError):
            pass
    return out


def interface_addresses(module, ifname):
    ip = module.get_bin_path('ip')
    if not ip:
        return None, None, False
    rc, out, _err = module.run_command([ip, '-j', '-4', 'addr', 'show', 'dev', ifname])
    if rc != 0:
        return None, None, False
    try:
        data = json.loads(out or '[]')
    except ValueError:
        return None, None, False
    for link in data:
        up = 'UP' in link.get('flags', [])
        for a in link.get('addr_info', []):
            if a.get('family') == 'inet':
                return a.get('local'), (a.get('address') or a.get('peer') or '').split('/')[0] or None, up
        return None, None, up
    return None, None, False


def failed_init(run):
    return bool(run and run['failed'] and (
        'mg_init_data' in run['failed']['text'] or 'initializing modem' in run['failed']['text']))


def line_state(line, procs, lock, last_run, utmp_records, ppp_by_pid, sessions, module, sources, previous_run=None):
    """(state, detail, mgetty_pid, ppp)"""
    dev = '/dev/' + line
    mgetty = [pid for pid in procs.named('mgetty')
              if procs.procs[pid]['argv'][-1] in (line, dev)]
    mgetty_pid = mgetty[0] if mgetty else None
    if lock and lock['foreign']:
        return 'foreign_lock', 'LCK..%s is held by PID %d (%s, user %s), not by mgetty, callback or pppd on %s' % (
            line, lock['pid'], lock['program'] or 'unknown program', lock['user'], line), mgetty_pid, None
    on_line = {}
    for pid, p in procs.procs.items():
        if p['name'] == 'mgetty':
            continue
        if procs.uses_line(pid, dev):
            on_line[pid] = p['name']
    # pppd on the line, with its interface
    for pid, name in sorted(on_line.items()):
        if name != 'pppd':
            continue
        ifname = ppp_by_pid.get(pid)
        local_ip = peer_ip = None
        up = False
        if ifname:
            sources.append('pidfile:ppp*.pid')
            local_ip, peer_ip, up = interface_addresses(module, ifname)
            sources.append('interface:' + ifname)
        sess = [s for s in sessions if s['pid'] == pid]
        user = sess[-1]['user'] if sess else None
        if not user:
            users = [r['user'] for r in utmp_records if r['type'] == 'USER_PROCESS' and r['line'] == line]
            user = users[-1] if users else None
        ppp = {'pid': pid, 'interface': ifname, 'local_ip': local_ip, 'peer_ip': peer_ip, 'user': user,
               'since': sess[-1]['link_up'] if sess else None}
        if up and peer_ip:
            return 'ppp_up', 'pppd %d on %s, %s %s <-> %s, user %s' % (
                pid, dev, ifname, local_ip, peer_ip, user), mgetty_pid, ppp
        return 'login', 'pppd %d on %s negotiating (no interface up yet)' % (pid, dev), mgetty_pid, None
    # callback working for the line (DEVICE is mgetty's name of the line, in callback's environment)
    for pid in procs.named('callback'):
        env = procs.environ(pid)
        if env.get('DEVICE') in (line, dev) or procs.uses_line(pid, dev):
            if lock and lock['alive'] and lock['pid'] == pid:
                return 'calling_back', 'callback %d holds the line\'s lock and dials' % pid, mgetty_pid, None
            return 'waiting_for_callback', 'callback %d waits before dialling back' % pid, mgetty_pid, None
    others = sorted((pid, name) for pid, name in on_line.items() if name not in ('callback',))
    if others:
        users = [r['user'] for r in utmp_records if r['type'] == 'USER_PROCESS' and r['line'] == line]
        return 'login', '%s on %s%s' % (', '.join('%s %d' % (n, p) for p, n in others), dev,
                                        (', utmp user ' + users[-1]) if users else ''), mgetty_pid, None
    run_state = mgetty_log.line_state(last_run) if last_run else None
    if mgetty_pid is None:
        if failed_init(last_run):
            return 'modem_not_answering', 'no mgetty; its last run: %s' % last_run['failed']['text'], None, None
        return 'no_mgetty', 'no mgetty process for %s' % line, None, None
    if run_state == 'initializing' and failed_init(previous_run):
        # Respawned (RestartSec) after the modem failed its set-up: the same modem, until it answers.
        return 'modem_not_answering', 'mgetty %d sets the modem up again; its previous run: %s' % (
            mgetty_pid, previous_run['failed']['text']), mgetty_pid, None
    if failed_init(last_run) or (last_run and last_run['waiting'] is None and last_run['last_text']
                                 and 'timeout in chat script' in last_run['last_text']):
        return 'modem_not_answering', 'mgetty %d: %s' % (mgetty_pid, (last_run['failed'] or {}).get(
            'text', last_run['last_text'])), mgetty_pid, None
    if run_state == 'idle':
        return 'idle', 'mgetty %d waits for a call' % mgetty_pid, mgetty_pid, None
    if run_state == 'ringing':
        return 'ringing', 'mgetty %d: RING, answering' % mgetty_pid, mgetty_pid, None
    if run_state == 'login_prompt':
        return 'login_prompt', 'mgetty %d: connected, login prompt' % mgetty_pid, mgetty_pid, None
    if run_state in (None, 'initializing', 'ended', 'login_started'):
        return 'initializing', 'mgetty %d starting (no "waiting..." in its log yet)' % mgetty_pid, mgetty_pid, None
    return 'idle', 'mgetty %d' % mgetty_pid, mgetty_pid, None


def health(state, detail, calls):
    failed = [c for c in calls if c['outcome'] == 'callback_failed']
    if state in ('no_mgetty', 'modem_not_answering', 'foreign_lock'):
        return 'CRITICAL', detail
    if failed:
        return 'WARNING', '%d callback(s) failed since the given time, last to %s' % (
            len(failed), failed[-1]['callback_number'] or failed[-1]['pseudo_login'])
    return 'OK', detail


def prometheus(lines):
    out = ['# HELP dialin_callback_line_up 1 when the line is healthy (not CRITICAL).',
           '# TYPE dialin_callback_line_up gauge']
    out += ['dialin_callback_line_up{line="%s"} %d' % (ln['line'], 1 if ln['healthy'] else 0) for ln in lines]
    out += ['# HELP dialin_callback_line_health 0 OK, 1 WARNING, 2 CRITICAL.',
            '# TYPE dialin_callback_line_health gauge']
    out += ['dialin_callback_line_health{line="%s"} %d' % (ln['line'], ['OK', 'WARNING', 'CRITICAL'].index(ln['health']))
            for ln in lines]
    out += ['# HELP dialin_callback_line_state 1 for the line\'s current state.',
            '# TYPE dialin_callback_line_state gauge']
    out += ['dialin_callback_line_state{line="%s",state="%s"} 1' % (ln['line'], ln['state']) for ln in lines]
    out += ['# HELP dialin_callback_calls Calls since the given time, by outcome.',
            '# TYPE dialin_callback_calls gauge']
    for ln in lines:
        for outcome, n in sorted(ln['counts'].items()):
            out.append('dialin_callback_calls{line="%s",outcome="%s"} %d' % (ln['line'], outcome, n))
    return '\n'.join(out) + '\n'


def main():
    module = AnsibleModule(
        argument_spec=dict(
            ports=dict(type='list', elements='str'),
            since=dict(type='str', default='24h'),
            mgetty_log_dir=dict(type='path', default='/var/log/mgetty'),
            callback_log=dict(type='path', default='/var/log/mgetty/mg_callback.log'),
            login_config=dict(type='path', default='/etc/mgetty/login.config'),
            syslog_source=dict(type='str', choices=['auto', 'files', 'journal', 'none'], default='auto'),
            syslog_files=dict(type='list', elements='path', default=['/var/log/syslog', '/var/log/messages']),
            lock_dir=dict(type='path', default='/var/lock'),
            utmp=dict(type='path', default='/var/run/utmp'),
            run_dir=dict(type='path', default='/var/run'),
            facts_file=dict(type='path', default='/etc/ansible/facts.d/dialin_callback_mgetty.fact'),
            identified_link_dir=dict(type='path', default='/dev/dialin-callback'),
            proc_dir=dict(type='path', default='/proc'),
        ),
        supports_check_mode=True,
    )
    p = module.params
    now = time.time()
    try:
        since = parse_since(p['since'], now)
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    unreadable = []
    ports = p['ports']
    if not ports:
        facts = read_text(p['facts_file'], unreadable)
        try:
            ports = json.loads(facts).get('ports', []) if facts else []
        except ValueError:
            ports = []
    if not ports:
        try:
            ports = sorted(m.group(1) for m in (re.match(r'^mg_(tty\S+)\.log$', n) for n in os.listdir(p['mgetty_log_dir']))
                           if m)
        except OSError:
            ports = []
    ports = [resolve_port(x, p['identified_link_dir']) for x in ports]

    procs = Processes(p['proc_dir'])
    # Syslog: pppd sessions and the gate's verdicts.
    syslog_text = []
    syslog_sources = []
    if p['syslog_source'] in ('auto', 'files'):
        for path in p['syslog_files']:
            text = read_text(path, unreadable)
            if text is not None:
                syslog_text.append(text)
                syslog_sources.append('syslog:' + path)
    journalctl = module.get_bin_path('journalctl')
    if p['syslog_source'] == 'journal' or (p['syslog_source'] == 'auto' and not syslog_text and journalctl):
        if not journalctl:
            module.fail_json(msg='syslog_source=journal: journalctl not found')
        # Read from an hour before `since`: a PPP session that started before it may end after it.
        rc, out, err = module.run_command([journalctl, '--no-pager', '-q', '-o', 'short-unix',
                                           '--since', '@%d' % int(since - 3600),
                                           '-t', 'pppd', '-t', 'dialin-callback'])
        if rc == 0:
            syslog_text.append(out)
            syslog_sources.append('journal')
        else:
            unreadable.append('journal (%s)' % err.strip())
    records = pppd_syslog.parse('\n'.join(syslog_text), now)
    sessions = pppd_syslog.sessions(records)
    gates = pppd_syslog.gate_events(records)
    cb_text = read_text(p['callback_log'], unreadable) or ''
    cb_events = mgetty_log.callback_events(cb_text, now)
    numbers = call_accounting.callback_numbers(read_text(p['login_config'], unreadable))
    utmp_records = utmp_file.read(p['utmp']) if os.access(p['utmp'], os.R_OK) else []
    ppp_by_pid = ppp_interfaces(p['run_dir'])

    lines = []
    for port, line in ports:
        sources = ['proc']
        log_path = os.path.join(p['mgetty_log_dir'], 'mg_%s.log' % line)
        log_text = read_text(log_path, unreadable)
        runs = mgetty_log.runs(log_text, now) if log_text else []
        if log_text is not None:
            sources.append('mgetty_log:' + log_path)
        lock, lock_path = read_lock(p['lock_dir'], line, procs)
        if lock:
            sources.append('lock:' + lock_path)
        if utmp_records:
            sources.append('utmp:' + p['utmp'])
        state, detail, mgetty_pid, ppp = line_state(line, procs, lock, runs[-1] if runs else None, utmp_records,
                                                    ppp_by_pid, sessions, module, sources,
                                                    previous_run=runs[-2] if len(runs) > 1 else None)
        all_calls = call_accounting.calls(line, runs, cb_events, sessions, gates, numbers)
        calls = [c for c in all_calls if c['start'] >= since]
        counts = {'total': len(calls)}
        for c in calls:
            counts[c['outcome']] = counts.get(c['outcome'], 0) + 1
        flag, reason = health(state, detail, calls)
        lines.append({'line': line, 'port': port, 'state': state, 'detail': detail,
                      'sources': sources + syslog_sources + (['callback_log:' + p['callback_log']] if cb_text else [])
                      + (['login_config:' + p['login_config']] if numbers else []),
                      'unreadable': unreadable, 'mgetty_pid': mgetty_pid, 'lock': lock, 'ppp': ppp, 'calls': calls,
                      'counts': counts, 'health': flag, 'healthy': flag != 'CRITICAL', 'reason': reason})
    module.exit_json(changed=False, now=now, since=since, lines=lines,
                     healthy=all(ln['healthy'] for ln in lines), prometheus=prometheus(lines))


if __name__ == '__main__':
    main()
