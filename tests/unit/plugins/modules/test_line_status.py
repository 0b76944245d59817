# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""line_status run on the logs of an end-to-end run (tests/unit/fixtures/e2e), then the fleet report of
playbooks/status.yml (the status_report filter) made from its result."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import shutil

import pytest

from ansible_collections.dialin.callback.plugins.filter.status_report import status_report
from ansible_collections.dialin.callback.plugins.modules import line_status

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
FIX = os.path.join(TOP, 'tests', 'unit', 'fixtures', 'e2e')


pytestmark = pytest.mark.usefixtures('utc_clock')


@pytest.fixture
def host(tmp_path):
    """A host's files laid out from the fixture: the logs, login.config, utmp; no process, no lock."""
    logs = tmp_path / 'log' / 'mgetty'
    logs.mkdir(parents=True)
    for name in ('mg_ttyS1.log', 'mg_callback.log'):
        shutil.copy(os.path.join(FIX, name), str(logs / name))
    for name in ('login.config', 'syslog.log', 'utmp'):
        shutil.copy(os.path.join(FIX, name), str(tmp_path / name))
    for d in ('lock', 'run', 'proc'):
        (tmp_path / d).mkdir()
    return tmp_path


def args(host, **kw):
    a = dict(since='0', mgetty_log_dir=str(host / 'log' / 'mgetty'), callback_log=str(host / 'log' / 'mgetty' / 'mg_callback.log'),
             login_config=str(host / 'login.config'), syslog_source='files', syslog_files=[str(host / 'syslog.log')],
             lock_dir=str(host / 'lock'), utmp=str(host / 'utmp'), run_dir=str(host / 'run'),
             facts_file=str(host / 'absent.fact'), proc_dir=str(host / 'proc'))
    a.update(kw)
    return a


def scenarios():
    with open(os.path.join(FIX, 'scenarios.json')) as f:
        record = json.load(f)
    return [r for r in record['scenarios'] if 't_start' in r]


def test_reports_the_calls_and_the_line_without_mgetty(run_module, host):
    res = run_module(line_status.main, args(host), check_mode=True)
    assert not res.failed and res['changed'] is False, res
    (line,) = res['lines']
    # The ports come from the logs' names when the mgetty role's fact is absent.
    assert line['line'] == 'ttyS1'
    assert len(line['calls']) == len(scenarios())
    assert line['counts']['total'] == len(scenarios())
    # No mgetty runs here: the line is down, and the health says so for a monitoring check.
    assert (line['state'], line['health'], line['healthy']) == ('no_mgetty', 'CRITICAL', False)
    assert res['healthy'] is False
    assert 'mgetty_log:%s' % (host / 'log' / 'mgetty' / 'mg_ttyS1.log') in line['sources']
    assert 'syslog:%s' % (host / 'syslog.log') in line['sources']
    assert 'dialin_callback_line_up{line="ttyS1"} 0' in res['prometheus']
    assert 'dialin_callback_line_health{line="ttyS1"} 2' in res['prometheus']
    # The counter: every finished call of the logs by outcome, no "total" series beside them.
    assert sum(line['calls_total'].values()) == len(scenarios())
    for outcome, n in line['calls_total'].items():
        assert 'dialin_callback_calls_total{line="ttyS1",outcome="%s"} %d' % (outcome, n) in res['prometheus']
    assert 'outcome="total"' not in res['prometheus']


def test_since_leaves_out_older_calls(run_module, host):
    later = scenarios()[2]['t_start']
    res = run_module(line_status.main, args(host, since='%f' % later))
    assert len(res['lines'][0]['calls']) == len(scenarios()) - 2


def test_a_bad_since_fails_with_the_option_named(run_module, host):
    res = run_module(line_status.main, args(host, since='yesterday-ish'))
    assert res.failed and res['msg'].startswith('since:')


def test_a_stale_lock_is_reported(run_module, host):
    # A PID that cannot be alive (above the kernel's pid_max limit).
    (host / 'lock' / 'LCK..ttyS1').write_text('%10d\n' % 4194999)
    res = run_module(line_status.main, args(host, ports=['/dev/ttyS1']))
    assert res['lines'][0]['lock'] == {'pid': 4194999, 'alive': False, 'program': None, 'user': None,
                                       'foreign': False}
    assert 'lock:%s' % (host / 'lock' / 'LCK..ttyS1') in res['lines'][0]['sources']


