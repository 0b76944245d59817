# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The log parsers of line_status on the logs of an end-to-end run (tests/unit/fixtures/e2e, see its
README): mgetty's and callback's logs, the VM's syslog (pppd, the callback gate), utmp and wtmp.
What each must find comes from the run's own record of its scenarios (scenarios.json) and from the
test data (tests/e2e/vars/e2e.yml), not from lines written here."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import time

import pytest
import yaml

from ansible_collections.dialin.callback.plugins.module_utils import call_accounting
from ansible_collections.dialin.callback.plugins.module_utils import mgetty_log
from ansible_collections.dialin.callback.plugins.module_utils import pppd_syslog
from ansible_collections.dialin.callback.plugins.module_utils import utmp

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
FIX = os.path.join(TOP, 'tests', 'unit', 'fixtures', 'e2e')
LINE = 'ttyS1'


def read(name, mode='r'):
    with open(os.path.join(FIX, name), mode) as f:
        return f.read()


pytestmark = pytest.mark.usefixtures('utc_clock')


@pytest.fixture(scope='module')
def run():
    record = json.loads(read('scenarios.json'))
    with open(os.path.join(TOP, 'tests', 'e2e', 'vars', 'e2e.yml')) as f:
        data = yaml.safe_load(f)
    dialled = [r for r in record['scenarios'] if 't_start' in r]
    by_name = {sc['name']: sc for sc in record['config']['scenarios']}
    return {'record': record, 'dialled': dialled, 'scenario': by_name, 'data': data,
            'now': max(r['t_end'] for r in dialled) + 60,
            'pseudo_login': data['server_callback_users'][0]['name'],
            'number': data['e2e_caller_number']}


def called_back(run):
    return [r for r in run['dialled'] if run['scenario'][r['name']]['expect'] != 'no-callback']


def test_the_fixture_covers_the_issue_cases(run):
    kinds = [run['scenario'][r['name']]['expect'] for r in run['dialled']]
    # Successful calls, the unknown login, the wrong PAP passwords.
    assert kinds.count('link') >= 2 and 'no-callback' in kinds and kinds.count('no-link') >= 2


# mgetty's log

def test_mgetty_runs_one_answered_call_per_scenario_that_dialled(run):
    runs = mgetty_log.runs(read('mg_%s.log' % LINE), run['now'])
    answered = [r for r in runs if r['answered'] and not r['callback_signal_from']]
    assert len(answered) == len(run['dialled'])
    for r, rec in zip(answered, run['dialled']):
        # mgetty's time stamps are whole seconds.
        assert rec['t_start'] - 1 <= r['ring'] <= r['answered'] <= rec['t_end']
        sc = run['scenario'][rec['name']]
        want = sc['login'] if sc['expect'] == 'no-callback' else run['pseudo_login']
        assert r['login']['user'] == want
        assert r['pid'] == rec['mgetty_pid'] == r['pid']
    # Every mgetty run started with its version line and, but the last, waited for a call.
    assert all(r['version'] == 'stable release 1.2.1' for r in runs)
    assert all(r['waiting'] for r in runs)
    assert mgetty_log.line_state(runs[-1]) == 'idle'


def test_mgetty_runs_woken_by_callback_and_their_logins(run):
    runs = mgetty_log.runs(read('mg_%s.log' % LINE), run['now'])
    woken = [r for r in runs if r['callback_signal_from']]
    assert len(woken) == len(called_back(run))
    cfg = run['data']['e2e_client_peers']
    modes = {p['client_peer_name']: p['client_mode'] for p in cfg}
    for r, rec in zip(woken, called_back(run)):
        want = '/AutoPPP/' if modes[rec['peer']] == 'autoppp' else run['data']['e2e_ppp_user']
        assert r['login']['user'] == want
        assert rec['t_start'] <= r['login']['time'] <= rec['t_end']


def test_callback_log_one_success_per_callback_handing_the_line_to_the_woken_mgetty(run):
    events = mgetty_log.callback_events(read('mg_callback.log'), run['now'])
    runs = mgetty_log.runs(read('mg_%s.log' % LINE), run['now'])
    woken = [r for r in runs if r['callback_signal_from']]
    assert [e['result'] for e in events] == ['success'] * len(called_back(run))
    assert [e['device'] for e in events] == ['/dev/' + LINE] * len(events)
    assert [e['mgetty'] for e in events] == [r['pid'] for r in woken]


# syslog

