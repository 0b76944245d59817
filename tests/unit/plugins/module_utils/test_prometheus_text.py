# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The metrics renderer (module_utils/prometheus_text.py): Prometheus' naming, every state and outcome
as a series, no "total" label value, label values escaped; read back by the check command's parser."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import importlib.util
import os
import re

from ansible_collections.dialin.callback.plugins.module_utils import prometheus_text

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))


def check_command():
    spec = importlib.util.spec_from_file_location('check_dialin_callback', os.path.join(TOP, 'extras', 'check_dialin_callback.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def line(name='ttyS1', state='idle', health='OK', calls=None):
    return {'line': name, 'state': state, 'health': health, 'healthy': health != 'CRITICAL',
            'calls_total': dict(calls or {})}


def samples(text):
    """{(name, frozenset(labels)): value} of the exposition text, parsed as the check command reads it."""
    return dict(((n, frozenset(labels.items())), v) for n, labels, v in check_command().parse(text))


def test_names_types_and_help_follow_prometheus_conventions():
    text = prometheus_text.render([line(calls={'ppp': 2, 'callback_failed': 1})], 1796074600.5)
    types = dict(re.findall(r'^# TYPE (\S+) (\S+)$', text, re.M))
    assert types == {
        'dialin_callback_line_up': 'gauge',
        'dialin_callback_line_health': 'gauge',
        'dialin_callback_line_state': 'gauge',
        'dialin_callback_calls_total': 'counter',
        'dialin_callback_textfile_last_update_timestamp_seconds': 'gauge',
    }
    helps = re.findall(r'^# HELP (\S+) \S', text, re.M)
    assert helps == list(types)
    # Counters end in _total, nothing else does; every sample belongs to a declared metric.
    for name, kind in types.items():
        assert name.endswith('_total') == (kind == 'counter'), name
    for sample in re.findall(r'^([a-z_]+)[{ ]', text, re.M):
        assert sample in types, sample
    assert text.endswith('\n') and not text.endswith('\n\n')


def test_calls_are_a_counter_by_outcome_without_a_total_series():
    text = prometheus_text.render([line(calls={'ppp': 2, 'callback_failed': 1})], 100.0)
    got = samples(text)
    assert 'outcome="total"' not in text and 'total"' not in text
    calls = dict((dict(k[1])['outcome'], v) for k, v in got.items() if k[0] == 'dialin_callback_calls_total')
    # Every outcome is a series (0 when none), so that none appears or vanishes between scrapes.
    assert calls == dict((o, {'ppp': 2, 'callback_failed': 1}.get(o, 0)) for o in prometheus_text.OUTCOMES)
    assert 'dialin_callback_calls{' not in text


def test_states_health_up_and_timestamp():
    text = prometheus_text.render([line('ttyS1', 'idle', 'OK'), line('ttyUSB0', 'no_mgetty', 'CRITICAL'),
                                   line('ttyS2', 'idle', 'WARNING')], 1796074600.5)
    got = samples(text)
    up = dict((dict(k[1])['line'], v) for k, v in got.items() if k[0] == 'dialin_callback_line_up')
    health = dict((dict(k[1])['line'], v) for k, v in got.items() if k[0] == 'dialin_callback_line_health')
    assert up == {'ttyS1': 1, 'ttyUSB0': 0, 'ttyS2': 1}
    assert health == {'ttyS1': 0, 'ttyUSB0': 2, 'ttyS2': 1}
    states = [(dict(k[1])['line'], dict(k[1])['state'], v) for k, v in got.items() if k[0] == 'dialin_callback_line_state']
    assert len(states) == 3 * len(prometheus_text.STATES)
    assert sorted((ln, s) for ln, s, v in states if v == 1) == [('ttyS1', 'idle'), ('ttyS2', 'idle'), ('ttyUSB0', 'no_mgetty')]
    assert got[('dialin_callback_textfile_last_update_timestamp_seconds', frozenset())] == 1796074600.5


def test_label_values_are_escaped():
    odd = 'tty"S\\1\nx'
    text = prometheus_text.render([line(odd)], 1.0)
    assert 'line="tty\\"S\\\\1\\nx"' in text
    # One sample per text line: the line feed did not break a sample in two.
    assert all(re.match(r'^(#|dialin_callback_)', ln) for ln in text.splitlines())
    lines = set(dict(k[1]).get('line') for k in samples(text))
    assert lines == {odd, None}
    assert prometheus_text.escape_label_value('a\\b"c\nd') == 'a\\\\b\\"c\\nd'


def test_no_lines_still_gives_the_timestamp():
    text = prometheus_text.render([], 5.0)
    assert samples(text) == {('dialin_callback_textfile_last_update_timestamp_seconds', frozenset()): 5.0}


def test_the_whole_exposition_of_one_line():
    """The file node exporter's textfile collector reads, as a whole: each metric's HELP line (what
    Prometheus shows for it), its TYPE, its samples in order, and the timestamp's sample without a
    label set (no empty braces)."""
    text = prometheus_text.render([line('ttyS1', 'ringing', 'WARNING', {'ppp': 3, 'callback_failed': 1})],
                                  1796074600.25)
    states = ''.join('dialin_callback_line_state{line="ttyS1",state="%s"} %d\n' % (s, s == 'ringing')
                     for s in prometheus_text.STATES)
    outcomes = ''.join('dialin_callback_calls_total{line="ttyS1",outcome="%s"} %d\n'
                       % (o, {'ppp': 3, 'callback_failed': 1}.get(o, 0)) for o in prometheus_text.OUTCOMES)
    assert text == (
        '# HELP dialin_callback_line_up 1 when the line answers calls (its health is not CRITICAL), else 0.\n'
        '# TYPE dialin_callback_line_up gauge\n'
        'dialin_callback_line_up{line="ttyS1"} 1\n'
        "# HELP dialin_callback_line_health The line's health: 0 OK, 1 WARNING, 2 CRITICAL.\n"
        '# TYPE dialin_callback_line_health gauge\n'
        'dialin_callback_line_health{line="ttyS1"} 1\n'
        "# HELP dialin_callback_line_state 1 for the line's current state, 0 for the other states.\n"
        '# TYPE dialin_callback_line_state gauge\n'
        + states +
        "# HELP dialin_callback_calls_total Finished calls in the line's current logs, by outcome"
        " (rotating mgetty's log starts it again).\n"
        '# TYPE dialin_callback_calls_total counter\n'
        + outcomes +
        '# HELP dialin_callback_textfile_last_update_timestamp_seconds When these metrics were read from the host'
        ' (seconds since the epoch).\n'
        '# TYPE dialin_callback_textfile_last_update_timestamp_seconds gauge\n'
        'dialin_callback_textfile_last_update_timestamp_seconds 1796074600.25\n')


def test_the_health_help_names_the_values_line_health_takes():
    text = prometheus_text.render([line('ttyS1', 'idle', h) for h in prometheus_text.HEALTH], 1.0)
    help_line = re.search(r'^# HELP dialin_callback_line_health (.*)$', text, re.M).group(1)
    for value, health in enumerate(prometheus_text.HEALTH):
        assert '%d %s' % (value, health) in help_line


def test_a_count_given_as_a_bool_is_written_as_a_number():
    """Prometheus reads numbers only: True and False (a bool is an int in Python) are 1 and 0."""
    text = prometheus_text.render([line(calls={'ppp': True, 'login': False})], 1.0)
    assert 'dialin_callback_calls_total{line="ttyS1",outcome="ppp"} 1\n' in text
    assert 'dialin_callback_calls_total{line="ttyS1",outcome="login"} 0\n' in text
    assert 'True' not in text and 'False' not in text
