# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the module ``line_status`` reports, without Ansible: each dial-in line's state, health and
calls, read from the processes, the UUCP locks, mgetty's and callback's logs, syslog and utmp.

``collect(params)`` is the whole reading; the module passes its options and a runner made of its
``get_bin_path``/``run_command``; the metrics timer's program (``dialin-callback-metrics``, which the
mgetty role installs with these files) passes the defaults and ``Runner()`` (the standard library's).
Python 3 standard library only.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import glob
import gzip
import json
import os
import pwd
import re
import shutil
import subprocess
import time

from ansible_collections.dialin.callback.plugins.module_utils import call_accounting
from ansible_collections.dialin.callback.plugins.module_utils import mgetty_log
from ansible_collections.dialin.callback.plugins.module_utils import pppd_syslog
from ansible_collections.dialin.callback.plugins.module_utils.processes import Processes, lock_owner
from ansible_collections.dialin.callback.plugins.module_utils import prometheus_text
from ansible_collections.dialin.callback.plugins.module_utils.prometheus_text import OUTCOMES
from ansible_collections.dialin.callback.plugins.module_utils import utmp as utmp_file

# The options of the module and the program, with their defaults.
DEFAULTS = {
    'ports': None,
    'since': '24h',
    'mgetty_log_dir': '/var/log/mgetty',
    'callback_log': '/var/log/mgetty/mg_callback.log',
    'login_config': '/etc/mgetty/login.config',
    'syslog_source': 'auto',
    'syslog_files': ['/var/log/syslog', '/var/log/messages'],
    'lock_dir': '/var/lock',
    'utmp': '/var/run/utmp',
    'run_dir': '/var/run',
    'facts_file': '/etc/ansible/facts.d/dialin_callback_mgetty.fact',
    'identified_link_dir': '/dev/dialin-callback',
    'proc_dir': '/proc',
}
SYSLOG_SOURCES = ('auto', 'files', 'journal', 'none')
# The states of a line in a call: its last call is not finished, its outcome may still change.
# (ringing: the call is not answered yet, so not among the calls.)
IN_CALL = ('login_prompt', 'login', 'waiting_for_callback', 'calling_back', 'ppp_up')


class LineStatusError(Exception):
    """An option the reading cannot go on with (the module fails with it, the program exits 1)."""


class Runner(object):
    """Programs found and run with the standard library (the module uses its own)."""

    def which(self, name):
        # PATH's folders, then the system's; only absolute ones: an empty entry (PATH unset or empty
        # left ':/usr/sbin...') or a relative one would be searched in the current folder.
        path = os.environ.get('PATH', '') + ':/usr/sbin:/sbin:/usr/bin:/bin'
        return shutil.which(name, path=':'.join(d for d in path.split(':') if os.path.isabs(d)))

    def run(self, argv):
        try:
            proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60, check=False)
        except (OSError, subprocess.SubprocessError) as exc:
            return 1, '', str(exc)
        return (proc.returncode, proc.stdout.decode('utf-8', 'replace'), proc.stderr.decode('utf-8', 'replace'))


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
    """The file's text (a ``.gz`` file decompressed), None when it is missing or cannot be read (then
    named in ``unreadable``)."""
    try:
        opener = gzip.open if path.endswith('.gz') else open
        with opener(path, 'rb') as f:
            return f.read().decode('utf-8', 'replace')
    except (IOError, OSError, EOFError) as exc:
        if os.path.exists(path):
            unreadable.append('%s (%s)' % (path, getattr(exc, 'strerror', None) or exc))
        return None


def rotations(path):
    """The log and its rotations that exist, newest first, as logrotate names them: ``path``,
    ``path.1`` (or ``path.1.gz``), ``path.2.gz``, ... while the numbers follow each other, then
    ``dateext`` names (``path-20261130``, ``.gz`` or not), the latest first."""
    out = [path]
    n = 1
    while True:
        found = [c for c in ('%s.%d' % (path, n), '%s.%d.gz' % (path, n)) if os.path.exists(c)]
        if not found:
            break
        out.append(found[0])
        n += 1
    dated = [c for c in glob.glob(glob.escape(path) + '-[0-9]*') if re.match(r'^-\d{8,10}(\.gz)?$', c[len(path):])]
    return out + sorted(dated, key=lambda c: c[len(path) + 1:].split('.')[0], reverse=True)


