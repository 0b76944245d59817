# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""utmp, wtmp and btmp records (glibc's struct utmp on Linux, 384 bytes, native byte order).

mgetty writes a LOGIN_PROCESS record for its line when it prompts (login.config's utmp column
names the entry a login program gets), login and pppd's ``login`` option write USER_PROCESS
records, and a DEAD_PROCESS record marks the end of a session. Only glibc's layout of x86_64,
aarch64 and the other 64-bit Linux ports with 32-bit ut_tv (the __WORDSIZE_TIME64_COMPAT32 layout)
is read; any other file size is refused rather than misread.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import struct

# short ut_type, pid_t ut_pid, char ut_line[32], ut_id[4], ut_user[32], ut_host[256],
# struct exit_status {short, short}, int32 ut_session, struct {int32 sec, usec} ut_tv,
# int32 ut_addr_v6[4], char unused[20].
RECORD = struct.Struct('=hxxi32s4s32s256shhiii16s20x')
RECORD_SIZE = RECORD.size

TYPES = {
    0: 'EMPTY', 1: 'RUN_LVL', 2: 'BOOT_TIME', 3: 'NEW_TIME', 4: 'OLD_TIME',
    5: 'INIT_PROCESS', 6: 'LOGIN_PROCESS', 7: 'USER_PROCESS', 8: 'DEAD_PROCESS', 9: 'ACCOUNTING',
}


class UtmpFormatError(ValueError):
    """The data is not a whole number of struct utmp records."""


def _text(raw):
    return raw.split(b'\0', 1)[0].decode('utf-8', 'replace')


def parse(data):
    """The records of a utmp/wtmp/btmp file's content, oldest first, as dicts:
    type (name), pid, line, id, user, host, time (float seconds), exit (termination, exit)."""
    if len(data) % RECORD_SIZE:
        raise UtmpFormatError('%d bytes is not a multiple of struct utmp (%d bytes)' % (len(data), RECORD_SIZE))
    records = []
    for offset in range(0, len(data), RECORD_SIZE):
        (ut_type, pid, line, ut_id, user, host, e_term, e_exit, _session, sec, usec,
         _addr) = RECORD.unpack_from(data, offset)
        records.append({
            'type': TYPES.get(ut_type, str(ut_type)),
            'pid': pid,
            'line': _text(line),
            'id': _text(ut_id),
            'user': _text(user),
            'host': _text(host),
            'time': sec + usec / 1e6,
            'exit': [e_term, e_exit],
        })
    return records


def read(path):
    """The records of the file at path; [] when it does not exist."""
    try:
        with open(path, 'rb') as f:
            return parse(f.read())
    except (IOError, OSError):
        return []


def read_tail(path, max_bytes):
    """The last records of the file at path, at most max_bytes of them (wtmp grows for years);
    [] when it does not exist."""
    try:
        with open(path, 'rb') as f:
            f.seek(0, 2)
            size = f.tell()
            start = max(0, size - max_bytes // RECORD_SIZE * RECORD_SIZE)
            # Records start at multiples of their size from the file's start.
            start -= start % RECORD_SIZE
            f.seek(start)
            return parse(f.read(size - start))
    except (IOError, OSError):
        return []


def sessions(records):
    """Login sessions from wtmp records: a USER_PROCESS record, ended by the next DEAD_PROCESS
    (or empty user) record of the same line, or a boot. Each: line, user, pid, host, start, end
    (None while open)."""
    open_by_line = {}
    done = []
    for rec in records:
        if rec['type'] == 'BOOT_TIME':
            for sess in open_by_line.values():
                sess['end'] = rec['time']
                done.append(sess)
            open_by_line = {}
        elif rec['type'] == 'USER_PROCESS' and rec['user']:
            if rec['line'] in open_by_line:
                prev = open_by_line.pop(rec['line'])
                prev['end'] = rec['time']
                done.append(prev)
            open_by_line[rec['line']] = {'line': rec['line'], 'user': rec['user'], 'pid': rec['pid'],
                                         'host': rec['host'], 'start': rec['time'], 'end': None}
        elif rec['type'] == 'DEAD_PROCESS' or (rec['type'] == 'USER_PROCESS' and not rec['user']):
            sess = open_by_line.pop(rec['line'], None)
            if sess is not None:
                sess['end'] = rec['time']
                done.append(sess)
    done.extend(open_by_line.values())
    return sorted(done, key=lambda s: s['start'])


def callbacks(records):
    """callback's own wtmp records: it writes a USER_PROCESS record, user ``dialout``, whose host field
    holds its command line (the number it dials). Each: time, line, pid, command."""
    return [{'time': r['time'], 'line': r['line'], 'pid': r['pid'], 'command': r['host']}
            for r in records if r['type'] == 'USER_PROCESS' and r['user'] == 'dialout']
