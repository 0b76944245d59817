# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""mgetty's and callback's log parsers (module_utils/mgetty_log.py) on lines as mgetty 1.2.1 writes
them, for the cases the end-to-end run's logs (test_call_logs.py) do not have: a log that does not
start with a process's ``--``, audit records without some fields, mgetty's ``failed``, ``rejected``,
``denied`` and ``exit`` records, a CONNECT that did not come, callback's failures and errors."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import calendar

import pytest

from ansible_collections.dialin.callback.plugins.module_utils import mgetty_log
from ansible_collections.dialin.callback.tests.unit.plugins.module_utils.mgetty_runs import run

pytestmark = pytest.mark.usefixtures('utc_clock')

NOW = calendar.timegm((2026, 12, 1, 0, 0, 0))


def at(hms):
    """The time of an 11/30 time stamp (local time is UTC here)."""
    h, m, s = (int(x) for x in hms.split(':'))
    return float(calendar.timegm((2026, 11, 30, h, m, s)))


# parse_lines

def test_parse_lines_gives_each_line_as_written():
    text = ('--\n'
            '11/30 22:03:13 yS1  mgetty: stable release 1.2.1\n'
            '11/30 22:03:41 yS1  send: \n'
            '11/30 22:03:42 yS1  huh? junk on the line: MDMX\n'
            '11/30 22:03:43 #####  data dev=ttyS1, pid=146  \n'
            'not a log line\n')
    assert mgetty_log.parse_lines(text, NOW) == [
        {'separator': True},
        {'separator': False, 'time': at('22:03:13'), 'infix': 'yS1', 'audit': False,
         'text': ' mgetty: stable release 1.2.1'},
        # A message's text to its end: mgetty's "send: " of an empty string keeps its blank.
        {'separator': False, 'time': at('22:03:41'), 'infix': 'yS1', 'audit': False, 'text': ' send: '},
        {'separator': False, 'time': at('22:03:42'), 'infix': 'yS1', 'audit': False,
         'text': ' huh? junk on the line: MDMX'},
        # An audit record: no infix, its text without the blanks around it.
        {'separator': False, 'time': at('22:03:43'), 'infix': '', 'audit': True, 'text': 'data dev=ttyS1, pid=146'},
    ]


def test_parse_lines_reads_crlf_lines_alike():
    text = '--\r\n11/30 22:03:13 yS1  waiting...\r\n'
    assert mgetty_log.parse_lines(text, NOW) == [
        {'separator': True},
        {'separator': False, 'time': at('22:03:13'), 'infix': 'yS1', 'audit': False, 'text': ' waiting...'}]


def test_first_time_is_the_first_time_stamped_line():
    assert mgetty_log.first_time('--\n\n11/30 22:03:13 yS1  mgetty: x\n11/30 22:04:00 yS1  y\n', NOW) == at('22:03:13')
    assert mgetty_log.first_time('--\nno time here\n', NOW) is None
    # A line cut right after its time stamp (and the blank after it) still dates the log.
    assert mgetty_log.first_time('11/30 22:03:13 \n11/30 22:04:00 yS1  y\n', NOW) == at('22:03:13')


# audit_fields

def test_audit_fields_quoted_values_keep_their_commas_and_may_be_empty():
    assert mgetty_log.audit_fields("data dev=ttyS1, pid=146, caller='none', conn='', name='a, b', user='call'") == {
        'dev': 'ttyS1', 'pid': '146', 'caller': 'none', 'conn': '', 'name': 'a, b', 'user': 'call'}


def test_audit_fields_unquoted_values_are_kept_whatever_they_are():
    # Any unquoted word is the value, an empty one too (mgetty quotes only some fields). The value
    # XXXX is on purpose: it is the word mutmut puts for '' in `v == ''`, a mutant only it tells apart.
    assert mgetty_log.audit_fields('exit dev=ttyS1, pid=XXXX, user=, cmd=/bin/login') == {
        'dev': 'ttyS1', 'pid': 'XXXX', 'user': '', 'cmd': '/bin/login'}


# runs

INCOMING = """--
11/30 22:03:13 yS1  mgetty: stable release 1.2.1
11/30 22:03:16 yS1  waiting...
11/30 22:03:40 yS1  wfr: waiting for ``RING''
11/30 22:03:41 yS1  send: ATA[0d]
11/30 22:03:41 yS1  waiting for ``CONNECT'' ** found **
11/30 22:03:42 ##### data dev=ttyS1, pid=146, caller='5550199', conn='38400', name='call', cmd='/bin/cb', user='callu'
"""


def test_a_run_answering_a_call_and_starting_a_login():
    login = {'time': at('22:03:42'), 'name': 'call', 'user': 'callu', 'cmd': '/bin/cb', 'conn': '38400',
             'caller': '5550199', 'dev': 'ttyS1'}
    assert mgetty_log.runs(INCOMING, NOW) == [run(
        start=at('22:03:13'), pid=146, version='stable release 1.2.1', waiting=at('22:03:16'), ring=at('22:03:40'),
        answered=at('22:03:41'), login=login, last=at('22:03:42'), last_text=INCOMING.splitlines()[-1][21:])]


def test_a_data_record_without_some_fields_gives_empty_strings():
    text = '11/30 22:03:42 ##### data dev=ttyS1, pid=146\n'
    (r,) = mgetty_log.runs(text, NOW)
    assert r['login'] == {'time': at('22:03:42'), 'name': '', 'user': '', 'cmd': '', 'conn': '', 'caller': '',
                          'dev': 'ttyS1'}
    text = '11/30 22:03:42 ##### data pid=146\n'
    assert mgetty_log.runs(text, NOW)[0]['login']['dev'] == ''


