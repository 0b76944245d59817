# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import stat

import pytest

from ansible_collections.dialin.callback.plugins.modules import ppp_secret
from ansible_collections.dialin.callback.tests.unit.plugins.modules.managed_file import managed_file, run_on_path, snapshot
from ansible_collections.dialin.callback.tests.unit.plugins.modules.pppd_reference import parse_secrets_text

BASE = (
    "# Secrets for authentication using PAP\n"
    "# client\tserver\tsecret\t\t\tIP addresses\n"
    "\n"
    "guest\thostname\t\"top secret\"\t-\n"
    "other  *  'x y z'  10.0.0.1 # trailing comment\n"
)


@pytest.fixture
def secrets(tmp_path):
    return managed_file(tmp_path / 'pap-secrets', BASE, 0o600)


def run(run_module, path, check_mode=False, **kw):
    return run_on_path(run_module, ppp_secret.main, path, check_mode, **kw)


def test_add_simple(run_module, secrets):
    res = run(run_module, secrets, client='pppuser', secret='s3cret')
    assert not res.failed, res
    assert res['changed']
    assert secrets.read_text() == BASE + 'pppuser * s3cret *\n'
    assert res['clients'] == ['guest', 'other', 'pppuser']
    assert stat.S_IMODE(os.stat(str(secrets)).st_mode) == 0o600
    assert os.stat(str(secrets)).st_uid == 0
    res = run(run_module, secrets, client='pppuser', secret='s3cret')
    assert not res['changed']


@pytest.mark.parametrize('secret', [
    'with space', 'dq"uote', "sq'uote", 'back\\slash', 'hash#tag', '#start', '', '\\n', 'tab\there',
    '"', "'", '\\', 'a\\"b', '\\x41', '\\101', 'ümlaut',
])
def test_secret_round_trip(run_module, secrets, secret):
    res = run(run_module, secrets, client='pppuser', secret=secret, addresses=['192.168.1.2'])
    assert not res.failed, res
    entries = parse_secrets_text(secrets.read_bytes())
    assert ['pppuser', '*', secret, '192.168.1.2'] in entries
    # unrelated entries unchanged
    assert entries[0] == ['guest', 'hostname', 'top secret', '-']
    assert entries[1] == ['other', '*', 'x y z', '10.0.0.1']
    res = run(run_module, secrets, client='pppuser', secret=secret, addresses=['192.168.1.2'])
    assert not res['changed']


def test_existing_quoted_value_is_idempotent(run_module, secrets):
    before = snapshot(secrets)
    res = run(run_module, secrets, client='guest', server='hostname', secret='top secret', addresses=['-'])
    assert not res['changed'], res
    res = run(run_module, secrets, client='other', secret='x y z', addresses=['10.0.0.1'])
    assert not res['changed'], res
    assert snapshot(secrets) == before


def test_update_keeps_position(run_module, secrets):
    res = run(run_module, secrets, client='guest', server='hostname', secret='new one')
    assert res['changed']
    lines = secrets.read_text().splitlines()
    assert lines[3] == 'guest hostname "new one" *'
    assert lines[4] == "other  *  'x y z'  10.0.0.1 # trailing comment"


def test_duplicates_removed(run_module, secrets):
    secrets.write_text(BASE + 'guest hostname dup\n')
    run(run_module, secrets, client='guest', server='hostname', secret='top secret', addresses=['-'])
    assert secrets.read_text() == BASE


def test_absent(run_module, secrets):
    res = run(run_module, secrets, client='other', state='absent')
    assert res['changed']
    assert secrets.read_text() == BASE.replace("other  *  'x y z'  10.0.0.1 # trailing comment\n", '')
    assert res['clients'] == ['guest']


def test_entries_exclusive_keeps_comments(run_module, secrets):
    entries = [dict(client='alice', secret='alicepw'),
               dict(client='bob', secret='bobpw', addresses=['10.0.0.2'])]
    res = run(run_module, secrets, entries=entries, exclusive=True)
    assert not res.failed, res
    assert secrets.read_text() == (
        "# Secrets for authentication using PAP\n"
        "# client\tserver\tsecret\t\t\tIP addresses\n"
        "\n"
        "alice * alicepw *\n"
        "bob * bobpw 10.0.0.2\n")
    assert res['clients'] == ['alice', 'bob']


