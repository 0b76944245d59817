# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""ppp_secret's options as a task gives them (types, defaults, choices, required and exclusive ones), the
exact words of its refusals and warning, and its diff: every secret masked, a secret that pppd's quoting
changes included, the entry appended to a file without a final newline, and who got a new secret. Found by
mutation testing (scripts/mutation): each test fails on a change to ppp_secret.py that the other unit tests
let through."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os

import pytest

from ansible_collections.dialin.callback.plugins.modules import ppp_secret


def private(path, text):
    path.write_text(text)
    os.chmod(str(path), 0o600)


def run(run_module, path, check_mode=False, **kw):
    args = dict(path=str(path))
    args.update(kw)
    return run_module(ppp_secret.main, args, check_mode=check_mode)


def test_a_secret_that_quoting_changes_never_shows_in_the_diff(run_module, tmp_path):
    """no_log hides the secret as given; the file holds it quoted and escaped ("a \\"b\\\\c"), which only the
    module's own mask hides."""
    path = tmp_path / 'pap-secrets'
    private(path, 'guest * "top secret"')
    secret = 'my "pass\\word'
    res = run(run_module, path, client='pppuser', secret=secret)
    assert path.read_text() == 'guest * "top secret"\npppuser * "my \\"pass\\\\word" *\n'
    assert res['diff']['before'] == 'guest * ********'
    assert res['diff']['after'] == 'guest * ********\npppuser * ******** *\n'
    assert res['diff']['after_header'] == '%s (secret set for: pppuser)' % path
    res = run(run_module, path, client='pppuser', secret=secret + '2', addresses=['10.0.0.2'])
    assert res['diff']['after'] == 'guest * ********\npppuser * ******** 10.0.0.2\n'
    assert res['clients'] == ['guest', 'pppuser']
    assert 'pass\\\\word' not in json.dumps(res)


def test_the_diff_names_every_client_whose_secret_was_set(run_module, tmp_path):
    path = tmp_path / 'pap-secrets'
    private(path, 'a * old\nb * same\n')
    res = run(run_module, path, entries=[dict(client='a', secret='new'), dict(client='b', secret='same'),
                                         dict(client='c', secret='new')])
    assert res['diff']['after_header'] == '%s (secret set for: a, c)' % path
    assert res['diff']['before'] == 'a * ********\nb * ********\n'
    # b's entry is rewritten with its address (*), its secret the same
    assert res['diff']['after'] == 'a * ******** *\nb * ******** *\nc * ******** *\n'
    assert res['clients'] == ['a', 'b', 'c']


def test_the_default_path_is_pppds_pap_secrets(run_module):
    res = run_module(ppp_secret.main, dict(client='pppuser', secret='x'), check_mode=True)
    assert res['diff']['before_header'].startswith('/etc/ppp/pap-secrets')


def test_the_path_is_expanded(run_module, tmp_path, monkeypatch):
    monkeypatch.setenv('HOME', str(tmp_path))
    res = run_module(ppp_secret.main, dict(path='~/pap-secrets', client='pppuser', secret='x'))
    assert not res.failed, res
    assert (tmp_path / 'pap-secrets').read_text() == 'pppuser * x *\n'


def test_no_backup_unless_asked(run_module, tmp_path):
    path = tmp_path / 'pap-secrets'
    private(path, 'a * pw1\n')
    res = run(run_module, path, client='a', secret='pw2')
    assert 'backup_file' not in res
    assert os.listdir(str(tmp_path)) == ['pap-secrets']


def test_an_address_given_as_a_number_is_written_as_text(run_module, tmp_path):
    path = tmp_path / 'pap-secrets'
    res = run(run_module, path, client='a', secret='pw1', addresses=[7])
    assert not res.failed, res
    res = run(run_module, path, entries=[dict(client='b', secret='pw1', addresses=[8])])
    assert not res.failed, res
    assert path.read_text() == 'a * pw1 7\nb * pw1 8\n'


@pytest.mark.parametrize('args, message', [
    (dict(client='a', secret='pw1', entries=[dict(client='b', secret='pw1')]),
     'parameters are mutually exclusive: client|entries'),
    (dict(secret='pw1'), 'one of the following is required: client, entries'),
    (dict(entries=[dict(secret='pw1')]), 'missing required arguments: client found in entries'),
])
def test_which_options_go_together(run_module, tmp_path, args, message):
    res = run(run_module, tmp_path / 'pap-secrets', **args)
    assert res.failed
    assert res['msg'] == message
    assert not os.path.exists(str(tmp_path / 'pap-secrets'))


@pytest.mark.parametrize('args', [
    dict(client='a', secret='pw1', state='gone'),
    dict(entries=[dict(client='a', secret='pw1', state='gone')]),
])
def test_a_state_is_present_or_absent(run_module, tmp_path, args):
    res = run(run_module, tmp_path / 'pap-secrets', **args)
    assert res.failed
    assert 'value of state must be one of: present, absent, got: gone' in res['msg']


def test_an_entry_may_say_present(run_module, tmp_path):
    path = tmp_path / 'pap-secrets'
    private(path, 'a * pw1\n')
    res = run(run_module, path, state='absent', entries=[dict(client='a', state='present', secret='pw2')])
    assert not res.failed, res
    assert path.read_text() == 'a * pw2 *\n'


@pytest.mark.parametrize('args, message', [
    (dict(client='', secret='pw1'), 'client must not be empty'),
    (dict(client='a', server='', secret='pw1'), 'server must not be empty'),
    (dict(entries=[dict(client='a', secret='pw1'), dict(client='', secret='pw1')]), 'entries[1].client must not be empty'),
    (dict(client='a', secret='pw1', addresses=['10.0.0.1', 'x\ny']), 'addresses[1] contains a newline'),
    (dict(client='a', secret='pw1', addresses=['']), 'addresses[0] must not be empty'),
    (dict(entries=[dict(client='a', secret='pw1', addresses=['10.0.0.1', ''])]),
     'entries[0].addresses[1] must not be empty'),
    (dict(client='a'), 'secret is required when state=present'),
    (dict(entries=[dict(client='a', secret='pw1'), dict(client='a', secret='pw2')]),
     'entries[1].client a with server * is listed more than once'),
])
def test_the_words_of_each_refusal(run_module, tmp_path, args, message):
    res = run(run_module, tmp_path / 'pap-secrets', **args)
    assert res.failed
    assert res['msg'] == message
    assert not os.path.exists(str(tmp_path / 'pap-secrets'))


def test_an_absent_entry_needs_no_secret(run_module, tmp_path):
    path = tmp_path / 'pap-secrets'
    private(path, 'a * pw1\nb * pw2\n')
    res = run(run_module, path, client='a', state='absent')
    assert not res.failed, res
    assert path.read_text() == 'b * pw2\n'


def test_a_secret_read_from_a_file_is_warned_about(run_module, tmp_path):
    res = run(run_module, tmp_path / 'pap-secrets', entries=[dict(client='a', secret='@/etc/ppp/a-secret')])
    assert not res.failed, res
    warning = "msg='entries[0].secret starts with \"@/\": pppd reads the secret from that file'"
    assert len(res['warnings']) == 1 and warning in str(res['warnings'][0]).replace("\\'", "'")
    res = run(run_module, tmp_path / 'chap-secrets', client='a', secret='x@/y')
    assert not res.get('warnings')


def test_a_directory_in_place_of_the_file(run_module, tmp_path):
    res = run(run_module, tmp_path, client='a', secret='pw1')
    assert res.failed
    assert res['msg'] == 'path %s is a directory, not a file' % tmp_path
