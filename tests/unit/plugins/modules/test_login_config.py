# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import stat

import pytest

from ansible_collections.dialin.callback.plugins.modules import login_config
from ansible_collections.dialin.callback.tests.unit.plugins.modules.managed_file import managed_file, run_on_path, snapshot

DEBIAN = (
    "# login.config\n"
    "#\n"
    "# This is a sample configuration file\n"
    "\n"
    "/AutoPPP/ -\ta_ppp\t/usr/sbin/pppd auth -chap +pap login debug\n"
    "*\t-\t-\t/bin/login @\n"
)


@pytest.fixture
def conf(tmp_path):
    return managed_file(tmp_path / 'login.config', DEBIAN, 0o644)


def run(run_module, path, entries=None, check_mode=False, **kw):
    if entries is not None:
        kw['entries'] = entries
    return run_on_path(run_module, login_config.main, path, check_mode, **kw)


def test_add_entry_before_wildcard(run_module, conf):
    res = run(run_module, conf, [dict(name='pppuser', userid='pppuser', utmp='@',
                                      program='/etc/ppp/ppplogin')])
    assert not res.failed, res
    assert res['changed']
    lines = conf.read_text().splitlines()
    assert lines[-2] == 'pppuser\tpppuser\t@\t/etc/ppp/ppplogin'
    assert lines[-1] == '*\t-\t-\t/bin/login @'
    # untouched lines byte-identical
    assert conf.read_text().startswith(DEBIAN.rsplit('*', 1)[0])
    assert stat.S_IMODE(os.stat(str(conf)).st_mode) == 0o600
    assert os.stat(str(conf)).st_uid == 0
    assert res['version'] == 1
    assert {'name': 'pppuser', 'after_callback': '-', 'userid': 'pppuser', 'utmp': '@',
            'program': '/etc/ppp/ppplogin', 'args': []} in res['entries']


def test_idempotent_and_value_comparison(run_module, conf):
    # the existing /AutoPPP/ line uses a space separator: same value -> unchanged
    entry = dict(name='/AutoPPP/', utmp='a_ppp', program='/usr/sbin/pppd',
                 args=['auth', '-chap', '+pap', 'login', 'debug'])
    os.chmod(str(conf), 0o600)
    before = snapshot(conf)
    res = run(run_module, conf, [entry])
    assert not res['changed'], res
    assert snapshot(conf) == before


def test_mode_only_change_is_reported(run_module, conf):
    entry = dict(name='/AutoPPP/', utmp='a_ppp', program='/usr/sbin/pppd',
                 args=['auth', '-chap', '+pap', 'login', 'debug'])
    content = conf.read_bytes()
    res = run(run_module, conf, [entry])
    assert res['changed']
    assert conf.read_bytes() == content
    assert stat.S_IMODE(os.stat(str(conf)).st_mode) == 0o600
    assert '0644' in res['diff']['before_header']


def test_replace_keeps_position_and_removes_duplicates(run_module, tmp_path):
    path = tmp_path / 'lc'
    path.write_text("# head\nfoo - - /bin/a\nbar - - /bin/b\nfoo - - /bin/c\n*\t-\t-\t/bin/login @\n")
    res = run(run_module, path, [dict(name='foo', program='/bin/x', args=['1'])])
    assert res['changed']
    assert path.read_text() == "# head\nfoo\t-\t-\t/bin/x\t1\nbar - - /bin/b\n*\t-\t-\t/bin/login @\n"


def test_absent(run_module, conf):
    res = run(run_module, conf, [dict(name='/AutoPPP/', state='absent')])
    assert res['changed']
    assert '/AutoPPP/' not in conf.read_text()
    assert conf.read_text() == DEBIAN.replace("/AutoPPP/ -\ta_ppp\t/usr/sbin/pppd auth -chap +pap login debug\n", "")
    res = run(run_module, conf, [dict(name='/AutoPPP/', state='absent')])
    assert not res['changed']


def test_check_mode_writes_nothing(run_module, conf):
    before = snapshot(conf)
    res = run(run_module, conf, [dict(name='call', program='/usr/sbin/callback', args=['-S', '1'])],
              version=2, check_mode=True)
    assert res['changed']
    assert snapshot(conf) == before
    assert 'call\t-\t-\t-\t/usr/sbin/callback\t-S\t1' in res['diff']['after']
    assert res['diff']['before'] == DEBIAN


def test_check_mode_new_file_not_created(run_module, tmp_path):
    path = tmp_path / 'new.config'
    res = run(run_module, path, [dict(name='x', program='/bin/x')], check_mode=True)
    assert res['changed']
    assert not path.exists()


def test_creates_new_file_0600(run_module, tmp_path):
    path = tmp_path / 'new.config'
    res = run(run_module, path, [dict(name='x', program='/bin/x')])
    assert res['changed']
    assert path.read_text() == 'x\t-\t-\t/bin/x\n'
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o600


