# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# check_dialin_callback: a Nagios / Icinga check of a dial-in callback server, following the
# Monitoring Plugins guidelines (https://www.monitoring-plugins.org/doc/guidelines.html): one status
# line "DIALIN_CALLBACK <STATE> - <text> | <perfdata>", exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
#
# It reads the dialin_callback_* metrics that the mgetty role's metrics timer writes for node
# exporter, from node exporter's scrape (--url http://HOST:9100/metrics) or from the file itself
# (--file, for NRPE on the server). Python 3's standard library only: run it as
#   python3 check_dialin_callback.py --url http://HOST:9100/metrics
#
# The state is the worst of:
# - each line's health (dialin_callback_line_health: 0 OK, 1 WARNING a callback failed, 2 CRITICAL
#   no mgetty, a modem that does not answer, a foreign lock);
# - the metrics' age (now - dialin_callback_textfile_last_update_timestamp_seconds) against
#   --warning-age and --critical-age: a timer that stopped writing leaves old values behind;
# - no dialin_callback metrics in the scrape (the file is missing): CRITICAL; no line in them: WARNING.
# The host or node exporter unreachable (connection refused, time-out, name not resolved, an HTTP
# error): CRITICAL, as the guidelines want for such errors outside the plugin, or UNKNOWN with
# --unreachable unknown (when the host check already alerts on it). Bad arguments, an unreadable
# scrape: UNKNOWN.

import argparse
import re
import socket
import sys
import time
import urllib.error
import urllib.request

OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3
STATE_NAMES = ('OK', 'WARNING', 'CRITICAL', 'UNKNOWN')
PREFIX = 'dialin_callback_'
TIMESTAMP = PREFIX + 'textfile_last_update_timestamp_seconds'

_SAMPLE = re.compile(r'^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>.*)\})?\s+(?P<value>\S+)(?:\s+-?\d+)?\s*$')
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)')


class Unknown(Exception):
    """The check could not be made for a reason of its own (exit 3)."""


class Unreachable(Exception):
    """The scrape could not be fetched (CRITICAL, or UNKNOWN with --unreachable unknown)."""


def unescape(value):
    return re.sub(r'\\(.)', lambda m: {'n': '\n', '\\': '\\', '"': '"'}.get(m.group(1), '\\' + m.group(1)), value)


def parse_labels(text, line):
    labels = {}
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _LABEL.match(text, pos)
        if not m:
            raise Unknown('cannot read the labels of the scrape line %r' % line[:200])
        labels[m.group(1)] = unescape(m.group(2))
        pos = m.end()
    return labels


def parse(text):
    """[(name, {label: value}, float)] of the exposition text's samples."""
    samples = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith('#'):
            continue
        m = _SAMPLE.match(line)
        if not m:
            raise Unknown('cannot read the scrape line %r' % line[:200])
        try:
            value = float(m.group('value'))
        except ValueError:
            raise Unknown('not a number in the scrape line %r' % line[:200])
        samples.append((m.group('name'), parse_labels(m.group('labels') or '', line), value))
    return samples


def fetch(url, timeout):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # nosec: the operator's URL
            return resp.read().decode('utf-8', 'replace')
    except urllib.error.HTTPError as exc:
        raise Unreachable('%s answered HTTP %d %s' % (url, exc.code, exc.reason))
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, socket.timeout):
            raise Unreachable('%s: no answer within %g s' % (url, timeout))
        raise Unreachable('%s: %s' % (url, getattr(reason, 'strerror', None) or reason))
    except (socket.timeout, TimeoutError):
        raise Unreachable('%s: no answer within %g s' % (url, timeout))
    except (OSError, ValueError) as exc:
        raise Unreachable('%s: %s' % (url, exc))


def perf(label, value, uom='', warn='', crit='', minimum='', maximum=''):
    if re.search(r"[\s='|]", label):
        label = "'%s'" % label.replace("'", "''")
    fields = ['%s%s' % (_num(value), uom), _num(warn), _num(crit), _num(minimum), _num(maximum)]
    while fields and fields[-1] == '':
        fields.pop()
    return '%s=%s' % (label, ';'.join(fields))


def _num(value):
    if value == '' or value is None:
        return ''
    if isinstance(value, float) and not value.is_integer():
        return '%.1f' % value
    return '%d' % value


