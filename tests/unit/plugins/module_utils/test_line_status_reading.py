# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The parts of line_status's reading (module_utils/line_status.py) the module's tests
(tests/unit/plugins/modules/test_line_status.py) do not reach: a PPP link that is up (its interface
read with ``ip``), the user of a pppd from utmp, each state's detail, the journal as the syslog source,
``since`` in each of its forms, the health's warning, the standard library's runner, the lock's forms,
pppd's PID files and the ports from the mgetty role's fact."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import calendar
import json
import os
import shutil
import sys
import time

import pytest

from ansible_collections.dialin.callback.plugins.module_utils import line_status
from ansible_collections.dialin.callback.plugins.module_utils import mgetty_log
from ansible_collections.dialin.callback.tests.unit.plugins.module_utils.mgetty_runs import run
from ansible_collections.dialin.callback.plugins.module_utils.processes import Processes

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
FIX = os.path.join(TOP, 'tests', 'unit', 'fixtures', 'e2e')

IP_UP = [{'ifname': 'ppp0', 'flags': ['POINTOPOINT', 'MULTICAST', 'NOARP', 'UP', 'LOWER_UP'],
          'addr_info': [{'family': 'inet', 'local': '10.99.0.1', 'address': '10.99.0.2/32', 'prefixlen': 32}]}]


class FakeRunner(object):
    """The module's runner: programs found by name, their output given by the test; the commands run kept."""

    def __init__(self, found=('ip', 'journalctl'), results=None):
        self.found = found
        self.results = results or {}
        self.ran = []

    def which(self, name):
        return '/usr/bin/' + name if name in self.found else None

    def run(self, argv):
        self.ran.append(argv)
        return self.results.get(os.path.basename(argv[0]), (1, '', 'no such command'))


def process(proc, pid, argv, tty=None, env=None):
    d = proc / str(pid)
    (d / 'fd').mkdir(parents=True)
    (d / 'cmdline').write_bytes(b'\0'.join(a.encode() for a in argv) + b'\0')
    if tty:
        os.symlink(tty, str(d / 'fd' / '0'))
    (d / 'environ').write_bytes(b'\0'.join(('%s=%s' % kv).encode() for kv in (env or {}).items()))


@pytest.fixture
def proc(tmp_path):
    d = tmp_path / 'proc'
    d.mkdir()
    return d


def state(proc, lock=None, last_run=None, utmp=(), ppp_by_pid=None, sessions=(), runner=None, previous_run=None):
    sources = []
    got = line_status.line_state('ttyS1', Processes(str(proc)), lock, last_run, list(utmp), ppp_by_pid or {},
                                 list(sessions), runner or FakeRunner(), sources, previous_run=previous_run)
    return got + (sources,)


UTMP = [{'type': 'USER_PROCESS', 'line': 'ttyS1', 'user': 'first'},
        {'type': 'USER_PROCESS', 'line': 'ttyS1', 'user': 'second'},
        {'type': 'USER_PROCESS', 'line': 'ttyS1', 'user': 'pppuser'},
        {'type': 'DEAD_PROCESS', 'line': 'ttyS1', 'user': 'dead'},
        {'type': 'USER_PROCESS', 'line': 'ttyS2', 'user': 'other'}]


# A PPP link on the line

def test_a_ppp_link_that_is_up(proc):
    process(proc, 146, ['/usr/sbin/mgetty', '-s', '38400', 'ttyS1'])
    process(proc, 170, ['/usr/sbin/pppd', 'auth'], tty='/dev/ttyS1')
    runner = FakeRunner(results={'ip': (0, json.dumps(IP_UP), '')})
    sessions = [{'pid': 170, 'user': 'old', 'link_up': 10.0}, {'pid': 171, 'user': 'x', 'link_up': 11.0},
                {'pid': 170, 'user': 'pppuser', 'link_up': 20.0}]
    got = state(proc, ppp_by_pid={170: 'ppp0', 171: 'ppp1'}, sessions=sessions, runner=runner)
    assert got == ('ppp_up', 'pppd 170 on /dev/ttyS1, ppp0 10.99.0.1 <-> 10.99.0.2, user pppuser', 146,
                   {'pid': 170, 'interface': 'ppp0', 'local_ip': '10.99.0.1', 'peer_ip': '10.99.0.2',
                    'user': 'pppuser', 'since': 20.0},
                   ['pidfile:ppp*.pid', 'interface:ppp0'])
    assert runner.ran == [['/usr/bin/ip', '-j', '-4', 'addr', 'show', 'dev', 'ppp0']]


def test_a_ppp_links_user_from_utmp_when_pppd_logged_none(proc):
    process(proc, 170, ['/usr/sbin/pppd', 'auth'], tty='/dev/ttyS1')
    runner = FakeRunner(results={'ip': (0, json.dumps(IP_UP), '')})
    got = state(proc, ppp_by_pid={170: 'ppp0'}, utmp=UTMP, sessions=[{'pid': 170, 'user': None, 'link_up': 20.0}],
                runner=runner)
    assert got[0] == 'ppp_up' and got[3]['user'] == 'pppuser' and got[3]['since'] == 20.0
    got = state(proc, ppp_by_pid={170: 'ppp0'}, utmp=UTMP, runner=runner)
    assert got[3]['user'] == 'pppuser' and got[3]['since'] is None
    got = state(proc, ppp_by_pid={170: 'ppp0'}, utmp=UTMP[3:], runner=runner)
    assert got[3]['user'] is None


