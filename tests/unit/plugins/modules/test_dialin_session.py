# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""dialin_session on real processes: each session is a process of the test's own, signalled for
real; the module reads it through a /proc laid out by the test (its name and the line it has open
as on a dial-in server), whose stat and status are the real process's (symbolic links), so that
its end is seen as it happens."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import pwd
import subprocess
import time

import pytest

from ansible_collections.dialin.callback.plugins.module_utils import utmp as utmp_file
from ansible_collections.dialin.callback.plugins.modules import dialin_session
from ansible_collections.dialin.callback.tests.unit.plugins.modules.pid_namespace import run_in_pid_namespace


def _real_user():
    # The kernel's view (fakeroot, which runs the unit tests without root, fakes getuid() only).
    with open('/proc/self/status') as f:
        uid = next(int(ln.split()[1]) for ln in f if ln.startswith('Uid:'))
    return pwd.getpwuid(uid).pw_name


ME = _real_user()


@pytest.fixture
def server(tmp_path):
    """A dial-in server's /proc and utmp; processes started by the test are ended after it."""
    class Server(object):
        def __init__(self):
            self.proc, self.utmp, self.wtmp = tmp_path / 'proc', tmp_path / 'utmp', tmp_path / 'wtmp'
            self.children = []

        def process(self, name, line=None, argv=None):
            """A real process shown as `name` with /dev/<line> open."""
            # SIGHUP and SIGTERM as a real pppd has them, whatever the test runner inherited (nohup
            # ignores SIGHUP, and an ignored signal stays ignored across exec): env resets them, then
            # executes the program in the same process.
            child = subprocess.Popen(['env', '--default-signal=HUP,TERM'] + (argv or ['sleep', '300']))
            self.children.append(child)
            d = self.proc / str(child.pid)
            (d / 'fd').mkdir(parents=True)
            (d / 'cmdline').write_bytes(name.encode() + b'\0ttyS1\0')
            for field in ('stat', 'status'):
                os.symlink('/proc/%d/%s' % (child.pid, field), str(d / field))
            if line:
                os.symlink('/dev/' + line, str(d / 'fd' / '0'))
            return child

        def login(self, user, line, pid, to='utmp', when=None):
            """A USER_PROCESS record, as login (utmp and wtmp) or pppd's login option (wtmp) writes it."""
            when = time.time() if when is None else when
            rec = utmp_file.RECORD.pack(7, pid, line.encode(), line[-2:].encode(), user.encode(), b'', 0, 0,
                                        0, int(when), int(when % 1 * 1e6), b'')
            with open(str(getattr(self, to)), 'ab') as f:
                f.write(rec)

    srv = Server()
    srv.proc.mkdir()
    os.symlink('/proc/stat', str(srv.proc / 'stat'))  # the boot time
    srv.utmp.write_bytes(b'')
    srv.wtmp.write_bytes(b'')
    yield srv
    for child in srv.children:
        if child.poll() is None:
            child.kill()
        child.wait()


def args(server, users, **kw):
    a = dict(users=users, ports=['ttyS1'], utmp=str(server.utmp), wtmp=str(server.wtmp), proc_dir=str(server.proc),
             timeout=5)
    a.update(kw)
    return a


def ended(child, timeout=5):
    try:
        child.wait(timeout=timeout)
        return True
    except subprocess.TimeoutExpired:
        return False


def test_an_autoppp_session_found_in_utmp_is_hung_up(run_module, server):
    pppd = server.process('/usr/sbin/pppd', 'ttyS1')
    server.login('leaver', 'ttyS1', pppd.pid)
    res = run_module(dialin_session.main, args(server, ['leaver']))
    assert not res.failed and res['changed'], res
    assert res['sessions'] == [{'line': 'ttyS1', 'user': 'leaver', 'found_by': 'utmp',
                                'processes': ['pppd %d' % pppd.pid], 'signals': ['SIGHUP'], 'ended': True}]
    assert ended(pppd) and pppd.returncode == -1  # SIGHUP
    assert res['diff']['before'] == 'ttyS1: leaver (pppd %d)\n' % pppd.pid and res['diff']['after'] == ''


def test_an_autoppp_pap_login_is_found_in_wtmp(run_module, server):
    # pppd's login option writes wtmp only; utmp has mgetty's entry (login.config's utmp column).
    pppd = server.process('/usr/sbin/pppd', 'ttyS1')
    server.login('a_ppp', 'ttyS1', pppd.pid)
    server.login('leaver', 'ttyS1', pppd.pid, to='wtmp')
    res = run_module(dialin_session.main, args(server, ['leaver']))
    assert [(s['user'], s['ended']) for s in res['sessions']] == [('leaver', True)], res
    assert ended(pppd)


def test_a_record_older_than_the_process_is_not_its_session(run_module, server):
    # The same PID had a session of leaver's before; the process on the line now started later.
    pppd = server.process('/usr/sbin/pppd', 'ttyS1')
    server.login('leaver', 'ttyS1', pppd.pid, to='wtmp', when=time.time() - 3600)
    res = run_module(dialin_session.main, args(server, ['leaver']))
    assert not res['changed'] and res['sessions'] == [], res
    assert not ended(pppd, timeout=0.5)


def test_a_ppplogin_session_is_found_by_its_real_user(run_module, server):
    # pppd started by the ppplogin shell: setuid root, its real user ID the account's.
    pppd = server.process('/usr/sbin/pppd', 'ttyS1')
    res = run_module(dialin_session.main, args(server, [ME]))
    assert [(s['user'], s['found_by'], s['ended']) for s in res['sessions']] == [(ME, 'uid', True)], res
    assert ended(pppd)


