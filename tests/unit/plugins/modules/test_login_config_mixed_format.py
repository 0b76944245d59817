# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The login_config module refuses a login.config that mgetty would read in two formats (an entry above
the !version line, a second !version line): it fails, in check mode too, and writes nothing."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.dialin.callback.plugins.modules import login_config
from ansible_collections.dialin.callback.tests.unit.plugins.modules.managed_file import managed_file, run_on_path, snapshot

# A hand-written format 1 line above the version line: mgetty runs /bin/login for pppuser before any callback.
ABOVE = (
    "# login.config\n"
    "\n"
    "pppuser - - /bin/login @\n"
    "!version 2\n"
    "/AutoPPP/\tY\ta_ppp\t/usr/sbin/pppd auth -chap +pap login\n"
    "*\tY\t-\t-\t/bin/login @\n"
    "*\tN\t-\t-\t/bin/false\n"
)
# A second version line: mgetty reads the lines after it in format 1.
SECOND = (
    "!version 2\n"
    "/AutoPPP/\tY\ta_ppp\t/usr/sbin/pppd auth -chap +pap login\n"
    "!version 1\n"
    "fred - - /bin/login fred\n"
    "*\tN\t-\t-\t/bin/false\n"
)
COLLECTION_ENTRIES = [
    dict(name='/AutoPPP/', utmp='a_ppp', program='/usr/sbin/pppd', args=['auth', '-chap', '+pap', 'login'],
         after_callback='Y'),
    dict(name='*', program='/bin/login', args=['@'], after_callback='Y'),
    dict(name='*', program='/bin/false', after_callback='N'),
]
CALLS = [
    dict(),
    dict(version=2),
    dict(version=1),
    dict(entries=COLLECTION_ENTRIES, version=2, others_after_callback_only=True,
         others_exempt_programs=['/usr/sbin/callback']),
    dict(entries=[dict(name='pppuser', state='absent')]),
]


@pytest.mark.parametrize('check_mode', [False, True])
@pytest.mark.parametrize('kw', CALLS)
def test_an_entry_above_the_version_line_fails_and_writes_nothing(run_module, tmp_path, kw, check_mode):
    path = managed_file(tmp_path / 'login.config', ABOVE, 0o644)
    before = snapshot(path)
    res = run_on_path(run_module, login_config.main, path, check_mode, **kw)
    assert res.failed, res
    msg = res['msg']
    assert msg.startswith('%s line 3 ("pppuser - - /bin/login @") comes before the !version line (line 4, '
                          '"!version 2")' % path)
    assert 'mgetty reads it in format 1' in msg and 'runs /bin/login @' in msg
    assert 'Move it below the !version line' in msg
    assert msg.endswith('Refusing to edit %s, which mgetty would read in two formats; nothing was written.' % path)
    # Nothing written: not the content, not even the mode.
    assert snapshot(path) == before
    assert 'diff' not in res


@pytest.mark.parametrize('check_mode', [False, True])
@pytest.mark.parametrize('kw', CALLS)
def test_a_second_version_line_fails_and_writes_nothing(run_module, tmp_path, kw, check_mode):
    path = managed_file(tmp_path / 'login.config', SECOND, 0o600)
    before = snapshot(path)
    res = run_on_path(run_module, login_config.main, path, check_mode, **kw)
    assert res.failed, res
    assert res['msg'].startswith('%s line 3 ("!version 1") is a second !version line (the first is line 1, '
                                 '"!version 2"): mgetty switches the format again there and reads the lines after '
                                 'it in format 1' % path)
    assert snapshot(path) == before


def test_every_problem_in_one_message(run_module, tmp_path):
    path = managed_file(tmp_path / 'login.config', 'a - - /bin/a\n' + SECOND, 0o600)
    res = run_on_path(run_module, login_config.main, path, entries=COLLECTION_ENTRIES)
    assert res.failed
    assert '%s line 1 ("a - - /bin/a")' % path in res['msg']
    assert '%s line 4 ("!version 1")' % path in res['msg']


def test_the_insecure_reason_warns_even_when_the_file_is_refused(run_module, tmp_path):
    path = managed_file(tmp_path / 'login.config', ABOVE, 0o600)
    res = run_on_path(run_module, login_config.main, path, insecure_reason='logins before a callback')
    assert res.failed
    warnings = res.get('warnings', [])
    assert len(warnings) == 1 and '%s: logins before a callback' % path in str(warnings[0])


def test_comments_and_blank_lines_above_the_version_line_are_accepted(run_module, tmp_path):
    text = "# login.config\n#\n\n \t\n!version 2\n*\t-\t-\t-\t/bin/login @\n"
    path = managed_file(tmp_path / 'login.config', text, 0o600)
    res = run_on_path(run_module, login_config.main, path, entries=COLLECTION_ENTRIES, version=2)
    assert not res.failed, res
    assert res['changed'] and res['version'] == 2
    assert path.read_text() == ("# login.config\n#\n\n \t\n!version 2\n"
                                "/AutoPPP/\tY\t-\ta_ppp\t/usr/sbin/pppd\tauth\t-chap\t+pap\tlogin\n"
                                "*\t-\t-\t-\t/bin/login @\n"
                                "*\tY\t-\t-\t/bin/login\t@\n"
                                "*\tN\t-\t-\t/bin/false\n")


def test_a_version_1_file_without_a_version_line_works_as_before(run_module, tmp_path):
    text = "# login.config\n/AutoPPP/ -\ta_ppp\t/usr/sbin/pppd auth -chap +pap login\n*\t-\t-\t/bin/login @\n"
    path = managed_file(tmp_path / 'login.config', text, 0o600)
    res = run_on_path(run_module, login_config.main, path, entries=[dict(name='fred', program='/bin/fred')])
    assert not res.failed, res
    assert res['version'] == 1
    assert path.read_text() == text.replace('*\t', 'fred\t-\t-\t/bin/fred\n*\t', 1)
    res = run_on_path(run_module, login_config.main, path, version=2)
    assert not res.failed, res
    assert path.read_text() == ("# login.config\n!version 2\n/AutoPPP/\t- -\ta_ppp\t/usr/sbin/pppd auth -chap +pap login\n"
                                "fred\t-\t-\t-\t/bin/fred\n*\t-\t-\t-\t/bin/login @\n")


def test_a_version_1_line_becomes_version_2_in_place(run_module, tmp_path):
    path = managed_file(tmp_path / 'login.config', "# head\n!version 1\nfred - - /bin/fred\n", 0o600)
    res = run_on_path(run_module, login_config.main, path, version=2)
    assert not res.failed, res
    # No "!version 1" left below the new line: it would switch mgetty back to format 1.
    assert path.read_text() == "# head\n!version 2\nfred\t- - - /bin/fred\n"
    again = run_on_path(run_module, login_config.main, path, version=2)
    assert not again.failed and not again['changed']
