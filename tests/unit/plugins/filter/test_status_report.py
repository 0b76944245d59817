# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The fleet report of playbooks/status.yml: the filter status_report's figures from line_status run on
the logs of an end-to-end run (tests/unit/fixtures/e2e), compared with what the run's scenarios did
(scenarios.json, tests/e2e/vars/e2e.yml), and the playbook's templates rendered from them by
Ansible's templating, as ansible.builtin.template renders them."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy
import json
import os
import re
import time

import pytest
import yaml

from ansible.errors import AnsibleFilterError
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from ansible_collections.dialin.callback.plugins.filter.status_report import status_report
from ansible_collections.dialin.callback.plugins.module_utils import line_status
from ansible_collections.dialin.callback.tests.unit.status_page import Page

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
FIX = os.path.join(TOP, 'tests', 'unit', 'fixtures', 'e2e')
TEMPLATES = os.path.join(TOP, 'playbooks', 'templates', 'status')
ISO = r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d'

pytestmark = pytest.mark.usefixtures('utc_clock')


def scenarios():
    with open(os.path.join(FIX, 'scenarios.json')) as f:
        record = json.load(f)
    with open(os.path.join(TOP, 'tests', 'e2e', 'vars', 'e2e.yml')) as f:
        data = yaml.safe_load(f)
    by_name = {sc['name']: sc for sc in record['config']['scenarios']}
    return [dict(by_name[r['name']], **r) for r in record['scenarios'] if 't_start' in r], data


def collect(tmp_path, syslog=None):
    """line_status on the fixture's logs (no process: the line reads no_mgetty)."""
    syslog_path = os.path.join(FIX, 'syslog.log')
    if syslog is not None:
        syslog_path = str(tmp_path / 'syslog.log')
        with open(syslog_path, 'w') as f:
            f.write(syslog)
    (tmp_path / 'proc').mkdir(exist_ok=True)
    return line_status.collect({
        'ports': ['ttyS1'], 'since': '0', 'mgetty_log_dir': FIX, 'callback_log': os.path.join(FIX, 'mg_callback.log'),
        'login_config': os.path.join(FIX, 'login.config'), 'syslog_source': 'files', 'syslog_files': [syslog_path],
        'lock_dir': str(tmp_path), 'utmp': os.path.join(FIX, 'utmp'), 'run_dir': str(tmp_path),
        'facts_file': str(tmp_path / 'absent.fact'), 'proc_dir': str(tmp_path / 'proc')})


def idle(result):
    """The result as a line whose mgetty waits for a call reports it (state idle, health OK)."""
    result = copy.deepcopy(result)
    for ln in result['lines']:
        ln.update(state='idle', health='OK', healthy=True, reason='mgetty 512 waits for a call')
    return result


def report(servers, **kw):
    calls = [c for s in servers if s['ok'] for ln in s['result']['lines'] for c in ln['calls']]
    return status_report(servers, generated=max(c['end'] for c in calls) + 60,
                         since=min(c['start'] for c in calls) - 60, **kw)


def render(name, rep):
    with open(os.path.join(TEMPLATES, name)) as f:
        source = f.read()
    return Templar(loader=DataLoader(), variables={'report': rep}).template(trust_as_template(source))


@pytest.fixture
def e2e(tmp_path):
    return collect(tmp_path)