def test_check_mode_reports_and_signals_nothing(run_module, server):
    pppd = server.process('/usr/sbin/pppd', 'ttyS1')
    server.login('leaver', 'ttyS1', pppd.pid)
    res = run_module(dialin_session.main, args(server, ['leaver']), check_mode=True)
    assert res['changed'] and res['sessions'][0]['signals'] == [] and res['sessions'][0]['ended'] is False
    assert not ended(pppd, timeout=1)


def test_a_process_that_ignores_sighup_gets_sigterm(run_module, server):
    stubborn = server.process('/usr/sbin/pppd', 'ttyS1',
                              argv=['sh', '-c', 'trap "" HUP; while :; do sleep 0.1; done'])
    server.login('leaver', 'ttyS1', stubborn.pid)
    time.sleep(0.3)  # the trap is set
    res = run_module(dialin_session.main, args(server, ['leaver'], timeout=1))
    assert res['sessions'][0]['signals'] == ['SIGHUP', 'SIGTERM'] and res['sessions'][0]['ended'], res
    assert ended(stubborn)


def test_other_users_lines_and_programs_are_left_alone(run_module, server):
    mgetty = server.process('/usr/sbin/mgetty', 'ttyS1')
    other = server.process('/usr/sbin/pppd', 'ttyS2')
    server.login('leaver', 'ttyS2', other.pid)          # leaver, but on a line not asked for
    stays = server.process('/usr/sbin/pppd', 'ttyS1')
    server.login('alice', 'ttyS1', stays.pid)           # another user on the line
    unrelated = server.process('/usr/sbin/cron')
    server.login('leaver', 'ttyS1', unrelated.pid)      # a stale record: its PID has no line open
    res = run_module(dialin_session.main, args(server, ['leaver', 'nosuchuser']))
    assert not res.failed and not res['changed'] and res['sessions'] == [], res
    assert not any(ended(p, timeout=0.5) for p in (mgetty, other, stays, unrelated))


def test_no_users_does_nothing(run_module, server):
    pppd = server.process('/usr/sbin/pppd', 'ttyS1')
    res = run_module(dialin_session.main, args(server, []))
    assert not res['changed'] and res['sessions'] == []
    assert not ended(pppd, timeout=0.5)


@pytest.mark.parametrize('port', ['../ttyS1', '', 'ttyS1/x'])
def test_a_bad_port_is_refused_by_name(run_module, server, port):
    res = run_module(dialin_session.main, args(server, ['leaver'], ports=[port]))
    assert res.failed and res['msg'].startswith('ports: ')


# The module's steps in a PID namespace of the test's own: the session's process is found, ends,
# and a new process with the same command line takes its PID before the signals.
REUSED_PID = r'''
import tempfile
from ansible_collections.dialin.callback.plugins.module_utils.processes import Processes
from ansible_collections.dialin.callback.plugins.modules import dialin_session

proc_dir = tempfile.mkdtemp()
os.symlink('/proc/stat', os.path.join(proc_dir, 'stat'))


def on_line(child):
    """The child as the module sees it: pppd with ttyS1 open; its stat and status are the real ones
    of whatever process has its PID."""
    d = os.path.join(proc_dir, str(child.pid))
    if not os.path.isdir(d):
        os.makedirs(os.path.join(d, 'fd'))
        with open(os.path.join(d, 'cmdline'), 'wb') as f:
            f.write(b'/usr/sbin/pppd\0ttyS1\0')
        for field in ('stat', 'status'):
            os.symlink('/proc/%d/%s' % (child.pid, field), os.path.join(d, field))
        os.symlink('/dev/ttyS1', os.path.join(d, 'fd', '0'))
    return child


def find(pid):
    procs = Processes(proc_dir)
    records = [dict(type='USER_PROCESS', line='ttyS1', user='leaver', pid=pid, time=time.time())]
    return procs, dialin_session.sessions_on(['ttyS1'], {'leaver'}, procs, records)


first = on_line(subprocess.Popen(['sleep', '300']))
procs, sessions = find(first.pid)
first_start = start_ticks(first.pid)
first.kill()
first.wait()
time.sleep(0.05)  # five clock ticks: the new process starts later
# env: SIGHUP as a real pppd has it, whatever the test runner inherited (see server.process).
second = on_line(start_with_pid(first.pid, ['env', '--default-signal=HUP,TERM', 'sleep', '300']))
second_start = start_ticks(second.pid)
signals, left = dialin_session.end_session(procs, sessions[0], 1)
time.sleep(0.5)
second_alive = second.poll() is None
# The control: found and signalled without the PID reused, the same process ends on SIGHUP.
procs, control = find(second.pid)
control_signals, control_left = dialin_session.end_session(procs, control[0], 1)
second_status = second.wait(timeout=5)
report(pids=[s['pids'] for s in sessions], same_pid=second.pid == first.pid, starts=[first_start, second_start],
       signals=signals, left=left, second_alive=second_alive, control_signals=control_signals,
       control_left=control_left, second_status=second_status)
'''


def test_a_reused_pid_is_not_signalled():
    res = run_in_pid_namespace(REUSED_PID)
    assert len(res['pids']) == 1 and len(res['pids'][0]) == 1 and res['same_pid'], res
    assert res['starts'][0] < res['starts'][1], res
    assert res['signals'] == [] and res['left'] == [], res
    assert res['second_alive'], 'the process that took the PID was signalled: %r' % res
    assert res['control_signals'] == ['SIGHUP'] and res['control_left'] == [] and res['second_status'] == -1, res
