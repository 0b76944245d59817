# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""dpkg_statoverride against the real dpkg-statoverride of this host, on a temp file, with a
dpkg database of its own (DPKG_ADMINDIR): the host's overrides are never touched."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import grp
import os
import shutil
import stat
import subprocess

import pytest

from ansible_collections.dialin.callback.plugins.modules import dpkg_statoverride

BIN = shutil.which('dpkg-statoverride')


@pytest.fixture(autouse=True)
def admindir(monkeypatch, tmp_path):
    """An empty dpkg database for dpkg-statoverride, here and in the module."""
    path = tmp_path / 'dpkg'
    path.mkdir()
    (path / 'statoverride').write_text('')
    monkeypatch.setenv('DPKG_ADMINDIR', str(path))
    return path


def listing(path):
    out = subprocess.run([BIN, '--list', path], stdout=subprocess.PIPE, universal_newlines=True,
                         check=False).stdout
    return [line for line in out.splitlines() if line.split(None, 3)[-1] == path]


@pytest.fixture
def target(tmp_path):
    path = str(tmp_path / 'pppd')
    with open(path, 'w') as f:
        f.write('#!/bin/sh\n')
    os.chmod(path, 0o755)
    return path


def run(run_module, check_mode=False, **kw):
    return run_module(dpkg_statoverride.main, kw, check_mode=check_mode)


def test_add_update_idempotent(run_module, target):
    res = run(run_module, path=target, owner='root', group='daemon', mode='4754')
    assert not res.failed, res
    assert res['changed']
    assert listing(target) == ['root daemon 4754 %s' % target]
    st = os.stat(target)
    assert stat.S_IMODE(st.st_mode) == 0o4754
    assert st.st_gid == grp.getgrnam('daemon').gr_gid
    assert res['override'] == dict(owner='root', group='daemon', mode='4754', path=target)
    assert res['diff']['before'] == ''
    assert res['diff']['after'] == 'root daemon 4754 %s\n' % target
    res = run(run_module, path=target, owner='root', group='daemon', mode='4754')
    assert not res['changed']
    # same mode written with a leading zero is the same override
    res = run(run_module, path=target, owner='root', group='daemon', mode='0754')
    assert res['changed']
    res = run(run_module, path=target, owner='root', group='daemon', mode='754')
    assert not res['changed']


def test_change_and_no_update(run_module, target):
    run(run_module, path=target, owner='root', group='daemon', mode='4754')
    res = run(run_module, path=target, owner='root', group='root', mode='0700', update=False)
    assert res['changed']
    assert listing(target) == ['root root 700 %s' % target] or listing(target) == ['root root 0700 %s' % target]
    assert res['diff']['before'] == 'root daemon 4754 %s\n' % target
    # update=false: the file keeps its mode
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o4754


def test_check_mode_changes_nothing(run_module, target):
    res = run(run_module, check_mode=True, path=target, owner='root', group='daemon', mode='4754')
    assert res['changed']
    assert listing(target) == []
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o755
    run(run_module, path=target, owner='root', group='daemon', mode='4754')
    res = run(run_module, check_mode=True, path=target, state='absent')
    assert res['changed']
    assert listing(target) == ['root daemon 4754 %s' % target]
    res = run(run_module, check_mode=True, path=target, owner='root', group='root', mode='0755')
    assert res['changed']
    assert listing(target) == ['root daemon 4754 %s' % target]


def test_absent(run_module, target):
    run(run_module, path=target, owner='root', group='daemon', mode='4754')
    res = run(run_module, path=target, state='absent')
    assert res['changed']
    assert listing(target) == []
    assert res['override'] is None
    assert res['diff']['after'] == ''
    res = run(run_module, path=target, state='absent')
    assert not res['changed']


def test_unknown_user_fails_and_keeps_old(run_module, target):
    run(run_module, path=target, owner='root', group='daemon', mode='4754')
    res = run(run_module, path=target, owner='nosuchuserxyz', group='daemon', mode='4754')
    assert res.failed
    assert listing(target) == ['root daemon 4754 %s' % target]


@pytest.mark.parametrize('kw, word', [
    (dict(owner='root', group='daemon', mode='999'), 'mode'),
    (dict(owner='root', group='daemon', mode='12345'), 'mode'),
    (dict(owner='root', group='daemon', mode='u+s'), 'mode'),
    (dict(owner='ro ot', group='daemon', mode='4754'), 'owner'),
    (dict(owner='root', group='-daemon', mode='4754'), 'group'),
    (dict(group='daemon', mode='4754'), 'owner'),
])
def test_validation(run_module, target, kw, word):
    res = run(run_module, path=target, **kw)
    assert res.failed
    assert word in res['msg']
    assert listing(target) == []


def test_glob_characters_in_path_are_exact(run_module, target):
    run(run_module, path=target, owner='root', group='daemon', mode='4754')
    other = target[:-1] + '?'
    res = run(run_module, check_mode=True, path=other, state='absent')
    assert not res['changed']