def test_pppd_sessions_on_the_line(run):
    records = pppd_syslog.parse(read('syslog.log'), run['now'])
    sessions = [s for s in pppd_syslog.sessions(records) if s['device'] == '/dev/' + LINE]
    cfg = run['record']['config']
    assert len(sessions) == len(called_back(run))
    for s, rec in zip(sessions, called_back(run)):
        sc = run['scenario'][rec['name']]
        assert rec['t_start'] <= s['start'] and s['end'] <= rec['t_end'] + 5
        if sc['expect'] == 'link':
            assert (s['user'], s['auth_failed']) == (run['data']['e2e_ppp_user'], False)
            assert (s['local_ip'], s['remote_ip']) == (cfg['server_ppp_ip'], cfg['caller_ppp_ip'])
            assert s['bytes_sent'] > 0 and s['bytes_received'] > 0 and s['interface'].startswith('ppp')
        else:
            assert (s['user'], s['auth_failed']) == (sc['ppp_user'], True)
            assert s['end_reason'] == 'PAP peer authentication failed for %s' % sc['ppp_user']
            assert s['remote_ip'] is None


def test_gate_allowed_each_callback(run):
    gates = pppd_syslog.gate_events(pppd_syslog.parse(read('syslog.log'), run['now']))
    assert [(g['login'], g['line'], g['allowed']) for g in gates] == \
        [(run['pseudo_login'], LINE, True)] * len(called_back(run))


@pytest.mark.parametrize('form', ['rfc3164', 'rfc3339', 'short-unix', 'raw'])
def test_syslog_line_forms_parse_alike(run, form):
    """The fixture's lines rewritten as a syslog daemon's file or journalctl would hold them."""
    raw = [ln for ln in read('syslog.log').splitlines() if ' pppd[' in ln]
    assert raw
    for ln in raw:
        epoch, rest = ln.split(' ', 1)
        original = pppd_syslog.parse_line(ln, run['now'])
        datagram = rest.split('>', 1)[1]          # "Nov 30 21:36:09 pppd[177]: msg"
        stamp, tail = datagram[:15], datagram[16:]
        t = float(epoch)
        if form == 'rfc3164':
            line = '%s vmhost %s' % (stamp, tail)
        elif form == 'rfc3339':
            line = '%s.%06d+00:00 vmhost %s' % (time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(t)),
                                                int(round((t % 1) * 1e6)), tail)
        elif form == 'short-unix':
            line = '%s vmhost %s' % (epoch, tail)
        else:
            line = rest
        rec = pppd_syslog.parse_line(line, run['now'])
        assert (rec['prog'], rec['pid'], rec['msg']) == (original['prog'], original['pid'], original['msg'])
        if form in ('rfc3164', 'raw'):
            # The sender's own time stamp (whole seconds), not the receiver's: they differ in the
            # emulated VM by up to a few seconds.
            assert rec['time'] == time.mktime(time.strptime('2026 ' + stamp, '%Y %b %d %H:%M:%S'))
        else:
            assert abs(rec['time'] - t) < 1e-3
        assert rec['host'] == (None if form == 'raw' else 'vmhost')


# utmp and wtmp

@pytest.mark.parametrize('name', ['utmp', 'wtmp'])
def test_utmp_files_parse_whole(run, name):
    data = read(name, 'rb')
    records = utmp.parse(data)
    assert len(records) == len(data) // utmp.RECORD_SIZE > 0
    assert all(r['type'] in utmp.TYPES.values() for r in records)


def test_wtmp_has_the_ppp_sessions_on_the_line(run):
    """After the callback: login writes the ppplogin scenario's session (the PPP account's shell
    starts pppd), pppd's own `login` option the /AutoPPP/ one (its host field: the interface)."""
    sessions = utmp.sessions(utmp.read(os.path.join(FIX, 'wtmp')))
    linked = [r for r in run['dialled'] if run['scenario'][r['name']]['expect'] == 'link']
    mine = [s for s in sessions if s['line'] == LINE and s['user'] == run['data']['e2e_ppp_user']]
    assert len(mine) == len(linked)
    modes = {p['client_peer_name']: p['client_mode'] for p in run['data']['e2e_client_peers']}
    for sess, rec in zip(mine, linked):
        assert rec['t_start'] <= sess['start'] <= sess['end'] <= rec['t_end'] + 5
        assert sess['host'] == ('' if modes[rec['peer']] == 'ppplogin' else 'ppp0')


def test_wtmp_has_callbacks_command_with_the_number(run):
    dials = utmp.callbacks(utmp.read(os.path.join(FIX, 'wtmp')))
    assert [(d['line'], d['command'].split()[-1]) for d in dials] == [(LINE, run['number'])] * len(called_back(run))
    for d, rec in zip(dials, called_back(run)):
        assert rec['t_start'] <= d['time'] <= rec['t_end']


def test_utmp_refuses_a_partial_record():
    with pytest.raises(utmp.UtmpFormatError):
        utmp.parse(read('wtmp', 'rb')[:-1])


# The calls put together