@pytest.mark.parametrize('ip_result', [
    (0, json.dumps([dict(IP_UP[0], flags=['POINTOPOINT'])]), ''),  # the interface is down
    (0, json.dumps([dict(IP_UP[0], addr_info=[])]), ''),  # no address yet
    (1, '', 'Device "ppp0" does not exist.'),
])
def test_a_pppd_whose_link_is_not_up_is_still_login(proc, ip_result):
    process(proc, 170, ['/usr/sbin/pppd', 'auth'], tty='/dev/ttyS1')
    got = state(proc, ppp_by_pid={170: 'ppp0'}, runner=FakeRunner(results={'ip': ip_result}))
    assert got == ('login', 'pppd 170 on /dev/ttyS1 negotiating (no interface up yet)', None, None,
                   ['pidfile:ppp*.pid', 'interface:ppp0'])


def test_a_pppd_without_a_pid_file_is_not_asked_about(proc):
    process(proc, 170, ['/usr/sbin/pppd', 'auth'], tty='/dev/ttyS1')
    runner = FakeRunner(results={'ip': (0, json.dumps(IP_UP), '')})
    got = state(proc, ppp_by_pid={171: 'ppp0'}, runner=runner)
    assert got[:2] == ('login', 'pppd 170 on /dev/ttyS1 negotiating (no interface up yet)') and got[4] == []
    assert runner.ran == []


# interface_addresses

@pytest.mark.parametrize('found, result, expected', [
    (('ip',), (0, json.dumps(IP_UP), ''), ('10.99.0.1', '10.99.0.2', True)),
    # A point-to-point address given as peer, and a link without any address.
    (('ip',), (0, json.dumps([{'flags': ['UP'], 'addr_info': [{'family': 'inet6', 'local': 'fe80::1'},
                                                              {'family': 'inet', 'local': '10.0.0.1',
                                                               'peer': '10.0.0.2/32'}]}]), ''),
     ('10.0.0.1', '10.0.0.2', True)),
    (('ip',), (0, json.dumps([{'flags': ['UP'], 'addr_info': [{'family': 'inet', 'local': '10.0.0.1'}]}]), ''),
     ('10.0.0.1', None, True)),
    (('ip',), (0, json.dumps([{'flags': ['UP']}]), ''), (None, None, True)),
    (('ip',), (0, json.dumps([{'addr_info': []}]), ''), (None, None, False)),
    (('ip',), (0, '', ''), (None, None, False)),
    (('ip',), (0, 'not json', ''), (None, None, False)),
    (('ip',), (2, json.dumps(IP_UP), 'error'), (None, None, False)),
    ((), (0, json.dumps(IP_UP), ''), (None, None, False)),
])
def test_interface_addresses(found, result, expected):
    runner = FakeRunner(found=found, results={'ip': result})
    assert line_status.interface_addresses(runner, 'ppp0') == expected
    assert runner.ran == ([['/usr/bin/ip', '-j', '-4', 'addr', 'show', 'dev', 'ppp0']] if found else [])


# The other processes on the line

def test_callback_working_for_the_line_by_its_device(proc):
    process(proc, 160, ['/usr/sbin/callback', '-S', '5550199'], tty='/dev/ttyS1')
    lock = {'pid': 160, 'alive': True, 'program': 'callback', 'user': 'root', 'foreign': False}
    assert state(proc)[:2] == ('waiting_for_callback', 'callback 160 waits before dialling back')
    assert state(proc, lock=lock)[:2] == ('calling_back', "callback 160 holds the line's lock and dials")
    assert state(proc, lock=dict(lock, alive=False))[0] == 'waiting_for_callback'
    assert state(proc, lock=dict(lock, pid=161))[0] == 'waiting_for_callback'


def test_a_callback_for_another_line_is_not_the_lines(proc):
    process(proc, 146, ['/usr/sbin/mgetty', 'ttyS1'])
    process(proc, 160, ['/usr/sbin/callback', '-S', '5550199'], tty='/dev/ttyS2', env={'DEVICE': 'ttyS2'})
    assert state(proc, last_run=run(waiting=1.0))[:2] == ('idle', 'mgetty 146 waits for a call')


def test_other_programs_on_the_line_with_the_utmp_user(proc):
    # mgetty itself is not among them, wherever /proc lists it.
    for pid in (151, 152, 153):
        process(proc, pid, ['/bin/sh'], tty='/dev/ttyS1')
    process(proc, 146, ['/usr/sbin/mgetty', 'ttyS1'], tty='/dev/ttyS1')
    process(proc, 150, ['/bin/login', '--', 'pppuser'], tty='/dev/ttyS1')
    others = 'login 150, sh 151, sh 152, sh 153 on /dev/ttyS1'
    assert state(proc, utmp=UTMP)[:4] == ('login', others + ', utmp user pppuser', 146, None)
    assert state(proc, utmp=UTMP[3:])[:2] == ('login', others)


# States from mgetty's log

def test_a_foreign_lock_of_a_program_whose_name_is_not_known(proc):
    lock = {'pid': 4242, 'alive': True, 'program': None, 'user': 'bob', 'foreign': True}
    assert state(proc, lock=lock)[:2] == (
        'foreign_lock', 'LCK..ttyS1 is held by PID 4242 (unknown program, user bob), not by mgetty, callback or '
        'pppd on ttyS1')


def test_no_mgetty(proc):
    failed = run(failed={'time': 1.0, 'text': 'failed initializing modem, dev=ttyS1'})
    assert state(proc, last_run=failed)[:3] == (
        'modem_not_answering', 'no mgetty; its last run: failed initializing modem, dev=ttyS1', None)
    assert state(proc, last_run=run(failed={'time': 1.0, 'text': 'failed dev=ttyS1, pid=1, got signal 15'}))[:3] == \
        ('no_mgetty', 'no mgetty process for ttyS1', None)
    assert state(proc)[:3] == ('no_mgetty', 'no mgetty process for ttyS1', None)


