# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
name: status_report
short_description: The fleet report's figures (summary, totals, lines problems first, calls, timeline) from line_status results
version_added: 0.1.0
author: dialin.callback contributors
description:
  - Takes one entry per server, C({host, ok, msg, result}) where C(result) is what
    M(dialin.callback.line_status) returned, and returns what the report's templates show
    (C(playbooks/templates/status/)); it writes no HTML or Markdown itself.
  - The summary counts lines up and down (health C(CRITICAL) or an unreachable server is down), calls,
    callbacks asked, dialled and connected, failed callbacks, the gate's refusals, unknown logins and PAP
    failures (each apart), PPP sessions, their minutes and hours, and bytes.
  - Totals for the period per pseudo-login, per number called back and per PPP user (callbacks dialled and
    connected, the callback legs' minutes, the calls the server paid, PPP sessions and their minutes).
  - A line's health in the report is its M(dialin.callback.line_status) health, raised to C(WARNING) when its
    gate refusals, unknown logins or PAP failures in the period are more than the given thresholds.
    Lines are listed problems first (C(CRITICAL), then C(WARNING), then C(OK)); an unreachable server is a
    C(CRITICAL) row.
  - Times are ISO 8601 in the controller's local time with their UTC offset (C(2026-11-30T22:03:41+00:00)).
options:
  _input:
    description: The servers' entries.
    type: list
    elements: dict
    required: true
  generated:
    description: The report's time (seconds since the epoch), shown in it.
    type: float
    required: true
  since:
    description: The start of the calls' period (seconds since the epoch), for the timeline's scale.
    type: float
    required: true
  thresholds:
    description:
      - The most gate refusals (C(status_warn_gate_refusals)), unknown logins (C(status_warn_unknown_logins))
        and PAP failures (C(status_warn_pap_failures)) a line may have in the period and stay C(OK); each a whole
        number of 0 or more, an error names the key given.
    type: dict
    default: {status_warn_gate_refusals: 3, status_warn_unknown_logins: 3, status_warn_pap_failures: 3}
'''

EXAMPLES = r'''
- name: The report's figures, once
  ansible.builtin.set_fact:
    report: "{{ servers | dialin.callback.status_report(generated=now, since=since,
                thresholds={'status_warn_pap_failures': 5}) }}"

- name: Write the page
  ansible.builtin.template:
    src: status/status.html.j2
    dest: status.html
    mode: "0644"