def expected(run):
    cfg = run['record']['config']
    out = []
    for rec in run['dialled']:
        sc = run['scenario'][rec['name']]
        if sc['expect'] == 'link':
            out.append({'outcome': 'ppp', 'pseudo_login': run['pseudo_login'], 'callback_result': 'success',
                        'callback_number': run['number'], 'ppp_user': run['data']['e2e_ppp_user'],
                        'ppp_peer_ip': cfg['caller_ppp_ip']})
        elif sc['expect'] == 'no-callback':
            out.append({'outcome': 'refused', 'login': sc['login'], 'program': sc['refusal'], 'pseudo_login': None,
                        'callback_result': None, 'ppp_user': None})
        else:
            out.append({'outcome': 'ppp_auth_failed', 'pseudo_login': run['pseudo_login'],
                        'callback_result': 'success', 'callback_number': run['number'], 'ppp_user': sc['ppp_user']})
    return out


def test_calls_are_the_scenarios_that_dialled(run):
    now = run['now']
    records = pppd_syslog.parse(read('syslog.log'), now)
    calls = call_accounting.calls(
        LINE, mgetty_log.runs(read('mg_%s.log' % LINE), now), mgetty_log.callback_events(read('mg_callback.log'), now),
        pppd_syslog.sessions(records), pppd_syslog.gate_events(records),
        call_accounting.callback_numbers(read('login.config')))
    want = expected(run)
    assert len(calls) == len(want)
    for call, exp, rec in zip(calls, want, run['dialled']):
        assert {k: call[k] for k in exp} == exp
        assert rec['t_start'] - 1 <= call['start'] <= call['end'] <= rec['t_end'] + 5
        if exp['outcome'] == 'ppp':
            assert call['bytes_in'] > 0 and call['bytes_out'] > 0 and call['ppp_start'] < call['ppp_end']


def test_callback_numbers_from_the_login_config_the_roles_wrote(run):
    assert call_accounting.callback_numbers(read('login.config')) == {run['pseudo_login']: run['number']}


def fixture_calls(run, mgetty_text=None):
    now = run['now']
    records = pppd_syslog.parse(read('syslog.log'), now)
    return call_accounting.calls(
        LINE, mgetty_log.runs(mgetty_text or read('mg_%s.log' % LINE), now),
        mgetty_log.callback_events(read('mg_callback.log'), now), pppd_syslog.sessions(records),
        pppd_syslog.gate_events(records), call_accounting.callback_numbers(read('login.config')))


def test_the_callback_leg_and_the_ppp_session_last_what_the_scenarios_saw(run):
    """Each callback leg runs from callback's connection to pppd's exit, inside the scenario's time;
    a PPP session from pppd's Connect: to its Exit. spans the moment the caller saw its link up, and
    is no shorter than pppd's own 'Connect time' (the network phase, rounded to 0.1 min)."""
    sessions = {s['pid']: s for s in pppd_syslog.sessions(pppd_syslog.parse(read('syslog.log'), run['now']))}
    calls = fixture_calls(run)
    for call, rec in zip(calls, run['dialled']):
        sc = run['scenario'][rec['name']]
        if sc['expect'] == 'no-callback':
            assert (call['callback_seconds'], call['ppp_seconds'], call['callback_time']) == (None, None, None)
            continue
        # mgetty's and callback's time stamps are whole seconds, syslog's the receiver's.
        assert rec['t_start'] - 1 <= call['callback_time'] <= call['ppp_start'] + 1
        assert call['ppp_end'] <= rec['t_end'] + 5
        assert call['callback_seconds'] == round(call['ppp_end'] - call['callback_time'], 3)
        assert call['ppp_seconds'] == round(call['ppp_end'] - call['ppp_start'], 3)
        assert 0 < call['ppp_seconds'] < call['callback_seconds'] < rec['t_end'] + 5 - rec['t_start']
        if sc['expect'] == 'link':
            assert call['ppp_start'] <= rec['t_link_up'] <= call['ppp_end']
            minutes = sessions[call['ppp_pid']]['connect_minutes']
            assert call['ppp_seconds'] >= minutes * 60 - 3
        else:
            # Refused at PAP: pppd ended before the caller's pppd gave up.
            assert call['ppp_end'] <= rec['t_end_wait'] + 5


def test_no_caller_id_in_the_e2e_run_and_the_one_mgetty_logged_when_there_is_one(run):
    # The emulated line delivers no caller ID: mgetty writes caller='none' (login.c).
    assert [c['caller_id'] for c in fixture_calls(run)] == [None] * len(run['dialled'])
    # The same log with the caller ID mgetty read from a modem's "NMBR = " line in the first call's
    # audit record (what the faults test's modem delivers).
    text = read('mg_%s.log' % LINE).replace("pid=146, caller='none'", "pid=146, caller='5550199'", 1)
    calls = fixture_calls(run, text)
    assert [c['caller_id'] for c in calls] == ['5550199'] + [None] * (len(run['dialled']) - 1)
