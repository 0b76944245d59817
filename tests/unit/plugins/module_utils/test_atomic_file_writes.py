# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""write_file, the one writer of login.config and the secrets files: what it reports (changed, the diff
and its headers), that the file ends owned by root with mode 0600 and its group kept, where its temporary
file lies and how it is named (a killed writer's is removed by the next run), no backup unless asked, and
the exact words of its failures. Found by mutation testing (scripts/mutation): each test fails on a change
to atomic_file.py that the other unit tests let through."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import errno
import os
import re
import stat

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.dialin.callback.plugins.module_utils.atomic_file import write_file


class Failed(Exception):
    pass


@pytest.fixture
def module(tmp_path):
    with patch_module_args({'_ansible_remote_tmp': str(tmp_path), '_ansible_keep_remote_files': False}):
        m = AnsibleModule(argument_spec={}, supports_check_mode=True)

    def fail_json(msg, **kwargs):
        raise Failed(msg)
    m.fail_json = fail_json
    return m


def make(path, text, mode=0o600, gid=0):
    path.write_text(text)
    os.chmod(str(path), mode)
    os.chown(str(path), 0, gid)
    return str(path)


def owner_mode_group(path):
    st = os.stat(path if isinstance(path, bytes) else str(path))
    return st.st_uid, stat.S_IMODE(st.st_mode), st.st_gid


def test_an_unchanged_private_file_is_reported_unchanged(module, tmp_path):
    path = make(tmp_path / 'login.config', 'a\n')
    assert write_file(module, path, 'a\n', 'a\n', True) == {
        'changed': False, 'diff': {'before': 'a\n', 'after': 'a\n', 'before_header': path, 'after_header': path}}


def test_an_unchanged_file_that_need_not_be_private_is_reported_unchanged(module, tmp_path):
    path = make(tmp_path / 'options', 'a\n', 0o644)
    assert write_file(module, path, 'a\n', 'a\n', True, private=False) == {
        'changed': False, 'diff': {'before': 'a\n', 'after': 'a\n', 'before_header': path, 'after_header': path}}
    assert owner_mode_group(path) == (0, 0o644, 0)


def test_a_new_file_is_shown_absent_before_and_gets_root_and_0600(module, tmp_path):
    path = str(tmp_path / 'pap-secrets')
    result = write_file(module, path, '', 'a * s\n', False, diff_before='********', diff_after='a * ********\n')
    assert result == {'changed': True, 'diff': {'before': '', 'after': 'a * ********\n',
                                                'before_header': '%s (absent)' % path, 'after_header': path}}
    assert open(path).read() == 'a * s\n'
    assert owner_mode_group(path) == (0, 0o600, 0)
    assert sorted(os.listdir(str(tmp_path))) == ['pap-secrets']


def test_an_empty_new_file_is_not_written(module, tmp_path):
    path = str(tmp_path / 'pap-secrets')
    assert write_file(module, path, '', '', False)['changed'] is False
    assert not os.path.exists(path)


def test_a_file_readable_by_others_is_made_private_by_default_and_the_diff_says_so(module, tmp_path):
    path = make(tmp_path / 'login.config', 'a\n', 0o644, gid=4242)
    os.chown(path, 1000, -1)
    result = write_file(module, path, 'a\n', 'a\n', True)
    assert result == {'changed': True, 'diff': {
        'before': 'a\n', 'after': 'a\n', 'before_header': '%s (owner uid 1000, mode 0644)' % path,
        'after_header': '%s (owner uid 0, mode 0600)' % path}}
    assert owner_mode_group(path) == (0, 0o600, 4242)
    assert sorted(os.listdir(str(tmp_path))) == ['login.config']


def test_a_changed_file_keeps_its_group_and_gets_no_backup_unless_asked(module, tmp_path):
    path = make(tmp_path / 'pap-secrets', 'a * s\n', 0o600, gid=4242)
    assert write_file(module, path, 'a * s\n', 'a * t\n', True)['changed'] is True
    assert open(path).read() == 'a * t\n'
    assert owner_mode_group(path) == (0, 0o600, 4242)
    assert sorted(os.listdir(str(tmp_path))) == ['pap-secrets']


def test_check_mode_writes_nothing(module, tmp_path):
    path = make(tmp_path / 'pap-secrets', 'a * s\n', 0o644)
    module.check_mode = True
    assert write_file(module, path, 'a * s\n', 'a * t\n', True)['changed'] is True
    assert open(path).read() == 'a * s\n'
    assert owner_mode_group(path) == (0, 0o644, 0)


def test_the_temporary_file_is_private_and_named_for_the_next_run_to_remove(module, tmp_path):
    """A writer killed before its rename leaves .<name>.<random>.tmp beside the file; the next run removes it."""
    target = tmp_path / 'etc'
    target.mkdir()
    path = make(target / 'login.config', 'a\n')
    stale = target / '.login.config.k2x9q1.tmp'
    stale.write_text('old')
    moved = []
    real_move = module.atomic_move

    def atomic_move(src, dest, **kwargs):
        moved.append((src, owner_mode_group(src)[1], open(src).read()))
        return real_move(src, dest, **kwargs)
    module.atomic_move = atomic_move
    write_file(module, path, 'a\n', 'b\n', True)
    [(src, mode, text)] = moved
    assert os.path.dirname(os.fsdecode(src)) == str(target)
    assert re.match(r'^\.login\.config\.[^/]+\.tmp$', os.path.basename(os.fsdecode(src)))
    assert (mode, text) == (0o600, 'b\n')
    assert sorted(os.listdir(str(target))) == ['login.config']


def test_a_path_relative_to_the_working_directory(module, tmp_path, monkeypatch):
    make(tmp_path / 'login.config', 'a\n', 0o644)
    monkeypatch.chdir(str(tmp_path))
    assert write_file(module, 'login.config', 'a\n', 'b\n', True)['changed'] is True
    assert (tmp_path / 'login.config').read_text() == 'b\n'
    assert owner_mode_group(tmp_path / 'login.config') == (0, 0o600, 0)


def test_a_file_name_that_is_no_utf_8(module, tmp_path):
    name = os.fsdecode(b'secrets-\xe9')
    path = make(tmp_path / name, 'a\n', 0o644)
    assert write_file(module, path, 'a\n', 'b\n', True)['changed'] is True
    assert open(path).read() == 'b\n'
    assert owner_mode_group(path)[:2] == (0, 0o600)


def test_a_missing_directory_fails_in_these_words(module, tmp_path):
    path = str(tmp_path / 'gone' / 'pap-secrets')
    with pytest.raises(Failed) as e:
        write_file(module, path, '', 'a\n', False)
    assert str(e.value) == 'directory %s of path %s does not exist' % (tmp_path / 'gone', path)


@pytest.mark.parametrize('mode', [0o600, 0o644])
def test_an_owner_that_cannot_be_set_fails_in_these_words(module, tmp_path, monkeypatch, mode):
    path = make(tmp_path / 'pap-secrets', 'a * s\n', mode)

    def chown(*args):
        raise OSError(errno.EPERM, 'Operation not permitted')
    monkeypatch.setattr(os, 'chown', chown)
    with pytest.raises(Failed) as e:
        write_file(module, path, 'a * s\n', 'a * t\n', True)
    assert str(e.value) == 'cannot set owner root and mode 0600 on %s: [Errno 1] Operation not permitted' % path


def recording_moves(module, moved):
    """Wrap the module's atomic_move: record its arguments, and the target's owner and mode just before
    and just after the rename (write_file sets them once more afterwards)."""
    real_move = module.atomic_move

    def atomic_move(src, dest, **kwargs):
        before = owner_mode_group(dest)[:2] if os.path.exists(dest) else None
        real_move(src, dest, **kwargs)
        moved.append(dict(kwargs, before=before, after=owner_mode_group(dest)[:2], umask=current_umask()))
    module.atomic_move = atomic_move


def current_umask():
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_secret_is_never_readable_by_others_on_its_way(module, tmp_path, umask_022):
    """The old file is made root's and 0600 before the new one is renamed over it; a new file is created
    under umask 077; the process's umask is restored afterwards."""
    moved = []
    recording_moves(module, moved)
    old = make(tmp_path / 'pap-secrets', 'a * s\n', 0o644)
    os.chown(old, 1000, -1)
    write_file(module, old, 'a * s\n', 'a * t\n', True)
    new = str(tmp_path / 'chap-secrets')
    write_file(module, new, '', 'a * s\n', False)
    assert moved == [dict(unsafe_writes=False, before=(0, 0o600), after=(0, 0o600), umask=0o077),
                     dict(unsafe_writes=False, before=None, after=(0, 0o600), umask=0o077)]
    assert current_umask() == 0o022
    assert owner_mode_group(old)[:2] == owner_mode_group(new)[:2] == (0, 0o600)


def test_a_file_that_need_not_be_private_is_created_under_the_process_umask(module, tmp_path, umask_022):
    moved = []
    recording_moves(module, moved)
    path = str(tmp_path / 'options')
    write_file(module, path, '', 'lock\n', False, private=False)
    assert moved == [dict(unsafe_writes=False, before=None, after=(0, 0o644), umask=0o022)]
    assert owner_mode_group(path)[:2] == (0, 0o644)


def test_unsafe_writes_is_passed_on_when_the_module_has_it(module, tmp_path):
    moved = []
    recording_moves(module, moved)
    module.params['unsafe_writes'] = True
    write_file(module, str(tmp_path / 'pap-secrets'), '', 'a * s\n', False)
    assert [m['unsafe_writes'] for m in moved] == [True]


def test_a_failed_rename_leaves_the_file_as_it_was_and_no_temporary_file(module, tmp_path):
    path = make(tmp_path / 'pap-secrets', 'a * s\n')

    def atomic_move(src, dest, **kwargs):
        raise OSError(errno.EIO, 'Input/output error')
    module.atomic_move = atomic_move
    with pytest.raises(OSError) as e:
        write_file(module, path, 'a * s\n', 'a * t\n', True)
    assert e.value.errno == errno.EIO
    assert sorted(os.listdir(str(tmp_path))) == ['pap-secrets']
    assert open(path).read() == 'a * s\n'
