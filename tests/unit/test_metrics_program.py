# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The metrics timer's program (roles/mgetty/files/dialin_callback_metrics.py) and the check command
(extras/check_dialin_callback.py) without a host: the file written whole (mode 0644, no temporary
file left), the call counter leaving out the call in progress, the check's states and status line.
The faults test tests/faults/test_14_metrics.py runs both on a converged host."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import importlib.util
import os
import fcntl
import re
import stat
import threading

import pytest

from ansible_collections.dialin.callback.plugins.module_utils import line_status
from ansible_collections.dialin.callback.plugins.module_utils import prometheus_text

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(TOP, path))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope='module')
def program():
    return load('roles/mgetty/files/dialin_callback_metrics.py', 'dialin_callback_metrics')


@pytest.fixture(scope='module')
def check():
    return load('extras/check_dialin_callback.py', 'check_dialin_callback')


def test_the_file_is_replaced_whole_with_mode_0644(program, tmp_path):
    old = os.umask(0o077)
    try:
        program.write_atomically(str(tmp_path / 'tf'), 'dialin_callback.prom', 'one\n')
        program.write_atomically(str(tmp_path / 'tf'), 'dialin_callback.prom', 'two\n')
    finally:
        os.umask(old)
    assert os.listdir(str(tmp_path / 'tf')) == ['dialin_callback.prom']
    path = tmp_path / 'tf' / 'dialin_callback.prom'
    assert path.read_text() == 'two\n'
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o644
    assert stat.S_IMODE(os.stat(str(tmp_path / 'tf')).st_mode) & 0o755 == 0o755


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(program, tmp_path, monkeypatch):
    program.write_atomically(str(tmp_path), 'dialin_callback.prom', 'old\n')

    def broken(*_args):
        raise OSError(28, 'No space left on device')
    monkeypatch.setattr(program.os, 'fsync', broken)
    with pytest.raises(OSError):
        program.write_atomically(str(tmp_path), 'dialin_callback.prom', 'new\n')
    assert os.listdir(str(tmp_path)) == ['dialin_callback.prom']
    assert (tmp_path / 'dialin_callback.prom').read_text() == 'old\n'


def test_a_run_whose_program_was_removed_writes_nothing(program, tmp_path):
    # mgetty_metrics_enabled false removes the program, then the file: a run still going must not
    # bring the file back.
    lock = str(tmp_path / 'run.lock')
    installed = tmp_path / 'dialin_callback_metrics.py'
    installed.write_text('')
    assert program.write_while_installed(str(tmp_path / 'tf'), 'one\n', lock, str(installed)) is True
    assert (tmp_path / 'tf' / 'dialin_callback.prom').read_text() == 'one\n'
    installed.unlink()
    (tmp_path / 'tf' / 'dialin_callback.prom').unlink()
    assert program.write_while_installed(str(tmp_path / 'tf'), 'two\n', lock, str(installed)) is False
    assert os.listdir(str(tmp_path / 'tf')) == []


def test_the_write_waits_for_the_run_lock(program, tmp_path):
    # The role's removal holds the lock (flock) while it waits for a run: no write until it is free.
    lock = str(tmp_path / 'run.lock')
    results = []
    with open(lock, 'a') as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        writer = threading.Thread(target=lambda: results.append(
            program.write_while_installed(str(tmp_path), 'new\n', lock, program.__file__)))
        writer.start()
        writer.join(1)
        assert writer.is_alive() and results == []
        assert not (tmp_path / 'dialin_callback.prom').exists()
    writer.join(10)
    assert results == [True]
    assert (tmp_path / 'dialin_callback.prom').read_text() == 'new\n'


def test_the_call_in_progress_is_not_counted_yet():
    calls = [{'outcome': 'ppp'}, {'outcome': 'callback_failed'}]
    assert line_status.calls_total(calls, 'idle')['callback_failed'] == 1
    # Waiting for the callback: the call's outcome reads callback_failed until callback dials.
    waiting = line_status.calls_total(calls, 'waiting_for_callback')
    assert waiting['callback_failed'] == 0 and waiting['ppp'] == 1
    assert set(waiting) == set(prometheus_text.OUTCOMES)


