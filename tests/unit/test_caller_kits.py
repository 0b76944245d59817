# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""playbooks/caller_kits.yml run on the controller with an example inventory of two servers: what
each kit holds, that no password reaches any file or the output, a second run and check mode, and
bad input stopping the run before anything is written. The kit's Dial-Up Scripting file is read with
the interpreter the Molecule test runs against a real server (molecule/shared/tests/dialup_script.py)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import importlib.util
import os
import re
import subprocess
import sys

import pytest
import yaml

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLAYBOOK = os.path.join(REPO_ROOT, 'playbooks', 'caller_kits.yml')
_spec = importlib.util.spec_from_file_location(
    'dialup_script', os.path.join(REPO_ROOT, 'molecule', 'shared', 'tests', 'dialup_script.py'))
dialup_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dialup_script)

# Passwords with the characters a careless template would let through: quotes, a caret, a semicolon.
PASSWORDS = {'alice': 'Kit-Secret^1 "a";', 'bob': "bob's ^M secret", 'carol': 'carol-Secret-3'}
SERVER_A = {
    'caller_kits_server_number': '0,5550100',
    'server_ports': [
        {'device': 'ttyS1', 'local_ip': '192.168.7.1', 'remote_ip': '192.168.7.2', 'rings': 2},
        {'device': 'ttyS2', 'local_ip': '192.168.7.1', 'remote_ip': '192.168.7.3', 'rings': 2},
    ],
    'server_callback_users': [
        {'name': 'call', 'number': '0W123456', 'caller_id': '+33 1 23 45 67 89'},
        {'name': 'home.bob', 'number': '5551234', 'lines': ['ttyS2']},
    ],
    'server_ppp_users': [
        {'name': 'alice', 'password': PASSWORDS['alice'], 'addresses': ['192.168.7.2']},
        {'name': 'bob', 'password': PASSWORDS['bob']},
    ],
    'caller_kits_ppp_users': {'call': 'alice', 'home.bob': 'bob'},
}
SERVER_B = {
    'caller_kits_server_number': '200',
    'server_ports': [{'device': 'ttyUSB0', 'local_ip': '10.9.0.1', 'remote_ip': '10.9.0.2'}],
    'server_callback_users': [{'name': 'call', 'number': '300'}],
    'server_ppp_users': [{'name': 'carol', 'password': PASSWORDS['carol']}],
}
SERVERS = {'dialin-a.example.org': SERVER_A, 'dialin-b.example.org': SERVER_B}
KIT_FILES = ['debian-client.yml', 'terminal.txt', 'windows-dial-up-networking.txt']


def collections_path():
    """The folder above ansible_collections/dialin/callback on sys.path (tests/unit/conftest.py)."""
    for entry in sys.path:
        if os.path.isdir(os.path.join(entry, 'ansible_collections', 'dialin', 'callback', 'playbooks')):
            return entry
    raise AssertionError('the collection is not on sys.path')


def run_playbook(tmp_path, servers, out, *args):
    inventory = tmp_path / 'inventory.yml'
    inventory.write_text(yaml.safe_dump({'callback_servers': {'hosts': servers}}))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path(), ANSIBLE_NOCOLOR='1',
               ANSIBLE_STDOUT_CALLBACK='default', ANSIBLE_CALLBACK_RESULT_FORMAT='yaml',
               ANSIBLE_LOCAL_TEMP=str(tmp_path / 'ansible-tmp'),
               ANSIBLE_REMOTE_TEMP=str(tmp_path / 'ansible-tmp'))
    command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', str(inventory), PLAYBOOK,
               '-e', 'caller_kits_dir=%s' % out] + list(args)
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, check=False,
                          cwd=str(tmp_path))


def changed(stdout):
    return dict((host, int(count)) for host, count in re.findall(r'(?m)^(\S+)\s*: ok=\d+\s+changed=(\d+)', stdout))


@pytest.fixture(scope='module')
def kits(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp('caller-kits')
    out = tmp_path / 'kits'
    first = run_playbook(tmp_path, SERVERS, out)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-2000:]
    second = run_playbook(tmp_path, SERVERS, out, '--diff')
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-2000:]
    return {'out': out, 'first': first, 'second': second, 'tmp': tmp_path}


def read(kits, server, login, name):
    return (kits['out'] / server / login / name).read_bytes().decode('utf-8')


def test_each_callback_user_of_each_server_gets_its_folder(kits):
    found = sorted(str(p.relative_to(kits['out'])) for p in kits['out'].rglob('*') if p.is_file())
    expected = sorted('%s/%s/%s' % (server, user['name'], name)
                      for server, values in SERVERS.items() for user in values['server_callback_users']
                      for name in KIT_FILES + [user['name'] + '.scp'])
    assert found == expected


def test_no_password_reaches_a_kit_file_or_the_output(kits):
    files = [p for p in kits['out'].rglob('*') if p.is_file()]
    assert files
    for password in PASSWORDS.values():
        for path in files:
            assert password.encode() not in path.read_bytes(), path
        assert password not in kits['first'].stdout + kits['first'].stderr
        # --diff shows every file's content when it changes: the second run's showed none, the
        # check-mode run below shows them all.
        assert password not in kits['second'].stdout