def test_fleet_report_from_the_result(run_module, host):
    """The figures of playbooks/status.yml's report from this result (its pages: test_status_report.py)."""
    res = run_module(line_status.main, args(host))
    servers = [{'host': 'dialin-a', 'ok': True, 'msg': '', 'result': res},
               {'host': 'dialin-b', 'ok': False, 'msg': 'unreachable', 'result': {}}]
    rep = status_report(servers, generated=res['now'], since=min(c['start'] for c in res['lines'][0]['calls']) - 60)
    n = len(scenarios())
    s = rep['summary']
    assert (s['servers'], s['servers_unreachable'], s['lines'], s['lines_down'], s['calls']) == (2, 1, 1, 1, n)
    outcomes = [c['outcome'] for c in res['lines'][0]['calls']]
    assert s['failures'] == n - outcomes.count('ppp')
    assert s['callbacks'] == sum(1 for c in res['lines'][0]['calls'] if c['callback_result'])
    assert sum(t['callbacks'] for t in rep['totals']['by_number']) == s['callbacks']
    assert 0 < s['ppp_hours'] < 1
    assert [(r['host'], r['state']) for r in rep['lines']] == [('dialin-a', 'no_mgetty'), ('dialin-b', 'unreachable')]
    assert len(rep['lines'][0]['calls']) == n


# Live states: the module's view of a line at a moment of a call. The mgetty log is the fixture's,
# cut where that moment ends in it (what the file holds then); the processes are laid out in a /proc
# of the test's own, with the fields the module reads (cmdline, fd, environ).

def cut_log(host, last_line):
    """mg_ttyS1.log up to the first line containing last_line, as it stood at that moment."""
    path = host / 'log' / 'mgetty' / 'mg_ttyS1.log'
    lines = path.read_text().splitlines(True)
    end = next(i for i, ln in enumerate(lines) if last_line in ln)
    path.write_text(''.join(lines[:end + 1]))


def process(host, pid, argv, tty=None, env=None):
    d = host / 'proc' / str(pid)
    (d / 'fd').mkdir(parents=True)
    (d / 'cmdline').write_bytes(b'\0'.join(a.encode() for a in argv) + b'\0')
    if tty:
        os.symlink(tty, str(d / 'fd' / '0'))
    (d / 'environ').write_bytes(b'\0'.join(('%s=%s' % kv).encode() for kv in (env or {}).items()))


def state(run_module, host):
    (line,) = run_module(line_status.main, args(host, ports=['ttyS1']), check_mode=True)['lines']
    return line


@pytest.mark.parametrize('last_line, expected', [
    ('waiting...', 'idle'),
    ("wfr: waiting for ``RING''", 'ringing'),
    ('send: ATA', 'ringing'),
    ("waiting for ``CONNECT'' ** found **", 'login_prompt'),
])
def test_the_state_follows_mgettys_log(run_module, host, last_line, expected):
    cut_log(host, last_line)
    process(host, 146, ['/usr/sbin/mgetty', 'ttyS1'], tty='/dev/ttyS1')
    line = state(run_module, host)
    assert (line['state'], line['mgetty_pid'], line['health']) == (expected, 146, 'OK'), line


def test_a_login_program_on_the_line_is_login(run_module, host):
    process(host, 146, ['/usr/sbin/mgetty', 'ttyS1'], tty='/dev/ttyS1')
    process(host, 150, ['/bin/login', '--', 'pppuser'], tty='/dev/ttyS1')
    line = state(run_module, host)
    assert line['state'] == 'login' and 'login 150 on /dev/ttyS1' in line['detail'], line


@pytest.mark.parametrize('holds_lock, expected', [(False, 'waiting_for_callback'), (True, 'calling_back')])
def test_callback_working_for_the_line(run_module, host, holds_lock, expected):
    # mgetty sets DEVICE for the program login.config runs; callback holds the line's UUCP lock
    # only while it dials.
    process(host, 160, ['/usr/sbin/callback', '-S', '5550199'], env={'DEVICE': 'ttyS1'})
    if holds_lock:
        (host / 'lock' / 'LCK..ttyS1').write_text('%10d\n' % 160)
    line = state(run_module, host)
    assert line['state'] == expected and 'callback 160' in line['detail'], line
    assert line['lock'] == ({'pid': 160, 'alive': True, 'program': 'callback', 'user': None, 'foreign': False}
                            if holds_lock else None)


def test_pppd_on_the_line_without_an_interface_is_still_login(run_module, host):
    process(host, 170, ['/usr/sbin/pppd', 'auth', 'require-pap'], tty='/dev/ttyS1')
    line = state(run_module, host)
    assert line['state'] == 'login' and 'negotiating' in line['detail'], line


