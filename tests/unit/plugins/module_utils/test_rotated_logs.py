# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Rotated logs read back to ``since`` (line_status): the end-to-end run's logs as logrotate rotated
them (tests/unit/fixtures/e2e-rotated, see its README: ``.2.gz``, ``.1`` and the current file),
compared with the same logs unrotated (tests/unit/fixtures/e2e) and with the run's scenarios."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import shutil

import pytest

from ansible_collections.dialin.callback.plugins.module_utils import line_status
from ansible_collections.dialin.callback.plugins.module_utils import mgetty_log
from ansible_collections.dialin.callback.plugins.module_utils import pppd_syslog

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
FIX = os.path.join(TOP, 'tests', 'unit', 'fixtures')
LOGS = ('mg_ttyS1.log', 'mg_callback.log', 'syslog.log')

pytestmark = pytest.mark.usefixtures('utc_clock')


def scenarios():
    with open(os.path.join(FIX, 'e2e', 'scenarios.json')) as f:
        return [r for r in json.load(f)['scenarios'] if 't_start' in r]


def read(*path):
    with open(os.path.join(FIX, *path)) as f:
        return f.read()


@pytest.fixture
def rotated(tmp_path):
    """A host's log directory with the rotated logs (and login.config, utmp of the run)."""
    for name in os.listdir(os.path.join(FIX, 'e2e-rotated')):
        if name != 'README.md':
            shutil.copy(os.path.join(FIX, 'e2e-rotated', name), str(tmp_path / name))
    return tmp_path


def collect(directory, tmp_path, since='0', **kw):
    (tmp_path / 'proc').mkdir(exist_ok=True)
    params = {'ports': ['ttyS1'], 'since': since, 'mgetty_log_dir': str(directory),
              'callback_log': str(directory / 'mg_callback.log'), 'login_config': os.path.join(FIX, 'e2e', 'login.config'),
              'syslog_source': 'files', 'syslog_files': [str(directory / 'syslog.log')], 'lock_dir': str(tmp_path),
              'utmp': os.path.join(FIX, 'e2e', 'utmp'), 'run_dir': str(tmp_path), 'facts_file': str(tmp_path / 'no.fact'),
              'proc_dir': str(tmp_path / 'proc')}
    params.update(kw)
    return line_status.collect(params, now=max(r['t_end'] for r in scenarios()) + 60)


def test_the_rotations_are_found_newest_first(rotated):
    for name in LOGS:
        path = str(rotated / name)
        assert line_status.rotations(path) == [path, path + '.1', path + '.2.gz']


def test_read_back_to_the_start_gives_the_unrotated_log_byte_for_byte(rotated):
    now = max(r['t_end'] for r in scenarios()) + 60
    first = {'mg_ttyS1.log': lambda t: mgetty_log.first_time(t, now), 'mg_callback.log': lambda t: mgetty_log.first_time(t, now),
             'syslog.log': lambda t: pppd_syslog.first_time(t, now)}
    for name in LOGS:
        unreadable = []
        text, paths = line_status.read_back(str(rotated / name), 0, first[name], unreadable)
        assert text == read('e2e', name) and unreadable == []
        assert paths == [str(rotated / name), str(rotated / name) + '.1', str(rotated / name) + '.2.gz']


def test_a_report_since_before_the_rotations_has_every_call_of_the_unrotated_logs(rotated, tmp_path):
    whole = tmp_path / 'whole'
    whole.mkdir()
    for name in LOGS:
        shutil.copy(os.path.join(FIX, 'e2e', name), str(whole / name))
    want = collect(whole, tmp_path)['lines'][0]
    got = collect(rotated, tmp_path)['lines'][0]
    assert len(got['calls']) == len(scenarios()) == len(want['calls'])
    assert got['calls'] == want['calls']
    assert [c['mgetty_pid'] for c in got['calls']] == [r['mgetty_pid'] for r in scenarios()]
    for kind, name in (('mgetty_log', 'mg_ttyS1.log'), ('callback_log', 'mg_callback.log'), ('syslog', 'syslog.log')):
        for suffix in ('', '.1', '.2.gz'):
            assert '%s:%s%s' % (kind, rotated / name, suffix) in got['sources']
    # The counter of finished calls (the metrics timer's) counts the current file's calls only, as
    # before: it starts again at each rotation (the removed-user call is the current file's).
    assert sum(got['calls_total'].values()) == 1 and got['calls_total']['ppp_auth_failed'] == 1
    assert sum(want['calls_total'].values()) == len(scenarios())


@pytest.mark.parametrize('first, logs, callbacks', [
    # From the removed-user call: mgetty's current file only; callback's record of that call comes
    # after its start, its current file starts after it, so its .1 is read too.
    (4, ('',), ('', '.1')),
    # From the autoppp call: mgetty's .1 too, its .gz left alone; callback's .1 starts after that
    # call's start (with its callback record), so its .2.gz is read too.
    (2, ('', '.1'), ('', '.1', '.2.gz')),
])
def test_only_the_rotations_that_reach_back_to_since_are_read(rotated, tmp_path, first, logs, callbacks):
    since = scenarios()[first]['t_start']
    line = collect(rotated, tmp_path, since='%f' % since)['lines'][0]
    assert [c['mgetty_pid'] for c in line['calls']] == [r['mgetty_pid'] for r in scenarios()[first:]]
    assert [s for s in line['sources'] if s.startswith('mgetty_log:')] == \
        ['mgetty_log:%s%s' % (rotated / 'mg_ttyS1.log', suffix) for suffix in logs]
    assert [s for s in line['sources'] if s.startswith('callback_log:')] == \
        ['callback_log:%s%s' % (rotated / 'mg_callback.log', suffix) for suffix in callbacks]
    # Each call still has its callback and PPP session (syslog and callback's log read as far back).
    assert all(c['callback_result'] == 'success' and c['ppp_end'] for c in line['calls'])


def test_a_damaged_rotation_is_named_and_the_others_still_read(rotated, tmp_path):
    gz = rotated / 'mg_ttyS1.log.2.gz'
    gz.write_bytes(gz.read_bytes()[:40])
    line = collect(rotated, tmp_path)['lines'][0]
    assert [u for u in line['unreadable'] if u.startswith(str(gz))], line['unreadable']
    # The calls of .1 and of the current file are there; those of the damaged file are not.
    assert [c['mgetty_pid'] for c in line['calls']] == [r['mgetty_pid'] for r in scenarios()[2:]]


def test_dateext_rotations_are_read_latest_first(tmp_path):
    path = str(tmp_path / 'syslog')
    for name in ('syslog', 'syslog-20261129.gz', 'syslog-20261130', 'syslog-20261128.gz', 'syslog-old'):
        (tmp_path / name).write_text('')
    assert line_status.rotations(path) == [path, path + '-20261130', path + '-20261129.gz', path + '-20261128.gz']