def test_entries_accept_account_keys(run_module, secrets):
    # A role passes its accounts (name, password, addresses) as they are.
    accounts = [dict(name='alice', password='AlicePw-1', addresses=['10.0.0.2'])]
    res = run(run_module, secrets, entries=accounts)
    assert not res.failed, res
    assert secrets.read_text() == BASE + 'alice * AlicePw-1 10.0.0.2\n'
    assert res['clients'] == ['guest', 'other', 'alice']
    assert 'AlicePw-1' not in json.dumps(res)
    res = run(run_module, secrets, entries=accounts)
    assert not res['changed']


def test_entries_state(run_module, secrets):
    res = run(run_module, secrets, entries=[dict(client='guest', server='hostname', state='absent'),
                                            dict(client='new', secret='newpw')])
    assert res['clients'] == ['other', 'new']


def test_diff_never_contains_secret(run_module, secrets):
    res = run(run_module, secrets, client='pppuser', secret='VerySecret1')
    diff = json.dumps(res['diff'])
    for s in ('VerySecret1', 'top secret', 'x y z'):
        assert s not in diff
    assert 'pppuser * ******** *' in res['diff']['after']
    assert 'guest\thostname\t********\t-' in res['diff']['before']
    assert "other  *  ********  10.0.0.1" in res['diff']['after']
    # nothing in the whole result either
    assert 'VerySecret1' not in json.dumps(res)


def test_diff_changed_secret_only(run_module, secrets):
    res = run(run_module, secrets, client='other', secret='changed', addresses=['10.0.0.1'])
    assert res['changed']
    assert 'changed' not in res['diff']['after'].replace('********', '')
    assert 'secret set for: other' in res['diff']['after_header']


def test_check_mode(run_module, secrets):
    before = snapshot(secrets)
    res = run(run_module, secrets, check_mode=True, client='x', secret='ypassword')
    assert res['changed']
    assert snapshot(secrets) == before
    assert 'x * ******** *' in res['diff']['after']


def test_backup(run_module, secrets):
    res = run(run_module, secrets, client='x', secret='ypassword', backup=True)
    with open(res['backup_file']) as f:
        assert f.read() == BASE
    assert stat.S_IMODE(os.stat(res['backup_file']).st_mode) == 0o600


def test_world_readable_file_is_tightened(run_module, secrets):
    os.chmod(str(secrets), 0o644)
    content = secrets.read_bytes()
    res = run(run_module, secrets, client='guest', server='hostname', secret='top secret', addresses=['-'])
    assert res['changed']
    assert secrets.read_bytes() == content
    assert stat.S_IMODE(os.stat(str(secrets)).st_mode) == 0o600


def test_new_file(run_module, tmp_path):
    path = tmp_path / 'chap-secrets'
    res = run(run_module, path, client='a', server='srv', secret='p w', addresses=['10.0.0.1', '10.0.0.2'])
    assert res['changed']
    assert path.read_text() == 'a srv "p w" 10.0.0.1 10.0.0.2\n'
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o600


@pytest.mark.parametrize('kw, word', [
    (dict(client='a', secret='x\ny'), 'secret'),
    (dict(client='a', secret='x\ry'), 'secret'),
    (dict(client='a', secret='x\x00y'), 'secret'),
    (dict(client='a\nb', secret='xpassword'), 'client'),
    (dict(client='a', server='b\nc', secret='xpassword'), 'server'),
    (dict(client='a', secret='xpassword', addresses=['1\n2']), 'addresses[0]'),
    (dict(client='a'), 'secret'),
    (dict(client='', secret='xpassword'), 'client'),
    (dict(entries=[dict(client='a', secret='ok'), dict(client='b', secret='bad\nsecret')]), 'entries[1].secret'),
    (dict(entries=[dict(client='a', secret='1'), dict(client='a', secret='2')]), 'more than once'),
])
def test_validation(run_module, secrets, kw, word):
    before = snapshot(secrets)
    res = run(run_module, secrets, **kw)
    assert res.failed, res
    assert word in res['msg']
    # the message never echoes the secret
    for v in ('x\ny', 'bad', 'secret\n'):
        assert v not in res['msg']
    assert snapshot(secrets) == before


def test_secret_not_in_failure_output(run_module, secrets):
    res = run(run_module, secrets, client='a', secret='Hunter2\nmore')
    assert res.failed
    assert 'Hunter2' not in json.dumps(res)
