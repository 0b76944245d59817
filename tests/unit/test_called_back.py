# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The ppp_server role's callback check (roles/ppp_server/templates/called-back.j2), rendered as the
template module does and run the way pam_exec runs it: a child of the process that asks PAM, with
PAM_TTY, PAM_SERVICE and PAM_USER. Real processes stand in for mgetty's (login's) and pppd's; the
real login, pppd and mgetty run it in the Molecule scenarios and the end-to-end test."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import socket
import subprocess
import sys
import time

import grp
import pwd

import jinja2
import pytest
from ansible.plugins.filter.core import FilterModule as CoreFilters
from ansible.plugins.filter.mathstuff import FilterModule as MathFilters

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEMPLATE = os.path.join(TOP, 'roles', 'ppp_server', 'templates', 'called-back.j2')
# The group of the user the tests ask as (root, or the user under fakeroot: id -nG names it).
ROOT_GROUP = grp.getgrgid(os.getgid()).gr_name

# "login" (the process mgetty became): it stops itself (the test records its PID meanwhile), then
# runs the check as pam_exec does, or through children (pppd started by the ppplogin shell), and
# exits with the check's status.
ASKER = """
import os, signal, subprocess, sys
check, depth, stop = sys.argv[1], int(sys.argv[2]), sys.argv[3] == 'stop'
if stop:
    os.kill(os.getpid(), signal.SIGSTOP)
if depth:
    sys.exit(subprocess.call([sys.executable, __file__, check, str(depth - 1), 'go']))
sys.exit(subprocess.call([check]))
"""


def start_time(pid):
    with open('/proc/%d/stat' % pid) as f:
        return f.read().rsplit(') ', 1)[1].split()[19]


class Check(object):
    """The check for the ports ttyS1 and ttyS2 and, when given, ports found by identify whose udev
    links are in tmp_path/links. The PPP accounts' group is root's: the asking user is root."""

    def __init__(self, tmp_path, wait=1, identified=(), logins_anywhere=False):
        self.record_dir = tmp_path / 'called-back'
        self.record_dir.mkdir(mode=0o700)
        self.link_dir = tmp_path / 'links'
        self.link_dir.mkdir()
        with open(TEMPLATE) as f:
            env = jinja2.Environment()
            env.filters.update(CoreFilters().filters())
            env.filters.update(MathFilters().filters())
            text = env.from_string(f.read()).render(
                ansible_managed='Ansible managed', __ppp_server_pam_profile='dialin-callback',
                __ppp_server_callback_record_dir=str(self.record_dir), __ppp_server_callback_check_wait=wait,
                __ppp_server_dialin_ttys=['ttyS1', 'ttyS2'] + list(identified),
                __ppp_server_identified_devices=list(identified), __ppp_server_identified_link_dir=str(self.link_dir),
                ppp_server_group=ROOT_GROUP, ppp_server_insecure_logins_anywhere=logins_anywhere)
        # Its syslog socket is /dev/log: the test reads the refusals there only where it may bind it.
        self.path = tmp_path / 'called-back.sh'
        self.path.write_text(text)
        self.path.chmod(0o755)
        self.asker = tmp_path / 'asker.py'
        self.asker.write_text(ASKER)

    def record(self, line, pid, start=None, login='call'):
        (self.record_dir / line).write_text('%d %s %s\n' % (pid, start or start_time(pid), login))

    def ask(self, tty, depth=0, user=None):
        """Start "login" on *tty* (depth 0: it runs the check itself); it stops before it asks."""
        environ = dict(os.environ, PAM_TTY=tty, PAM_SERVICE='login', PAM_USER=user or pwd.getpwuid(os.getuid()).pw_name)
        return subprocess.Popen([sys.executable, str(self.asker), str(self.path), str(depth), 'stop'], env=environ)


def stopped(proc):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with open('/proc/%d/stat' % proc.pid) as f:
            if f.read().rsplit(') ', 1)[1].split()[0] == 'T':
                return proc
        time.sleep(0.01)
    raise AssertionError('the asking process did not stop')


def run(check, tty, record=True, depth=0, start=None, user=None):
    """'login' on tty asks; with *record*, the gate's record names it (as mgetty's process)."""
    proc = stopped(check.ask(tty, depth, user))
    if record:
        check.record(tty.replace('/dev/', ''), proc.pid, start)
    os.kill(proc.pid, 18)  # SIGCONT
    return proc.wait(timeout=30)


@pytest.fixture
def check(tmp_path):
    return Check(tmp_path)


@pytest.mark.parametrize('tty', ['ttyS1', '/dev/ttyS1'])
def test_the_session_mgetty_was_handed_passes(check, tty):
    # login names the line ttyS1, pppd (service ppp) /dev/ttyS1
    assert run(check, tty) == 0


def test_a_child_of_that_session_passes(check):
    # pppd started by the ppplogin shell, a child of login
    assert run(check, 'ttyS1', depth=2) == 0


