# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The callback role's gate (roles/callback/templates/callback-gate.j2), rendered with Jinja2 as the
template module does, run as a program on a pseudo-terminal (its line), with a stand-in for the
callback program that records its arguments and a syslog socket of the test's own. The real
mgetty and callback run it in the Molecule scenarios (molecule/shared/tests)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import fcntl
import os
import re
import select
import socket
import stat
import subprocess
import time

import jinja2
import pytest
from ansible.plugins.filter.core import FilterModule as CoreFilters
from ansible_collections.dialin.callback.plugins.module_utils.shared_names import shared_name

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEMPLATE = os.path.join(TOP, 'roles', 'callback', 'templates', 'callback-gate.j2')


class Gate(object):
    def __init__(self, tmp_path, limit=3, window=3600, ports=(), other_line=True, users=(), require_caller_id=False,
                 callback_script=None, budgets=None):
        self.state_dir = str(tmp_path / 'state')
        self.record_dir = tmp_path / 'called-back'
        self.lock_dir = tmp_path / 'lock'
        self.lock_dir.mkdir()
        self.dev_dir = tmp_path / 'dev'
        self.dev_dir.mkdir()
        self.record = tmp_path / 'callback-ran'
        self.callback = tmp_path / 'callback'
        self.callback.write_text(callback_script or
                                 '#!/bin/sh\nprintf "%%s\\n" "$0" "$@" >> %s\n' % self.record)
        self.callback.chmod(0o755)
        self.log_path = str(tmp_path / 'log')
        self.log = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.log.bind(self.log_path)
        with open(TEMPLATE) as f:
            # The Ansible filters the template uses (bool), as the template module has them.
            env = jinja2.Environment()
            env.filters.update(CoreFilters().filters())
            text = env.from_string(f.read()).render(
                ansible_managed='Ansible managed', callback_rate_limit_count=limit,
                callback_rate_limit_window=window, __callback_program=str(self.callback),
                __callback_gate=shared_name('callback_gate'),
                __callback_gate_state_dir=self.state_dir, __callback_gate_syslog_socket=self.log_path,
                __callback_record_dir=str(self.record_dir), __callback_lock_dir=str(self.lock_dir),
                __callback_dev_dir=str(self.dev_dir), callback_ports=list(ports),
                callback_dial_back_on_another_line=other_line, callback_require_caller_id=require_caller_id,
                callback_users=list(users),
                # number, line and server budgets: none unless the test sets them
                **dict(dict(('callback_%s_limit_%s' % (b, k), 0 if k == 'count' else 3600)
                            for b in ('number', 'line', 'server') for k in ('count', 'window')), **(budgets or {})))
        self.path = tmp_path / 'callback-gate'
        self.path.write_text(text)
        self.path.chmod(0o700)

    def start(self, *args, **env):
        """The gate on a pseudo-terminal, as mgetty leaves it: stdin, stdout and stderr the line."""
        master, slave = os.openpty()
        environ = dict((k, v) for k, v in os.environ.items() if k != 'DEVICE')
        environ.update(env)
        proc = subprocess.Popen([str(self.path)] + list(args), stdin=slave, stdout=slave,
                                stderr=slave, close_fds=True, env=environ)
        proc.line = os.ttyname(slave)[len('/dev/'):]
        os.close(slave)
        proc.master = master
        return proc

    def run(self, *args, **env):
        proc = self.start(*args, **env)
        rc = proc.wait(timeout=30)
        return rc, self.read(proc.master)

    @staticmethod
    def read(master):
        out = b''
        while select.select([master], [], [], 0.2)[0]:
            try:
                chunk = os.read(master, 1024)
            except OSError:  # EIO: the slave side is closed
                break
            if not chunk:
                break
            out += chunk
        os.close(master)
        return out.decode()

    def runs(self, expected=None, timeout=10):
        """The argument lists the stand-in callback program was run with (in the background: wait up
        to *timeout* seconds for *expected* runs)."""
        deadline = time.monotonic() + timeout
        while expected is not None and len(self._runs()) < expected and time.monotonic() < deadline:
            time.sleep(0.1)
        return self._runs()

    def _runs(self):
        if not self.record.exists():
            return []
        lines = self.record.read_text().splitlines()
        runs, current = [], None
        for line in lines:
            if line == str(self.callback):
                current = []
                runs.append(current)
            else:
                current.append(line)
        return runs

    def messages(self, background=False):
        """The syslog lines so far; without *background*, only the gate's own before it hangs up (not
        the background part's on callback's result: the stand-in callback takes no line)."""
        self.log.setblocking(False)
        out = []
        while True:
            try:
                out.append(self.log.recv(4096).decode())
            except BlockingIOError:
                return [m for m in out if background or not re.search(r'dialin-callback: callback (made|failed)', m)]


