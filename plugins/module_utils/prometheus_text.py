# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The dial-in lines' metrics in Prometheus' text exposition format (version 0.0.4), as node
exporter's textfile collector reads them; one renderer for the module's ``prometheus`` result and
the file the metrics timer writes (``dialin-callback-metrics``).

Names follow Prometheus' conventions: base units (seconds), ``_total`` for counters and only for
them, one label set per metric (no ``total`` label value beside the per-outcome series: the sum is
``sum by (line) (dialin_callback_calls_total)``), every state and outcome present (0 when not the
case) so that a series does not vanish when it stops being 1.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

STATES = ('no_mgetty', 'initializing', 'idle', 'ringing', 'login_prompt', 'login', 'waiting_for_callback',
          'calling_back', 'ppp_up', 'modem_not_answering', 'foreign_lock')
OUTCOMES = ('ppp', 'ppp_auth_failed', 'callback_refused', 'callback_failed', 'refused', 'login', 'no_login')
HEALTH = ('OK', 'WARNING', 'CRITICAL')

PREFIX = 'dialin_callback_'
TIMESTAMP_METRIC = PREFIX + 'textfile_last_update_timestamp_seconds'


def escape_label_value(value):
    """A label value as the text format wants it: backslash, double quote and line feed escaped."""
    return str(value).replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n')


def _labels(pairs):
    return '{' + ','.join('%s="%s"' % (k, escape_label_value(v)) for k, v in pairs) + '}'


def _number(value):
    if isinstance(value, bool):
        return '1' if value else '0'
    if isinstance(value, int):
        return '%d' % value
    return repr(float(value))


def _metric(out, name, kind, help_text, samples):
    out.append('# HELP %s%s %s' % (PREFIX, name, help_text))
    out.append('# TYPE %s%s %s' % (PREFIX, name, kind))
    for labels, value in samples:
        out.append('%s%s%s %s' % (PREFIX, name, _labels(labels) if labels else '', _number(value)))


def render(lines, now):
    """The exposition text of ``lines`` (dicts with line, state, health, healthy and calls_total,
    {outcome: finished calls in the line's logs}); ``now``: when they were read (seconds since the epoch)."""
    out = []
    _metric(out, 'line_up', 'gauge', '1 when the line answers calls (its health is not CRITICAL), else 0.',
            [((('line', ln['line']),), 1 if ln['healthy'] else 0) for ln in lines])
    _metric(out, 'line_health', 'gauge', "The line's health: 0 OK, 1 WARNING, 2 CRITICAL.",
            [((('line', ln['line']),), HEALTH.index(ln['health'])) for ln in lines])
    _metric(out, 'line_state', 'gauge', "1 for the line's current state, 0 for the other states.",
            [((('line', ln['line']), ('state', s)), 1 if ln['state'] == s else 0)
             for ln in lines for s in STATES + tuple(sorted(set([ln['state']]) - set(STATES)))])
    _metric(out, 'calls_total', 'counter',
            "Finished calls in the line's current logs, by outcome (rotating mgetty's log starts it again).",
            [((('line', ln['line']), ('outcome', o)), ln['calls_total'].get(o, 0))
             for ln in lines for o in OUTCOMES + tuple(sorted(set(ln['calls_total']) - set(OUTCOMES)))])
    _metric(out, 'textfile_last_update_timestamp_seconds', 'gauge',
            'When these metrics were read from the host (seconds since the epoch).', [((), float(now))])
    return '\n'.join(out) + '\n'