def test_mgetty_states_and_their_details(proc):
    process(proc, 146, ['/usr/sbin/mgetty', 'ttyS1'])
    failed = run(failed={'time': 1.0, 'text': 'failed in mg_init_data, dev=ttyS1, pid=145'})
    assert state(proc, last_run=run(), previous_run=failed)[:3] == (
        'modem_not_answering', 'mgetty 146 sets the modem up again; its previous run: failed in mg_init_data, '
        'dev=ttyS1, pid=145', 146)
    assert state(proc, last_run=failed)[:2] == (
        'modem_not_answering', 'mgetty 146: failed in mg_init_data, dev=ttyS1, pid=145')
    assert state(proc, last_run=run(last_text=' timeout in chat script, waiting for `OK\''))[:2] == (
        'modem_not_answering', "mgetty 146:  timeout in chat script, waiting for `OK'")
    # The chat's timeout while it waited for a call is not the modem's set-up.
    assert state(proc, last_run=run(waiting=1.0, last_text=' timeout in chat script'))[0] == 'idle'
    assert state(proc, last_run=run(waiting=1.0))[:2] == ('idle', 'mgetty 146 waits for a call')
    assert state(proc, last_run=run(waiting=1.0, ring=2.0))[:2] == ('ringing', 'mgetty 146: RING, answering')
    assert state(proc, last_run=run(waiting=1.0, ring=2.0, answered=3.0))[:2] == (
        'login_prompt', 'mgetty 146: connected, login prompt')
    starting = 'mgetty 146 starting (no "waiting..." in its log yet)'
    assert state(proc, last_run=run())[:2] == ('initializing', starting)
    assert state(proc)[:2] == ('initializing', starting)
    assert state(proc, last_run=run(waiting=1.0, exit={'time': 2.0, 'text': 'exit dev=ttyS1'}))[:2] == \
        ('initializing', starting)
    assert state(proc, last_run=run(waiting=1.0, login={'user': 'call'}))[:2] == ('initializing', starting)


def test_failed_init():
    assert line_status.failed_init(run(failed={'time': 1.0, 'text': 'failed initializing modem, dev=ttyS1'}))
    assert line_status.failed_init(run(failed={'time': 1.0, 'text': 'failed in mg_init_data, dev=ttyS1'}))
    assert not line_status.failed_init(run(failed={'time': 1.0, 'text': 'failed dev=ttyS1, got signal 15'}))
    assert not line_status.failed_init(run()) and not line_status.failed_init(None)


# health and the counter

def test_health_warns_of_failed_callbacks_naming_the_last_number():
    calls = [{'outcome': 'callback_failed', 'callback_number': '5550100', 'pseudo_login': 'a'},
             {'outcome': 'ppp', 'callback_number': '5550101', 'pseudo_login': 'b'},
             {'outcome': 'callback_failed', 'callback_number': '5550102', 'pseudo_login': 'c'},
             {'outcome': 'callback_failed', 'callback_number': '5550103', 'pseudo_login': 'd'}]
    assert line_status.health('idle', 'd', calls) == (
        'WARNING', '3 callback(s) failed since the given time, last to 5550103')
    assert line_status.health('idle', 'd', calls[:3] + [dict(calls[3], callback_number=None)]) == (
        'WARNING', '3 callback(s) failed since the given time, last to d')
    assert line_status.health('no_mgetty', 'down', calls) == ('CRITICAL', 'down')
    assert line_status.health('idle', 'd', calls[1:2]) == ('OK', 'd')


def test_calls_total_leaves_out_the_call_the_line_is_in():
    calls = [{'outcome': 'ppp'}, {'outcome': 'ppp'}, {'outcome': 'odd'}, {'outcome': 'callback_failed'}]
    got = line_status.calls_total(calls, 'ppp_up')
    assert (got['ppp'], got['odd'], got['callback_failed'], got['login']) == (2, 1, 0, 0)
    got = line_status.calls_total(calls, 'idle')
    assert (got['ppp'], got['odd'], got['callback_failed']) == (2, 1, 1)


# since

@pytest.mark.parametrize('value, expected', [
    ('90s', 10000.0 - 90), ('90 s', 10000.0 - 90), ('2m', 10000.0 - 120), ('1.5h', 10000.0 - 5400),
    ('1d', 10000.0 - 86400), ('  3h ', 10000.0 - 10800), ('1796074600', 1796074600.0), ('1796074600.5', 1796074600.5),
])
def test_since_as_a_duration_or_seconds(value, expected):
    assert line_status.parse_since(value, 10000.0) == expected


@pytest.mark.parametrize('value, expected', [
    ('2026-11-30T21:05:10', (2026, 11, 30, 21, 5, 10)), ('2026-11-30 21:05:10', (2026, 11, 30, 21, 5, 10)),
    ('2026-11-30T21:05', (2026, 11, 30, 21, 5, 0)), ('2026-11-30 21:05', (2026, 11, 30, 21, 5, 0)),
    ('2026-11-30', (2026, 11, 30, 0, 0, 0)),
])
def test_since_as_a_local_date_or_time(utc_clock, value, expected):
    assert line_status.parse_since(value, 10000.0) == time.mktime(expected + (0, 0, -1))