'''

RETURN = r'''
_value:
  description:
    - C(summary) (a dict, the run's artifact), C(servers) (the entries, problems first), C(lines) (one row per
      line, unreachable server or server without a dial-in port, problems first, each with its calls formatted for the report), C(totals)
      (C(by_pseudo_login), C(by_number), C(by_ppp_user)), C(timeline) (the SVG's geometry), C(generated),
      C(since) (ISO 8601), C(thresholds), C(outcomes) (each outcome's words, for the legend).
  type: dict
'''

import datetime

from ansible.errors import AnsibleFilterError

FAILED_OUTCOMES = ('ppp_auth_failed', 'callback_failed', 'callback_refused', 'refused', 'no_login')
HEALTH_RANK = {'CRITICAL': 0, 'WARNING': 1, 'OK': 2}
THRESHOLDS = (
    # variable, default, the outcome it counts, its words
    ('status_warn_gate_refusals', 3, 'callback_refused', 'callback(s) refused by the gate'),
    ('status_warn_unknown_logins', 3, 'refused', 'unknown login(s)'),
    ('status_warn_pap_failures', 3, 'ppp_auth_failed', 'PAP failure(s)'),
)
OUTCOMES = (
    ('ppp', 'PPP link'),
    ('login', 'login without PPP'),
    ('callback_failed', 'callback failed'),
    ('callback_refused', 'refused by the gate'),
    ('ppp_auth_failed', 'PAP failed'),
    ('refused', 'unknown login'),
    ('no_login', 'hung up before a login'),
)


def iso(t):
    """Seconds since the epoch as ISO 8601 in the controller's local time, with its UTC offset."""
    if t is None:
        return ''
    return datetime.datetime.fromtimestamp(float(t)).astimezone().isoformat(timespec='seconds')


def duration(seconds):
    """H:MM:SS, '' for None."""
    if seconds is None:
        return ''
    minutes, sec = divmod(int(round(float(seconds))), 60)
    hours, minutes = divmod(minutes, 60)
    return '%d:%02d:%02d' % (hours, minutes, sec)


def _thresholds(given):
    out = {}
    given = dict(given or {})
    unknown = sorted(set(given) - set(name for name, _d, _o, _w in THRESHOLDS))
    if unknown:
        raise AnsibleFilterError('status_report: unknown threshold(s) %s (known: %s)' % (
            ', '.join(unknown), ', '.join(name for name, _d, _o, _w in THRESHOLDS)))
    for name, default, _outcome, _words in THRESHOLDS:
        value = given.get(name, default)
        if value is None or value == '':
            value = default
        if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit())):
            raise AnsibleFilterError('%s: %r is not a whole number of 0 or more (the most such calls a line may '
                                     'have in the period and stay OK)' % (name, value))
        if int(value) < 0:
            raise AnsibleFilterError('%s: %r is not a whole number of 0 or more' % (name, value))
        out[name] = int(value)
    return out


def _minutes(seconds):
    return round(seconds / 60.0, 2)


def _add(table, key, call):
    per = table.setdefault(key, {'calls': 0, 'callbacks': 0, 'dialled': 0, 'connected': 0, 'failed': 0,
                                 'refused': 0, 'callback_seconds': 0.0, 'ppp_sessions': 0, 'ppp_seconds': 0.0,
                                 'pap_failures': 0, 'bytes_in': 0, 'bytes_out': 0})
    per['calls'] += 1
    result = call.get('callback_result')
    if result:
        per['callbacks'] += 1
    # Dialled: callback took the line and dialled (a refusal by the gate dials nothing).
    if result in ('success', 'failed', 'none'):
        per['dialled'] += 1
    if result == 'success':
        per['connected'] += 1
    if call.get('outcome') == 'callback_failed':
        per['failed'] += 1
    if result == 'refused':
        per['refused'] += 1
    per['callback_seconds'] += call.get('callback_seconds') or 0.0
    if call.get('outcome') == 'ppp':
        per['ppp_sessions'] += 1
        per['ppp_seconds'] += call.get('ppp_seconds') or 0.0
    if call.get('outcome') == 'ppp_auth_failed':
        per['pap_failures'] += 1
    per['bytes_in'] += call.get('bytes_in') or 0
    per['bytes_out'] += call.get('bytes_out') or 0


def _finish(table):
    out = []
    for key in sorted(table):
        per = dict(table[key])
        per['callback_minutes'] = _minutes(per.pop('callback_seconds'))
        per['ppp_minutes'] = _minutes(per.pop('ppp_seconds'))
        per['name'] = key
        out.append(per)
    return out


def _call_row(c):
    row = dict(c)
    row.update({
        'start_iso': iso(c.get('start')), 'callback_time_iso': iso(c.get('callback_time')),
        'ppp_start_iso': iso(c.get('ppp_start')), 'ppp_end_iso': iso(c.get('ppp_end')),
        'callback_duration': duration(c.get('callback_seconds')), 'ppp_duration': duration(c.get('ppp_seconds')),
        'problem': c.get('outcome') in FAILED_OUTCOMES and c.get('outcome') != 'no_login',
    })
    return row


def _line_row(host, ln, thresholds):
    calls = ln.get('calls', [])
    health, reasons = ln['health'], [ln['reason']]
    warnings = []
    for name, _default, outcome, words in THRESHOLDS:
        n = sum(1 for c in calls if c.get('outcome') == outcome)
        if n > thresholds[name]:
            warnings.append('%d %s, more than %s=%d' % (n, words, name, thresholds[name]))
    if warnings:
        if health == 'OK':
            health, reasons = 'WARNING', []
        reasons += warnings
    counts = dict((o, 0) for o, _w in OUTCOMES)
    for c in calls:
        counts[c['outcome']] = counts.get(c['outcome'], 0) + 1
    return {'host': host, 'line': ln['line'], 'port': ln.get('port', ln['line']), 'state': ln['state'],
            'health': health, 'line_status_health': ln['health'], 'reason': '; '.join(reasons),
            'warnings': warnings, 'reachable': True, 'no_port': False, 'calls': [_call_row(c) for c in calls], 'counts': counts,
            'total': len(calls)}


def report_lines(servers, thresholds):
    rows = []
    for srv in servers:
        if not srv.get('ok'):
            rows.append({'host': srv['host'], 'line': '', 'port': '', 'state': 'unreachable', 'health': 'CRITICAL',
                         'line_status_health': None, 'reason': 'unreachable or failed: %s' % (srv.get('msg') or ''),
                         'warnings': [], 'reachable': False, 'no_port': False, 'calls': [], 'counts': {}, 'total': 0})
            continue
        if not srv['result'].get('lines'):
            rows.append({'host': srv['host'], 'line': '', 'port': '', 'state': 'no dial-in port', 'health': 'OK',
                         'line_status_health': None, 'warnings': [], 'reachable': True, 'no_port': True,
                         'reason': 'no port recorded by the mgetty role, no mgetty log', 'calls': [], 'counts': {},
                         'total': 0})
        for ln in srv['result'].get('lines', []):
            rows.append(_line_row(srv['host'], ln, thresholds))
    return sorted(rows, key=lambda r: (HEALTH_RANK.get(r['health'], 0), r['host'], r['line']))


def summarize(servers, rows):
    s = {'servers': len(servers), 'servers_unreachable': 0, 'servers_without_lines': 0, 'lines': 0, 'lines_up': 0,
         'lines_down': 0, 'lines_warning': 0, 'calls': 0, 'callbacks': 0, 'callbacks_dialled': 0,
         'callbacks_connected': 0, 'callbacks_failed': 0, 'gate_refusals': 0, 'unknown_logins': 0,
         'pap_failures': 0, 'failures': 0, 'failures_by_outcome': {}, 'callback_minutes': 0.0, 'ppp_sessions': 0,
         'ppp_minutes': 0.0, 'ppp_hours': 0.0, 'bytes_in': 0, 'bytes_out': 0, 'warnings': []}
    for srv in servers:
        if not srv.get('ok'):
            s['servers_unreachable'] += 1
        elif not srv['result'].get('lines'):
            s['servers_without_lines'] += 1
    callback_seconds = ppp_seconds = 0.0
    for row in rows:
        if not row['reachable'] or row['no_port']:
            continue
        s['lines'] += 1
        if row['health'] == 'CRITICAL':
            s['lines_down'] += 1
        else:
            s['lines_up'] += 1
        if row['health'] == 'WARNING':
            s['lines_warning'] += 1
        s['warnings'] += ['%s %s: %s' % (row['host'], row['line'], w) for w in row['warnings']]
        for c in row['calls']:
            s['calls'] += 1
            result = c.get('callback_result')
            s['callbacks'] += 1 if result else 0
            s['callbacks_dialled'] += 1 if result in ('success', 'failed', 'none') else 0
            s['callbacks_connected'] += 1 if result == 'success' else 0
            outcome = c.get('outcome')
            s['callbacks_failed'] += 1 if outcome == 'callback_failed' else 0
            s['gate_refusals'] += 1 if outcome == 'callback_refused' else 0
            s['unknown_logins'] += 1 if outcome == 'refused' else 0
            s['pap_failures'] += 1 if outcome == 'ppp_auth_failed' else 0
            if outcome in FAILED_OUTCOMES:
                s['failures'] += 1
                s['failures_by_outcome'][outcome] = s['failures_by_outcome'].get(outcome, 0) + 1
            callback_seconds += c.get('callback_seconds') or 0.0
            if outcome == 'ppp':
                s['ppp_sessions'] += 1
                ppp_seconds += c.get('ppp_seconds') or 0.0
            s['bytes_in'] += c.get('bytes_in') or 0
            s['bytes_out'] += c.get('bytes_out') or 0
    s['callback_minutes'] = _minutes(callback_seconds)
    s['ppp_minutes'] = _minutes(ppp_seconds)
    s['ppp_hours'] = round(ppp_seconds / 3600.0, 4)
    return s


def totals(rows):
    by_login, by_number, by_user = {}, {}, {}
    for row in rows:
        for c in row['calls']:
            if c.get('pseudo_login'):
                _add(by_login, c['pseudo_login'], c)
                _add(by_number, c.get('callback_number') or '(not in login.config)', c)
            if c.get('ppp_user'):
                _add(by_user, c['ppp_user'], c)
    return {'by_pseudo_login': _finish(by_login), 'by_number': _finish(by_number), 'by_ppp_user': _finish(by_user)}


OUTCOME_COLOURS = {'ppp': '#2e7d32', 'login': '#1565c0', 'ppp_auth_failed': '#c62828',
                   'callback_failed': '#ef6c00', 'callback_refused': '#6a1b9a', 'refused': '#616161',
                   'no_login': '#9e9e9e'}


def timeline(rows, since, generated):
    """The SVG's geometry: one row per line, a bar per call from its start to its end."""
    lines = [r for r in rows if r['reachable'] and not r['no_port']]
    label_w, width, row_h, top = 190, 900, 26, 24
    height = top + row_h * max(len(lines), 1) + 10
    since, generated = float(since), float(generated)
    span = max(generated - since, 1.0)

    def x(t):
        return round(label_w + (min(max(float(t), since), generated) - since) / span * (width - label_w - 10), 1)

    ticks = []
    for i in range(5):
        t = since + span * i / 4
        ticks.append({'x': x(t), 'label': datetime.datetime.fromtimestamp(t).strftime('%m-%d %H:%M'),
                      'anchor': 'start' if i == 0 else ('end' if i == 4 else 'middle')})
    out_rows = []
    for i, row in enumerate(lines):
        y = top + i * row_h
        bars = []
        for c in row['calls']:
            x0 = x(c['start'])
            x1 = max(x(c.get('end') or c['start']), x0 + 3)
            bars.append({'x': x0, 'width': round(x1 - x0, 1), 'outcome': c.get('outcome') or '',
                         'title': '%s %s: %s' % (c['start_iso'], c.get('login') or '', c.get('outcome') or '')})
        out_rows.append({'label': '%s %s' % (row['host'], row['line']), 'y': y, 'bars': bars})
    return {'width': width, 'height': height, 'label_width': label_w, 'top': top, 'ticks': ticks, 'rows': out_rows,
            'colours': OUTCOME_COLOURS, 'title': 'Calls per line from %s to %s' % (iso(since), iso(generated))}


def status_report(servers, generated, since, thresholds=None):
    limits = _thresholds(thresholds)
    rows = report_lines(sorted(servers, key=lambda s: s['host']), limits)
    rank = {}
    for row in rows:
        rank.setdefault(row['host'], HEALTH_RANK.get(row['health'], 0))
    servers = sorted(servers, key=lambda s: (rank.get(s['host'], 2), s['host']))
    summary = summarize(servers, rows)
    summary['thresholds'] = limits
    return {'summary': summary, 'servers': servers, 'lines': rows, 'totals': totals(rows),
            'timeline': timeline(rows, since, generated), 'generated': iso(generated), 'since': iso(since),
            'thresholds': limits, 'outcomes': [{'name': o, 'words': w, 'colour': OUTCOME_COLOURS[o]} for o, w in OUTCOMES]}


class FilterModule(object):
    def filters(self):
        return {'status_report': status_report}