def read_back(path, since, first_time, unreadable):
    """(text, paths): the log at ``path`` and as many of its rotations as it takes to reach back to
    ``since`` (seconds since the epoch; the first rotation whose first time stamp, by
    ``first_time(text)``, is at or before it is the last one read), oldest first; the paths read.
    text is None when none could be read."""
    texts, paths = [], []
    for candidate in rotations(path):
        text = read_text(candidate, unreadable)
        if text is None:
            continue
        texts.append(text)
        paths.append(candidate)
        first = first_time(text)
        if first is not None and first <= since:
            break
    if not texts:
        return None, []
    # An older file that does not end its last line gets one: its last line and the next file's
    # first stay apart.
    older = [t if t.endswith('\n') or not t else t + '\n' for t in reversed(texts[1:])]
    return ''.join(older) + texts[0], paths


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


def interface_addresses(runner, ifname):
    ip = runner.which('ip')
    if not ip:
        return None, None, False
    rc, out, _err = runner.run([ip, '-j', '-4', 'addr', 'show', 'dev', ifname])
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


def line_state(line, procs, lock, last_run, utmp_records, ppp_by_pid, sessions, runner, sources, previous_run=None):
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
            local_ip, peer_ip, up = interface_addresses(runner, ifname)
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


def calls_total(all_calls, state):
    """{outcome: count} of the line's finished calls in its logs (a counter: it only grows until
    mgetty's log is rotated). The last call is left out while the line is in it: its outcome may
    still change (a callback pending is no failed callback)."""
    finished = all_calls[:-1] if all_calls and state in IN_CALL else all_calls
    counts = dict((o, 0) for o in OUTCOMES)
    for c in finished:
        counts[c['outcome']] = counts.get(c['outcome'], 0) + 1
    return counts


def list_ports(p, unreadable):
    ports = p['ports']
    if not ports:
        facts = read_text(p['facts_file'], unreadable)
        try:
            ports = json.loads(facts).get('ports', []) if facts else []
        except (ValueError, AttributeError):
            ports = []
    if not ports:
        try:
            ports = sorted(m.group(1) for m in (re.match(r'^mg_(tty\S+)\.log$', n) for n in os.listdir(p['mgetty_log_dir']))
                           if m)
        except OSError:
            ports = []
    return [resolve_port(x, p['identified_link_dir']) for x in ports]