def test_convert_1_to_2_and_back(run_module, conf):
    res = run(run_module, conf, version=2)
    assert res['changed']
    assert res['version'] == 2
    text = conf.read_text()
    assert text == (
        "# login.config\n#\n# This is a sample configuration file\n\n"
        "!version 2\n"
        "/AutoPPP/\t- -\ta_ppp\t/usr/sbin/pppd auth -chap +pap login debug\n"
        "*\t-\t-\t-\t/bin/login @\n")
    assert all(e['after_callback'] == '-' for e in res['entries'])
    res = run(run_module, conf, version=2)
    assert not res['changed']
    res = run(run_module, conf, version=1)
    assert res['changed']
    assert conf.read_text() == DEBIAN


def test_v2_entries_write_after_callback(run_module, conf):
    res = run(run_module, conf, [dict(name='pppuser', after_callback='Y', userid='pppuser',
                                      program='/etc/ppp/ppplogin')], version=2)
    assert not res.failed, res
    assert 'pppuser\tY\tpppuser\t-\t/etc/ppp/ppplogin\n' in conf.read_text()
    assert {'name': 'pppuser', 'after_callback': 'Y', 'userid': 'pppuser', 'utmp': '-',
            'program': '/etc/ppp/ppplogin', 'args': []} in res['entries']
    # 2 -> 1 drops Y with a warning
    res = run(run_module, conf, version=1)
    assert 'pppuser\tpppuser\t-\t/etc/ppp/ppplogin\n' in conf.read_text()
    assert any('dropped' in w for w in res.get('warnings', []))


def test_v1_after_callback_warns(run_module, conf):
    res = run(run_module, conf, [dict(name='u', after_callback='N', program='/bin/u')])
    assert 'u\t-\t-\t/bin/u\n' in conf.read_text()
    assert any('after_callback' in w for w in res.get('warnings', []))


def test_backup(run_module, conf):
    res = run(run_module, conf, [dict(name='u', program='/bin/u')], backup=True)
    assert res['changed']
    assert os.path.exists(res['backup_file'])
    with open(res['backup_file']) as f:
        assert f.read() == DEBIAN
    # backup of a secret-ish file is not left world readable
    assert stat.S_IMODE(os.stat(res['backup_file']).st_mode) == 0o600


def test_continuation_lines_kept(run_module, tmp_path):
    path = tmp_path / 'lc'
    content = "a - - /bin/a x \\\n  y\nb - - /bin/b\n"
    path.write_text(content)
    os.chmod(str(path), 0o600)
    res = run(run_module, path, [dict(name='a', program='/bin/a', args=['x', 'y'])])
    assert not res['changed']
    res = run(run_module, path, [dict(name='b', state='absent')])
    assert path.read_text() == "a - - /bin/a x \\\n  y\n"


def test_wildcard_entry_appended(run_module, conf):
    run(run_module, conf, [dict(name='guest*', program='/bin/false')])
    assert conf.read_text().endswith("*\t-\t-\t/bin/login @\nguest*\t-\t-\t/bin/false\n")


def test_no_final_newline(run_module, tmp_path):
    path = tmp_path / 'lc'
    path.write_bytes(b'a - - /bin/a')
    run(run_module, path, [dict(name='b', program='/bin/b')])
    assert path.read_bytes() == b'a - - /bin/a\nb\t-\t-\t/bin/b\n'


def test_non_utf8_bytes_preserved(run_module, tmp_path):
    path = tmp_path / 'lc'
    path.write_bytes(b'# caf\xe9\nb - - /bin/b\n')
    run(run_module, path, [dict(name='c', program='/bin/c')])
    assert path.read_bytes() == b'# caf\xe9\nb - - /bin/b\nc\t-\t-\t/bin/c\n'


@pytest.mark.parametrize('entry, word', [
    (dict(name='a b', program='/bin/a'), 'name'),
    (dict(name='-a', program='/bin/a'), 'name'),
    (dict(name='a*b', program='/bin/a'), 'name'),
    (dict(name='a\tb', program='/bin/a'), 'name'),
    (dict(name='a', program='bin/a'), 'program'),
    (dict(name='a'), 'program'),
    (dict(name='a', program='/bin/a', userid='x y'), 'userid'),
    (dict(name='a', program='/bin/a', utmp='x\n'), 'utmp'),
    (dict(name='a', program='/bin/a', args=['ok', 'x y']), 'args[1]'),
    (dict(name='a', program='/bin/a', args=[str(i) for i in range(9)]), 'args'),
])
def test_validation(run_module, conf, entry, word):
    before = snapshot(conf)
    res = run(run_module, conf, [entry])
    assert res.failed
    assert word in res['msg']
    assert snapshot(conf) == before


