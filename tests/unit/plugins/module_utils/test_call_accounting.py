# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Calls put together from the parsed logs (module_utils/call_accounting.py), for the cases the
end-to-end run's logs (test_call_logs.py) do not have: a callback that failed or never came, a
refused or plain login, a call without a login, pppd still running, the windows that tie a record
to its call, several calls in a row; and the callback numbers of login.config's lines.

The inputs are what mgetty_log.runs / callback_events and pppd_syslog.sessions / gate_events give,
with made-up times (seconds)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.dialin.callback.plugins.module_utils import call_accounting

GATE = '/usr/local/lib/dialin-callback/callback-gate'


def mgetty(start, ring=None, answered=None, pid=None, login=None, signal_from=None, last=None):
    """An mgetty run (mgetty_log.runs); login: (time, user, cmd[, name, caller])."""
    if login is not None:
        t, user, cmd, name, caller = tuple(login) + ('', 'none')[len(login) - 3:]
        login = {'time': t, 'name': name, 'user': user, 'cmd': cmd, 'conn': '38400', 'caller': caller, 'dev': 'ttyS1'}
    return {'start': start, 'pid': pid, 'version': 'stable release 1.2.1', 'waiting': start, 'ring': ring,
            'answered': answered, 'connect_failed': None, 'callback_signal_from': signal_from, 'login': login,
            'failed': None, 'exit': None, 'last': last if last is not None else start, 'last_text': 'x'}


def callback(t, result='success', mgetty_pid=None, device='/dev/ttyS1'):
    return {'time': t, 'result': result, 'device': device, 'mgetty': mgetty_pid, 'text': 'x'}


def pppd(pid, start, end=None, link_up=None, user='pppuser', local='10.0.0.1', remote='10.0.0.2',
         auth_failed=False, end_reason='Modem hangup', device='/dev/ttyS1', sent=100, received=200):
    return {'pid': pid, 'start': start, 'end': end, 'device': device, 'interface': 'ppp0', 'user': user,
            'local_ip': local, 'remote_ip': remote, 'link_up': link_up, 'connect_minutes': None,
            'bytes_sent': sent, 'bytes_received': received, 'auth_failed': auth_failed, 'end_reason': end_reason,
            'version': '2.4.9'}


def gate(t, allowed, login='call', line='ttyS1'):
    return {'time': t, 'login': login, 'line': line, 'allowed': allowed, 'reason': ''}


NO_PPP = {'ppp_user': None, 'ppp_start': None, 'ppp_end': None, 'bytes_in': None, 'bytes_out': None,
          'end_reason': None, 'ppp_local_ip': None, 'ppp_peer_ip': None, 'ppp_auth_failed': False, 'ppp_pid': None,
          'ppp_seconds': None}


def calls(runs, events=(), sessions=(), gates=(), numbers=None):
    return call_accounting.calls('ttyS1', list(runs), list(events), list(sessions), list(gates), numbers)


# Whole calls

def test_a_plain_login_with_a_ppp_session_is_a_whole_call():
    (call,) = calls([mgetty(90.0, ring=100.0, answered=101.0, pid=146, login=(102.0, 'pppuser', '/bin/login', 'pppuser', '5550199'),
                            last=102.0)],
                    sessions=[pppd(300, 103.0, end=163.5, link_up=104.0)])
    assert call == {
        'start': 100.0, 'line': 'ttyS1', 'login': 'pppuser', 'typed_name': 'pppuser', 'program': '/bin/login',
        'pseudo_login': None, 'callback_allowed': None, 'callback_number': None, 'callback_result': None,
        'callback_time': None, 'callback_login': None, 'mgetty_pid': 146,
        # pppd's link from its Connect: (link_up) to its Exit.; bytes from the server's side.
        'ppp_user': 'pppuser', 'ppp_start': 104.0, 'ppp_end': 163.5, 'bytes_in': 200, 'bytes_out': 100,
        'end_reason': 'Modem hangup', 'ppp_local_ip': '10.0.0.1', 'ppp_peer_ip': '10.0.0.2', 'ppp_auth_failed': False,
        'ppp_pid': 300, 'caller_id': '5550199', 'ppp_seconds': 59.5, 'callback_seconds': None, 'end': 163.5,
        'outcome': 'ppp'}


