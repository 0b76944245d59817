# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The processes of a Linux host as /proc shows them: argv, open descriptors, environment, user.

The directory is a parameter (the modules' C(proc_dir)) so that tests can lay out a /proc of their own.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os


class Processes(object):
    """A snapshot of the process list (argv and program name); the other fields are read when asked."""

    def __init__(self, proc_dir='/proc'):
        self.proc_dir = proc_dir
        self.procs = {}
        for d in os.listdir(proc_dir):
            if not d.isdigit():
                continue
            pid = int(d)
            try:
                with open(os.path.join(proc_dir, d, 'cmdline'), 'rb') as f:
                    argv = [a.decode('utf-8', 'replace') for a in f.read().split(b'\0') if a]
            except (IOError, OSError):
                continue
            if argv:
                self.procs[pid] = {'argv': argv, 'name': os.path.basename(argv[0]).lstrip('-')}

    def fds(self, pid):
        """The targets of the process's open descriptors (C(/dev/ttyS1), C(socket:[..]))."""
        names = set()
        try:
            fd_dir = os.path.join(self.proc_dir, str(pid), 'fd')
            for fd in os.listdir(fd_dir):
                try:
                    names.add(os.readlink(os.path.join(fd_dir, fd)))
                except OSError:
                    pass
        except OSError:
            pass
        return names

    def environ(self, pid):
        try:
            with open(os.path.join(self.proc_dir, str(pid), 'environ'), 'rb') as f:
                pairs = f.read().split(b'\0')
        except (IOError, OSError):
            return {}
        env = {}
        for p in pairs:
            if b'=' in p:
                k, v = p.split(b'=', 1)
                env[k.decode('utf-8', 'replace')] = v.decode('utf-8', 'replace')
        return env

    def named(self, name):
        return [pid for pid, p in sorted(self.procs.items()) if p['name'] == name]

    def real_uid(self, pid):
        """The real user ID (a setuid pppd keeps its caller's), None when the process is gone."""
        try:
            with open(os.path.join(self.proc_dir, str(pid), 'status'), 'rb') as f:
                for line in f:
                    if line.startswith(b'Uid:'):
                        return int(line.split()[1])
        except (IOError, OSError, ValueError, IndexError):
            pass
        return None

    def running(self, pid):
        """The process exists and is not a zombie waiting for its parent."""
        try:
            with open(os.path.join(self.proc_dir, str(pid), 'stat'), 'rb') as f:
                data = f.read()
        except (IOError, OSError):
            return False
        # The command name is in parentheses and may hold spaces: the state follows the last ')'.
        return data[data.rindex(b')') + 2:data.rindex(b')') + 3] not in (b'Z', b'X', b'')