def test_eight_args_accepted(run_module, conf):
    res = run(run_module, conf, [dict(name='a', program='/bin/a', args=[str(i) for i in range(8)])])
    assert not res.failed, res


def test_special_names_accepted(run_module, tmp_path):
    path = tmp_path / 'lc'
    res = run(run_module, path, [dict(name='/FIDO/', program='/bin/f'), dict(name='*', program='/bin/login'),
                                 dict(name='*x', program='/bin/x')])
    assert not res.failed, res
    assert [e['name'] for e in res['entries']] == ['/FIDO/', '*', '*x']


def test_bad_version_line(run_module, tmp_path):
    path = tmp_path / 'lc'
    path.write_text('!version 3\n')
    res = run(run_module, path, [dict(name='a', program='/bin/a')])
    assert res.failed
    assert 'version' in res['msg']


def test_v2_name_with_a_line_per_callback_column(run_module, conf):
    """Version 2: '*' Y (login after a callback) and '*' N (refuse others) are two entries."""
    entries = [
        dict(name='*', state='absent'),
        dict(name='*', after_callback='Y', program='/bin/login', args=['@']),
        dict(name='*', after_callback='N', program='/bin/false'),
    ]
    res = run(run_module, conf, entries, version=2)
    assert not res.failed, res
    assert res['changed']
    lines = conf.read_text().splitlines()
    assert [line for line in lines if line.startswith('*')] == [
        '*\tY\t-\t-\t/bin/login\t@',
        '*\tN\t-\t-\t/bin/false',
    ]
    again = run(run_module, conf, entries, version=2)
    assert not again['changed']
    # Removing one column's line keeps the other.
    res = run(run_module, conf, [dict(name='*', after_callback='N', state='absent')])
    assert res['changed']
    assert [line for line in conf.read_text().splitlines() if line.startswith('*')] == [
        '*\tY\t-\t-\t/bin/login\t@']


def test_v1_refuses_a_name_twice(run_module, conf):
    res = run(run_module, conf, [dict(name='*', after_callback='Y', program='/bin/login'),
                                 dict(name='*', after_callback='N', program='/bin/false')])
    assert res.failed
    assert 'version 2' in res['msg']
    assert conf.read_text() == DEBIAN


FOREIGN = (
    "!version 2\n"
    "# hand-written\n"
    "fred\t-\t-\t-\t/bin/login fred\n"
    "uucp  N  uucp  -  /usr/sbin/uucico @\n"
    "call\tN\t-\t-\t/usr/sbin/callback -S 123\n"
    "/AutoPPP/\tY\ta_ppp\t/usr/sbin/pppd auth login\n"
    "*\tY\t-\t-\t/bin/login @\n"
)
COLLECTION_ENTRIES = [
    dict(name='/AutoPPP/', utmp='a_ppp', program='/usr/sbin/pppd', args=['auth', 'login'], after_callback='Y'),
    dict(name='*', program='/bin/login', args=['@'], after_callback='Y'),
    dict(name='*', program='/bin/false', after_callback='N'),
]


def test_others_after_callback_only_restricts_every_other_line(run_module, tmp_path):
    path = managed_file(tmp_path / 'login.config', FOREIGN, 0o600)
    res = run(run_module, path, COLLECTION_ENTRIES, version=2, others_after_callback_only=True,
              others_exempt_programs=['/usr/sbin/callback'])
    assert not res.failed, res
    assert res['restricted'] == ['fred', 'uucp']
    text = path.read_text()
    assert 'fred\tY\t-\t-\t/bin/login fred\n' in text
    # The column is replaced in place: the line's own spacing stays.
    assert 'uucp  Y  uucp  -  /usr/sbin/uucico @\n' in text
    # The callback entry keeps N (it must work before a callback), and the refusal line is added.
    assert 'call\tN\t-\t-\t/usr/sbin/callback -S 123\n' in text
    assert '*\tN\t-\t-\t/bin/false\n' in text
    again = run(run_module, path, COLLECTION_ENTRIES, version=2, others_after_callback_only=True,
                others_exempt_programs=['/usr/sbin/callback'])
    assert not again['changed'] and again['restricted'] == []


def test_others_after_callback_only_in_check_mode_writes_nothing(run_module, tmp_path):
    path = managed_file(tmp_path / 'login.config', FOREIGN, 0o600)
    before = snapshot(path)
    res = run(run_module, path, COLLECTION_ENTRIES, check_mode=True, version=2, others_after_callback_only=True,
              others_exempt_programs=['/usr/sbin/callback'])
    assert res['changed'] and res['restricted'] == ['fred', 'uucp']
    assert snapshot(path) == before


def test_others_after_callback_only_needs_version_2(run_module, conf):
    res = run(run_module, conf, [], others_after_callback_only=True)
    assert res.failed
    assert 'others_after_callback_only needs a format version 2 file' in res['msg']