@pytest.mark.parametrize('value', [None, '', 'yesterday', '5w', '5H'])
def test_a_since_of_no_known_form_is_refused_with_the_forms_named(value):
    with pytest.raises(ValueError) as refused:
        line_status.parse_since(value, 10000.0)
    assert str(refused.value) == ("since: %r is neither seconds since the epoch, an ISO 8601 date or time, nor a "
                                  "duration like 24h" % (value or '').strip())


# The standard library's runner (the metrics program's)

def test_runner_runs_a_program_and_gives_its_exit_status_and_output():
    got = line_status.Runner().run([sys.executable, '-c', 'import sys; print("out \\xe9"); '
                                    'sys.stderr.write("err\\n"); sys.exit(3)'])
    assert got == (3, 'out \xe9\n', 'err\n')
    rc, out, err = line_status.Runner().run([os.path.join(TOP, 'no-such-program')])
    assert (rc, out) == (1, '') and 'no-such-program' in err


def test_runner_finds_programs_on_path_and_in_the_system_folders(monkeypatch, tmp_path):
    (tmp_path / 'myprog').write_text('#!/bin/sh\n')
    (tmp_path / 'myprog').chmod(0o755)
    monkeypatch.setenv('PATH', str(tmp_path))
    assert line_status.Runner().which('myprog') == str(tmp_path / 'myprog')
    assert line_status.Runner().which('sh') in ('/usr/sbin/sh', '/sbin/sh', '/usr/bin/sh', '/bin/sh')
    monkeypatch.delenv('PATH')
    assert line_status.Runner().which('sh') in ('/usr/sbin/sh', '/sbin/sh', '/usr/bin/sh', '/bin/sh')
    assert line_status.Runner().which('myprog') is None


def test_runner_never_looks_in_the_current_folder(monkeypatch, tmp_path):
    """Without PATH, with an empty one or with relative folders in it, a program in the current
    folder is not found (an empty entry of a search path is the current folder): the metrics program
    runs what it finds as root."""
    (tmp_path / 'bin').mkdir()
    for path in (tmp_path / 'myprog', tmp_path / 'bin' / 'myprog'):
        path.write_text('#!/bin/sh\n')
        path.chmod(0o755)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv('PATH')
    assert line_status.Runner().which('myprog') is None
    assert line_status.Runner().which('sh') in ('/usr/sbin/sh', '/sbin/sh', '/usr/bin/sh', '/bin/sh')
    for path in ('', ':', '.', 'bin', 'bin:.'):
        monkeypatch.setenv('PATH', path)
        assert line_status.Runner().which('myprog') is None
        assert line_status.Runner().which('sh') in ('/usr/sbin/sh', '/sbin/sh', '/usr/bin/sh', '/bin/sh')
    # Absolute folders of PATH are searched in their order, before the system's; blanks in a
    # folder's name are the name's.
    (tmp_path / 'a b').mkdir()
    (tmp_path / 'a b' / 'sh').write_text('#!/bin/sh\n')
    (tmp_path / 'a b' / 'sh').chmod(0o755)
    monkeypatch.setenv('PATH', 'bin:%s:%s' % (tmp_path / 'a b', tmp_path))
    assert line_status.Runner().which('sh') == str(tmp_path / 'a b' / 'sh')
    assert line_status.Runner().which('myprog') == str(tmp_path / 'myprog')


def test_runner_gives_a_program_a_minute(monkeypatch):
    """A program still running after 60 s is stopped (subprocess.run's timeout) and counts as failed."""
    given = []

    def fake_run(argv, **kwargs):
        given.append((argv, kwargs))
        if argv[0] == 'slow':
            raise line_status.subprocess.TimeoutExpired(argv, kwargs['timeout'])
        return line_status.subprocess.CompletedProcess(argv, 0, b'out', b'err')

    monkeypatch.setattr(line_status.subprocess, 'run', fake_run)
    assert line_status.Runner().run(['fast', '-x']) == (0, 'out', 'err')
    assert line_status.Runner().run(['slow']) == (1, '', "Command '['slow']' timed out after 60 seconds")
    assert given == [(['fast', '-x'], {'stdout': line_status.subprocess.PIPE, 'stderr': line_status.subprocess.PIPE,
                                       'timeout': 60, 'check': False})] + \
        [(['slow'], {'stdout': line_status.subprocess.PIPE, 'stderr': line_status.subprocess.PIPE, 'timeout': 60,
                     'check': False})]


# The lock, pppd's PID files, the ports

@pytest.mark.parametrize('content, pid', [
    (b'       160\n', 160), (b'160', 160), ((160).to_bytes(4, 'little'), 160), (b'junk\n', None), (b'12345', 12345),
])
def test_the_locks_forms(tmp_path, proc, content, pid):
    process(proc, 160, ['/usr/sbin/callback', '-S', '5550199'], env={'DEVICE': 'ttyS1'})
    (tmp_path / 'LCK..ttyS1').write_bytes(content)
    got, path = line_status.read_lock(str(tmp_path), 'ttyS1', Processes(str(proc)))
    assert path == str(tmp_path / 'LCK..ttyS1')
    assert (got['pid'], got['alive'], got['program'], got['user']) == \
        (pid, pid == 160, 'callback' if pid == 160 else None, None)
    assert got['foreign'] is False


def test_no_lock(tmp_path, proc):
    assert line_status.read_lock(str(tmp_path), 'ttyS1', Processes(str(proc))) == (None, str(tmp_path / 'LCK..ttyS1'))