def entries(path):
    """The times in a budget file ("<time> <id>" per callback)."""
    with open(path) as f:
        return [int(line.split()[0]) for line in f if line.strip()]


@pytest.fixture
def gate(tmp_path):
    g = Gate(tmp_path, limit=2)
    yield g
    g.log.close()


def test_runs_callback_with_the_other_arguments_up_to_the_limit(gate):
    for n in (1, 2):
        rc, out = gate.run('call', '-l', 'ttyS1', '0W5551234')
        assert rc == 0, out
        # callback's own words as it hangs up, then callback in the foreground mode, in the background
        assert 'Dialing continues in the background' in out
        assert gate.runs(expected=n) == [['-d', '-l', 'ttyS1', '0W5551234']] * n
    state = os.path.join(gate.state_dir, 'login', 'call')
    assert stat.S_IMODE(os.stat(gate.state_dir).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(state).st_mode) == 0o600
    times = entries(state)
    assert len(times) == 2 and all(abs(t - time.time()) < 60 for t in times)
    messages = gate.messages()
    assert len(messages) == 2
    assert messages[0].startswith('<38>') and ' dialin-callback: ' in messages[0]
    assert 'callback allowed: login=call line=' in messages[0] and '(pseudo-login 1 of 2 in 3600 s)' in messages[0]


def test_the_call_past_the_limit_is_refused_and_logged(gate):
    gate.run('call', '-S', '123456')
    gate.run('call', '-S', '123456')
    gate.messages()
    proc = gate.start('call', '-S', '123456')
    rc = proc.wait(timeout=30)
    out = gate.read(proc.master)
    assert rc == 1
    assert [run[:2] + run[3:] for run in gate.runs(expected=2)] == [['-d', '-l', '123456']] * 2
    # The caller gets what a name that is no pseudo-login gets from login.config's /bin/false: nothing.
    assert out == ''
    messages = gate.messages()
    assert len(messages) == 1
    # auth.notice, the pseudo-login and the line (the tty of the gate's stdin)
    assert messages[0].startswith('<37>')
    assert ('callback refused: login=call line=%s: 2 callbacks for this pseudo-login in the last 3600 s (limit 2)'
            % proc.line) in messages[0]
    # a refusal is not a callback: the state still holds two
    assert len(entries(os.path.join(gate.state_dir, 'login', 'call'))) == 2


def test_the_line_is_named_as_mgetty_names_it(gate):
    # mgetty started on a name that links to the tty (DEVICE): both are logged.
    proc = gate.start('call', '-S', '1', DEVICE='ttyS1')
    assert proc.wait(timeout=30) == 0
    gate.read(proc.master)
    assert 'login=call line=ttyS1 (tty %s) (pseudo-login 1 of 2' % proc.line in gate.messages()[0]


def test_each_pseudo_login_has_its_own_count(gate):
    for _n in range(2):
        gate.run('call', '-S', '1')
    rc, out = gate.run('callus', '-S', '2')
    assert rc == 0, out
    assert gate.runs(expected=3)[-1][3:] == ['2']


def test_the_window_slides(gate):
    os.makedirs(os.path.join(gate.state_dir, 'login'), mode=0o700)
    with open(os.path.join(gate.state_dir, 'login', 'call'), 'w') as f:
        # two callbacks, one just out of the window and one in it
        f.write('%d a\n%d b\n' % (time.time() - 3601, time.time() - 100))
    rc, out = gate.run('call', '-S', '1')
    assert rc == 0, out
    rc, out = gate.run('call', '-S', '1')
    assert rc == 1 and out == ''
    assert len(gate.runs(expected=2, timeout=3)) == 1


