# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import errno
import os
import socket

import pytest

from ansible_collections.dialin.callback.plugins.module_utils.atomic_file import (
    encode_text, file_attributes, read_text, remove_stale_temporary_files)


def test_a_killed_writers_temporary_files_go_and_nothing_else(tmp_path):
    for name in ('.login.config.k2x9q1.tmp', '.login.config.a.tmp', '.pap-secrets.k2x9q1.tmp',
                 'login.config', '.login.config.k2x9q1.bak', 'x.login.config.k2x9q1.tmp'):
        (tmp_path / name).write_text('x')
    remove_stale_temporary_files(os.fsencode(str(tmp_path)), os.fsencode(str(tmp_path / 'login.config')))
    assert sorted(os.listdir(str(tmp_path))) == [
        '.login.config.k2x9q1.bak', '.pap-secrets.k2x9q1.tmp', 'login.config', 'x.login.config.k2x9q1.tmp']


class Failed(Exception):
    pass


class FakeModule(object):
    def fail_json(self, msg):
        raise Failed(msg)


def test_read_text_keeps_every_byte_of_a_file_whose_name_and_content_are_no_utf_8(tmp_path):
    path = os.path.join(os.fsencode(str(tmp_path)), b'secrets-\xe9')
    with open(path, 'wb') as f:
        f.write(b'a * s\xe9cret\n')
    text, exists = read_text(FakeModule(), os.fsdecode(path))
    assert exists is True
    assert encode_text(text) == b'a * s\xe9cret\n'


def test_read_text_of_a_file_that_is_not_there(tmp_path):
    assert read_text(FakeModule(), str(tmp_path / 'pap-secrets')) == ('', False)


def test_read_text_of_a_file_that_cannot_be_opened_fails_in_these_words(tmp_path):
    path = str(tmp_path / 'pap-secrets')
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(path)
        with pytest.raises(Failed) as e:
            read_text(FakeModule(), path)
    finally:
        listener.close()
    assert str(e.value).startswith('cannot read %s: [Errno %d] ' % (path, errno.ENXIO))


def test_a_path_that_cannot_be_encoded_is_refused_never_read_under_another_name(tmp_path):
    """A lone surrogate that surrogateescape did not make: no bytes name that file (none is replaced by '?')."""
    (tmp_path / 'x?').write_text('a\n')
    path = str(tmp_path / u'x\ud800')
    with pytest.raises(UnicodeEncodeError):
        read_text(FakeModule(), path)
    with pytest.raises(UnicodeEncodeError):
        file_attributes(path)