def evaluate(samples, now, warning_age, critical_age, only_lines=None):
    """(state, text, perfdata) from the scrape's samples."""
    ts = [v for n, _l, v in samples if n == TIMESTAMP]
    if not ts:
        scrape_error = [v for n, _l, v in samples if n == 'node_textfile_scrape_error']
        hint = ' (node exporter could not read a textfile)' if scrape_error and scrape_error[0] else ''
        return CRITICAL, ('no dialin_callback metrics in the scrape%s: is the metrics timer writing '
                          'dialin_callback.prom into the textfile directory?' % hint), []
    age = max(0.0, now - max(ts))
    health, states, calls = {}, {}, {}
    for name, labels, value in samples:
        line = labels.get('line')
        if line is None or (only_lines and line not in only_lines):
            continue
        if name == PREFIX + 'line_health':
            health[line] = int(value)
        elif name == PREFIX + 'line_state' and value == 1:
            states[line] = labels.get('state', '?')
        elif name == PREFIX + 'calls_total':
            calls[line] = calls.get(line, 0) + value
    for line in only_lines or []:
        if line not in health:
            health[line] = CRITICAL
            states[line] = 'absent from the metrics'
    state = OK
    if age >= critical_age:
        state = CRITICAL
    elif age >= warning_age:
        state = WARNING
    if not health:
        state = max(state, WARNING)
    for h in health.values():
        state = max(state, min(h, CRITICAL))
    # Problem lines first, then the others.
    order = sorted(health, key=lambda ln: (-health[ln], ln))
    parts = ['%s %s%s' % (ln, states.get(ln, '?'), '' if health[ln] == OK else ' (%s)' % STATE_NAMES[min(health[ln], 3)])
             for ln in order]
    text = ', '.join(parts) if parts else 'no dial-in line in the metrics'
    text += '; metrics %d s old' % age
    if age >= warning_age:
        text += ' (%s at %d s: is the metrics timer running?)' % (
            'critical' if age >= critical_age else 'warning', critical_age if age >= critical_age else warning_age)
    perfdata = [perf('lines', len(health), minimum=0),
                perf('lines_up', sum(1 for h in health.values() if h < CRITICAL), minimum=0, maximum=len(health)),
                perf('metrics_age', round(age, 1), 's', warning_age, critical_age, 0)]
    for ln in sorted(health):
        perf_line = ln.replace('/', '_')
        perfdata.append(perf(perf_line + '_health', health[ln], '', 1, 2, 0, 2))
        perfdata.append(perf(perf_line + '_calls', int(calls.get(ln, 0)), 'c', minimum=0))
    return state, text, perfdata


class Parser(argparse.ArgumentParser):
    def error(self, message):
        print('DIALIN_CALLBACK UNKNOWN - %s' % message)
        sys.exit(UNKNOWN)


def main(argv=None):
    parser = Parser(prog='check_dialin_callback', description=(
        "Nagios/Icinga check of a dial-in callback server's lines, from the dialin_callback_* metrics."))
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument('-u', '--url', help="node exporter's metrics, e.g. http://HOST:9100/metrics")
    source.add_argument('-f', '--file', help='the metrics file itself (e.g. /var/lib/prometheus/node-exporter/dialin_callback.prom)')
    parser.add_argument('-t', '--timeout', type=float, default=10.0, help='seconds to wait for the scrape (default: %(default)s)')
    parser.add_argument('-w', '--warning-age', type=float, default=180.0,
                        help='WARNING when the metrics are this many seconds old (default: %(default)s)')
    parser.add_argument('-c', '--critical-age', type=float, default=600.0,
                        help='CRITICAL when the metrics are this many seconds old (default: %(default)s)')
    parser.add_argument('-l', '--line', action='append', default=[],
                        help='only this line (repeatable); a line absent from the metrics is CRITICAL')
    parser.add_argument('--unreachable', choices=('critical', 'unknown'), default='critical',
                        help='the state when the scrape cannot be fetched (default: %(default)s)')
    args = parser.parse_args(argv)
    if args.timeout <= 0 or args.warning_age < 0 or args.critical_age < args.warning_age:
        parser.error('--timeout must be above 0 and 0 <= --warning-age <= --critical-age')
    try:
        if args.url:
            text = fetch(args.url, args.timeout)
        else:
            try:
                with open(args.file) as f:
                    text = f.read()
            except (IOError, OSError) as exc:
                raise Unreachable('%s: %s' % (args.file, exc.strerror))
        state, message, perfdata = evaluate(parse(text), time.time(), args.warning_age, args.critical_age,
                                            args.line)
    except Unreachable as exc:
        state = CRITICAL if args.unreachable == 'critical' else UNKNOWN
        message, perfdata = 'cannot read the metrics: %s' % exc, []
    except Unknown as exc:
        state, message, perfdata = UNKNOWN, str(exc), []
    message = message.replace('|', '/').replace('\n', ' ')
    print('DIALIN_CALLBACK %s - %s%s' % (STATE_NAMES[state], message, (' | ' + ' '.join(perfdata)) if perfdata else ''))
    return state


if __name__ == '__main__':
    try:
        sys.exit(main())
    except Exception as exc:  # pylint: disable=broad-except
        print('DIALIN_CALLBACK UNKNOWN - %s: %s' % (type(exc).__name__, str(exc).replace('\n', ' ')))
        sys.exit(UNKNOWN)