def test_a_callback_that_connected_and_the_login_after_it():
    runs = [mgetty(90.0, ring=100.0, answered=101.0, pid=146, login=(102.0, 'call', GATE), last=102.0),
            mgetty(104.0, pid=250, signal_from=249, login=(120.0, 'pppuser', '/bin/login'), last=120.0)]
    (call,) = calls(runs, events=[callback(118.0, mgetty_pid=250)], gates=[gate(102.5, True)],
                    numbers={'call': '5550199'}, sessions=[pppd(300, 121.0, end=181.0, link_up=122.0)])
    assert {k: call[k] for k in ('login', 'program', 'pseudo_login', 'callback_allowed', 'callback_number',
                                 'callback_result', 'callback_time', 'callback_login', 'ppp_pid', 'ppp_start',
                                 'callback_seconds', 'end', 'outcome')} == {
        'login': 'call', 'program': GATE, 'pseudo_login': 'call', 'callback_allowed': True,
        'callback_number': '5550199', 'callback_result': 'success', 'callback_time': 118.0, 'callback_login': 'pppuser',
        'ppp_pid': 300, 'ppp_start': 122.0, 'callback_seconds': 63.0, 'end': 181.0, 'outcome': 'ppp'}


def test_a_callback_that_failed():
    runs = [mgetty(90.0, ring=100.0, answered=101.0, pid=146, login=(102.0, 'call', GATE), last=102.0)]
    (call,) = calls(runs, events=[callback(130.0, 'failed', device='ttyS1'), callback(140.0, 'error', device='ttyS1')])
    assert dict(call, **NO_PPP) == call
    assert (call['callback_result'], call['callback_time'], call['callback_seconds'], call['callback_login'],
            call['end'], call['outcome']) == ('failed', 130.0, None, None, 130.0, 'callback_failed')


def test_a_callback_that_never_came():
    runs = [mgetty(90.0, ring=100.0, answered=101.0, pid=146, login=(102.0, 'call', 'callback'), last=102.0)]
    (call,) = calls(runs)
    assert (call['pseudo_login'], call['callback_result'], call['callback_time'], call['callback_allowed'],
            call['callback_number'], call['end'], call['outcome']) == ('call', 'none', None, None, None, 102.0,
                                                                       'callback_failed')


def test_a_callback_the_gate_refused():
    runs = [mgetty(90.0, ring=100.0, answered=101.0, pid=146, login=(102.0, 'call', GATE), last=103.0)]
    (call,) = calls(runs, gates=[gate(103.0, False), gate(103.0, True, login='other')])
    assert (call['callback_allowed'], call['callback_result'], call['outcome']) == (False, 'refused', 'callback_refused')


@pytest.mark.parametrize('cmd, outcome', [
    ('/bin/false', 'refused'), ('/usr/sbin/nologin', 'refused'), ('/bin/login', 'login'), ('', 'login'),
])
def test_a_login_without_ppp(cmd, outcome):
    runs = [mgetty(90.0, ring=100.0, answered=101.0, pid=146, login=(102.0, 'someone', cmd), last=104.0)]
    (call,) = calls(runs)
    assert (call['program'], call['outcome'], call['end']) == (cmd or None, outcome, 104.0)
    assert dict(call, **NO_PPP) == call


def test_a_call_without_a_login():
    """Answered, then the caller hung up before login.config ran anything."""
    (call,) = calls([mgetty(90.0, ring=100.0, answered=101.0, pid=146, last=130.0)])
    assert (call['login'], call['typed_name'], call['program'], call['caller_id'], call['end'], call['outcome']) == \
        (None, None, None, None, 130.0, 'no_login')


def test_a_call_with_no_time_after_its_start_ends_at_its_start():
    run = mgetty(90.0, ring=100.0, answered=101.0, pid=146)
    run['last'] = None
    assert calls([run])[0]['end'] == 100.0


