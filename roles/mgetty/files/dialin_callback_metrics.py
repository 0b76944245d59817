# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# dialin-callback-metrics: the dial-in lines' state, health and call counters for node exporter's
# textfile collector, written by the metrics timer of the dialin.callback.mgetty role (a systemd
# timer, or a cron.d entry on sysvinit hosts).
#
# The same reading as the module dialin.callback.line_status: the role installs the collection's
# module utilities that it needs in this file's directory, and they are imported from there under
# their names in the collection (ansible_collections.dialin.callback.plugins.module_utils.*);
# Python 3's standard library only, no Ansible on the host.
#
# Usage: python3 -I dialin_callback_metrics.py [--dir DIR] [--since 24h] [--syslog-source auto]
#                                              [--run-lock FILE] [--stdout]
# Writes DIR/dialin_callback.prom through a temporary file in DIR and a rename (mode 0644): node
# exporter reads the old file or the new one, never a part. The write holds the run lock and is left
# out when this program was removed meanwhile: the role's removal (mgetty_metrics_enabled false)
# removes the program, waits for the lock, then removes the file, which a run in progress then
# cannot bring back.

import argparse
import fcntl
import os
import sys
import tempfile
import types

PACKAGE = 'ansible_collections.dialin.callback.plugins.module_utils'
HERE = os.path.dirname(os.path.abspath(__file__))
if os.path.exists(os.path.join(HERE, 'line_status.py')):
    # Installed: the module utilities are next to this file; their package and its parents point here.
    parts = PACKAGE.split('.')
    for i in range(1, len(parts) + 1):
        package = types.ModuleType('.'.join(parts[:i]))
        package.__path__ = [HERE] if i == len(parts) else []
        sys.modules[package.__name__] = package

from ansible_collections.dialin.callback.plugins.module_utils import line_status  # noqa: E402  pylint: disable=wrong-import-position

FILE_NAME = 'dialin_callback.prom'
RUN_LOCK = '/run/dialin-callback-metrics.lock'


def write_atomically(directory, name, text):
    """directory/name holds text, written in a temporary file of the same directory and renamed."""
    if not os.path.isdir(directory):
        # node exporter (user prometheus) reads it, whatever the umask.
        os.makedirs(directory)
        os.chmod(directory, 0o755)
    fd, temp = tempfile.mkstemp(prefix='.' + name + '.', dir=directory)
    try:
        with os.fdopen(fd, 'w') as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temp, 0o644)
        os.rename(temp, os.path.join(directory, name))
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def write_while_installed(directory, text, run_lock=RUN_LOCK, program=os.path.abspath(__file__)):
    """Writes directory's metrics file under run_lock unless program is gone; True when written."""
    with open(run_lock, 'a') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.exists(program):
            return False
        write_atomically(directory, FILE_NAME, text)
        return True


def main(argv=None):
    parser = argparse.ArgumentParser(prog='dialin-callback-metrics', description=(
        "Writes the dial-in lines' metrics (dialin_callback_*) for node exporter's textfile collector."))
    parser.add_argument('--dir', default='/var/lib/prometheus/node-exporter',
                        help="node exporter's --collector.textfile.directory (default: %(default)s)")
    parser.add_argument('--since', default=line_status.DEFAULTS['since'],
                        help='a failed callback since then makes the line WARNING (default: %(default)s)')
    parser.add_argument('--syslog-source', default=line_status.DEFAULTS['syslog_source'],
                        choices=line_status.SYSLOG_SOURCES, help='where pppd logs (default: %(default)s)')
    parser.add_argument('--lock-dir', default=line_status.DEFAULTS['lock_dir'])
    parser.add_argument('--run-lock', default=RUN_LOCK,
                        help='held while the file is written (default: %(default)s)')
    parser.add_argument('--stdout', action='store_true', help='print the metrics instead of writing the file')
    args = parser.parse_args(argv)
    try:
        result = line_status.collect({'since': args.since, 'syslog_source': args.syslog_source,
                                      'lock_dir': args.lock_dir})
    except line_status.LineStatusError as exc:
        sys.stderr.write('dialin-callback-metrics: %s\n' % exc)
        return 1
    if args.stdout:
        sys.stdout.write(result['prometheus'])
    else:
        write_while_installed(args.dir, result['prometheus'], args.run_lock)
    return 0


if __name__ == '__main__':
    sys.exit(main())
