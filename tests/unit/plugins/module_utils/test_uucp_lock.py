# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""UUCP lock files as mgetty takes them: the temporary file linked to the lock's name, a lock released or
made stale while it is being taken, a lock that holds no PID, and removing only the stale lock that was
read. Found by mutation testing (scripts/mutation): each test fails on a change to uucp_lock.py that
the other unit tests let through."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import errno
import os
import struct

import pytest

from ansible_collections.dialin.callback.plugins.module_utils import uucp_lock


def dead_pid():
    """A PID no process has (the highest possible one, above any pid_max in use)."""
    return 4194304 - 1


def test_a_lock_is_taken_through_a_temporary_file_named_as_mgetty_names_its_own(tmp_path, monkeypatch):
    linked = []
    real_link = os.link

    def link(src, dst):
        linked.append((os.path.dirname(src), os.path.basename(src), dst))
        return real_link(src, dst)
    monkeypatch.setattr(os, 'link', link)
    path = uucp_lock.lock_path(str(tmp_path), '/dev/ttyS1')
    assert uucp_lock.take_lock(str(tmp_path), path) is None
    [(directory, name, dst)] = linked
    assert (directory, dst) == (str(tmp_path), path)
    assert name.startswith('LCK..TM.')
    assert os.listdir(str(tmp_path)) == ['LCK..ttyS1']
    assert uucp_lock.read_lock_pid(path) == os.getpid()


def test_a_lock_released_while_it_is_read_is_taken_on_the_next_try(tmp_path, monkeypatch):
    """link() fails (the line is locked), then the lock is gone before it is read: the next link() takes it."""
    real_link = os.link
    tries = []

    def link(src, dst):
        tries.append(dst)
        if len(tries) == 1:
            raise OSError(errno.EEXIST, 'File exists', dst)
        return real_link(src, dst)
    monkeypatch.setattr(os, 'link', link)
    path = os.path.join(str(tmp_path), 'LCK..ttyS1')
    assert uucp_lock.take_lock(str(tmp_path), path) is None
    assert len(tries) == 2
    assert uucp_lock.read_lock_pid(path) == os.getpid()


def test_a_lock_that_keeps_changing_is_given_up_after_ten_tries(tmp_path, monkeypatch):
    tries = []

    def link(src, dst):
        tries.append(dst)
        raise OSError(errno.EEXIST, 'File exists', dst)
    monkeypatch.setattr(os, 'link', link)
    path = os.path.join(str(tmp_path), 'LCK..ttyS1')
    with pytest.raises(OSError) as e:
        uucp_lock.take_lock(str(tmp_path), path)
    assert (e.value.errno, e.value.strerror, e.value.filename) == (errno.EAGAIN, 'lock file kept changing', path)
    assert len(tries) == uucp_lock.LOCK_TRIES == 10
    assert os.listdir(str(tmp_path)) == []


def test_a_lock_without_a_pid_is_not_taken_and_says_0(tmp_path):
    path = os.path.join(str(tmp_path), 'LCK..ttyS1')
    with open(path, 'w') as f:
        f.write('garbage\n')
    assert uucp_lock.take_lock(str(tmp_path), path) == 0
    assert open(path).read() == 'garbage\n'
    assert os.listdir(str(tmp_path)) == ['LCK..ttyS1']


def test_a_stale_lock_is_reported_removed_and_taken(tmp_path):
    path = os.path.join(str(tmp_path), 'LCK..ttyS1')
    with open(path, 'wb') as f:
        f.write(uucp_lock.lock_contents(dead_pid()))
    stale = []
    assert uucp_lock.take_lock(str(tmp_path), path, on_stale=stale.append) is None
    assert stale == [dead_pid()]
    assert uucp_lock.read_lock_pid(path) == os.getpid()


def write_lock(path, data):
    with open(path, 'wb') as f:
        f.write(data)


def test_removing_a_stale_lock_that_is_already_gone(tmp_path):
    uucp_lock.remove_stale_lock(os.path.join(str(tmp_path), 'LCK..ttyS1'), dead_pid())


def test_a_lock_taken_again_since_it_was_read_is_left(tmp_path):
    """The dead PID was read; by the time it is removed the file holds another, live one: it stays."""
    path = os.path.join(str(tmp_path), 'LCK..ttyS1')
    write_lock(path, uucp_lock.lock_contents(os.getpid()))
    uucp_lock.remove_stale_lock(path, dead_pid())
    assert uucp_lock.read_lock_pid(path) == os.getpid()