def test_a_call_ends_no_earlier_than_its_login_when_the_clock_was_set_back():
    runs = [mgetty(90.0, ring=100.0, answered=101.0, pid=146, login=(102.0, 'someone', '/bin/login'), last=95.0)]
    assert calls(runs)[0]['end'] == 102.0


def test_a_call_answered_without_a_ring_line_starts_when_answered():
    (call,) = calls([mgetty(90.0, answered=101.0, pid=146, last=101.0)])
    assert call['start'] == 101.0


# PPP sessions

def test_pppd_still_running():
    runs = [mgetty(90.0, ring=100.0, answered=101.0, pid=146, login=(102.0, 'call', GATE), last=102.0),
            mgetty(104.0, pid=250, signal_from=249, login=(120.0, 'pppuser', '/bin/login'), last=120.0)]
    (call,) = calls(runs, events=[callback(118.0, mgetty_pid=250)], sessions=[pppd(300, 121.0, link_up=122.0)])
    assert (call['ppp_start'], call['ppp_end'], call['ppp_seconds'], call['callback_seconds']) == \
        (122.0, None, None, None)


def test_a_session_without_a_connect_starts_when_pppd_started():
    runs = [mgetty(90.0, ring=100.0, answered=101.0, pid=146, login=(102.0, 'pppuser', '/bin/login'), last=102.0)]
    (call,) = calls(runs, sessions=[pppd(300, 103.0, end=104.0, remote=None, end_reason='Modem hangup')])
    assert (call['ppp_start'], call['ppp_seconds'], call['outcome']) == (103.0, 1.0, 'login')


def test_ppp_seconds_to_the_millisecond():
    runs = [mgetty(90.0, ring=100.0, answered=101.0, pid=146, login=(102.0, 'pppuser', '/bin/login'), last=102.0)]
    (call,) = calls(runs, sessions=[pppd(300, 103.0, end=200.0, link_up=103.00015)])
    assert call['ppp_seconds'] == 97.0


def test_a_session_whose_pap_failed_is_ppp_auth_failed_whatever_else_it_logged():
    runs = [mgetty(90.0, ring=100.0, answered=101.0, pid=146, login=(102.0, 'pppuser', '/bin/login'), last=102.0)]
    (call,) = calls(runs, sessions=[pppd(300, 103.0, end=110.0, link_up=104.0, auth_failed=True)])
    assert call['outcome'] == 'ppp_auth_failed'


def test_the_session_is_the_first_to_start_from_a_second_before_the_login():
    """mgetty's time stamps are whole seconds, syslog's have fractions: a pppd started by the login
    may log up to a second before the login's record; one started earlier is not this call's."""
    runs = [mgetty(90.0, ring=100.0, answered=101.0, pid=146, login=(110.0, 'pppuser', '/bin/login'), last=110.0)]
    assert calls(runs, sessions=[pppd(300, 108.5, end=120.0), pppd(301, 109.0, end=121.0)])[0]['ppp_pid'] == 301
    # One that started between the RING and the login is not the login's either.
    assert calls(runs, sessions=[pppd(300, 105.0, end=120.0)])[0]['ppp_pid'] is None


def test_sessions_on_other_devices_are_not_the_lines():
    runs = [mgetty(90.0, ring=100.0, answered=101.0, pid=146, login=(102.0, 'pppuser', '/bin/login'), last=102.0)]
    assert calls(runs, sessions=[pppd(300, 103.0, end=120.0, device='/dev/ttyS2')])[0]['ppp_pid'] is None


# The windows that tie a record to its call

def three_calls_answered_without_ring():
    return [mgetty(90.0, answered=100.0, pid=146, login=(101.0, 'a', '/bin/login'), last=101.0),
            mgetty(150.0, answered=200.0, pid=147, login=(201.0, 'b', '/bin/login'), last=201.0),
            mgetty(250.0, answered=300.0, pid=148, login=(301.0, 'c', '/bin/login'), last=301.0)]