def test_a_log_that_does_not_start_with_a_process_separator():
    """The current file after a rotation in the middle of a run: its first lines belong to a run."""
    text = '11/30 22:03:55 yS1  waiting...\n--\n11/30 22:04:00 yS1  mgetty: stable release 1.2.1\n'
    assert mgetty_log.runs(text, NOW) == [
        run(start=at('22:03:55'), waiting=at('22:03:55'), last=at('22:03:55'), last_text=' waiting...'),
        run(start=at('22:04:00'), version='stable release 1.2.1', last=at('22:04:00'),
            last_text=' mgetty: stable release 1.2.1')]


@pytest.mark.parametrize('record', [
    'failed dev=ttyS1, pid=199, got signal 15, exiting',
    'failed in mg_init_data, dev=ttyS1, pid=201',
    'rejected, rings=3',
    "denied caller dev=ttyS1, pid=199, caller='5550100'",
])
def test_mgettys_failure_records_end_the_run(record):
    text = '--\n11/30 22:05:00 yS1  waiting...\n11/30 22:05:09 ##### %s\n' % record
    (r,) = mgetty_log.runs(text, NOW)
    assert r['failed'] == {'time': at('22:05:09'), 'text': record}
    assert r['exit'] is None and r['login'] is None
    # A record without a pid (rejected) leaves it unknown.
    assert r['pid'] == (None if record.startswith('rejected') else int(record.split('pid=')[1].split(',')[0]))
    assert (r['last'], r['last_text']) == (at('22:05:09'), record)
    assert mgetty_log.line_state(r) == 'ended'


def test_mgettys_exit_record_ends_the_run():
    text = '--\n11/30 22:05:00 yS1  waiting...\n11/30 22:05:09 ##### exit dev=ttyS1, pid=199, got signal USR2, exiting\n'
    (r,) = mgetty_log.runs(text, NOW)
    assert r['exit'] == {'time': at('22:05:09'), 'text': 'exit dev=ttyS1, pid=199, got signal USR2, exiting'}
    assert (r['failed'], r['pid']) == (None, 199)
    assert mgetty_log.line_state(r) == 'ended'


def test_a_connect_that_did_not_come():
    text = ("--\n11/30 22:05:00 yS1  wfr: waiting for ``RING''\n"
            "11/30 22:05:01 yS1  waiting for ``CONNECT''\n"
            "11/30 22:05:02 yS1  found action string: ``NO CARRIER''\n")
    (r,) = mgetty_log.runs(text, NOW)
    assert (r['ring'], r['answered'], r['connect_failed']) == (at('22:05:00'), None, at('22:05:01'))
    assert mgetty_log.line_state(r) == 'ringing'


# line_state

@pytest.mark.parametrize('fields, state', [
    ({'waiting': 1.0, 'exit': {'time': 2.0, 'text': 'exit dev=ttyS1'}}, 'ended'),
    ({'waiting': 1.0, 'failed': {'time': 2.0, 'text': 'failed dev=ttyS1'}}, 'ended'),
    ({'waiting': 1.0, 'ring': 2.0, 'answered': 2.0, 'login': {'user': 'call'}}, 'login_started'),
    ({'waiting': 1.0, 'callback_signal_from': 249}, 'login_prompt'),
    ({'waiting': 1.0, 'ring': 2.0, 'answered': 2.0}, 'login_prompt'),
    ({'waiting': 1.0, 'ring': 2.0}, 'ringing'),
    ({'waiting': 1.0}, 'idle'),
    ({}, 'initializing'),
])
def test_line_state_of_a_run(fields, state):
    assert mgetty_log.line_state(run(start=0.0, **fields)) == state


def test_line_state_without_a_run():
    assert mgetty_log.line_state(None) is None


# callback_events

def test_callback_events_success_failure_and_errors():
    text = ('\n--\n'
            '11/30 22:03:57 ##### callback: success, device=/dev/ttyS1, mgetty=250\n'
            '--\n'
            '11/30 22:04:10 yS1  dialing 5550199 failed, giving up  \n'
            "11/30 22:04:11 yS1  can't dial any number\n"
            '11/30 22:04:12 yS1  got signal 15, exiting\n'
            '11/30 22:04:13 yS1  dialing 5550199\n'
            '11/30 22:04:20 ##### failed dev=ttyS1, pid=300, got signal 15, exiting\n')
    assert mgetty_log.callback_events(text, NOW) == [
        {'time': at('22:03:57'), 'result': 'success', 'device': '/dev/ttyS1', 'mgetty': 250,
         'text': 'callback: success, device=/dev/ttyS1, mgetty=250'},
        {'time': at('22:04:10'), 'result': 'error', 'device': None, 'mgetty': None,
         'text': 'dialing 5550199 failed, giving up'},
        {'time': at('22:04:11'), 'result': 'error', 'device': None, 'mgetty': None, 'text': "can't dial any number"},
        {'time': at('22:04:12'), 'result': 'error', 'device': None, 'mgetty': None, 'text': 'got signal 15, exiting'},
        {'time': at('22:04:20'), 'result': 'failed', 'device': 'ttyS1', 'mgetty': None,
         'text': 'failed dev=ttyS1, pid=300, got signal 15, exiting'},
    ]
