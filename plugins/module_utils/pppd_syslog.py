# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Syslog lines of pppd (and of the collection's callback gate), as pppd 2.4.9 and 2.5 write them.

Accepted line forms (one parser, whichever the host has):
- a syslog daemon's file, RFC 3164 (``Nov 30 21:00:00 host pppd[812]: msg``) or RFC 3339 time stamps
  (``2026-11-30T21:00:00.123456+00:00 host pppd[812]: msg``, rsyslog's default);
- ``journalctl -o short-unix`` (``1764536400.123456 host pppd[812]: msg``);
- the raw datagram as sent to /dev/log (``<29>Nov 30 21:00:00 pppd[812]: msg``), optionally after the
  receiver's epoch time stamp (what the end-to-end test's listener keeps).

pppd's messages used (pppd/main.c, auth.c, ipcp.c, upap.c, session.c): ``pppd VERSION started by USER,
uid N``, ``Connect: IFNAME <--> DEVICE``, ``PAP peer authentication succeeded|failed for USER``,
``user USER logged in on tty ...``, ``local  IP address A``, ``remote IP address B``,
``Connect time N.N minutes.``, ``Sent N bytes, received M bytes.``, the reasons it stops (``Modem hangup``,
``Terminating on signal N``, ``LCP terminated by peer``, ...) and ``Exit.``.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import calendar
import datetime
import re
import time

_MONTHS = {m: i for i, m in enumerate(['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct',
                                       'Nov', 'Dec'], 1)}

_LINE = re.compile(
    r'^(?:(?P<epoch>\d{9,}(?:\.\d+)?)\s+)?'
    r'(?:<(?P<pri>\d{1,3})>)?'
    r'(?:(?P<iso>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?)\s+'
    r'|(?P<mon>[A-Z][a-z]{2}) {1,2}(?P<day>\d{1,2}) (?P<hms>\d\d:\d\d:\d\d)\s+)?'
    r'(?:(?P<host>[^\s:\[\]]+)\s+)?'
    r'(?P<prog>[^\s\[:]+)(?:\[(?P<pid>\d+)\])?:\s?(?P<msg>.*)$')

# Messages after which pppd ends the session, first one seen wins (the cause; the others follow it).
END_REASONS = (
    re.compile(r'^PAP peer authentication failed for '),
    re.compile(r'^CHAP peer authentication failed'),
    re.compile(r'^No auth is possible'),
    re.compile(r'^peer refused to authenticate'),
    re.compile(r'^Modem hangup'),
    re.compile(r'^Hangup \(SIGHUP\)'),
    re.compile(r'^Terminating on signal \d+'),
    re.compile(r'^LCP terminated by peer'),
    re.compile(r'^No response to \d+ echo-requests'),
    re.compile(r'^Serial link appears to be disconnected'),
    re.compile(r'^LCP: timeout sending Config-Requests'),
    re.compile(r'^Connection terminated'),
    re.compile(r'^Loopback detected'),
)


def _iso_time(text):
    text = text.replace('Z', '+00:00')
    m = re.match(r'^(.*?)([+-]\d\d):?(\d\d)$', text)
    if m:
        base, hours, minutes = m.group(1), m.group(2), int(m.group(3))
        off = (1 if hours[0] == '+' else -1) * (abs(int(hours)) * 60 + minutes) * 60
        fmt = '%Y-%m-%dT%H:%M:%S.%f' if '.' in base else '%Y-%m-%dT%H:%M:%S'
        dt = datetime.datetime.strptime(base[:26], fmt)
        return calendar.timegm(dt.timetuple()) + dt.microsecond / 1e6 - off
    fmt = '%Y-%m-%dT%H:%M:%S.%f' if '.' in text else '%Y-%m-%dT%H:%M:%S'
    dt = datetime.datetime.strptime(text[:26], fmt)
    return time.mktime(dt.timetuple()) + dt.microsecond / 1e6


def local_time_without_year(month, day, hms, now):
    """Seconds since the epoch of a local time stamp that has no year (syslog's and mgetty's): the
    latest such time not more than a day after ``now``."""
    hour, minute, second = (int(x) for x in hms.split(':'))
    year = time.localtime(now).tm_year
    for y in (year, year - 1):
        try:
            t = time.mktime((y, month, day, hour, minute, second, 0, 0, -1))
        except (OverflowError, ValueError):
            continue
        if t <= now + 86400:
            return float(t)
    return float(time.mktime((year - 1, month, day, hour, minute, second, 0, 0, -1)))