def test_ppp_interfaces_from_the_pid_files(tmp_path):
    (tmp_path / 'ppp0.pid').write_text('170\nppp0\n')
    (tmp_path / 'ppp12.pid').write_text('171\n')
    (tmp_path / 'ppp2.pid').write_text('')
    (tmp_path / 'ppp3.pid').write_text('x\n')
    (tmp_path / 'pppd.pid').write_text('172\n')
    (tmp_path / 'PPP4.PID').write_text('173\n')
    assert line_status.ppp_interfaces(str(tmp_path)) == {170: 'ppp0', 171: 'ppp12'}
    assert line_status.ppp_interfaces(str(tmp_path / 'absent')) == {}


def test_the_ports_from_the_mgetty_roles_fact(tmp_path):
    logs = tmp_path / 'log'
    logs.mkdir()
    (logs / 'mg_ttyS7.log').write_text('')
    fact = tmp_path / 'mgetty.fact'
    params = {'ports': None, 'facts_file': str(fact), 'mgetty_log_dir': str(logs),
              'identified_link_dir': str(tmp_path / 'links')}
    fact.write_text(json.dumps({'ports': ['/dev/ttyS1', 'ttyUSB0']}))
    assert line_status.list_ports(params, []) == [('ttyS1', 'ttyS1'), ('ttyUSB0', 'ttyUSB0')]
    # A fact without ports, a broken one, none: the ports of mgetty's logs.
    for text in (json.dumps({'other': 1}), '[1, 2]', 'not json'):
        fact.write_text(text)
        assert line_status.list_ports(params, []) == [('ttyS7', 'ttyS7')]
    fact.unlink()
    unreadable = []
    assert line_status.list_ports(params, unreadable) == [('ttyS7', 'ttyS7')] and unreadable == []
    assert line_status.list_ports(dict(params, ports=['ttyS2']), []) == [('ttyS2', 'ttyS2')]
    assert line_status.list_ports(dict(params, mgetty_log_dir=str(tmp_path / 'absent')), []) == []


def test_read_text_names_what_it_cannot_read(tmp_path):
    (tmp_path / 'log').write_bytes(b'caf\xe9\n')
    unreadable = []
    assert line_status.read_text(str(tmp_path / 'log'), unreadable) == 'caf\ufffd\n' and unreadable == []
    assert line_status.read_text(str(tmp_path / 'absent'), unreadable) is None and unreadable == []
    (tmp_path / 'dir.log').mkdir()
    assert line_status.read_text(str(tmp_path / 'dir.log'), unreadable) is None
    assert unreadable == ['%s (Is a directory)' % (tmp_path / 'dir.log')]
    (tmp_path / 'bad.gz').write_bytes(b'not gzip')
    assert line_status.read_text(str(tmp_path / 'bad.gz'), unreadable) is None
    assert unreadable[1].startswith('%s (' % (tmp_path / 'bad.gz')) and 'gzip' in unreadable[1].lower()


# collect with the journal as the syslog source

def host(tmp_path):
    for name in ('mg_ttyS1.log', 'mg_callback.log'):
        shutil.copy(os.path.join(FIX, name), str(tmp_path / name))
    (tmp_path / 'proc').mkdir(exist_ok=True)
    return {'ports': ['ttyS1'], 'since': '0', 'mgetty_log_dir': str(tmp_path),
            'callback_log': str(tmp_path / 'mg_callback.log'), 'login_config': os.path.join(FIX, 'login.config'),
            'syslog_source': 'journal', 'syslog_files': [str(tmp_path / 'absent.log')], 'lock_dir': str(tmp_path),
            'utmp': os.path.join(FIX, 'utmp'), 'run_dir': str(tmp_path), 'facts_file': str(tmp_path / 'no.fact'),
            'proc_dir': str(tmp_path / 'proc')}


def utc(*args):
    return float(calendar.timegm(args + (0,) * (6 - len(args))))


def scenarios():
    with open(os.path.join(FIX, 'scenarios.json')) as f:
        return [r for r in json.load(f)['scenarios'] if 't_start' in r]


def journal_text():
    with open(os.path.join(FIX, 'syslog.log')) as f:
        return f.read()


@pytest.mark.parametrize('source', ['journal', 'auto'])
def test_collect_reads_the_journal(utc_clock, tmp_path, source):
    since = scenarios()[2]['t_start']
    params = dict(host(tmp_path), syslog_source=source, since='%f' % since)
    since = float(params['since'])
    runner = FakeRunner(results={'journalctl': (0, journal_text(), '')})
    now = max(r['t_end'] for r in scenarios()) + 60
    got = line_status.collect(params, runner=runner, now=now)
    (line,) = got['lines']
    # From an hour before the oldest mgetty run in the logs (older than since: the call counters).
    with open(os.path.join(FIX, 'mg_ttyS1.log')) as f:
        oldest_run = min(r['start'] for r in mgetty_log.runs(f.read(), now))
    assert oldest_run < since
    assert runner.ran == [['/usr/bin/journalctl', '--no-pager', '-q', '-o', 'short-unix',
                           '--since', '@%d' % int(oldest_run - 3600), '-t', 'pppd', '-t', 'dialin-callback']]
    assert line['sources'] == ['proc', 'mgetty_log:%s' % (tmp_path / 'mg_ttyS1.log'), 'utmp:%s' % params['utmp'],
                               'journal', 'callback_log:%s' % (tmp_path / 'mg_callback.log'),
                               'login_config:%s' % params['login_config']]
    assert [c['mgetty_pid'] for c in line['calls']] == [r['mgetty_pid'] for r in scenarios()[2:]]
    assert all(c['ppp_end'] for c in line['calls'] if c['outcome'] in ('ppp', 'ppp_auth_failed'))
    assert (got['since'], got['now'], line['unreadable'], line['ppp']) == (since, now, [], None)
    outcomes = [c['outcome'] for c in line['calls']]
    assert line['counts'] == dict([('total', len(outcomes))] + [(o, outcomes.count(o)) for o in set(outcomes)])
    # The counter counts every call of the current file, since or not.
    assert sum(line['calls_total'].values()) == len(scenarios())