def test_each_call_takes_only_the_records_before_the_next_call():
    got = calls(three_calls_answered_without_ring(), sessions=[pppd(300, 302.0, end=320.0)])
    assert [c['ppp_pid'] for c in got] == [None, None, 300]
    assert [c['start'] for c in got] == [100.0, 200.0, 300.0]
    got = calls(three_calls_answered_without_ring(), sessions=[pppd(301, 202.0, end=220.0)])
    assert [c['ppp_pid'] for c in got] == [None, 301, None]


def test_a_record_at_the_next_calls_start_is_the_next_calls():
    runs = [mgetty(90.0, ring=100.0, answered=101.0, pid=146, login=(102.0, 'call', GATE), last=102.0),
            mgetty(150.0, ring=200.0, answered=201.0, pid=147, login=(202.0, 'other', '/bin/login'), last=202.0)]
    got = calls(runs, events=[callback(200.0, 'failed', device='ttyS1')])
    assert got[0]['callback_result'] == 'none'


def test_a_callback_record_in_the_second_of_the_login_is_the_calls():
    runs = [mgetty(90.0, ring=100.0, answered=101.0, pid=146, login=(102.0, 'call', GATE), last=102.0)]
    assert calls(runs, events=[callback(102.0, 'failed', device='ttyS1')])[0]['callback_result'] == 'failed'
    # One before the login belongs to an earlier call.
    assert calls(runs, events=[callback(101.0, 'failed', device='ttyS1')])[0]['callback_result'] == 'none'
    assert calls(runs, events=[callback(101.0, 'success', mgetty_pid=250)])[0]['callback_result'] == 'none'


def test_the_gates_verdict_from_five_seconds_before_the_login():
    runs = [mgetty(90.0, ring=100.0, answered=101.0, pid=146, login=(110.0, 'call', GATE), last=110.0)]
    assert calls(runs, gates=[gate(105.0, False)])[0]['callback_allowed'] is False
    assert calls(runs, gates=[gate(104.5, False)])[0]['callback_allowed'] is None


def test_a_gate_line_of_another_port_is_not_the_lines():
    runs = [mgetty(90.0, ring=100.0, answered=101.0, pid=146, login=(102.0, 'call', GATE), last=102.0)]
    assert calls(runs, gates=[gate(102.0, False, line='ttyS10')])[0]['callback_allowed'] is None


# The callback leg

def test_the_leg_is_the_mgetty_callback_handed_the_line_to():
    runs = [mgetty(90.0, ring=100.0, answered=101.0, pid=146, login=(102.0, 'call', GATE), last=102.0),
            mgetty(104.0, pid=249, signal_from=240, login=(110.0, 'wrong', '/bin/login'), last=111.0),
            mgetty(112.0, pid=250, signal_from=249, login=(120.0, 'pppuser', '/bin/login'), last=125.0)]
    (call,) = calls(runs, events=[callback(118.0, mgetty_pid=250)])
    assert (call['callback_login'], call['callback_seconds']) == ('pppuser', 7.0)


def test_a_woken_mgetty_without_a_pid_after_the_call_is_the_leg():
    runs = [mgetty(90.0, ring=100.0, answered=101.0, pid=146, login=(102.0, 'call', GATE), last=102.0),
            mgetty(104.0, signal_from=249, last=130.0)]
    (call,) = calls(runs, events=[callback(118.0, mgetty_pid=250)])
    # No login after the callback: the leg lasts to the woken mgetty's last record.
    assert (call['callback_login'], call['callback_seconds']) == (None, 12.0)


def test_a_callback_success_without_its_mgetty_in_the_log():
    runs = [mgetty(90.0, ring=100.0, answered=101.0, pid=146, login=(102.0, 'call', GATE), last=102.0)]
    (call,) = calls(runs, events=[callback(118.0, mgetty_pid=250)])
    assert (call['callback_result'], call['callback_login'], call['callback_seconds']) == ('success', None, 0.0)


# The call's end: the last time known of it, the callback leg's included

