# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""playbooks/rehearse.yml for real: the example fleet's host with the most users (dialin-par1: three
callback users, two PPP accounts, two ports) rehearsed in the end-to-end VM with its own inventory
variables and vault, then a host whose configuration the server role accepts but which fails callers
(tests/rehearse/inventory.yml). Needs root, QEMU, mmdebstrap and busybox-static (scripts/setup all)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import re
import subprocess

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FLEET = os.path.join(REPO_ROOT, 'inventories', 'fleet')
VAULT_PASSWORD = os.path.join(REPO_ROOT, 'tests', 'fleet', 'vault-password')
BROKEN = os.path.join(REPO_ROOT, 'tests', 'rehearse', 'inventory.yml')
# The e2e test's work directory by default (its cached roots and kernels; the set-up takes a lock, so
# the two jobs may start together); DIALIN_REHEARSE_WORKDIR names another.
WORKDIR = os.environ.get('DIALIN_REHEARSE_WORKDIR', '')


def fleet_secrets():
    """The example fleet's PAP secrets, decrypted with its test vault password."""
    from ansible.parsing.vault import VaultLib, VaultSecret
    with open(VAULT_PASSWORD, 'rb') as f:
        vault = VaultLib([('default', VaultSecret(f.read().strip()))])
    with open(os.path.join(FLEET, 'group_vars', 'callback_servers', 'vault.yml'), encoding='utf-8') as f:
        text = f.read()
    # Each value: "!vault |" then the envelope's lines, indented.
    blocks = re.findall(r'!vault \|\n((?:[ \t]+\S.*\n?)+)', text)
    return [vault.decrypt(''.join(ln.strip() + '\n' for ln in block.splitlines())).decode() for block in blocks]


def rehearse(tmp_path, inventory, host, *extra):
    out = tmp_path / 'reports'
    cmd = ['ansible-playbook', '-i', inventory, os.path.join(REPO_ROOT, 'playbooks', 'rehearse.yml'),
           '-l', host, '-e', f'rehearse_dir={out}', *(['-e', f'rehearse_workdir={WORKDIR}'] if WORKDIR else []),
           *extra]
    run = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, check=False, timeout=1800)
    print(run.stdout[-6000:], run.stderr[-3000:])
    report_dir = out / host
    report = json.loads((report_dir / 'rehearsal.json').read_text()) if (report_dir / 'rehearsal.json').exists() else {}
    return run, report, report_dir


@pytest.fixture(scope='module')
def par1(tmp_path_factory):
    return rehearse(tmp_path_factory.mktemp('par1'), FLEET, 'dialin-par1.example.org',
                    '--vault-password-file', VAULT_PASSWORD)


@pytest.fixture(scope='module')
def broken(tmp_path_factory):
    return rehearse(tmp_path_factory.mktemp('broken'), BROKEN, 'dialin-broken.example.org')


@pytest.fixture(scope='module')
def nosecret(tmp_path_factory):
    return rehearse(tmp_path_factory.mktemp('nosecret'), BROKEN, 'dialin-nosecret.example.org')


def test_the_fleet_host_passes_for_every_user_and_port(par1):
    run, report, _dir = par1
    assert run.returncode == 0, run.stdout[-3000:]
    assert report['ok'] and report['host'] == 'dialin-par1.example.org' and report['release'] == 'bookworm'
    users = {(u['user'], u['kind']): u['ok'] for u in report['users']}
    assert users == {('helpdesk', 'callback'): True, ('parisops', 'callback'): True, ('alice', 'callback'): True,
                     ('fieldeng', 'ppp'): True, ('parisppp', 'ppp'): True}
    assert {p['port']: p['ok'] for p in report['ports']} == {'ttyS0': True, 'ttyS1': True}


def test_each_callback_reached_that_user_s_number_only(par1):
    _run, report, _dir = par1
    want = {'helpdesk': '05550100', 'parisops': '05550200', 'alice': '5550123'}
    assert len(report['calls']) == 3
    for call in report['calls']:
        assert call['callback_numbers'] == [want[call['callback_user']]], call
        assert call['link'] and call['link'][1] == '192.168.10.1', call
    # alice may call in on ttyS1 only.
    assert [c['port'] for c in report['calls'] if c['callback_user'] == 'alice'] == ['ttyS1']


def test_the_lines_are_reported_in_the_status_report_s_format(par1):
    _run, report, report_dir = par1
    status = (report_dir / 'status.md').read_text()
    assert '# Dial-in callback fleet status' in status
    lines = [ln for ln in status.splitlines() if ln.startswith('| dialin-par1.example.org | ttyS')]
    assert sorted(ln.split(' | ')[1] for ln in lines) == ['ttyS0', 'ttyS1'], status
    # The calls line_status saw in the VM, per pseudo-login, under the host's own port names.
    assert '## Totals per pseudo-login' in status and '| helpdesk |' in status
    assert {ln['port'] for ln in report['line_status']['lines']} == {'ttyS0', 'ttyS1'}
    rehearsal = (report_dir / 'rehearsal.md').read_text()
    assert '**PASS**' in rehearsal and '| alice | callback | PASS |' in rehearsal


def test_no_pap_secret_in_the_output_or_the_reports(par1):
    run, _report, report_dir = par1
    secrets = fleet_secrets()
    assert len(secrets) == 3 and all(secrets)
    texts = [run.stdout, run.stderr] + [p.read_text() for p in report_dir.iterdir()]
    assert not [s for s in secrets for t in texts if s in t]


def test_a_number_no_modem_dials_fails_that_user_only(broken):
    run, report, report_dir = broken
    assert run.returncode != 0 and 'the rehearsal failed' in run.stdout
    users = {(u['user'], u['kind']): u for u in report['users']}
    assert not users[('satphone', 'callback')]['ok']
    assert users[('satphone', 'callback')]['reason'] == (
        'call-3: the server dialled *99#, which no modem line can answer (dialled as *99#: a modem dials digits only)')
    assert users[('field', 'callback')]['ok'] and users[('roamer', 'ppp')]['ok']
    # An account with its own address in pap-secrets links with it, in a call of its own (satphone's
    # call, placed last, never reaches PPP), and its traffic passes the forwarding policy (the pings).
    assert users[('fixedip', 'ppp')]['ok'] and users[('fixedip', 'ppp')]['calls'] == ['call-2']
    assert [c['link'] for c in report['calls'] if c['call'] == 'call-2'] == [['10.20.0.9', '10.20.0.1']]
    rehearsal = (report_dir / 'rehearsal.md').read_text()
    assert '**FAIL**' in rehearsal and '| satphone | callback | FAIL |' in rehearsal
    assert 'callback user satphone: FAIL' in run.stdout


def test_a_ppp_account_without_a_secret_is_named_by_the_server_role_s_check(nosecret):
    run, report, report_dir = nosecret
    assert run.returncode != 0 and 'the rehearsal failed' in run.stdout
    users = {(u['user'], u['kind']): u for u in report['users']}
    oldacct = users[('oldacct', 'ppp')]
    assert not oldacct['ok'] and oldacct['reason'].startswith('the configuration refused it: ')
    assert 'server_ppp_users[1] ("oldacct"): password is empty' in oldacct['reason']
    assert users[('roamer', 'ppp')]['reason'].startswith('not rehearsed: the configuration failed')
    assert 'ppp user oldacct: FAIL: the configuration refused it' in run.stdout
    assert 'Roam-secret-1' not in run.stdout + (report_dir / 'rehearsal.json').read_text()