def test_collect_names_a_journal_it_could_not_read(tmp_path):
    runner = FakeRunner(results={'journalctl': (1, '', 'Failed to open journal \n')})
    (line,) = line_status.collect(host(tmp_path), runner=runner, now=2e9)['lines']
    assert line['unreadable'] == ['journal (Failed to open journal)']
    assert 'journal' not in line['sources']


def test_collect_without_journalctl(tmp_path):
    with pytest.raises(line_status.LineStatusError) as refused:
        line_status.collect(host(tmp_path), runner=FakeRunner(found=()), now=2e9)
    assert str(refused.value) == 'syslog_source=journal: journalctl not found'
    # auto, with neither files nor journalctl: no syslog.
    (line,) = line_status.collect(dict(host(tmp_path), syslog_source='auto'), runner=FakeRunner(found=()),
                                  now=2e9)['lines']
    assert not [s for s in line['sources'] if s.startswith('journal') or s.startswith('syslog')]


def test_collect_with_syslog_files_reads_no_journal(utc_clock, tmp_path):
    shutil.copy(os.path.join(FIX, 'syslog.log'), str(tmp_path / 'syslog.log'))
    runner = FakeRunner(results={'journalctl': (0, '', '')})
    for source in ('auto', 'files', 'none'):
        params = dict(host(tmp_path), syslog_source=source, syslog_files=[str(tmp_path / 'syslog.log')])
        (line,) = line_status.collect(params, runner=runner, now=max(r['t_end'] for r in scenarios()) + 60)['lines']
        assert ('syslog:%s' % (tmp_path / 'syslog.log') in line['sources']) == (source != 'none')
    assert runner.ran == []


def test_collect_refuses_an_unknown_syslog_source_naming_the_known_ones(tmp_path):
    with pytest.raises(line_status.LineStatusError) as refused:
        line_status.collect(dict(host(tmp_path), syslog_source='rsyslog'), runner=FakeRunner(), now=2e9)
    assert str(refused.value) == "syslog_source: 'rsyslog' is none of auto, files, journal, none"
    with pytest.raises(line_status.LineStatusError) as refused:
        line_status.collect(dict(host(tmp_path), since='soon'), runner=FakeRunner(), now=2e9)
    assert str(refused.value).startswith("since: 'soon' is neither")


def test_a_pppd_on_the_line_beside_other_programs_is_the_lines_state(proc):
    process(proc, 150, ['/bin/login', '--', 'pppuser'], tty='/dev/ttyS1')
    process(proc, 170, ['/usr/sbin/pppd', 'auth'], tty='/dev/ttyS1')
    assert state(proc)[:2] == ('login', 'pppd 170 on /dev/ttyS1 negotiating (no interface up yet)')


def test_a_lock_of_a_process_that_ended_or_started_after_the_processes_were_read(tmp_path, proc):
    process(proc, 160, ['/usr/sbin/callback', '-S', '5550199'])
    (tmp_path / 'LCK..ttyS1').write_text('%10d\n' % 160)
    procs = Processes(str(proc))
    shutil.rmtree(str(proc / '160'))
    got, _path = line_status.read_lock(str(tmp_path), 'ttyS1', procs)
    assert (got['alive'], got['program'], got['user'], got['foreign']) == (False, None, None, False)
    procs = Processes(str(proc))
    process(proc, 160, ['/usr/sbin/callback', '-S', '5550199'])
    got, _path = line_status.read_lock(str(tmp_path), 'ttyS1', procs)
    assert (got['alive'], got['program']) == (True, None)


def test_user_name_of_a_uid_without_a_name():
    assert line_status.user_name(0) == 'root'
    assert line_status.user_name(4000001) == '4000001'
    assert line_status.user_name(None) is None


def test_runner_replaces_bytes_that_are_not_utf8():
    got = line_status.Runner().run([sys.executable, '-c', 'import sys; sys.stdout.buffer.write(b"a\\xff"); '
                                    'sys.stderr.buffer.write(b"b\\xfe")'])
    assert got == (0, 'a\ufffd', 'b\ufffd')


def test_read_back_joins_rotations_that_end_without_a_line_feed(tmp_path):
    path = tmp_path / 'syslog'
    path.write_text('3\n')
    (tmp_path / 'syslog.1').write_text('2')
    (tmp_path / 'syslog.2').write_text('')
    (tmp_path / 'syslog.3').mkdir()
    (tmp_path / 'syslog.4').write_text('1\n')
    unreadable = []
    text, paths = line_status.read_back(str(path), 0, lambda t: None, unreadable)
    # An unreadable rotation is named and skipped; the older ones are still read.
    assert text == '1\n2\n3\n'
    assert paths == [str(path), str(path) + '.1', str(path) + '.2', str(path) + '.4']
    assert unreadable == ['%s.3 (Is a directory)' % path]


def test_read_back_stops_at_the_rotation_that_starts_at_since(tmp_path):
    path = tmp_path / 'log'
    path.write_text('20\n')
    (tmp_path / 'log.1').write_text('10\n')
    (tmp_path / 'log.2').write_text('0\n')

    def first(text):
        return float(text.split()[0])

    assert line_status.read_back(str(path), 10.0, first, [])[0] == '10\n20\n'
    assert line_status.read_back(str(path), 9.5, first, [])[0] == '0\n10\n20\n'