# A broken modem: mgetty's init chat fails (the modem answers ERROR, or nothing within 20 s), mgetty
# exits ("failed in mg_init_data", mgetty.c) and systemd or init starts it again after RestartSec.

INIT_FAILED_RUN = """
--
12/06 20:10:01 yS1  mgetty: stable release 1.2.1
12/06 20:10:01 yS1  check for lockfiles
12/06 20:10:01 yS1  locking the line
12/06 20:10:01 yS1  send: ATZ[0d]
12/06 20:10:01 yS1  waiting for ``OK''
12/06 20:10:01 yS1  found action string: ``ERROR''
12/06 20:10:01 yS1  init chat failed, exiting...
12/06 20:10:01 ##### failed in mg_init_data, dev=ttyS1, pid=201
"""
STARTING_RUN = """
--
12/06 20:10:04 yS1  mgetty: stable release 1.2.1
12/06 20:10:04 yS1  check for lockfiles
12/06 20:10:04 yS1  locking the line
12/06 20:10:04 yS1  send: ATZ[0d]
12/06 20:10:04 yS1  waiting for ``OK''
"""
SIGNALLED_RUN = """
--
12/06 20:09:58 yS1  mgetty: stable release 1.2.1
12/06 20:09:59 yS1  waiting...
12/06 20:10:01 ##### exit dev=ttyS1, pid=199, got signal USR2, exiting
"""


def write_log(host, text):
    (host / 'log' / 'mgetty' / 'mg_ttyS1.log').write_text(text.lstrip('\n'))


def test_a_modem_that_failed_its_set_up_is_not_answering_while_mgetty_starts_again(run_module, host):
    # What the rollout's post-check sees between two failures: an mgetty process, as before a good start.
    write_log(host, INIT_FAILED_RUN + STARTING_RUN)
    process(host, 202, ['/usr/sbin/mgetty', 'ttyS1'], tty='/dev/ttyS1')
    line = state(run_module, host)
    assert (line['state'], line['mgetty_pid'], line['health']) == ('modem_not_answering', 202, 'CRITICAL'), line
    assert 'failed in mg_init_data, dev=ttyS1, pid=201' in line['detail'], line


def test_a_modem_that_failed_its_set_up_is_not_answering_once_mgetty_is_gone(run_module, host):
    write_log(host, STARTING_RUN + INIT_FAILED_RUN)
    line = state(run_module, host)
    assert (line['state'], line['health']) == ('modem_not_answering', 'CRITICAL'), line


def test_an_mgetty_starting_after_a_restart_is_initializing(run_module, host):
    # The control: the run before ended on the configuration signal, not on the modem.
    write_log(host, SIGNALLED_RUN + STARTING_RUN)
    process(host, 202, ['/usr/sbin/mgetty', 'ttyS1'], tty='/dev/ttyS1')
    line = state(run_module, host)
    assert (line['state'], line['health']) == ('initializing', 'OK'), line


def own_uid_name():
    import pwd
    return pwd.getpwuid(os.getuid()).pw_name


def status_of(host, pid, uid, session=None):
    """/proc/PID/stat and status: the session (field 6) and the real UID the module reads."""
    d = host / 'proc' / str(pid)
    (d / 'stat').write_text('%d (x) S 1 %d %d 0 -1 0\n' % (pid, session or pid, session or pid))
    (d / 'status').write_text('Name:\tx\nUid:\t%d\t%d\t%d\t%d\n' % (uid, uid, uid, uid))


@pytest.mark.parametrize('argv, tty', [
    (['sleep', '3600'], None),  # any user's process: /run/lock is world-writable
    (['/usr/sbin/mgetty', 'ttyS2'], '/dev/ttyS2'),  # the mgetty of another line
    (['/usr/bin/cu', '-l', '/dev/ttyS1'], None),  # not on the line, whatever its name
    (['/usr/sbin/pppd', 'call', 'isp'], '/dev/ttyS2'),  # pppd on another line
])
def test_a_lock_held_by_a_process_not_on_the_line_is_foreign(run_module, host, argv, tty):
    write_log(host, SIGNALLED_RUN + STARTING_RUN.replace('locking the line', 'waiting...'))
    process(host, 202, ['/usr/sbin/mgetty', 'ttyS1'], tty='/dev/ttyS1')
    process(host, 4242, argv, tty=tty)
    status_of(host, 4242, os.getuid(), session=100)
    (host / 'lock' / 'LCK..ttyS1').write_text('%10d\n' % 4242)
    line = state(run_module, host)
    assert (line['state'], line['health'], line['healthy']) == ('foreign_lock', 'CRITICAL', False), line
    assert line['lock'] == {'pid': 4242, 'alive': True, 'program': os.path.basename(argv[0]),
                            'user': own_uid_name(), 'foreign': True}
    assert 'PID 4242 (%s, user %s)' % (os.path.basename(argv[0]), own_uid_name()) in line['detail'], line
    assert 'dialin_callback_line_state{line="ttyS1",state="foreign_lock"} 1' in run_module(
        line_status.main, args(host, ports=['ttyS1']))['prometheus']