def test_totals_per_pseudo_login_number_and_ppp_user_are_the_scenarios(e2e):
    sc, data = scenarios()
    rep = report([{'host': 'dialin-a', 'ok': True, 'msg': '', 'result': e2e}])
    called = [r for r in sc if r['expect'] != 'no-callback']
    linked = [r for r in sc if r['expect'] == 'link']
    pseudo, number = data['server_callback_users'][0]['name'], data['e2e_caller_number']
    calls = e2e['lines'][0]['calls']
    legs = sum(c['callback_seconds'] for c in calls if c['callback_seconds'])
    sessions = sum(c['ppp_seconds'] for c in calls if c['outcome'] == 'ppp')
    # Every PPP session lasted at most its scenario's time, and at least from the caller's link up to its end.
    assert sessions <= sum(r['t_end'] + 5 - r['t_start'] for r in linked)
    (by_login,) = rep['totals']['by_pseudo_login']
    (by_number,) = rep['totals']['by_number']
    for per, name in ((by_login, pseudo), (by_number, number)):
        assert per['name'] == name
        assert (per['calls'], per['dialled'], per['connected'], per['failed'], per['refused']) == \
            (len(called), len(called), len(called), 0, 0)
        assert (per['ppp_sessions'], per['pap_failures']) == (len(linked), len(called) - len(linked))
        assert per['callback_minutes'] == round(legs / 60, 2) > 0
        assert per['ppp_minutes'] == round(sessions / 60, 2) > 0
    users = {u['name']: u for u in rep['totals']['by_ppp_user']}
    # The linked calls and bad-pap are the PPP account's; removed-user's is the revoked account's name.
    want = {}
    for r in called:
        user = r.get('ppp_user', data['e2e_ppp_user'])
        want.setdefault(user, [0, 0, 0])
        want[user][0] += 1
        want[user][1 if r['expect'] == 'link' else 2] += 1
    assert {n: [u['calls'], u['ppp_sessions'], u['pap_failures']] for n, u in users.items()} == want
    s = rep['summary']
    assert (s['callbacks_dialled'], s['callbacks_connected'], s['callbacks_failed'], s['gate_refusals']) == \
        (len(called), len(called), 0, 0)
    assert s['unknown_logins'] == sum(1 for r in sc if r['expect'] == 'no-callback')
    assert s['pap_failures'] == sum(1 for r in sc if r['expect'] == 'no-link')
    assert (s['ppp_sessions'], s['ppp_minutes'], s['callback_minutes']) == \
        (len(linked), round(sessions / 60, 2), round(legs / 60, 2))


def test_a_gate_refusal_is_counted_apart_from_failed_callbacks(tmp_path):
    """The gate's refusal (its own syslog line, as callback-gate writes it) of the bad-pap call: a
    refusal, not a failed callback nor a dialled one; the line stays OK until the refusals are more
    than status_warn_gate_refusals."""
    sc, data = scenarios()
    text = open(os.path.join(FIX, 'syslog.log')).read()
    allowed = re.findall(r'(?m)^.*dialin-callback: callback allowed: .*$', text)
    third = allowed[2]
    refused = re.sub(r'callback allowed: (login=\S+ line=\S+) \(.*\)$',
                     r'callback refused: \1: 1 callbacks for this login in the last 3600 s (limit 1)', third)
    result = idle(collect(tmp_path, text.replace(third, refused)))
    calls = result['lines'][0]['calls']
    assert [c['outcome'] for c in calls].count('callback_refused') == 1
    assert [c['name'] for c in sc][[c['outcome'] for c in calls].index('callback_refused')] == 'bad-pap'
    servers = [{'host': 'dialin-a', 'ok': True, 'msg': '', 'result': result}]
    rep = report(servers)
    s = rep['summary']
    called = sum(1 for r in sc if r['expect'] != 'no-callback')
    assert (s['gate_refusals'], s['callbacks_failed'], s['callbacks_dialled'], s['callbacks_connected']) == \
        (1, 0, called - 1, called - 1)
    assert (rep['totals']['by_number'][0]['refused'], rep['totals']['by_number'][0]['failed']) == (1, 0)
    assert rep['lines'][0]['health'] == 'OK'
    warned = report(servers, thresholds={'status_warn_gate_refusals': 0})['lines'][0]
    assert warned['health'] == 'WARNING'
    assert warned['reason'] == '1 callback(s) refused by the gate, more than status_warn_gate_refusals=0'