def test_collect_names_every_file_it_could_not_read(tmp_path):
    params = host(tmp_path)
    for name in ('facts', 'syslog', 'callback', 'login.config'):
        (tmp_path / name).mkdir()
    params.update(ports=None, facts_file=str(tmp_path / 'facts'), syslog_source='files',
                  syslog_files=[str(tmp_path / 'syslog')], callback_log=str(tmp_path / 'callback'),
                  login_config=str(tmp_path / 'login.config'))
    (line,) = line_status.collect(params, runner=FakeRunner(), now=2e9)['lines']
    assert sorted(line['unreadable']) == sorted('%s (Is a directory)' % (tmp_path / n)
                                                for n in ('facts', 'syslog', 'callback', 'login.config'))
    # No callback entries read: login.config is not among the sources.
    assert not [s for s in line['sources'] if s.startswith('login_config:')]


def test_collect_of_a_port_without_a_log_and_of_one_with_only_a_rotated_log(tmp_path):
    params = host(tmp_path)
    shutil.move(str(tmp_path / 'mg_ttyS1.log'), str(tmp_path / 'mg_ttyS1.log.1'))
    got = line_status.collect(dict(params, ports=['ttyS5', 'ttyS1'], since='24h', syslog_source='none'),
                              runner=FakeRunner(found=()),
                              now=max(r['t_end'] for r in scenarios()) + 60)
    assert got['since'] == max(r['t_end'] for r in scenarios()) + 60 - 86400
    five, one = got['lines']
    assert (five['line'], five['state'], five['calls'], sum(five['calls_total'].values())) == ('ttyS5', 'no_mgetty', [], 0)
    # The calls of the rotated log are reported; the counter (the current file's calls) has none.
    assert len(one['calls']) == len(scenarios()) and sum(one['calls_total'].values()) == 0


def test_collect_takes_a_call_that_starts_at_since(tmp_path):
    params = host(tmp_path)
    now = max(r['t_end'] for r in scenarios()) + 60
    starts = [c['start'] for c in line_status.collect(dict(params, syslog_source='none'), now=now)['lines'][0]['calls']]
    got = line_status.collect(dict(params, syslog_source='none', since=repr(starts[2])), now=now)['lines'][0]['calls']
    assert [c['start'] for c in got] == starts[2:]


def test_collect_asks_the_journal_from_the_epoch_at_most(tmp_path):
    params = dict(host(tmp_path), ports=['ttyS5'])
    runner = FakeRunner(results={'journalctl': (0, '', '')})
    line_status.collect(params, runner=runner, now=2e9)
    assert runner.ran[0][5:7] == ['--since', '@0']


def test_collect_reads_syslog_rotations_back_to_an_hour_before_since(utc_clock, tmp_path):
    now = utc(2020, 12, 1)
    (tmp_path / 'syslog').write_text('Nov 30 21:00:00 host pppd[1]: Exit.\n')
    (tmp_path / 'syslog.1').write_text('Nov 30 20:00:00 host pppd[2]: Exit.\n')
    params = dict(host(tmp_path), ports=['ttyS5'], syslog_source='files', syslog_files=[str(tmp_path / 'syslog')])
    (line,) = line_status.collect(dict(params, since=repr(utc(2020, 11, 30, 22))), now=now)['lines']
    assert [s for s in line['sources'] if s.startswith('syslog:')] == ['syslog:%s' % (tmp_path / 'syslog')]
    (line,) = line_status.collect(dict(params, since=repr(utc(2020, 11, 30, 22) - 1)), now=now)['lines']
    assert [s for s in line['sources'] if s.startswith('syslog:')] == \
        ['syslog:%s' % (tmp_path / 'syslog'), 'syslog:%s' % (tmp_path / 'syslog.1')]


def test_collect_of_a_ppp_link_that_is_up(tmp_path):
    params = dict(host(tmp_path), ports=['ttyS5'], syslog_source='none')
    process(tmp_path / 'proc', 146, ['/usr/sbin/mgetty', 'ttyS5'])
    process(tmp_path / 'proc', 170, ['/usr/sbin/pppd', 'auth'], tty='/dev/ttyS5')
    (tmp_path / 'ppp0.pid').write_text('170\n')
    runner = FakeRunner(results={'ip': (0, json.dumps(IP_UP), '')})
    (line,) = line_status.collect(params, runner=runner, now=2e9)['lines']
    assert (line['state'], line['ppp']['interface'], line['ppp']['peer_ip']) == ('ppp_up', 'ppp0', '10.99.0.2')
    assert 'pidfile:ppp*.pid' in line['sources'] and 'interface:ppp0' in line['sources']