def parse_line(line, now=None):
    """One syslog line as a dict (time, host, prog, pid, msg), or None when it is not one."""
    m = _LINE.match(line.rstrip('\r\n'))
    if not m:
        return None
    if m.group('epoch'):
        t = float(m.group('epoch'))
    elif m.group('iso'):
        t = _iso_time(m.group('iso'))
    elif m.group('mon') in _MONTHS:
        t = local_time_without_year(_MONTHS[m.group('mon')], int(m.group('day')), m.group('hms'),
                                    time.time() if now is None else now)
    else:
        return None
    return {'time': t, 'host': m.group('host'), 'prog': m.group('prog'),
            'pid': int(m.group('pid')) if m.group('pid') else None, 'msg': m.group('msg')}


def first_time(text, now=None):
    """The time of the first syslog line of the text (any program), None when it has none."""
    for line in text.splitlines():
        rec = parse_line(line, now)
        if rec:
            return rec['time']
    return None


def parse(text, now=None, programs=('pppd', 'dialin-callback')):
    """The parsed lines of the given programs, in file order."""
    out = []
    for line in text.splitlines():
        rec = parse_line(line, now)
        if rec and (programs is None or rec['prog'] in programs):
            out.append(rec)
    return out


def sessions(records):
    """pppd runs, one per process: pid, start, end (``Exit.``, None while it runs), device, interface,
    user, local_ip, remote_ip, link_up (the time of ``Connect:``), connect_minutes, bytes_sent,
    bytes_received (pppd's view: sent = to the caller), auth_failed, end_reason."""
    by_pid = {}
    order = []
    for rec in records:
        if rec['prog'] != 'pppd' or rec['pid'] is None:
            continue
        msg = rec['msg']
        sess = by_pid.get(rec['pid'])
        started = re.match(r'^pppd (\S+) started by (\S+), uid (\d+)', msg)
        # Exit. is a pppd's last line and its start line its first (but for a warning about its
        # options): a PID's line after its Exit., or a second start line (the run before ended
        # without Exit.: SIGKILL, a crash), is another pppd's, which reused the PID.
        if sess is None or sess['end'] is not None or (started and sess['version'] is not None):
            sess = {'pid': rec['pid'], 'start': rec['time'], 'end': None, 'device': None, 'interface': None,
                    'user': None, 'local_ip': None, 'remote_ip': None, 'link_up': None, 'connect_minutes': None,
                    'bytes_sent': None, 'bytes_received': None, 'auth_failed': False, 'end_reason': None,
                    'version': None}
            by_pid[rec['pid']] = sess
            order.append(sess)
        if started:
            sess['version'] = started.group(1)
            continue
        m = re.match(r'^Connect: (\S+) <--> (\S+)', msg)
        if m:
            sess['interface'], sess['device'], sess['link_up'] = m.group(1), m.group(2), rec['time']
            continue
        m = re.match(r'^PAP peer authentication (succeeded|failed) for (.+)$', msg)
        if m:
            sess['user'] = m.group(2)
            sess['auth_failed'] = m.group(1) == 'failed'
        m = re.match(r'^user (\S+) logged in', msg)
        if m:
            sess['user'] = m.group(1)
        m = re.match(r'^local {1,2}IP address (\S+)', msg)
        if m:
            sess['local_ip'] = m.group(1)
        m = re.match(r'^remote IP address (\S+)', msg)
        if m:
            sess['remote_ip'] = m.group(1)
        m = re.match(r'^Connect time (\d+(?:\.\d+)?) minutes', msg)
        if m:
            sess['connect_minutes'] = float(m.group(1))
        m = re.match(r'^Sent (\d+) bytes, received (\d+) bytes', msg)
        if m:
            sess['bytes_sent'], sess['bytes_received'] = int(m.group(1)), int(m.group(2))
        if sess['end_reason'] is None and any(r.match(msg) for r in END_REASONS):
            sess['end_reason'] = msg.rstrip('.')
        if msg.startswith('Exit.'):
            sess['end'] = rec['time']
    return order


def gate_events(records):
    """The callback gate's lines: time, login, line, allowed (bool), reason."""
    out = []
    for rec in records:
        if rec['prog'] != 'dialin-callback':
            continue
        m = re.match(r'^callback (allowed|refused): login=(\S+) line=(\S+?)(?::| \(|$)\s*(.*?)\)?$', rec['msg'])
        if m:
            out.append({'time': rec['time'], 'login': m.group(2).strip("'"), 'line': m.group(3),
                        'allowed': m.group(1) == 'allowed', 'reason': m.group(4)})
    return out
