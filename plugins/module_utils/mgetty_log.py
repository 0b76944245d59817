# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""mgetty's log files (/var/log/mgetty/mg_<tty>.log) and callback's (mg_callback.log), as mgetty
1.2.1's logfile.c writes them.

Each process writes a line ``--`` when it first opens the file, then one line per message:
``MM/DD HH:MM:SS <infix> <text>`` (infix: the last three characters of the tty, e.g. ``yS1``), or for
audit records ``MM/DD HH:MM:SS ##### <text>`` (login.c: ``data dev=.., pid=.., caller='..',
conn='..', name='..', cmd='..', user='..'``; mgetty.c: ``failed ...``, ``exit dev=..``; callback.c:
``callback: success, device=.., mgetty=N``, ``failed dev=.., pid=.., got signal N, exiting``).
Time stamps are local time without a year.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

from ansible_collections.dialin.callback.plugins.module_utils.pppd_syslog import local_time_without_year

_LINE = re.compile(r'^(?P<mon>\d\d)/(?P<day>\d\d) (?P<hms>\d\d:\d\d:\d\d) (?P<infix>#####|\S{0,3}) ?(?P<text>.*)$')
_AUDIT_FIELD = re.compile(r"(\w+)=(?:'([^']*)'|([^,\s]*))")


def parse_lines(text, now):
    """The log's lines as dicts: time, infix, audit (bool), text; and ``{'separator': True}`` for each
    ``--`` (a new process). Lines that are neither are skipped."""
    out = []
    for raw in text.splitlines():
        line = raw.rstrip('\r')
        if line == '--':
            out.append({'separator': True})
            continue
        m = _LINE.match(line)
        if not m:
            continue
        t = local_time_without_year(int(m.group('mon')), int(m.group('day')), m.group('hms'), now)
        audit = m.group('infix') == '#####'
        out.append({'separator': False, 'time': t, 'infix': '' if audit else m.group('infix'),
                    'audit': audit, 'text': m.group('text').strip() if audit else m.group('text')})
    return out


def first_time(text, now):
    """The time of the log's first time-stamped line, None when it has none."""
    for raw in text.splitlines():
        m = _LINE.match(raw.rstrip('\r'))
        if m:
            return local_time_without_year(int(m.group('mon')), int(m.group('day')), m.group('hms'), now)
    return None


def audit_fields(text):
    """``key=value`` pairs of an audit record (values in quotes may hold commas)."""
    return {k: (q if q or v == '' else v) for k, q, v in _AUDIT_FIELD.findall(text)}


def _new_run(t):
    return {'start': t, 'pid': None, 'version': None, 'waiting': None, 'ring': None, 'answered': None,
            'connect_failed': None, 'callback_signal_from': None, 'login': None, 'failed': None, 'exit': None,
            'last': None, 'last_text': None}


def runs(text, now):
    """One dict per mgetty process in an mg_<tty>.log: start, pid (from its audit records), version,
    waiting (time it began waiting for a call), ring (time a call woke it), answered (CONNECT after
    ATA), callback_signal_from (callback's pid, when it was woken by callback instead of a call),
    login (the audit ``data`` record: time, name typed, user (login.config's match), cmd, conn),
    failed (audit ``failed ...`` text), exit (audit ``exit ...``), last / last_text (its last line)."""
    out = []
    cur = None
    for rec in parse_lines(text, now):
        if rec['separator']:
            cur = None
            continue
        if cur is None:
            cur = _new_run(rec['time'])
            out.append(cur)
        cur['last'], cur['last_text'] = rec['time'], rec['text']
        txt = rec['text']
        if rec['audit']:
            fields = audit_fields(txt)
            if 'pid' in fields and fields['pid'].isdigit():
                cur['pid'] = int(fields['pid'])
            if txt.startswith('data '):
                cur['login'] = {'time': rec['time'], 'name': fields.get('name', ''), 'user': fields.get('user', ''),
                                'cmd': fields.get('cmd', ''), 'conn': fields.get('conn', ''),
                                'caller': fields.get('caller', ''), 'dev': fields.get('dev', '')}
            elif txt.startswith('failed') or txt.startswith('rejected') or txt.startswith('denied'):
                cur['failed'] = {'time': rec['time'], 'text': txt}
            elif txt.startswith('exit '):
                cur['exit'] = {'time': rec['time'], 'text': txt}
            continue
        m = re.match(r'^mgetty: (.*)$', txt.strip())
        if m:
            cur['version'] = m.group(1)
        elif txt.strip() == 'waiting...':
            cur['waiting'] = rec['time']
        elif "wfr: waiting for ``RING''" in txt:
            cur['ring'] = rec['time']
        elif "waiting for ``CONNECT''" in txt:
            if '** found **' in txt:
                cur['answered'] = rec['time']
            else:
                cur['connect_failed'] = rec['time']
        else:
            m = re.search(r'Got callback signal from pid=(\d+)', txt)
            if m:
                cur['callback_signal_from'] = int(m.group(1))
    return out


def callback_events(text, now):
    """callback's audit records in mg_callback.log: time, result (``success`` or ``failed``), device,
    mgetty (the PID it handed the line to), text; and its error lines (result ``error``)."""
    out = []
    for rec in parse_lines(text, now):
        if rec['separator']:
            continue
        txt = rec['text']
        if rec['audit']:
            fields = audit_fields(txt)
            m = re.match(r'^callback: success, device=(\S+?), mgetty=(\d+)', txt)
            if m:
                out.append({'time': rec['time'], 'result': 'success', 'device': m.group(1),
                            'mgetty': int(m.group(2)), 'text': txt})
            elif txt.startswith('fail'):
                out.append({'time': rec['time'], 'result': 'failed', 'device': fields.get('dev'),
                            'mgetty': None, 'text': txt})
        elif re.search(r"giving up|can't dial any|exiting", txt):
            out.append({'time': rec['time'], 'result': 'error', 'device': None, 'mgetty': None,
                        'text': txt.strip()})
    return out


def line_state(run):
    """What the last mgetty run of a line is doing, from its log: idle, ringing, login prompt,
    callback (woken by callback, login follows), login (handed to a login program), ended."""
    if run is None:
        return None
    if run['exit'] or run['failed']:
        return 'ended'
    if run['login']:
        return 'login_started'
    if run['callback_signal_from']:
        return 'login_prompt'
    if run['answered']:
        return 'login_prompt'
    if run['ring']:
        return 'ringing'
    if run['waiting']:
        return 'idle'
    return 'initializing'