def test_two_lines_at_once_get_one_callback_between_them(tmp_path):
    g = Gate(tmp_path, limit=1)
    os.makedirs(g.state_dir, mode=0o700)
    # The test holds the budgets' lock while both start, so both wait for it.
    fd = os.open(os.path.join(g.state_dir, '.lock'), os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    procs = [g.start('call', '-S', '1'), g.start('call', '-S', '1')]
    time.sleep(1)
    assert [p.poll() for p in procs] == [None, None]
    os.close(fd)
    rcs = sorted(p.wait(timeout=30) for p in procs)
    for p in procs:
        g.read(p.master)
    assert rcs == [0, 1]
    assert [run[3:] for run in g.runs(expected=2, timeout=3)] == [['1']]
    g.log.close()


def test_zero_disables_the_limit(tmp_path):
    g = Gate(tmp_path, limit=0)
    for _n in range(5):
        rc, out = g.run('call', '-S', '1')
        assert rc == 0, out
    assert len(g.runs(expected=5)) == 5
    assert [name for name in os.listdir(g.state_dir) if name != '.lock'] == []
    g.log.close()


@pytest.mark.parametrize('args', [(), ('-S', '123456'), ('../call', '-S', '1'), ('.call', '-S', '1')])
def test_no_pseudo_login_no_callback(gate, args):
    # login.config without '@' first (or a name that is no pseudo-login): refused, nothing dialled.
    rc, out = gate.run(*args)
    assert rc == 1 and out == ''
    assert gate.runs(expected=1, timeout=2) == []
    messages = gate.messages()
    assert len(messages) == 1 and messages[0].startswith('<35>') and 'not a pseudo-login name' in messages[0]


def test_a_state_it_cannot_write_refuses(gate):
    # The state directory is a file: the gate cannot keep count, so it does not call back.
    with open(gate.state_dir, 'w') as f:
        f.write('')
    rc, out = gate.run('call', '-S', '1')
    assert rc == 1 and out == ''
    assert gate.runs(expected=1, timeout=2) == []
    assert 'state in %s: cannot take its lock' % gate.state_dir in gate.messages()[0]


def test_minus_s_dials_back_on_the_call_s_own_line_when_it_is_the_only_one(tmp_path):
    g = Gate(tmp_path, ports=['ttyS1'])
    rc, out = g.run('call', '-S', '123456', DEVICE='ttyS1')
    assert rc == 0, out
    assert g.runs(expected=1) == [['-d', '-l', 'ttyS1', '123456']]
    g.log.close()


def test_minus_s_dials_back_on_the_other_lines(tmp_path):
    """A caller who keeps the line the call came in on off-hook is not connected to the dial-back."""
    g = Gate(tmp_path, ports=['ttyS1', 'ttyS2', 'ttyS3'])
    rc, out = g.run('call', '-x', '3', '-S', '123456', DEVICE='ttyS2')
    assert rc == 0, out
    assert g.runs(expected=1) == [['-d', '-x', '3', '-l', 'ttyS1:ttyS3', '123456']]
    g.log.close()


def test_minus_s_stays_on_the_line_when_other_lines_are_not_wanted(tmp_path):
    g = Gate(tmp_path, ports=['ttyS1', 'ttyS2'], other_line=False)
    rc, out = g.run('call', '-S', '123456', DEVICE='ttyS2')
    assert rc == 0, out
    assert g.runs(expected=1) == [['-d', '-l', 'ttyS2', '123456']]
    g.log.close()


@pytest.mark.parametrize('require', [False, True])
def test_a_registered_caller_id_must_match(tmp_path, require):
    users = [{'name': 'call', 'number': '123456', 'caller_id': '+33 1-23-45-67'}, {'name': 'open', 'number': '1'}]
    g = Gate(tmp_path, users=users, require_caller_id=require)
    # From another number, and without caller ID: refused before anything else, logged, nothing dialled.
    for caller_id in ('3312345678', ''):
        rc, out = g.run('call', '-S', '123456', CALLER_ID=caller_id)
        assert rc == 1 and out == '', out
    messages = g.messages()
    assert ["caller ID '3312345678' is not its registered one" in messages[0],
            "caller ID 'none' is not its registered one" in messages[1]] == [True, True], messages
    assert not os.path.exists(os.path.join(g.state_dir, 'login', 'call')), 'a refused caller used up the budget'
    # From the registered number: called back.
    rc, out = g.run('call', '-S', '123456', CALLER_ID='33123 4567')
    assert rc == 0, out
    assert len(g.runs(expected=1)) == 1
    # A pseudo-login without a registered caller ID: called back unless every one must have one.
    rc, out = g.run('open', '-S', '1', CALLER_ID='999')
    assert rc == (1 if require else 0), out
    assert len(g.runs(expected=2, timeout=3)) == (1 if require else 2)
    if require:
        assert 'no caller ID registered for it' in g.messages()[-1]
    g.log.close()


def read_stat(pid):
    """Fields of /proc/PID/stat after the command name."""
    with open('/proc/%d/stat' % pid) as f:
        return f.read().rsplit(') ', 1)[1].split()


class FakeMgetty(object):
    """A line (a pty linked as DEV_DIR/ttyT1) and an 'mgetty' process holding its UUCP lock, as mgetty
    holds it once it has taken the line over from callback."""

    def __init__(self, gate):
        self.master, self.slave = os.openpty()
        self.pty = os.ttyname(self.slave)
        os.symlink(self.pty, str(gate.dev_dir / 'ttyT1'))
        self.proc = subprocess.Popen(['sleep', '60'])
        (gate.lock_dir / 'LCK..ttyT1').write_text('%10d\n' % self.proc.pid)

    def close(self):
        self.proc.kill()
        self.proc.wait()
        os.close(self.master)
        os.close(self.slave)


def test_a_callback_that_handed_the_line_to_mgetty_is_recorded(tmp_path):
    """callback -d exits 0 once mgetty has acknowledged: the gate records that mgetty (the lock's
    PID) and its start time under the line callback had open."""
    script = '#!/bin/sh\nexec 0<>"$(readlink -f %s)"\nsleep 1\nexit 0\n' % (tmp_path / 'dev' / 'ttyT1')
    g = Gate(tmp_path, callback_script=script)
    mgetty = FakeMgetty(g)
    try:
        rc, out = g.run('call', '-l', 'ttyT1', '123456')
        assert rc == 0, out
        record = g.record_dir / 'ttyT1'
        deadline = time.monotonic() + 15
        while not record.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert record.read_text().split() == [str(mgetty.proc.pid), read_stat(mgetty.proc.pid)[19], 'call']
        assert stat.S_IMODE(os.stat(str(g.record_dir)).st_mode) == 0o700
        assert stat.S_IMODE(os.stat(str(record)).st_mode) == 0o600
        # syslog is written right after the record
        said, deadline = [], time.monotonic() + 10
        while not any('callback made' in m for m in said) and time.monotonic() < deadline:
            said += g.messages(True)
            time.sleep(0.1)
        assert any('callback made: login=call line=ttyT1 mgetty=%d' % mgetty.proc.pid in m for m in said), said
    finally:
        mgetty.close()
        g.log.close()


@pytest.mark.parametrize('status, counted', [(2, False), (255, False), (10, True), (5, True)])
def test_a_failed_callback_is_not_recorded_and_counts_only_if_it_dialled(tmp_path, status, counted):
    """callback.c: 2 (no free line, or no mgetty on it) and -1 (the modem does not answer) end it
    before any dial: that callback leaves the budgets; 10 (no number answered) and 5 (the take-over
    failed) dialled, and count."""
    script = '#!/bin/sh\nexec 0<>"$(readlink -f %s)"\nsleep 1\nexit %d\n' % (tmp_path / 'dev' / 'ttyT1', status)
    g = Gate(tmp_path, callback_script=script)
    mgetty = FakeMgetty(g)
    try:
        rc, out = g.run('call', '-l', 'ttyT1', '123456')
        assert rc == 0, out
        deadline = time.monotonic() + 15
        messages = []
        while not any('callback failed' in m for m in messages) and time.monotonic() < deadline:
            messages += g.messages(True)
            time.sleep(0.1)
        said = 'callback failed: login=call line=' if counted else 'callback failed before dialling: login=call line='
        assert any(said in m and 'exit status %d' % status in m for m in messages), messages
        assert not (g.record_dir / 'ttyT1').exists()
        assert len(entries(os.path.join(g.state_dir, 'login', 'call'))) == (1 if counted else 0)
    finally:
        mgetty.close()
        g.log.close()


def test_a_number_s_budget_holds_across_pseudo_logins(tmp_path):
    g = Gate(tmp_path, limit=5, budgets={'callback_number_limit_count': 2, 'callback_number_limit_window': 86400})
    for login in ('call', 'callus'):
        rc, out = g.run(login, '-l', 'ttyS1', '0W555')
        assert rc == 0, out
    # A third pseudo-login for the same number: refused; another number: called back.
    rc, out = g.run('callthree', '-l', 'ttyS1', '0W555')
    assert rc == 1 and out == ''
    refused = [m for m in g.messages() if 'refused' in m]
    assert len(refused) == 1 and 'login=callthree' in refused[0], refused
    assert '2 callbacks for this number in the last 86400 s (limit 2)' in refused[0], refused
    rc, out = g.run('callthree', '-l', 'ttyS1', '0W666')
    assert rc == 0, out
    assert [run[-1] for run in g.runs(expected=3)] == ['0W555', '0W555', '0W666']
    g.log.close()


def test_a_line_s_budget_and_the_server_s(tmp_path):
    g = Gate(tmp_path, limit=5, budgets={'callback_line_limit_count': 1, 'callback_server_limit_count': 2})
    rc, out = g.run('call', '-l', 'ttyS1', '1', DEVICE='ttyS1')
    assert rc == 0, out
    # Another call on the same line: past its budget.
    rc, out = g.run('callus', '-l', 'ttyS1', '2', DEVICE='ttyS1')
    assert rc == 1 and out == ''
    refused = [m for m in g.messages() if 'refused' in m]
    assert refused and '1 callbacks for this line in the last 3600 s (limit 1)' in refused[-1], refused
    # A call on another line: the server's second and last.
    rc, out = g.run('callus', '-l', 'ttyS1', '2', DEVICE='ttyS2')
    assert rc == 0, out
    rc, out = g.run('callthree', '-l', 'ttyS1', '3', DEVICE='ttyS3')
    assert rc == 1 and out == ''
    refused = [m for m in g.messages() if 'refused' in m]
    assert refused and '2 callbacks for this server in the last 3600 s (limit 2)' in refused[-1], refused
    assert len(g.runs(expected=3, timeout=3)) == 2
    g.log.close()


def test_times_ahead_of_the_clock_are_dropped(gate):
    """A clock set back leaves entries in the future: they are dropped, not counted until real time
    passes them (which locked a pseudo-login out)."""
    os.makedirs(os.path.join(gate.state_dir, 'login'), mode=0o700)
    with open(os.path.join(gate.state_dir, 'login', 'call'), 'w') as f:
        f.write('%d a\n%d b\n' % (time.time() + 7200, time.time() + 4000))
    rc, out = gate.run('call', '-S', '1')
    assert rc == 0, out
    assert len(entries(os.path.join(gate.state_dir, 'login', 'call'))) == 1


def test_a_state_it_cannot_write_refuses_and_changes_no_budget(tmp_path):
    """One budget file that cannot be written (its directory is a file here, as a full disk would
    fail the write) refuses the call, and every budget keeps its old content: nothing half-written,
    no history lost."""
    g = Gate(tmp_path, budgets={'callback_server_limit_count': 5})
    rc, out = g.run('call', '-S', '1')
    assert rc == 0, out
    login_file = os.path.join(g.state_dir, 'login', 'call')
    before = open(login_file).read()
    os.rename(os.path.join(g.state_dir, 'server'), os.path.join(g.state_dir, 'server.saved'))
    with open(os.path.join(g.state_dir, 'server'), 'w') as f:
        f.write('')
    rc, out = g.run('call', '-S', '1')
    assert rc == 1 and out == ''
    assert open(login_file).read() == before
    assert sorted(os.listdir(os.path.join(g.state_dir, 'login'))) == ['call'], 'a temporary file was left'
    assert 'cannot write it' in [m for m in g.messages() if 'refused' in m][-1]
    g.log.close()


def test_the_refusal_looks_like_an_unknown_name(gate):
    """What the caller reads on the line: the same as login.config's refusal of an unknown name
    (/bin/false run by mgetty on the line: nothing)."""
    master, slave = os.openpty()
    proc = subprocess.Popen(['/bin/false'], stdin=slave, stdout=slave, stderr=slave)
    os.close(slave)
    proc.wait(timeout=10)
    unknown = Gate.read(master)
    for _n in range(2):
        gate.run('call', '-S', '1')
    rc, refused = gate.run('call', '-S', '1')
    assert rc == 1 and refused == unknown == ''
