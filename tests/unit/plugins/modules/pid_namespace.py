# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Real PID reuse for the unit tests: a script run as the first process of a PID namespace of its
own (a user namespace lets a non-root user make one), where it can choose the PID of its next
child by writing the namespace's C(ns_last_pid). A process that ended and a new one with its PID
are then two real processes with one PID, as on a host after the PIDs wrap."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import subprocess
import sys

# Defined in the script before the test's code.
PRELUDE = r'''
import json, os, subprocess, sys, time


def start_with_pid(pid, argv, **kw):
    """Starts argv as the process pid (free now): the kernel gives ns_last_pid + 1 next."""
    with open('/proc/sys/kernel/ns_last_pid', 'w') as f:
        f.write(str(pid - 1))
    child = subprocess.Popen(argv, **kw)
    if child.pid != pid:
        raise AssertionError('the new process got PID %d, not %d' % (child.pid, pid))
    return child


def start_ticks(pid):
    with open('/proc/%d/stat' % pid, 'rb') as f:
        data = f.read()
    return int(data[data.rindex(b')') + 2:].split()[19])


def report(**result):
    print('RESULT ' + json.dumps(result), flush=True)
'''


def run_in_pid_namespace(code, timeout=60):
    """Runs code (after PRELUDE) as PID 1 of new user, mount and PID namespaces with their own /proc;
    returns the dict it passed to report()."""
    env = dict(os.environ)
    # fakeroot's getuid() would make unshare map a uid that is not ours.
    for key in ('LD_PRELOAD', 'FAKEROOTKEY', 'FAKED_MODE'):
        env.pop(key, None)
    env['PYTHONPATH'] = os.pathsep.join(p for p in sys.path if p)
    out = subprocess.run(['unshare', '--user', '--map-root-user', '--mount', '--pid', '--fork', '--mount-proc',
                          sys.executable, '-c', PRELUDE + code],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout,
                         universal_newlines=True, check=False)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith('RESULT ')]
    assert out.returncode == 0 and len(lines) == 1, out.stdout
    return json.loads(lines[0][len('RESULT '):])