@pytest.mark.parametrize('argv, session', [
    (['/usr/sbin/mgetty', 'ttyS1'], None),  # mgetty setting the modem up or answering
    (['/bin/login', '--', 'pppuser'], None),  # login, executed by mgetty in its place
    (['/usr/sbin/pppd', 'auth', '+pap', 'login'], None),  # /AutoPPP/
    (['/bin/sh', '/usr/local/lib/dialin-callback/callback-gate', 'alice'], None),  # what login.config ran
])
def test_a_lock_held_by_the_lines_own_programs_is_not_foreign(run_module, host, argv, session):
    write_log(host, SIGNALLED_RUN + STARTING_RUN)
    process(host, 202, argv, tty='/dev/ttyS1')
    status_of(host, 202, 0, session=session)
    (host / 'lock' / 'LCK..ttyS1').write_text('%10d\n' % 202)
    line = state(run_module, host)
    assert line['lock']['foreign'] is False and line['state'] != 'foreign_lock', line


@pytest.mark.parametrize('child_tty, foreign', [('/dev/ttyS1', False), ('/dev/ttyS2', True), (None, True)])
def test_a_login_whose_child_has_the_line_holds_it_for_the_line(run_module, host, child_tty, foreign):
    """Debian 13's login keeps mgetty's PID and lock but gives the terminal up to its child, the session."""
    write_log(host, SIGNALLED_RUN + STARTING_RUN)
    # Its title, as util-linux's login sets it: one string.
    process(host, 202, ['login -- pppuser'])
    status_of(host, 202, 0, session=100)
    process(host, 203, ['/usr/sbin/pppd', 'auth', '+pap', 'login'], tty=child_tty)
    (host / 'proc' / '203' / 'stat').write_text('203 (pppd) S 202 203 203 0 -1 0\n')
    (host / 'lock' / 'LCK..ttyS1').write_text('%10d\n' % 202)
    line = state(run_module, host)
    assert line['lock']['foreign'] is foreign, line
    assert (line['state'] == 'foreign_lock') is foreign, line


def test_a_port_found_by_identify_is_read_on_the_tty_it_has_now(run_module, host):
    # udev links /dev/dialin-callback/<configured name> to the modem's tty; the test's own directory here.
    links = host / 'dialin-callback'
    links.mkdir()
    os.symlink('../ttyUSB1', str(links / 'ttyUSB0'))
    logs = host / 'log' / 'mgetty'
    (logs / 'mg_ttyUSB1.log').write_text(SIGNALLED_RUN.replace('ttyS1', 'ttyUSB1').replace(' yS1 ', ' SB1 ').lstrip('\n')
                                         + STARTING_RUN.replace(' yS1 ', ' SB1 ').replace('locking the line', 'waiting...'))
    process(host, 300, ['/usr/sbin/mgetty', 'ttyUSB1'], tty='/dev/ttyUSB1')
    process(host, 301, ['/usr/sbin/mgetty', 'ttyUSB0'], tty='/dev/ttyUSB0')  # another modem has ttyUSB0 now
    (host / 'lock' / 'LCK..ttyUSB0').write_text('%10d\n' % 301)
    for given in ('ttyUSB0', str(links / 'ttyUSB0')):
        res = run_module(line_status.main, args(host, ports=[given, 'ttyS1'], identified_link_dir=str(links)))
        usb, serial = res['lines']
        assert (usb['port'], usb['line'], usb['mgetty_pid'], usb['state']) == ('ttyUSB0', 'ttyUSB1', 300, 'idle'), usb
        assert usb['lock'] is None  # ttyUSB0's lock is the other modem's
        assert (serial['port'], serial['line']) == ('ttyS1', 'ttyS1')
