# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""UUCP lock files (``LCK..ttyS1``) taken and read the way mgetty 1.2.1 does (its ``locks.c``).

mgetty, callback and pppd agree on who owns a serial line through one file per line in the lock
directory holding the owner's PID as ten ASCII digits and a newline (HDB format; a binary 4-byte
PID is read too). The lock is made atomically: a temporary file with the PID, then link() to the
lock's name, which fails when the file exists. A lock whose PID is gone is stale and removed.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import errno
import os
import re
import struct
import tempfile

# mgetty's temporary lock file is its LOCK format ("/var/lock/LCK..%s") filled with "TM.XXXXXX".
LOCK_TEMP_PREFIX = 'LCK..TM.'
# Tries of link() before giving up: each retry follows a lock file that vanished or was stale.
LOCK_TRIES = 10


def lock_path(lock_dir, device):
    """The lock file of a line: mgetty locks the device's name without /dev/."""
    return os.path.join(lock_dir, 'LCK..' + os.path.basename(device))


def parse_lock_pid(data):
    """Return the PID stored in the bytes of a UUCP lock file, or None."""
    # A binary lock is a native 4-byte int; a PID below 2**22 has a NUL byte, an ASCII lock none.
    if len(data) == 4 and b'\x00' in data:
        return struct.unpack('=i', data)[0]
    text = data.strip(b' \t\r\n\x00')
    if re.match(br'^[0-9]+$', text):
        return int(text)
    return None


def read_lock_pid(path):
    """Return the PID stored in a UUCP lock file, or None if it holds none."""
    with open(path, 'rb') as f:
        return parse_lock_pid(f.read(128))


def pid_alive(pid):
    if pid is None or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except OSError as e:
        if e.errno == errno.EPERM:
            return True
        if e.errno == errno.ESRCH:
            return False
        raise
    return True


def lock_contents(pid):
    """HDB (ASCII) lock contents, as mgetty's lock_write_pid() writes them without LOCKS_BINARY."""
    return ('%10d\n' % pid).encode('ascii')


def remove_stale_lock(path, pid):
    """Remove path if it still is the file whose dead PID was read (not a fresh lock since)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as e:
        if e.errno == errno.ENOENT:
            return
        raise
    try:
        inode = os.fstat(fd).st_ino
        still_stale = parse_lock_pid(os.read(fd, 128)) == pid
    finally:
        os.close(fd)
    try:
        if still_stale and os.stat(path).st_ino == inode:
            os.unlink(path)
    except OSError as e:
        if e.errno != errno.ENOENT:
            raise


def take_lock(lock_dir, path, on_stale=None):
    """Take the UUCP lock ``path`` atomically, as mgetty's do_makelock() does.

    Returns None once the lock is ours, else the PID of the live process that holds it (0: a lock
    file whose contents are no PID, which mgetty would not take either). ``on_stale(pid)`` is
    called before a stale lock (its PID gone) is removed.
    """
    fd, temp = tempfile.mkstemp(prefix=LOCK_TEMP_PREFIX, dir=lock_dir)
    try:
        try:
            os.write(fd, lock_contents(os.getpid()))
            os.fchmod(fd, 0o644)
        finally:
            os.close(fd)
        for dummy in range(LOCK_TRIES):
            try:
                os.link(temp, path)
                return None
            except OSError as e:
                if e.errno != errno.EEXIST:
                    raise
            try:
                pid = read_lock_pid(path)
            except (IOError, OSError) as e:
                if e.errno == errno.ENOENT:  # released in between: try again
                    continue
                raise
            if pid is None:
                return 0
            if pid_alive(pid):
                return pid
            if on_stale is not None:
                on_stale(pid)
            remove_stale_lock(path, pid)
        raise OSError(errno.EAGAIN, 'lock file kept changing', path)
    finally:
        os.unlink(temp)


def release_lock(path):
    """Remove path if it holds this process's PID (never another program's lock)."""
    try:
        if read_lock_pid(path) == os.getpid():
            os.unlink(path)
    except (IOError, OSError) as e:
        if e.errno != errno.ENOENT:
            raise
