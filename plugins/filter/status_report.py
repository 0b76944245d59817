# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
name: status_report
short_description: A fleet report (summary, Markdown, self-contained HTML) from line_status results
version_added: 0.1.0
author: dialin.callback contributors
description:
  - Takes one entry per server, C({host, ok, msg, result}) where C(result) is what
    M(dialin.callback.line_status) returned, and returns the fleet's summary and two documents.
  - The summary counts lines up and down (health C(CRITICAL) or an unreachable server is down), calls,
    callbacks per number, failures (calls that ended without a PPP link, failed or refused callbacks),
    and PPP hours.
  - The HTML page holds everything itself (inline CSS, an inline SVG timeline of the calls per line,
    one small inline script); it loads nothing from elsewhere.
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
'''

EXAMPLES = r'''
- name: Write the report
  ansible.builtin.copy:
    content: "{{ (servers | dialin.callback.status_report(generated=now, since=since)).html }}"
    dest: status.html
    mode: "0644"
'''

RETURN = r'''
_value:
  description: C(summary) (a dict), C(markdown) and C(html) (strings), C(servers) (the per-line rows).
  type: dict
'''

import datetime
import html

FAILED_OUTCOMES = ('ppp_auth_failed', 'callback_failed', 'callback_refused', 'refused', 'no_login')


def _ts(t):
    if t is None:
        return ''
    return datetime.datetime.fromtimestamp(float(t)).strftime('%Y-%m-%d %H:%M:%S')


def _hm(t):
    return datetime.datetime.fromtimestamp(float(t)).strftime('%m-%d %H:%M')


def summarize(servers):
    s = {'servers': len(servers), 'servers_unreachable': 0, 'lines': 0, 'lines_up': 0, 'lines_down': 0,
         'lines_warning': 0, 'calls': 0, 'callbacks': 0, 'callbacks_by_number': {}, 'failures': 0,
         'failures_by_outcome': {}, 'ppp_sessions': 0, 'ppp_hours': 0.0, 'bytes_in': 0, 'bytes_out': 0}
    for srv in servers:
        if not srv.get('ok'):
            s['servers_unreachable'] += 1
            continue
        for ln in srv['result'].get('lines', []):
            s['lines'] += 1
            if ln['healthy']:
                s['lines_up'] += 1
            else:
                s['lines_down'] += 1
            if ln['health'] == 'WARNING':
                s['lines_warning'] += 1
            for c in ln.get('calls', []):
                s['calls'] += 1
                if c.get('callback_result'):
                    s['callbacks'] += 1
                    key = c.get('callback_number') or '(unknown)'
                    per = s['callbacks_by_number'].setdefault(key, {'calls': 0, 'success': 0, 'failed': 0})
                    per['calls'] += 1
                    per['success' if c['callback_result'] == 'success' else 'failed'] += 1
                if c.get('outcome') in FAILED_OUTCOMES:
                    s['failures'] += 1
                    s['failures_by_outcome'][c['outcome']] = s['failures_by_outcome'].get(c['outcome'], 0) + 1
                if c.get('ppp_start') and c.get('ppp_end') and c.get('outcome') == 'ppp':
                    s['ppp_sessions'] += 1
                    s['ppp_hours'] += (c['ppp_end'] - c['ppp_start']) / 3600.0
                s['bytes_in'] += c.get('bytes_in') or 0
                s['bytes_out'] += c.get('bytes_out') or 0
    s['ppp_hours'] = round(s['ppp_hours'], 4)
    return s


def _call_row(c):
    return [_ts(c['start']), c.get('login') or '', c.get('callback_number') or '', c.get('callback_result') or '',
            c.get('ppp_user') or '', _ts(c.get('ppp_start')), _ts(c.get('ppp_end')),
            '' if c.get('bytes_in') is None else str(c['bytes_in']),
            '' if c.get('bytes_out') is None else str(c['bytes_out']), c.get('end_reason') or '', c.get('outcome') or '']


CALL_HEADER = ['start', 'login', 'number called back', 'callback', 'PPP user', 'PPP start', 'PPP end',
               'bytes in', 'bytes out', 'end reason', 'outcome']


def markdown(servers, summary, generated):
    def esc(v):
        return str(v).replace('|', '\\|').replace('\n', ' ')

    out = ['# Dial-in callback fleet status', '', 'Generated %s.' % _ts(generated), '', '## Fleet', '',
           '| servers | unreachable | lines | up | down | warning | calls | callbacks | failures | PPP sessions | PPP hours |',
           '|---|---|---|---|---|---|---|---|---|---|---|',
           '| %(servers)d | %(servers_unreachable)d | %(lines)d | %(lines_up)d | %(lines_down)d | %(lines_warning)d | '
           '%(calls)d | %(callbacks)d | %(failures)d | %(ppp_sessions)d | %(ppp_hours).2f |' % summary, '']
    if summary['callbacks_by_number']:
        out += ['### Callbacks per number', '', '| number | callbacks | connected | failed |', '|---|---|---|---|']
        for num, per in sorted(summary['callbacks_by_number'].items()):
            out.append('| %s | %d | %d | %d |' % (esc(num), per['calls'], per['success'], per['failed']))
        out.append('')
    for srv in servers:
        out += ['## %s' % srv['host'], '']
        if not srv.get('ok'):
            out += ['Unreachable or failed: %s' % esc(srv.get('msg') or ''), '']
            continue
        if not srv['result']['lines']:
            out += ['No dial-in port (no port recorded by the mgetty role, no mgetty log).', '']
            continue
        out += ['| line | state | health | reason | calls |', '|---|---|---|---|---|']
        for ln in srv['result']['lines']:
            out.append('| %s | %s | %s | %s | %d |' % (ln['line'], ln['state'], ln['health'], esc(ln['reason']),
                                                       ln['counts']['total']))
        out.append('')
        for ln in srv['result']['lines']:
            if not ln['calls']:
                continue
            out += ['### %s %s' % (srv['host'], ln['line']), '', '| ' + ' | '.join(CALL_HEADER) + ' |',
                    '|' + '---|' * len(CALL_HEADER)]
            out += ['| ' + ' | '.join(esc(v) for v in _call_row(c)) + ' |' for c in ln['calls']]
            out.append('')
    return '\n'.join(out) + '\n'


OUTCOME_COLOURS = {'ppp': '#2e7d32', 'login': '#1565c0', 'ppp_auth_failed': '#c62828',
                   'callback_failed': '#ef6c00', 'callback_refused': '#6a1b9a', 'refused': '#616161',
                   'no_login': '#9e9e9e'}


def timeline_svg(servers, since, generated):
    rows = []
    for srv in servers:
        if srv.get('ok'):
            for ln in srv['result']['lines']:
                rows.append(('%s %s' % (srv['host'], ln['line']), ln['calls']))
    label_w, width, row_h, top = 190, 900, 26, 24
    height = top + row_h * max(len(rows), 1) + 10
    span = max(float(generated) - float(since), 1.0)

    def x(t):
        return label_w + (min(max(float(t), since), generated) - since) / span * (width - label_w - 10)

    parts = ['<svg xmlns="http://www.w3.org/2000/svg" id="timeline" role="img" width="%d" height="%d" '
             'viewBox="0 0 %d %d">' % (width, height, width, height),
             '<title>Calls per line from %s to %s</title>' % (_ts(since), _ts(generated))]
    for i in range(5):
        t = since + span * i / 4
        parts.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>' % (x(t), top - 4, x(t), height - 6))
        anchor = 'start' if i == 0 else ('end' if i == 4 else 'middle')
        parts.append('<text x="%.1f" y="%d" font-size="10" text-anchor="%s">%s</text>'
                     % (x(t), top - 8, anchor, html.escape(_hm(t))))
    for i, (label, calls) in enumerate(rows):
        y = top + i * row_h
        parts.append('<text x="4" y="%d" font-size="12">%s</text>' % (y + 16, html.escape(label)))
        parts.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#999"/>' % (label_w, y + 12, width - 10, y + 12))
        for c in calls:
            x0 = x(c['start'])
            x1 = max(x(c.get('end') or c['start']), x0 + 3)
            colour = OUTCOME_COLOURS.get(c.get('outcome'), '#000')
            parts.append('<rect class="call" x="%.1f" y="%d" width="%.1f" height="16" fill="%s">'
                         '<title>%s %s: %s</title></rect>'
                         % (x0, y + 4, x1 - x0, colour, html.escape(_ts(c['start'])),
                            html.escape(c.get('login') or ''), html.escape(c.get('outcome') or '')))
    parts.append('</svg>')
    return ''.join(parts)


CSS = ('body{font-family:sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}'
       'td,th{border:1px solid #bbb;padding:3px 7px;font-size:13px;text-align:left}th{background:#eee}'
       '.OK{background:#e8f5e9}.WARNING{background:#fff8e1}.CRITICAL{background:#ffebee}')

# The page's one script: counts the rows it shows, a check that the page rendered whole (the test reads it).
SCRIPT = ('document.addEventListener("DOMContentLoaded",function(){'
          'var n=document.querySelectorAll("tr.call").length,l=document.querySelectorAll("tr.line").length;'
          'document.getElementById("rendered").textContent="rendered: "+l+" lines, "+n+" calls";'
          'document.body.setAttribute("data-rendered","yes");});')


def html_page(servers, summary, generated, since):
    e = html.escape
    out = ['<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
           '<title>Dial-in callback fleet status</title><style>%s</style></head><body>' % CSS,
           '<h1>Dial-in callback fleet status</h1><p>Generated %s; calls since %s.</p>'
           % (e(_ts(generated)), e(_ts(since))),
           '<h2>Fleet</h2><table id="summary"><tr><th>servers</th><th>unreachable</th><th>lines</th><th>up</th>'
           '<th>down</th><th>warning</th><th>calls</th><th>callbacks</th><th>failures</th><th>PPP sessions</th>'
           '<th>PPP hours</th></tr>',
           '<tr><td>%(servers)d</td><td>%(servers_unreachable)d</td><td>%(lines)d</td><td>%(lines_up)d</td>'
           '<td>%(lines_down)d</td><td>%(lines_warning)d</td><td>%(calls)d</td><td>%(callbacks)d</td>'
           '<td>%(failures)d</td><td>%(ppp_sessions)d</td><td>%(ppp_hours).2f</td></tr></table>' % summary]
    if summary['callbacks_by_number']:
        out.append('<h3>Callbacks per number</h3><table id="callbacks"><tr><th>number</th><th>callbacks</th>'
                   '<th>connected</th><th>failed</th></tr>')
        for num, per in sorted(summary['callbacks_by_number'].items()):
            out.append('<tr><td>%s</td><td>%d</td><td>%d</td><td>%d</td></tr>' % (e(num), per['calls'], per['success'],
                                                                                  per['failed']))
        out.append('</table>')
    out.append('<h2>Timeline</h2>' + timeline_svg(servers, since, generated))
    for srv in servers:
        out.append('<h2>%s</h2>' % e(srv['host']))
        if not srv.get('ok'):
            out.append('<p class="CRITICAL">Unreachable or failed: %s</p>' % e(srv.get('msg') or ''))
            continue
        if not srv['result']['lines']:
            out.append('<p>No dial-in port (no port recorded by the mgetty role, no mgetty log).</p>')
            continue
        out.append('<table class="lines"><tr><th>line</th><th>state</th><th>health</th><th>reason</th>'
                   '<th>calls</th></tr>')
        for ln in srv['result']['lines']:
            out.append('<tr class="line %s"><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%d</td></tr>'
                       % (e(ln['health']), e(ln['line']), e(ln['state']), e(ln['health']), e(ln['reason']),
                          ln['counts']['total']))
        out.append('</table>')
        for ln in srv['result']['lines']:
            if not ln['calls']:
                continue
            out.append('<h3>%s %s</h3><table class="calls"><tr>%s</tr>'
                       % (e(srv['host']), e(ln['line']), ''.join('<th>%s</th>' % e(h) for h in CALL_HEADER)))
            for c in ln['calls']:
                out.append('<tr class="call">%s</tr>' % ''.join('<td>%s</td>' % e(v) for v in _call_row(c)))
            out.append('</table>')
    out.append('<p id="rendered"></p><script>%s</script></body></html>' % SCRIPT)
    return '\n'.join(out) + '\n'


def status_report(servers, generated, since):
    servers = sorted(servers, key=lambda s: s['host'])
    summary = summarize(servers)
    return {'summary': summary, 'markdown': markdown(servers, summary, generated),
            'html': html_page(servers, summary, generated, since), 'servers': servers}


class FilterModule(object):
    def filters(self):
        return {'status_report': status_report}