@pytest.mark.parametrize('name, outcome_count', [
    ('status_warn_unknown_logins', lambda sc: sum(1 for r in sc if r['expect'] == 'no-callback')),
    ('status_warn_pap_failures', lambda sc: sum(1 for r in sc if r['expect'] == 'no-link')),
])
def test_unknown_logins_and_pap_failures_warn_above_their_threshold(e2e, name, outcome_count):
    sc, _data = scenarios()
    n = outcome_count(sc)
    servers = [{'host': 'dialin-a', 'ok': True, 'msg': '', 'result': idle(e2e)}]
    assert report(servers, thresholds={name: n})['lines'][0]['health'] == 'OK'
    rep = report(servers, thresholds={name: n - 1})
    assert rep['lines'][0]['health'] == 'WARNING'
    assert rep['lines'][0]['reason'].endswith('more than %s=%d' % (name, n - 1))
    assert rep['summary']['lines_warning'] == 1 and rep['summary']['lines_up'] == 1
    assert rep['summary']['warnings'] == ['dialin-a ttyS1: ' + rep['lines'][0]['reason']]
    # The defaults (3 each) leave the run's 1 unknown login and 2 PAP failures OK.
    assert report(servers)['lines'][0]['health'] == 'OK'


@pytest.mark.parametrize('value', ['many', -1, '-1', True, 2.5])
def test_a_bad_threshold_is_refused_naming_the_variable(e2e, value):
    servers = [{'host': 'dialin-a', 'ok': True, 'msg': '', 'result': e2e}]
    with pytest.raises(AnsibleFilterError, match=r'^status_warn_pap_failures: .* is not a whole number of 0 or more'):
        report(servers, thresholds={'status_warn_pap_failures': value})
    with pytest.raises(AnsibleFilterError, match='status_warn_pap_failure'):
        report(servers, thresholds={'status_warn_pap_failure': 1})


def test_lines_with_problems_come_first(e2e):
    ok = {'host': 'dialin-a', 'ok': True, 'msg': '', 'result': idle(e2e)}
    warning = {'host': 'dialin-b', 'ok': True, 'msg': '', 'result': idle(e2e)}
    warning['result']['lines'][0].update(health='WARNING', reason='1 callback(s) failed since the given time')
    critical = {'host': 'dialin-c', 'ok': True, 'msg': '', 'result': e2e}
    gone = {'host': 'dialin-d', 'ok': False, 'msg': 'unreachable', 'result': {}}
    portless = {'host': 'dialin-0', 'ok': True, 'msg': '', 'result': dict(e2e, lines=[])}
    rep = report([ok, warning, critical, gone, portless])
    assert [(r['host'], r['health']) for r in rep['lines']] == [
        ('dialin-c', 'CRITICAL'), ('dialin-d', 'CRITICAL'), ('dialin-b', 'WARNING'), ('dialin-0', 'OK'),
        ('dialin-a', 'OK')]
    assert rep['lines'][3]['state'] == 'no dial-in port'
    assert [s['host'] for s in rep['servers']] == ['dialin-c', 'dialin-d', 'dialin-b', 'dialin-0', 'dialin-a']
    s = rep['summary']
    assert (s['servers'], s['servers_without_lines'], s['lines'], s['lines_up'], s['lines_down'], s['lines_warning']) == \
        (5, 1, 3, 2, 1, 1)
    page = Page(render('status.html.j2', rep))
    assert [(r['server'], r['health']) for r in page.rows('Lines')] == [
        (r['host'], r['health']) for r in rep['lines']]
    assert page.row_classes['Lines'][1:] == ['CRITICAL', 'CRITICAL', 'WARNING', 'OK', 'OK']
    md = render('status.md.j2', rep)
    assert re.findall(r'(?m)^\| (dialin-\w) \| [^|]* \| [^|]* \| (\w+) \|', md) == [
        ('dialin-c', 'CRITICAL'), ('dialin-d', 'CRITICAL'), ('dialin-b', 'WARNING'), ('dialin-0', 'OK'),
        ('dialin-a', 'OK')]


def test_times_are_iso_8601_with_their_offset(e2e, monkeypatch):
    monkeypatch.setenv('TZ', 'Europe/Paris')
    time.tzset()
    rep = report([{'host': 'dialin-a', 'ok': True, 'msg': '', 'result': e2e}])
    first = rep['lines'][0]['calls'][0]
    # The e2e run's first RING, 22:03:40 UTC on 30 November, is 23:03:40 in Paris (CET, +01:00).
    assert first['start_iso'] == '2026-11-30T23:03:40+01:00'
    for c in rep['lines'][0]['calls']:
        for key in ('start_iso', 'ppp_start_iso', 'ppp_end_iso', 'callback_time_iso'):
            assert c[key] == '' or re.match('^%s$' % ISO, c[key]), (key, c[key])
    assert re.match('^%s$' % ISO, rep['generated']) and re.match('^%s$' % ISO, rep['since'])


