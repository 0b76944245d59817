# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The deprecated callback_user module, a thin wrapper around module_utils/callback_entries.py: what
only the wrapper decides (its option names in messages, name without exclusive, the file's mode)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import stat

import pytest

from ansible_collections.dialin.callback.plugins.modules import callback_user
from ansible_collections.dialin.callback.tests.unit.plugins.modules.managed_file import (
    managed_file, run_on_path, snapshot, warning_texts)

BASE = "other\t-\t-\t/usr/sbin/callback\t-S\t9\nfred\t-\t-\t/bin/login\tfred\n*\t-\t-\t/bin/login\t@\n"


@pytest.fixture
def conf(tmp_path):
    return managed_file(tmp_path / 'login.config', BASE, 0o644)


def run(run_module, path, check_mode=False, **kw):
    return run_on_path(run_module, callback_user.main, path, check_mode, **kw)


@pytest.mark.parametrize('kw, expected', [
    (dict(), 'one of the following is required: name, users'),
    (dict(name='call', number='1', program='callback'), "program 'callback' must be an absolute path"),
    (dict(name='call', number='12ab'), "name (user call): number must consist of digits and the dial modifiers , W P T "
                                       "* # only (no spaces, letters or \";\"); got '12ab'"),
    (dict(users=[dict(name='call', number='12ab')]), "users[0] (user call): number must consist of digits and the dial "
                                                     "modifiers , W P T * # only (no spaces, letters or \";\"); got "
                                                     "'12ab'"),
])
def test_refusals_name_the_wrapper_s_options(run_module, conf, kw, expected):
    before = snapshot(conf)
    res = run(run_module, conf, **kw)
    assert res.failed and res['msg'] == expected, res
    assert snapshot(conf) == before


def test_a_collision_names_the_file(run_module, conf):
    res = run(run_module, conf, name='fred', number='1')
    assert res.failed and res['msg'] == ('name: name fred collides with an existing entry of %s that is not a callback '
                                         'entry (program /bin/login); refusing to replace it' % conf), res


def test_name_with_exclusive_warns_and_removes_nothing(run_module, conf):
    res = run(run_module, conf, name='call', number='1', exclusive=True)
    assert not res.failed, res
    assert warning_texts(res) == ['exclusive is only used together with users; ignored']
    assert res['removed'] == []
    assert 'other\t-\t-\t/usr/sbin/callback\t-S\t9' in conf.read_text().splitlines()


def test_the_file_is_made_root_s_and_0600(run_module, conf):
    res = run(run_module, conf, name='call', number='1')
    assert res['changed']
    st = os.stat(str(conf))
    assert stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == 0


def test_absolute_line_names_under_dev_pass(run_module, conf):
    res = run(run_module, conf, name='call', number='1', lines=['/dev/X', '/dev/ttyS1'])
    assert not res.failed, res
    assert res['users'] == [dict(name='other', number='9', lines=[]),
                            dict(name='call', number='1', lines=['/dev/X', '/dev/ttyS1'])]