def test_a_stale_lock_is_removed_when_it_still_holds_the_pid_read(tmp_path):
    """remove_stale_lock reads the PID as read_lock_pid does: from the first 128 bytes."""
    path = os.path.join(str(tmp_path), 'LCK..ttyS1')
    write_lock(path, b' ' * 121 + b'4194303' + b'9\n')
    assert uucp_lock.read_lock_pid(path) == dead_pid()
    uucp_lock.remove_stale_lock(path, dead_pid())
    assert not os.path.exists(path)


def test_a_stale_lock_removed_by_someone_else_in_between(tmp_path, monkeypatch):
    path = os.path.join(str(tmp_path), 'LCK..ttyS1')
    write_lock(path, uucp_lock.lock_contents(dead_pid()))
    real_unlink = os.unlink

    def unlink(name):
        real_unlink(name)
        raise OSError(errno.ENOENT, 'No such file or directory', name)
    monkeypatch.setattr(os, 'unlink', unlink)
    uucp_lock.remove_stale_lock(path, dead_pid())
    assert not os.path.exists(path)


def test_a_stale_lock_that_cannot_be_removed_is_an_error(tmp_path, monkeypatch):
    path = os.path.join(str(tmp_path), 'LCK..ttyS1')
    write_lock(path, uucp_lock.lock_contents(dead_pid()))

    def unlink(name):
        raise OSError(errno.EACCES, 'Permission denied', name)
    monkeypatch.setattr(os, 'unlink', unlink)
    with pytest.raises(OSError) as e:
        uucp_lock.remove_stale_lock(path, dead_pid())
    assert e.value.errno == errno.EACCES


@pytest.mark.parametrize('data, pid', [
    (b'      4242\n', 4242),
    (b'4242', 4242),
    (b'  4242\n\x00\x00', 4242),        # ASCII, padded with NUL bytes
    (b'\t4242\r\n', 4242),
    (b'4242\v', None),                  # only blanks, CR, LF and NUL are stripped
    (b'X4242\n', None),
    (b'4242X', None),
    (b'-4242\n', None),
    (b'', None),
    (struct.pack('=i', 4242), 4242),                # binary: a native 4-byte int
    (struct.pack('=i', -2 ** 31), -2 ** 31),        # signed, as mgetty's int
])
def test_the_pid_a_lock_file_holds(data, pid):
    assert uucp_lock.parse_lock_pid(data) == pid


def test_only_the_first_128_bytes_of_a_lock_file_are_read(tmp_path):
    path = os.path.join(str(tmp_path), 'LCK..ttyS1')
    write_lock(path, b' ' * 124 + b'4242' + b'9\n')
    assert uucp_lock.read_lock_pid(path) == 4242


def recording_kill(monkeypatch, error=None):
    """os.kill replaced: no signal is ever sent (not even by a mutant of pid_alive); the calls are recorded."""
    calls = []

    def kill(pid, sig):
        calls.append((pid, sig))
        if error is not None:
            raise OSError(error, os.strerror(error))
    monkeypatch.setattr(os, 'kill', kill)
    return calls


@pytest.mark.parametrize('pid', [None, 0, -1])
def test_no_process_has_these_pids_and_none_is_signalled(monkeypatch, pid):
    """0 and -1 would signal a process group or every process: never asked."""
    calls = recording_kill(monkeypatch)
    assert uucp_lock.pid_alive(pid) is False
    assert calls == []


def test_a_pid_no_process_has_is_dead():
    assert uucp_lock.pid_alive(dead_pid()) is False


@pytest.mark.parametrize('pid', [1, 2, 4242])
def test_a_process_is_asked_with_signal_0_and_alive(monkeypatch, pid):
    calls = recording_kill(monkeypatch)
    assert uucp_lock.pid_alive(pid) is True
    assert calls == [(pid, 0)]


def test_a_process_that_may_not_be_signalled_is_alive(monkeypatch):
    recording_kill(monkeypatch, errno.EPERM)
    assert uucp_lock.pid_alive(4242) is True


def test_a_process_that_is_gone_is_dead(monkeypatch):
    recording_kill(monkeypatch, errno.ESRCH)
    assert uucp_lock.pid_alive(4242) is False


def test_any_other_error_of_kill_is_raised(monkeypatch):
    recording_kill(monkeypatch, errno.EINVAL)
    with pytest.raises(OSError):
        uucp_lock.pid_alive(4242)