def test_the_page_shows_the_figures_and_nothing_else(e2e):
    sc, _data = scenarios()
    servers = [{'host': 'dialin-a', 'ok': True, 'msg': '', 'result': e2e},
               {'host': 'dialin-b', 'ok': False, 'msg': 'unreachable', 'result': {}}]
    rep = report(servers)
    html = render('status.html.j2', rep)
    page = Page(html)
    # Self-contained and no script: nothing loaded, nothing run.
    assert page.refs == [] and page.scripts == 0
    assert 'data-rendered' not in html and 'rendered:' not in html
    calls = page.rows('dialin-a ttyS1')
    assert len(calls) == len(sc)
    for row, rec, c in zip(calls, sc, rep['lines'][0]['calls']):
        assert row['start'] == c['start_iso'] and re.match('^%s$' % ISO, row['start'])
        assert row['outcome'] == {'link': 'ppp', 'no-callback': 'refused', 'no-link': 'ppp_auth_failed'}[rec['expect']]
        if rec['expect'] == 'no-callback':
            assert (row['login'], row['callback leg'], row['PPP session']) == (rec['login'], '', '')
        else:
            h, m, sec = (int(x) for x in row['callback leg'].split(':'))
            assert abs(h * 3600 + m * 60 + sec - c['callback_seconds']) <= 0.5
            h, m, sec = (int(x) for x in row['PPP session'].split(':'))
            assert abs(h * 3600 + m * 60 + sec - c['ppp_seconds']) <= 0.5
            assert 0 < c['ppp_seconds'] < c['callback_seconds'] <= rec['t_end'] + 5 - rec['t_start']
    (fleet,) = page.rows('Fleet')
    s = rep['summary']
    assert (fleet['calls'], fleet['unknown logins'], fleet['PAP failures'], fleet['refused by the gate']) == \
        (str(len(sc)), str(s['unknown_logins']), str(s['pap_failures']), '0')
    assert fleet['PPP minutes'] == '%.2f' % s['ppp_minutes']
    (number,) = page.rows('Totals per number called back')
    assert (number['number'], number['callbacks dialled']) == (rep['totals']['by_number'][0]['name'], str(s['callbacks_dialled']))
    assert [r['PPP user'] for r in page.rows('Totals per PPP user')] == [u['name'] for u in rep['totals']['by_ppp_user']]
    # One bar per call in the timeline, coloured by its outcome's class.
    bars = re.findall(r'<rect class="(\w+)"', html)
    assert bars == [c['outcome'] for c in rep['lines'][0]['calls']]
    assert page.rows('Lines')[1]['reason'] == 'unreachable or failed: unreachable'


def test_what_a_caller_typed_is_escaped_in_both_documents(e2e):
    result = copy.deepcopy(e2e)
    result['lines'][0]['calls'][1]['login'] = '<img src=x onerror=alert(1)>|x'
    result['lines'][0]['calls'][1]['end_reason'] = 'Modem\nhangup'
    rep = report([{'host': 'dialin-a', 'ok': True, 'msg': '', 'result': result}])
    html = render('status.html.j2', rep)
    assert '<img' not in html and '&lt;img src=x onerror=alert(1)&gt;|x' in html
    assert Page(html).rows('dialin-a ttyS1')[1]['login'] == '<img src=x onerror=alert(1)>|x'
    md = render('status.md.j2', rep)
    assert '<img src=x onerror=alert(1)>\\|x' in md and '| Modem hangup |' in md
    # Every call row of the Markdown table still has its 14 cells.
    rows = [ln for ln in md.splitlines() if re.match(r'^\| %s \|' % ISO, ln)]
    assert len(rows) == len(rep['lines'][0]['calls'])
    assert all(len(re.split(r'(?<!\\)\|', ln)) == 16 for ln in rows)