def test_no_record_refuses(check):
    start = time.monotonic()
    assert run(check, 'ttyS1', record=False) == 1
    # It waited for a record being written (1 s here) before it refused, and not much longer: the
    # wait is bounded by the clock (a caller's pppd gives up on its PAP request after about 30 s).
    waited = time.monotonic() - start
    assert 1 <= waited < 4, waited


def test_a_record_of_another_process_refuses(check):
    other = subprocess.Popen(['sleep', '30'])
    try:
        check.record('ttyS1', other.pid)
        assert run(check, 'ttyS1', record=False) == 1
    finally:
        other.kill()
        other.wait()


def test_a_record_of_a_reused_pid_refuses(check):
    # The same PID with another start time: the process that was called back is gone.
    assert run(check, 'ttyS1', start='1') == 1


def test_a_record_of_another_line_refuses(check):
    proc = stopped(check.ask('ttyS2'))
    check.record('ttyS1', proc.pid)
    os.kill(proc.pid, 18)
    assert proc.wait(timeout=30) == 1


@pytest.mark.parametrize('tty', ['', 'pts/0', '../ttyS1', '.ttyS1'])
def test_no_line_or_a_path_refuses(check, tty):
    proc = stopped(check.ask(tty))
    # a record under the name the path would reach, if it were followed
    check.record('ttyS1', proc.pid)
    os.kill(proc.pid, 18)
    assert proc.wait(timeout=30) == 1


def test_a_record_that_is_a_link_refuses(check, tmp_path):
    proc = stopped(check.ask('ttyS1'))
    target = tmp_path / 'elsewhere'
    target.write_text('%d %s call\n' % (proc.pid, start_time(proc.pid)))
    os.symlink(str(target), str(check.record_dir / 'ttyS1'))
    os.kill(proc.pid, 18)
    assert proc.wait(timeout=30) == 1


def test_a_record_written_while_it_waits_passes(tmp_path):
    check = Check(tmp_path, wait=5)
    proc = stopped(check.ask('ttyS1'))
    os.kill(proc.pid, 18)
    time.sleep(1)
    check.record('ttyS1', proc.pid)
    assert proc.wait(timeout=30) == 0


def test_refusal_log_line_names_service_user_and_line(check, tmp_path):
    """The refusal's syslog line, read through a socket of the test's own in place of /dev/log."""
    text = check.path.read_text().replace("SYSLOG_SOCKET=/dev/log", "SYSLOG_SOCKET='%s'" % (tmp_path / 'log'))
    check.path.write_text(text)
    log = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    log.bind(str(tmp_path / 'log'))
    try:
        assert run(check, 'ttyS1', record=False) == 1
        message = log.recv(4096).decode()
        assert message.startswith('<37>') and ' dialin-callback: ' in message
        assert ('login refused: service=login user=%s line=ttyS1: not called back in this session'
                % pwd.getpwuid(os.getuid()).pw_name) in message
    finally:
        log.close()


def test_a_non_ppp_account_on_a_dial_in_line_is_refused_even_called_back(check):
    # nobody is not in the PPP accounts' group: pam_access says the same for the ports' ttys.
    assert run(check, 'ttyS1', user='nobody') == 1


def test_a_non_ppp_account_is_let_through_when_logins_anywhere_is_set(tmp_path):
    check = Check(tmp_path, logins_anywhere=True)
    assert run(check, 'ttyS1', user='nobody') == 0
    assert run(check, 'ttyS1', user='nobody', record=False) == 1


def test_a_usb_modem_s_tty_now_is_a_dial_in_line(tmp_path):
    """A port found by identify (ttyUSB0) that udev gave ttyUSB3 after a replug: ttyUSB3 needs the
    callback and a PPP account; ttyUSB0, now some other device, is no dial-in line."""
    check = Check(tmp_path, identified=['ttyUSB0'])
    os.symlink('../ttyUSB3', str(check.link_dir / 'ttyUSB0'))
    assert run(check, 'ttyUSB3') == 0
    assert run(check, '/dev/ttyUSB3', record=False) == 1
    assert run(check, 'ttyUSB3', user='nobody') == 1
    # ttyUSB0: root's tty like any other for a local account, not for a PPP account.
    assert run(check, 'ttyUSB0', record=False, user='nobody') == 0
    assert run(check, 'ttyUSB0', record=False) == 1


def test_a_usb_modem_without_its_link_keeps_its_name(tmp_path):
    # No udev link (unplugged, or no udev): the port's own name is the line, as mgetty's port-settings has it.
    check = Check(tmp_path, identified=['ttyUSB0'])
    assert run(check, 'ttyUSB0', record=False) == 1
    assert run(check, 'ttyUSB0') == 0
    assert run(check, 'ttyUSB5', record=False, user='nobody') == 0