def test_a_call_ends_with_the_last_record_of_the_mgetty_callback_woke():
    """No pppd after the callback: the leg ran to the woken mgetty's last record (130), after the
    callback's record (118) and the call's own records (102)."""
    runs = [mgetty(90.0, ring=100.0, answered=101.0, pid=146, login=(102.0, 'call', GATE), last=102.0),
            mgetty(104.0, pid=250, signal_from=249, login=(120.0, 'someone', '/bin/login'), last=130.0)]
    (call,) = calls(runs, events=[callback(118.0, mgetty_pid=250)])
    assert (call['callback_login'], call['callback_seconds'], call['ppp_start'], call['end'], call['outcome']) == \
        ('someone', 12.0, None, 130.0, 'login')
    assert call['end'] == call['callback_time'] + call['callback_seconds']


def test_a_call_whose_pppd_still_runs_ends_no_earlier_than_its_link():
    """pppd runs (no Exit. yet): the call has lasted at least to the link's Connect: (122), after
    the woken mgetty's login (120) and the callback's record (118)."""
    runs = [mgetty(90.0, ring=100.0, answered=101.0, pid=146, login=(102.0, 'call', GATE), last=102.0),
            mgetty(104.0, pid=250, signal_from=249, login=(120.0, 'pppuser', '/bin/login'), last=120.0)]
    (call,) = calls(runs, events=[callback(118.0, mgetty_pid=250)], sessions=[pppd(300, 121.0, link_up=122.0)])
    assert (call['ppp_end'], call['callback_seconds'], call['end'], call['outcome']) == (None, None, 122.0, 'ppp')
    # Without a callback as well: a login that started pppd, still running.
    runs = [mgetty(90.0, ring=100.0, answered=101.0, pid=146, login=(102.0, 'pppuser', '/bin/login'), last=102.0)]
    (call,) = calls(runs, sessions=[pppd(300, 103.0, link_up=104.0)])
    assert (call['ppp_end'], call['end']) == (None, 104.0)


def test_a_call_ends_no_earlier_than_the_login_after_its_callback_when_the_clock_was_set_back():
    runs = [mgetty(90.0, ring=100.0, answered=101.0, pid=146, login=(102.0, 'call', GATE), last=102.0),
            mgetty(104.0, pid=250, signal_from=249, login=(120.0, 'someone', '/bin/login'), last=110.0)]
    (call,) = calls(runs, events=[callback(108.0, mgetty_pid=250)])
    assert (call['callback_login'], call['end']) == ('someone', 120.0)


def test_a_call_ends_no_earlier_than_its_start_when_the_clock_was_set_back():
    runs = [mgetty(90.0, ring=100.0, answered=101.0, pid=146, login=(99.0, 'someone', '/bin/login'), last=98.0)]
    assert calls(runs)[0]['end'] == 100.0


# caller_id

@pytest.mark.parametrize('value, number', [
    (None, None), ('', None), ('none', None), (' none ', None), (' 5550199 ', '5550199'),
])
def test_caller_id(value, number):
    assert call_accounting.caller_id(value) == number


# callback_numbers

def test_callback_numbers_of_version_1_and_2_lines():
    v1 = ('# call - - /usr/sbin/callback 5550100\n'
          '#call - - /usr/sbin/callback 5550100\n'
          'call - - /usr/sbin/callback -S 5550101\n'
          'two - - callback-gate @ 5550102 5550103\n'
          'opts - - /usr/sbin/callback -l ttyS1 -m ATZ -s 9600 -d 5550104\n'
          'bare - - /usr/sbin/callback\n'
          'short - -\n'
          'other - - /bin/login @\n')
    want = {'call': '5550101', 'two': '5550102 5550103', 'opts': '5550104', 'bare': None}
    assert call_accounting.callback_numbers(v1) == want
    assert call_accounting.callback_numbers('!version 1\n' + v1) == want
    # "!version" without a number, or with a word, is version 1.
    assert call_accounting.callback_numbers('!version\n' + v1) == want
    assert call_accounting.callback_numbers('!version two\n' + v1) == want
    v2 = ('!version 2\n'
          'call N - - /usr/sbin/callback 5550101\n'
          'short N - -\n'
          'four N - /usr/sbin/callback 5550105\n')
    assert call_accounting.callback_numbers(v2) == {'call': '5550101'}
    assert call_accounting.callback_numbers('') == {} and call_accounting.callback_numbers(None) == {}
