# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""processes.Processes on this host's real /proc: which process has a line open."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import subprocess
import sys
import time

import pytest

from ansible_collections.dialin.callback.plugins.module_utils.processes import Processes


@pytest.fixture
def line(tmp_path):
    """A pty standing for a serial line, a process with it open, and a link to it (as /dev/modem,
    or the test modem's /dev/ttyS1 link to its pty)."""
    master, slave = os.openpty()
    child = subprocess.Popen(['sleep', '60'], stdin=slave)
    link = tmp_path / 'modem'
    os.symlink(os.ttyname(slave), str(link))
    yield child, link, os.ttyname(slave)
    child.kill()
    child.wait()
    os.close(master)
    os.close(slave)


def test_a_line_open_by_its_path_or_through_a_link(line):
    child, link, path = line
    procs = Processes('/proc')
    assert procs.uses_line(child.pid, path)
    assert procs.uses_line(child.pid, str(link))


def test_a_line_that_is_the_controlling_terminal_only(line):
    """A session leader that made the line its controlling terminal and closed it (fds unreadable to
    root without CAP_SYS_PTRACE leave only this)."""
    _child, link, path = line
    leader = subprocess.Popen([sys.executable, '-c', 'import os, sys, time; os.close(os.open(sys.argv[1], os.O_RDWR)); '
                               'print("ready", flush=True); time.sleep(60)', path],
                              start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
    try:
        leader.stdout.readline()
        procs = Processes('/proc')
        assert os.listdir('/proc/%d/fd' % leader.pid) and not any(
            os.readlink('/proc/%d/fd/%s' % (leader.pid, fd)) == path for fd in os.listdir('/proc/%d/fd' % leader.pid))
        assert procs.controlling_tty(leader.pid) == (os.major(os.stat(path).st_rdev), os.minor(os.stat(path).st_rdev))
        assert procs.uses_line(leader.pid, path) and procs.uses_line(leader.pid, str(link))
    finally:
        leader.kill()
        leader.wait()


def test_another_line_is_not_open(line):
    child, _link, _path = line
    master, slave = os.openpty()
    try:
        assert not Processes('/proc').uses_line(child.pid, os.ttyname(slave))
    finally:
        os.close(master)
        os.close(slave)


def test_real_uid_start_time_and_running(line):
    child = line[0]
    procs = Processes('/proc')
    assert procs.real_uid(child.pid) == int(open('/proc/self/status').read().split('Uid:')[1].split()[0])
    # The child started after this process and before now (to the clock tick).
    assert procs.start_time(os.getpid()) <= procs.start_time(child.pid) <= time.time() + 0.02
    assert procs.running(child.pid)
    child.kill()
    child.wait()
    assert not procs.running(child.pid)
