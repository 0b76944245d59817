# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The callback_user module refuses a login.config that mgetty would read in two formats (an entry above
the !version line, a second !version line): it fails, in check mode too, and writes nothing."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.dialin.callback.plugins.modules import callback_user
from ansible_collections.dialin.callback.tests.unit.plugins.modules.managed_file import managed_file, run_on_path, snapshot

ABOVE = (
    "pppuser - - /bin/login @\n"
    "!version 2\n"
    "*\tY\t-\t-\t/bin/login @\n"
    "*\tN\t-\t-\t/bin/false\n"
)
SECOND = (
    "!version 2\n"
    "call\tN\t-\t-\t/usr/sbin/callback -S 123456\n"
    "!version 1\n"
    "*\t-\t-\t/bin/login @\n"
)
CALLS = [
    dict(name='call', number='123456'),
    dict(name='call', state='absent'),
    dict(users=[dict(name='call', number='123456')], exclusive=True),
]


@pytest.mark.parametrize('check_mode', [False, True])
@pytest.mark.parametrize('kw', CALLS)
@pytest.mark.parametrize('text, words', [
    (ABOVE, ['line 1 ("pppuser - - /bin/login @") comes before the !version line (line 2, "!version 2")',
             'Move it below the !version line']),
    (SECOND, ['line 3 ("!version 1") is a second !version line', 'Keep one !version line']),
])
def test_a_file_in_two_formats_fails_and_writes_nothing(run_module, tmp_path, text, words, kw, check_mode):
    path = managed_file(tmp_path / 'login.config', text, 0o600)
    before = snapshot(path)
    res = run_on_path(run_module, callback_user.main, path, check_mode, **kw)
    assert res.failed, res
    for word in words:
        assert '%s %s' % (path, word) in res['msg'] or word in res['msg'], res['msg']
    assert res['msg'].startswith(str(path))
    assert 'nothing was written' in res['msg']
    assert snapshot(path) == before


def test_comments_above_the_version_line_are_accepted(run_module, tmp_path):
    path = managed_file(tmp_path / 'login.config', "# callback users\n\n!version 2\n*\t-\t-\t-\t/bin/login @\n", 0o600)
    res = run_on_path(run_module, callback_user.main, path, name='call', number='123456')
    assert not res.failed, res
    assert path.read_text() == ("# callback users\n\n!version 2\n"
                                "call\tN\t-\t-\t/usr/sbin/callback\t-S\t123456\n"
                                "*\t-\t-\t-\t/bin/login @\n")


def test_a_version_1_file_works_as_before(run_module, tmp_path):
    path = managed_file(tmp_path / 'login.config', "# callback users\n*\t-\t-\t/bin/login @\n", 0o600)
    res = run_on_path(run_module, callback_user.main, path, name='call', number='123456')
    assert not res.failed, res
    assert path.read_text() == "# callback users\ncall\t-\t-\t/usr/sbin/callback\t-S\t123456\n*\t-\t-\t/bin/login @\n"