def collect(params, runner=None, now=None):
    """The module's result without ``changed``: now, since, lines, healthy, prometheus.

    params: DEFAULTS's keys (missing ones take their default). Raises LineStatusError."""
    p = dict(DEFAULTS)
    p.update(dict((k, v) for k, v in params.items() if v is not None))
    if p['syslog_source'] not in SYSLOG_SOURCES:
        raise LineStatusError('syslog_source: %r is none of %s' % (p['syslog_source'], ', '.join(SYSLOG_SOURCES)))
    runner = runner or Runner()
    now = time.time() if now is None else now
    try:
        since = parse_since(p['since'], now)
    except ValueError as exc:
        raise LineStatusError(str(exc))
    unreadable = []
    ports = list_ports(p, unreadable)

    # mgetty's logs first, each with its rotations back to since: syslog is read back to the oldest
    # call in them (the call counters). The counters count the current file's calls only.
    logs = {}
    for port, line in ports:
        log_path = os.path.join(p['mgetty_log_dir'], 'mg_%s.log' % line)
        log_text, log_paths = read_back(log_path, since, lambda t: mgetty_log.first_time(t, now), unreadable)
        current_start = None
        if log_paths and log_paths[0] == log_path:
            current_start = mgetty_log.first_time(read_text(log_path, []) or '', now)
        logs[line] = (log_paths, log_text, mgetty_log.runs(log_text, now) if log_text else [], current_start)
    oldest = min([since] + [r['start'] for _paths, _text, runs, _c in logs.values() for r in runs if r.get('start')])

    procs = Processes(p['proc_dir'])
    # Syslog: pppd sessions and the gate's verdicts.
    syslog_text = []
    syslog_sources = []
    if p['syslog_source'] in ('auto', 'files'):
        for path in p['syslog_files']:
            # Back to an hour before since: a PPP session that started before a call may end after it.
            text, paths = read_back(path, since - 3600, lambda t: pppd_syslog.first_time(t, now), unreadable)
            if text is not None:
                syslog_text.append(text)
                syslog_sources.extend('syslog:' + x for x in paths)
    journalctl = runner.which('journalctl')
    if p['syslog_source'] == 'journal' or (p['syslog_source'] == 'auto' and not syslog_text and journalctl):
        if not journalctl:
            raise LineStatusError('syslog_source=journal: journalctl not found')
        # Read from an hour before the oldest call: a PPP session that started before it may end after it.
        rc, out, err = runner.run([journalctl, '--no-pager', '-q', '-o', 'short-unix',
                                   '--since', '@%d' % int(max(oldest - 3600, 0)),
                                   '-t', 'pppd', '-t', 'dialin-callback'])
        if rc == 0:
            syslog_text.append(out)
            syslog_sources.append('journal')
        else:
            unreadable.append('journal (%s)' % err.strip())
    records = pppd_syslog.parse('\n'.join(syslog_text), now)
    sessions = pppd_syslog.sessions(records)
    gates = pppd_syslog.gate_events(records)
    cb_text, cb_paths = read_back(p['callback_log'], since, lambda t: mgetty_log.first_time(t, now), unreadable)
    cb_text = cb_text or ''
    cb_events = mgetty_log.callback_events(cb_text, now)
    numbers = call_accounting.callback_numbers(read_text(p['login_config'], unreadable))
    utmp_records = utmp_file.read(p['utmp']) if os.access(p['utmp'], os.R_OK) else []
    ppp_by_pid = ppp_interfaces(p['run_dir'])

    lines = []
    for port, line in ports:
        sources = ['proc']
        log_paths, log_text, runs, current_start = logs[line]
        sources.extend('mgetty_log:' + x for x in log_paths)
        lock, lock_path = read_lock(p['lock_dir'], line, procs)
        if lock:
            sources.append('lock:' + lock_path)
        if utmp_records:
            sources.append('utmp:' + p['utmp'])
        state, detail, mgetty_pid, ppp = line_state(line, procs, lock, runs[-1] if runs else None, utmp_records,
                                                    ppp_by_pid, sessions, runner, sources,
                                                    previous_run=runs[-2] if len(runs) > 1 else None)
        all_calls = call_accounting.calls(line, runs, cb_events, sessions, gates, numbers)
        calls = [c for c in all_calls if c['start'] >= since]
        counts = {'total': len(calls)}
        for c in calls:
            counts[c['outcome']] = counts.get(c['outcome'], 0) + 1
        flag, reason = health(state, detail, calls)
        lines.append({'line': line, 'port': port, 'state': state, 'detail': detail,
                      'sources': sources + syslog_sources + ['callback_log:' + x for x in cb_paths]
                      + (['login_config:' + p['login_config']] if numbers else []),
                      'unreadable': unreadable, 'mgetty_pid': mgetty_pid, 'lock': lock, 'ppp': ppp, 'calls': calls,
                      'counts': counts,
                      'calls_total': calls_total([c for c in all_calls
                                                  if current_start is not None and c['start'] >= current_start], state),
                      'health': flag, 'healthy': flag != 'CRITICAL', 'reason': reason})
    return {'now': now, 'since': since, 'lines': lines, 'healthy': all(ln['healthy'] for ln in lines),
            'prometheus': prometheus_text.render(lines, now)}