def two_calls_across_a_rotation(tmp_path):
    """ttyS5's log rotated (copytruncate) while mgetty waited: the current file starts with the first
    call's RING; the second call's pppd still runs. pppd's lines are split over syslog and messages,
    with RFC 3164 time stamps (no year)."""
    (tmp_path / 'mg_ttyS5.log.1').write_text(
        '--\n'
        '11/30 21:00:00 yS5  mgetty: stable release 1.2.1\n'
        '11/30 21:00:01 yS5  waiting...\n')
    (tmp_path / 'mg_ttyS5.log').write_text(
        "11/30 21:00:10 yS5  wfr: waiting for ``RING''\n"
        "11/30 21:00:11 yS5  waiting for ``CONNECT'' ** found **\n"
        "11/30 21:00:12 ##### data dev=ttyS5, pid=146, caller='none', conn='38400', name='', cmd='/usr/sbin/pppd', "
        "user='/AutoPPP/'\n"
        '--\n'
        '11/30 21:01:00 yS5  mgetty: stable release 1.2.1\n'
        '11/30 21:01:01 yS5  waiting...\n'
        "11/30 21:02:00 yS5  wfr: waiting for ``RING''\n"
        "11/30 21:02:01 yS5  waiting for ``CONNECT'' ** found **\n"
        "11/30 21:02:02 ##### data dev=ttyS5, pid=147, caller='none', conn='38400', name='', cmd='/usr/sbin/pppd', "
        "user='/AutoPPP/'\n")
    (tmp_path / 'syslog').write_text(
        'Nov 30 21:00:12 host pppd[146]: pppd 2.4.9 started by root, uid 0\n'
        'Nov 30 21:00:13 host pppd[146]: Connect: ppp0 <--> /dev/ttyS5\n'
        'Nov 30 21:00:14 host pppd[146]: remote IP address 10.99.0.2\n')
    (tmp_path / 'messages').write_text(
        'Nov 30 21:00:50 host pppd[146]: Exit.\n'
        'Nov 30 21:02:02 host pppd[147]: pppd 2.4.9 started by root, uid 0\n'
        'Nov 30 21:02:03 host pppd[147]: Connect: ppp0 <--> /dev/ttyS5\n'
        'Nov 30 21:02:04 host pppd[147]: remote IP address 10.99.0.2\n')
    process(tmp_path / 'proc', 147, ['/usr/sbin/pppd', 'auth'], tty='/dev/ttyS5')
    (tmp_path / 'ppp0.pid').write_text('147\n')
    return dict(host(tmp_path), ports=['ttyS5'], syslog_source='files',
                syslog_files=[str(tmp_path / 'syslog'), str(tmp_path / 'messages')])


def test_collect_of_a_line_in_a_call_after_a_rotation(utc_clock, tmp_path):
    params = two_calls_across_a_rotation(tmp_path)
    runner = FakeRunner(results={'ip': (0, json.dumps(IP_UP), '')})
    # A clock years before the machine's: a time stamp without a year is placed by the clock given.
    (line,) = line_status.collect(params, runner=runner, now=utc(2001, 12, 1))['lines']
    assert line['state'] == 'ppp_up'
    assert [(c['start'], c['ppp_start'], c['ppp_end'], c['ppp_peer_ip'], c['outcome']) for c in line['calls']] == [
        # The first session's Exit. is the first line of the second syslog file.
        (utc(2001, 11, 30, 21, 0, 10), utc(2001, 11, 30, 21, 0, 13), utc(2001, 11, 30, 21, 0, 50), '10.99.0.2', 'ppp'),
        (utc(2001, 11, 30, 21, 2, 0), utc(2001, 11, 30, 21, 2, 3), None, '10.99.0.2', 'ppp')]
    # The counter: the first call, which starts at the current file's first time stamp, is the
    # current file's; the second, the one the line is in, is not counted yet.
    assert line['calls_total'] == {'ppp': 1, 'ppp_auth_failed': 0, 'callback_refused': 0, 'callback_failed': 0,
                                   'refused': 0, 'login': 0, 'no_login': 0}
    assert line['counts'] == {'total': 2, 'ppp': 2}


def test_collect_of_a_current_log_that_can_no_longer_be_read_when_read_again(utc_clock, tmp_path, monkeypatch):
    """The current log is read twice (with its rotations, then alone for the counter's first time):
    when the second read fails (the file replaced in between), the counter has no call, and the
    file, which was read, is not named as unreadable."""
    params = two_calls_across_a_rotation(tmp_path)
    current = str(tmp_path / 'mg_ttyS5.log')
    opened = []

    def fake_open(path, mode='r', *args, **kwargs):
        if path == current:
            opened.append(path)
            if len(opened) > 1:
                raise IOError(13, 'Permission denied')
        return open(path, mode, *args, **kwargs)

    monkeypatch.setattr(line_status, 'open', fake_open, raising=False)
    runner = FakeRunner(results={'ip': (0, json.dumps(IP_UP), '')})
    (line,) = line_status.collect(params, runner=runner, now=utc(2001, 12, 1))['lines']
    assert opened == [current, current]
    assert (len(line['calls']), sum(line['calls_total'].values()), line['unreadable']) == (2, 0, [])


# rotations: dateext names ordered by their date alone

def test_dateext_rotations_are_ordered_by_the_whole_date(tmp_path):
    path = str(tmp_path / 'syslog')
    for name in ('syslog', 'syslog-19991231.gz', 'syslog-20000101.gz', 'syslog-2000010112'):
        (tmp_path / name).write_text('')
    assert line_status.rotations(path) == [path, path + '-2000010112', path + '-20000101.gz', path + '-19991231.gz']


def test_dateext_rotations_of_one_date_keep_the_order_they_were_found_in(tmp_path, monkeypatch):
    """Two files of one date (while gzip compresses a rotation, the .gz grows beside the file until
    gzip removes it): the date alone orders the rotations, ``.gz`` or not, so they stay in the
    directory's order."""
    path = str(tmp_path / 'syslog')
    found = [path + '-20261130', path + '-20261129', path + '-20261130.gz']
    monkeypatch.setattr(line_status.glob, 'glob', lambda pattern: list(found) if pattern == path + '-[0-9]*' else [])
    assert line_status.rotations(path) == [path, path + '-20261130', path + '-20261130.gz', path + '-20261129']
    found = [path + '-20261130.gz', path + '-20261130']
    assert line_status.rotations(path) == [path, path + '-20261130.gz', path + '-20261130']