def scrape(states=(('ttyS1', 'idle', 'OK'),), age=5.0, now=1000000.0):
    lines = [{'line': ln, 'state': s, 'health': h, 'healthy': h != 'CRITICAL', 'calls_total': {'ppp': 3}}
             for ln, s, h in states]
    return prometheus_text.render(lines, now - age)


@pytest.mark.parametrize('states, age, code, words', [
    ((('ttyS1', 'idle', 'OK'),), 5, 0, 'ttyS1 idle; metrics 5 s old'),
    ((('ttyS1', 'idle', 'WARNING'),), 5, 1, 'ttyS1 idle (WARNING)'),
    ((('ttyS1', 'idle', 'OK'), ('ttyS2', 'no_mgetty', 'CRITICAL')), 5, 2, 'ttyS2 no_mgetty (CRITICAL), ttyS1 idle'),
    ((('ttyS1', 'idle', 'OK'),), 200, 1, 'metrics 200 s old (warning at 180 s'),
    ((('ttyS1', 'idle', 'OK'),), 700, 2, 'metrics 700 s old (critical at 600 s'),
    ((), 5, 1, 'no dial-in line in the metrics'),
])
def test_the_check_s_state_is_the_worst_of_the_lines_and_the_age(check, states, age, code, words):
    now = 1000000.0
    state, text, perf = check.evaluate(check.parse(scrape(states, age, now)), now, 180, 600)
    assert state == code and words in text, (state, text)
    assert perf[:3] == ['lines=%d;;;0' % len(states),
                        'lines_up=%d;;;0;%d' % (sum(1 for s in states if s[2] != 'CRITICAL'), len(states)),
                        'metrics_age=%ds;180;600;0' % age]
    for ln, _s, h in states:
        assert '%s_health=%d;1;2;0;2' % (ln, ['OK', 'WARNING', 'CRITICAL'].index(h)) in perf
        assert '%s_calls=3c;;;0' % ln in perf


def test_the_check_without_the_metrics_is_critical_and_an_unreadable_scrape_unknown(check, tmp_path, capsys):
    state, text, _perf = check.evaluate(check.parse('# HELP node_load1 x\nnode_load1 0.5\n'), 0, 180, 600)
    assert state == 2 and 'no dialin_callback metrics' in text
    f = tmp_path / 'garbage.prom'
    f.write_text('this is { not a metric\n')
    assert check.main(['--file', str(f)]) == 3
    out = capsys.readouterr().out
    assert re.match(r'^DIALIN_CALLBACK UNKNOWN - cannot read the scrape line', out) and out.count('\n') == 1


def test_the_check_prints_one_status_line_with_perfdata(check, tmp_path, capsys):
    f = tmp_path / 'dialin_callback.prom'
    f.write_text(scrape())
    os.utime(str(f))
    # The file's own time stamp is 5 s before the fixed "now" of scrape(): far in the past today.
    assert check.main(['--file', str(f)]) == 2
    out = capsys.readouterr().out
    assert re.match(r'^DIALIN_CALLBACK CRITICAL - ttyS1 idle; metrics \d+ s old \(critical at 600 s: .*\) \| '
                    r'lines=1;;;0 lines_up=1;;;0;1 metrics_age=\d+(\.\d)?s;180;600;0 ttyS1_health=0;1;2;0;2 '
                    r'ttyS1_calls=3c;;;0\n$', out), out
    assert check.main(['--file', str(tmp_path / 'absent.prom'), '--unreachable', 'unknown']) == 3
    assert check.main(['--file', str(tmp_path / 'absent.prom')]) == 2
    with pytest.raises(SystemExit) as exc:  # a bad argument
        check.main(['--url', 'http://127.0.0.1:1/metrics', '--timeout', '0'])
    assert exc.value.code == 3
    assert capsys.readouterr().out.splitlines()[-1].startswith('DIALIN_CALLBACK UNKNOWN - --timeout must be')