def test_the_dial_up_script_does_what_the_howto_s_script_does(kits):
    text = read(kits, 'dialin-a.example.org', 'home.bob', 'home.bob.scp')
    assert '\r\n' in text and '\n' not in text.replace('\r\n', ''), 'Windows line ends'
    commands = dialup_script.parse(text)
    assert commands == [
        ('set-port', 'databits', '8'), ('set-port', 'parity', 'none'), ('set-port', 'stopbits', '1'),
        ('waitfor', b'ogin:', False, 60), ('transmit', b'home.bob\r'),
        ('waitfor', b'RING', False, 180), ('transmit', b'ATA\r'),
        ('waitfor', b'ogin:', False, 90), ('transmit', b'bob\r'),
        ('waitfor', b'assword:', False, 30), ('delay', 1), ('transmit-variable', '$PASSWORD'), ('transmit', b'\r'),
    ]
    steps, budget = dialup_script.caller_steps(commands, 'bob', 'typed')
    assert steps[-4:] == ['send', 'typed', 'send', r'\x0d'] and budget == 361


def test_the_windows_sheet_has_the_numbers_settings_and_addresses(kits):
    text = read(kits, 'dialin-a.example.org', 'call', 'windows-dial-up-networking.txt')
    assert re.search(r'(?m)^  Number to dial: +0,5550100\r$', text)
    assert re.search(r'(?m)^  Modem extra settings: &C0S0=0\r$', text)
    assert re.search(r'(?m)^  PPP user name: +alice\r$', text)
    assert 'calls you back at 0W123456' in text
    assert 'Call from:           +33 1 23 45 67 89' in text
    assert 'line 1 you get 192.168.7.2; the server is 192.168.7.1' in text
    assert 'line 2 you get 192.168.7.3; the server is 192.168.7.1' in text
    assert 'may use only: 192.168.7.2.' in text
    assert 'call.scp' in text
    other = read(kits, 'dialin-b.example.org', 'call', 'windows-dial-up-networking.txt')
    assert re.search(r'(?m)^  PPP user name: +carol\r$', other) and 'Call from' not in other


def test_the_terminal_sheet_says_what_to_type_at_each_prompt(kits):
    text = read(kits, 'dialin-a.example.org', 'home.bob', 'terminal.txt').replace('\r\n', '\n')
    rows = re.findall(r'(?m)^  (\S.{19}) (\S.{0,18}?) {2,}', text)
    assert [(s.strip(), t.strip()) for s, t in rows] == [
        ('(modem ready)', 'ATZ'), ('OK', 'AT&C0S0=1'), ('OK', 'ATDT0,5550100'), ('CONNECT ...', '(nothing)'),
        ('login:', 'home.bob'), ('NO CARRIER', '(nothing)'), ('RING', '(nothing)'), ('CONNECT ...', '(nothing)'),
        ('login:', 'bob'), ('Password:', 'your PPP password'), ('~}#...', '(nothing)')]
    assert 'may hang up a line\n' in text and 'silent for 5 seconds at this prompt\n' in text
    assert 'call you back\n' in text and 'at 5551234.' in text and 'at most\n' in text and '180 seconds.' in text
    assert 'your address 192.168.7.3, the server 192.168.7.1, netmask 255.255.255.0' in text


def test_the_debian_snippet_is_the_client_role_s_inventory(kits):
    snippet = yaml.safe_load(read(kits, 'dialin-b.example.org', 'call', 'debian-client.yml'))
    (host,) = snippet['callback_clients']['hosts'].values()
    assert host == {
        'client_server_number': '200', 'client_callback_user': 'call', 'client_ppp_user': 'carol',
        'client_ppp_password': '{{ vault_client_ppp_password }}', 'client_peer_name': 'call-dialin-b.example.org',
        'client_mode': 'ppplogin', 'client_device': '/dev/ttyS0'}
    # The client role's own checks of the names it writes unquoted (roles/client/tasks/validate.yml).
    assert re.match(r'^[A-Za-z0-9_-][A-Za-z0-9._-]*\Z', host['client_peer_name'])


def test_a_second_run_changes_nothing(kits):
    assert changed(kits['second'].stdout) == {'dialin-a.example.org': 0, 'dialin-b.example.org': 0}


def test_check_mode_writes_nothing_and_shows_the_files(kits, tmp_path):
    out = tmp_path / 'kits'
    run = run_playbook(tmp_path, SERVERS, out, '--check', '--diff')
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert not out.exists()
    assert changed(run.stdout) == {'dialin-a.example.org': 5, 'dialin-b.example.org': 5}
    assert 'transmit "home.bob^M"' in run.stdout
    for password in PASSWORDS.values():
        assert password not in run.stdout


def test_bad_input_stops_before_anything_is_written_naming_each_variable(tmp_path):
    bad = dict(SERVER_A)
    bad.pop('caller_kits_server_number')
    bad['server_callback_users'] = [{'name': 'ca ll', 'number': '12a'}, {'name': 'home.bob', 'number': '5'}]
    bad['server_ports'] = [dict(SERVER_A['server_ports'][0], remote_ip='192.168.8.2')]
    bad['caller_kits_ppp_users'] = {'home.bob': 'nobody'}
    out = tmp_path / 'kits'
    run = run_playbook(tmp_path, {'dialin-a.example.org': bad, 'dialin-b.example.org': SERVER_B}, out)
    assert run.returncode != 0
    assert not (out / 'dialin-a.example.org').exists()
    for message in [
            'server_callback_users[0] ("ca ll"): name must be a login name',
            'server_callback_users[0] ("ca ll"): number must be a quoted string of digits',
            'server_ports[0] ("ttyS1"): local_ip "192.168.7.1" and remote_ip "192.168.8.2" must be on one network',
            'caller_kits_server_number must be the number the callers dial',
            'caller_kits_ppp_users: "home.bob" is given "nobody", which is not an account of server_ppp_users',
            'server_callback_users[0] ("ca ll"): caller_kits_ppp_users names no PPP account for it']:
        assert message in re.sub(r'\s+', ' ', run.stdout), message
    for password in PASSWORDS.values():
        assert password not in run.stdout + run.stderr
