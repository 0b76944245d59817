# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The syslog parser (module_utils/pppd_syslog.py) for the cases the end-to-end run's syslog
(test_call_logs.py, all in UTC, all with a receiver's epoch time) does not have: RFC 3339 time stamps
with other offsets, ``Z`` and none, in a local time zone other than UTC; RFC 3164 time stamps around
the turn of the year and a day ahead of ``now``; pppd runs whose PID comes again, pppd's ``login``
option, the end reasons; the gate's lines."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import calendar
import time

import pytest

from ansible_collections.dialin.callback.plugins.module_utils import pppd_syslog


@pytest.fixture
def zone(monkeypatch):
    """Local time is TZ (a POSIX zone string, no tzdata needed) for the test."""
    def set_zone(tz):
        monkeypatch.setenv('TZ', tz)
        time.tzset()
    yield set_zone
    monkeypatch.undo()
    time.tzset()


def utc(*args):
    return float(calendar.timegm(args + (0,) * (6 - len(args))))


# RFC 3339 time stamps (rsyslog's default)

@pytest.mark.parametrize('stamp, seconds', [
    ('2026-11-30T21:00:00Z', utc(2026, 11, 30, 21)),
    ('2026-11-30T21:00:00.5Z', utc(2026, 11, 30, 21) + 0.5),
    ('2026-11-30T21:00:00+00:00', utc(2026, 11, 30, 21)),
    ('2026-11-30T21:00:00+02:00', utc(2026, 11, 30, 19)),
    ('2026-11-30T21:00:00.250000+05:30', utc(2026, 11, 30, 15, 30) + 0.25),
    ('2026-11-30T21:00:00-0300', utc(2026, 12, 1, 0)),
    ('2026-11-30T21:00:00.123456789-03:00', utc(2026, 12, 1, 0) + 0.123456),
    # Without an offset: local time.
    ('2026-11-30T21:00:00', utc(2026, 11, 30, 19)),
    ('2026-11-30T21:00:00.5', utc(2026, 11, 30, 19) + 0.5),
    ('2026-11-30T21:00:00.123456789', utc(2026, 11, 30, 19) + 0.123456),
])
def test_rfc3339_time_stamps(zone, stamp, seconds):
    zone('EET-2')
    rec = pppd_syslog.parse_line('%s vmhost pppd[812]: Exit.' % stamp)
    assert rec == {'time': seconds, 'host': 'vmhost', 'prog': 'pppd', 'pid': 812, 'msg': 'Exit.'}


# Time stamps without a year (RFC 3164, mgetty's)

@pytest.mark.parametrize('now, stamp, seconds', [
    # The latest such time not more than a day after now: this year, or the year before.
    (utc(2020, 12, 1), 'Nov 30 21:00:00', utc(2020, 11, 30, 21)),
    (utc(2026, 1, 1, 0, 0, 5), 'Dec 31 23:59:59', utc(2025, 12, 31, 23, 59, 59)),
    (utc(2026, 11, 29, 21), 'Nov 30 21:00:00', utc(2026, 11, 30, 21)),
    (utc(2026, 11, 29, 21) - 1, 'Nov 30 21:00:00', utc(2025, 11, 30, 21)),
])
def test_time_stamps_without_a_year(utc_clock, now, stamp, seconds):
    rec = pppd_syslog.parse_line('%s vmhost pppd[812]: Exit.' % stamp, now)
    assert rec['time'] == seconds
    assert pppd_syslog.parse_line('<29>%s pppd[812]: Exit.' % stamp, now)['time'] == seconds
    assert pppd_syslog.first_time('not syslog\n%s vmhost pppd[812]: Exit.\n' % stamp, now) == seconds
    assert [r['time'] for r in pppd_syslog.parse('%s vmhost pppd[812]: Exit.\n' % stamp, now)] == [seconds]


def test_a_damaged_month_that_no_year_places_before_now_is_read_in_the_year_before(utc_clock):
    """mgetty's log takes any two digits as the month: 99 runs 8 years on (mktime's arithmetic), past
    now in either year tried; the year before now's is the one kept, and no exception."""
    t = pppd_syslog.local_time_without_year(99, 30, '21:00:00', utc(2026, 12, 1))
    assert t == utc(2025 + 8, 3, 30, 21)


def test_without_now_a_time_stamp_without_a_year_is_at_most_a_day_ahead_of_the_clock(utc_clock):
    stamp = time.strftime('%b %d %H:%M:%S', time.gmtime(time.time() - 3600))
    t = pppd_syslog.parse_line('%s vmhost pppd[812]: Exit.' % stamp)['time']
    assert time.time() - 3600 - 2 <= t <= time.time() - 3600


def test_a_line_keeps_its_message_to_the_end(utc_clock):
    now = utc(2026, 12, 1)
    assert pppd_syslog.parse_line('Nov 30 21:00:00 vmhost pppd[812]: PAP peer authentication failed for MAX\r\n',
                                  now)['msg'] == 'PAP peer authentication failed for MAX'
    assert pppd_syslog.parse_line('Nov 30 21:00:00 vmhost pppd[812]: Remote message: ok  ', now)['msg'] == \
        'Remote message: ok  '
    assert pppd_syslog.parse_line('no time stamp: pppd[812]: Exit.', now) is None
    assert pppd_syslog.first_time('no time stamp\n', now) is None


def test_parse_keeps_the_programs_asked_for(utc_clock):
    now = utc(2026, 12, 1)
    text = ('Nov 30 21:00:00 vmhost pppd[812]: Exit.\n'
            'not a syslog line\n'
            'Nov 30 21:00:01 vmhost chat[813]: send (ATD5550199^M)\n'
            'Nov 30 21:00:02 vmhost dialin-callback: callback allowed: login=call line=ttyS1 (1 of 10 in 3600 s)\n')
    assert [r['prog'] for r in pppd_syslog.parse(text, now)] == ['pppd', 'dialin-callback']
    assert [r['prog'] for r in pppd_syslog.parse(text, now, programs=None)] == ['pppd', 'chat', 'dialin-callback']
    assert [r['prog'] for r in pppd_syslog.parse(text, now, programs=('chat',))] == ['chat']


# pppd's runs

def records(lines):
    """Syslog records of pppd's messages, one second apart: (pid, message) or (prog, pid, message)."""
    out = []
    for i, line in enumerate(lines):
        prog, pid, msg = line if len(line) == 3 else ('pppd',) + tuple(line)
        out.append({'time': 1000.0 + i, 'host': None, 'prog': prog, 'pid': pid, 'msg': msg})
    return out


def session(**fields):
    out = {'pid': None, 'start': None, 'end': None, 'device': None, 'interface': None, 'user': None,
           'local_ip': None, 'remote_ip': None, 'link_up': None, 'connect_minutes': None, 'bytes_sent': None,
           'bytes_received': None, 'auth_failed': False, 'end_reason': None, 'version': None}
    out.update(fields)
    return out


def test_a_whole_pppd_run():
    got = pppd_syslog.sessions(records([
        (300, 'pppd 2.5.0 started by pppuser, uid 1001'),
        (300, 'Using interface ppp0'),
        (300, 'Connect: ppp0 <--> /dev/ttyS1'),
        (300, 'user pppuser logged in on tty ttyS1 intf ppp0'),
        (300, 'local  IP address 10.99.0.1'),
        (300, 'remote IP address 10.99.0.2'),
        (300, 'LCP terminated by peer'),
        (300, 'Connect time 2.5 minutes.'),
        (300, 'Sent 1200 bytes, received 3400 bytes.'),
        (300, 'Connection terminated.'),
        (300, 'Exit.'),
    ]))
    assert got == [session(pid=300, start=1000.0, end=1010.0, device='/dev/ttyS1', interface='ppp0', user='pppuser',
                           local_ip='10.99.0.1', remote_ip='10.99.0.2', link_up=1002.0, connect_minutes=2.5,
                           bytes_sent=1200, bytes_received=3400, end_reason='LCP terminated by peer', version='2.5.0')]


def test_a_pppd_run_refused_at_pap_and_its_end_reason_without_the_dot():
    got = pppd_syslog.sessions(records([
        (301, 'pppd 2.4.9 started by root, uid 0'),
        (301, 'Connect: ppp0 <--> /dev/ttyS1'),
        (301, 'PAP peer authentication failed for MAX'),
        (301, 'Connection terminated.'),
        (301, 'Exit.'),
    ]))
    assert [(s['user'], s['auth_failed'], s['end_reason']) for s in got] == \
        [('MAX', True, 'PAP peer authentication failed for MAX')]
    got = pppd_syslog.sessions(records([(302, 'Connection terminated.'), (302, 'Exit.')]))
    assert got[0]['end_reason'] == 'Connection terminated'


def test_a_pid_that_comes_again_after_exit_is_a_new_run():
    got = pppd_syslog.sessions(records([
        (300, 'pppd 2.4.9 started by root, uid 0'),
        (300, 'Connect: ppp0 <--> /dev/ttyS1'),
        (300, 'Exit.'),
        (300, 'pppd 2.4.9 started by root, uid 0'),
        (300, 'Connect: ppp0 <--> /dev/ttyS2'),
    ]))
    assert [(s['start'], s['end'], s['device']) for s in got] == [(1000.0, 1002.0, '/dev/ttyS1'), (1003.0, None, '/dev/ttyS2')]


def test_a_pid_that_starts_again_without_an_exit_is_a_new_run():
    """A pppd killed (SIGKILL: dialin_session's last signal) or crashed logs no Exit.; a later pppd
    with its PID is another run: its start, device and user are not the ended one's."""
    got = pppd_syslog.sessions(records([
        (300, 'pppd 2.4.9 started by root, uid 0'),
        (300, 'Connect: ppp0 <--> /dev/ttyS1'),
        (300, 'PAP peer authentication succeeded for pppuser'),
        (300, 'pppd 2.5.0 started by root, uid 0'),
        (300, 'Connect: ppp1 <--> /dev/ttyS2'),
    ]))
    assert got == [session(pid=300, start=1000.0, device='/dev/ttyS1', interface='ppp0', user='pppuser', link_up=1001.0,
                           version='2.4.9'),
                   session(pid=300, start=1003.0, device='/dev/ttyS2', interface='ppp1', link_up=1004.0,
                           version='2.5.0')]


def test_lines_before_pppds_start_line_are_its_run():
    """What pppd logs before its start line (a warning about its options) is the same process's."""
    got = pppd_syslog.sessions(records([
        (300, 'Warning: some option'),
        (300, 'pppd 2.4.9 started by root, uid 0'),
        (300, 'Connect: ppp0 <--> /dev/ttyS1'),
    ]))
    assert [(s['start'], s['version'], s['device']) for s in got] == [(1000.0, '2.4.9', '/dev/ttyS1')]


def test_a_pids_lines_after_its_exit_are_a_new_run_without_a_start_line():
    """Exit. is pppd's last line: a line of its PID after it is another pppd's, whose start line
    the log does not have."""
    got = pppd_syslog.sessions(records([
        (300, 'pppd 2.4.9 started by root, uid 0'),
        (300, 'Connect: ppp0 <--> /dev/ttyS1'),
        (300, 'Modem hangup'),
        (300, 'Exit.'),
        (300, 'Connect: ppp1 <--> /dev/ttyS2'),
        (300, 'LCP terminated by peer'),
    ]))
    assert got == [session(pid=300, start=1000.0, end=1003.0, device='/dev/ttyS1', interface='ppp0', link_up=1001.0,
                           end_reason='Modem hangup', version='2.4.9'),
                   session(pid=300, start=1004.0, device='/dev/ttyS2', interface='ppp1', link_up=1004.0,
                           end_reason='LCP terminated by peer')]


def test_only_pppds_lines_with_a_pid_make_runs():
    got = pppd_syslog.sessions(records([
        ('chat', 400, 'send (ATD5550199^M)'),
        ('pppd', None, 'Exit.'),
        ('dialin-callback', None, 'callback allowed: login=call line=ttyS1 (1 of 10 in 3600 s)'),
        (300, 'Exit.'),
    ]))
    assert [(s['pid'], s['start'], s['end']) for s in got] == [(300, 1003.0, 1003.0)]


# The gate's lines

def test_gate_events():
    got = pppd_syslog.gate_events(records([
        ('dialin-callback', None, 'callback allowed: login=call line=ttyS1 (1 of 10 in 3600 s)'),
        ('dialin-callback', None, "callback refused: login='MAX' line=ttyS1: 3 callbacks in 3600 s"),
        ('dialin-callback', None, 'callback refused: login=call line=ttyS2'),
        ('dialin-callback', None, 'something else'),
        ('pppd', 300, 'callback allowed: login=call line=ttyS1'),
    ]))
    assert got == [
        {'time': 1000.0, 'login': 'call', 'line': 'ttyS1', 'allowed': True, 'reason': '1 of 10 in 3600 s'},
        {'time': 1001.0, 'login': 'MAX', 'line': 'ttyS1', 'allowed': False, 'reason': '3 callbacks in 3600 s'},
        {'time': 1002.0, 'login': 'call', 'line': 'ttyS2', 'allowed': False, 'reason': ''},
    ]
