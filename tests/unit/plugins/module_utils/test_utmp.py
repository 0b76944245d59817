# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""wtmp records as utmp.py reads them: every field, text that is no UTF-8, an unknown type, the tail of a
long or torn file, login sessions ended by a logout, a new login or a boot, and callback's own records.
Found by mutation testing (scripts/mutation): each test fails on a change to utmp.py that the other unit
tests let through."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.dialin.callback.plugins.module_utils import utmp


def record(ut_type=7, pid=100, line=b'ttyS1', ut_id=b'S1', user=b'alice', host=b'', sec=1000, usec=0,
           e_term=0, e_exit=0):
    return utmp.RECORD.pack(ut_type, pid, line, ut_id, user, host, e_term, e_exit, 0, sec, usec, b'')


def test_every_field_of_a_record():
    data = record(7, 4242, b'ttyS1\0old', b'S1', b'alice', b'\xffhost', 1000, 500000, 3, 1)
    assert utmp.parse(data) == [dict(type='USER_PROCESS', pid=4242, line='ttyS1', id='S1', user='alice',
                                     host=u'\ufffdhost', time=1000.5, exit=[3, 1])]


def test_an_unknown_type_is_its_number():
    assert utmp.parse(record(42))[0]['type'] == '42'


def test_a_torn_file_is_refused_in_these_words():
    data = record() + b'x' * 10
    with pytest.raises(utmp.UtmpFormatError) as e:
        utmp.parse(data)
    assert str(e.value) == '%d bytes is not a multiple of struct utmp (%d bytes)' % (len(data), utmp.RECORD_SIZE)


def write(path, records):
    path.write_bytes(b''.join(records))
    return str(path)


@pytest.mark.parametrize('max_bytes, pids', [
    (10 ** 6, [1, 2, 3]),
    (3 * utmp.RECORD_SIZE, [1, 2, 3]),
    (2 * utmp.RECORD_SIZE + 10, [2, 3]),
    (2 * utmp.RECORD_SIZE, [2, 3]),
    (utmp.RECORD_SIZE - 1, []),
])
def test_the_tail_of_a_file_is_its_last_whole_records(tmp_path, max_bytes, pids):
    path = write(tmp_path / 'wtmp', [record(pid=1), record(pid=2), record(pid=3)])
    assert [r['pid'] for r in utmp.read_tail(path, max_bytes)] == pids


def test_the_tail_of_a_torn_file_is_refused(tmp_path):
    path = write(tmp_path / 'wtmp', [record(pid=1), record(pid=2), record(pid=3), b'x' * 10])
    with pytest.raises(utmp.UtmpFormatError) as e:
        utmp.read_tail(path, 2 * utmp.RECORD_SIZE)
    assert str(e.value).startswith('%d bytes ' % (2 * utmp.RECORD_SIZE + 10))


def test_a_record_appended_while_the_tail_is_read_is_left_for_the_next_read(tmp_path, monkeypatch):
    path = write(tmp_path / 'wtmp', [record(pid=1), record(pid=2)])
    real_open = open

    class Growing(object):
        def __init__(self, name, mode):
            self.f = real_open(name, mode)

        def __enter__(self):
            return self

        def __exit__(self, *args):
            self.f.close()

        def seek(self, *args):
            return self.f.seek(*args)

        def tell(self):
            size = self.f.tell()
            with real_open(path, 'ab') as other:
                other.write(record(pid=3))
            return size

        def read(self, *args):
            return self.f.read(*args)
    monkeypatch.setattr(utmp, 'open', Growing, raising=False)
    assert [r['pid'] for r in utmp.read_tail(path, utmp.RECORD_SIZE)] == [2]


def test_a_file_that_is_not_there_has_no_records(tmp_path):
    assert utmp.read(str(tmp_path / 'wtmp')) == []
    assert utmp.read_tail(str(tmp_path / 'wtmp'), 1000) == []


def parsed(*records):
    return utmp.parse(b''.join(records))


def test_sessions_end_at_a_logout_a_new_login_on_the_line_or_a_boot():
    records = parsed(
        record(7, 10, b'ttyS1', user=b'alice', host=b'h1', sec=100),
        record(8, 10, b'ttyS1', user=b'', sec=110),                    # logout
        record(7, 11, b'ttyS1', user=b'bob', sec=120),
        record(7, 12, b'ttyS1', user=b'carol', sec=130),                # a new login on the line ends bob's
        record(7, 13, b'ttyS1', user=b'', sec=135),                     # USER_PROCESS without a user: a logout
        record(7, 14, b'ttyS2', user=b'dave', sec=140),
        record(5, 18, b'ttyS2', user=b'', sec=145),                     # init's record without a user ends nothing
        record(6, 15, b'ttyS3', user=b'LOGIN', sec=141),                # a login prompt is no session
        record(8, 16, b'ttyS3', user=b'', sec=142),                     # nor does it end one
        record(2, 0, b'~', user=b'reboot', sec=150),                    # a boot ends dave's
        record(7, 17, b'ttyS1', user=b'erin', sec=160),                 # still open
    )
    assert utmp.sessions(records) == [
        dict(line='ttyS1', user='alice', pid=10, host='h1', start=100.0, end=110.0),
        dict(line='ttyS1', user='bob', pid=11, host='', start=120.0, end=130.0),
        dict(line='ttyS1', user='carol', pid=12, host='', start=130.0, end=135.0),
        dict(line='ttyS2', user='dave', pid=14, host='', start=140.0, end=150.0),
        dict(line='ttyS1', user='erin', pid=17, host='', start=160.0, end=None),
    ]


def test_callbacks_own_records():
    records = parsed(record(7, 20, b'ttyS2', user=b'dialout', host=b'callback -S 5551234', sec=200),
                     record(7, 21, b'ttyS1', user=b'alice', host=b'callback', sec=201),
                     record(8, 22, b'ttyS2', user=b'dialout', sec=202))
    assert utmp.callbacks(records) == [dict(time=200.0, line='ttyS2', pid=20, command='callback -S 5551234')]
