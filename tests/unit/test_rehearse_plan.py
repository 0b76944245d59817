# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The rehearsal's plan and verdict (tests/e2e/rehearse.py): how a host's variables become the VM's
lines, the server's variables and the calls, and how the VM's events become each user's result. The
rehearsal itself (a real VM, mgetty, callback and pppd) is the `rehearse` job of scripts/test."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import importlib.util
import os
import sys

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO_ROOT, 'tests', 'e2e'))
_spec = importlib.util.spec_from_file_location('rehearse', os.path.join(REPO_ROOT, 'tests', 'e2e', 'rehearse.py'))
rehearse = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rehearse)

# inventories/fleet's dialin-par1: two ports (ttyS0 is the VM's console), three callback users (two
# numbers with a wait for the dial tone), two PPP accounts.
PAR1 = {
    'host': 'dialin-par1.example.org',
    'release': 'bookworm',
    'server': {
        'server_ports': [
            {'device': 'ttyS0', 'link': 'modem', 'local_ip': '192.168.10.1', 'remote_ip': '192.168.10.2',
             'match': {'vendor': '0403'}},
            {'device': 'ttyS1', 'link': 'modem2', 'local_ip': '192.168.10.1', 'remote_ip': '192.168.10.3'},
        ],
        'server_callback_users': [
            {'name': 'helpdesk', 'number': '0W5550100'},
            {'name': 'parisops', 'number': '0W5550200'},
            {'name': 'alice', 'number': '5550123', 'lines': ['ttyS1']},
        ],
        'server_ppp_users': [
            {'name': 'fieldeng', 'password': 'Field secret 1', 'addresses': []},
            {'name': 'parisppp', 'password': 'Paris "secret" 2'},
        ],
        'server_lan_interfaces': ['eth0'],
        'server_verify_ports': True,
        'server_manage_services': True,
    },
}


def test_ports_become_the_vm_s_lines_and_the_users_lines_follow():
    plan = rehearse.plan(PAR1)
    ports = plan['server_vars']['server_ports']
    assert [p['device'] for p in ports] == ['ttyS1', 'ttyS2']
    assert [p['link'] for p in ports] == ['modem', 'modem2']
    assert all(p['toggle_dtr'] is False and 'match' not in p for p in ports)
    # alice may call on the host's ttyS1 only: the VM's ttyS2.
    users = {u['name']: u for u in plan['server_vars']['server_callback_users']}
    assert users['alice']['lines'] == ['ttyS2'] and 'lines' not in users['helpdesk']
    assert plan['server_vars']['server_lan_interfaces'] == ['lan0']
    # What a chroot and the VM need, whatever the host says.
    assert plan['server_vars']['server_verify_ports'] is False
    assert plan['server_vars']['server_manage_services'] is False
    # The original variables are left alone.
    assert PAR1['server']['server_ports'][0]['device'] == 'ttyS0'


def test_each_callback_number_gets_a_caller_line_with_the_digits_a_modem_dials():
    plan = rehearse.plan(PAR1)
    numbers = {ln['number']: ln['device'] for ln in plan['guest']['lines']}
    assert plan['numbers']['callers'] == ['05550100', '05550200', '5550123']
    for number in plan['numbers']['callers'] + [plan['numbers']['spare']]:
        assert number in numbers
    port_numbers = [p['number'] for p in plan['ports']]
    assert len(set(port_numbers)) == 2 and not set(port_numbers) & set(plan['numbers']['callers'])
    assert [numbers[n] for n in port_numbers] == ['/dev/ttyS1', '/dev/ttyS2']
    # Devices: the ports first, then the callers', each once.
    assert len(set(numbers.values())) == len(numbers) == 6


def test_one_call_per_callback_user_and_per_ppp_user():
    plan = rehearse.plan(PAR1)
    calls = plan['calls']
    assert [(c['callback_user'], c['ppp_user']) for c in calls] == [
        ('helpdesk', 'fieldeng'), ('parisops', 'parisppp'), ('alice', 'fieldeng')]
    alice = calls[2]
    assert alice['port'] == 'ttyS1' and alice['vm_port'] == 'ttyS2'
    assert alice['from_number'] == alice['dialled'] == '5550123'
    peers = {p['client_peer_name']: p for p in plan['peers']}
    assert peers[alice['peer']]['client_device'] == '/dev/ttyS5'
    assert peers[alice['peer']]['client_server_number'] == plan['ports'][1]['number']
    assert peers[calls[1]['peer']]['client_ppp_password'] == 'Paris "secret" 2'
    assert plan['secrets'] == ['Field secret 1', 'Paris "secret" 2']
    # The LAN: the ports' subnet, two addresses no port uses.
    assert plan['guest']['lan_server_cidr'] == '192.168.10.254/24'
    assert plan['guest']['lan_host_ip'] == '192.168.10.253'
    assert all(c['lan_check'] for c in calls)


def test_a_ppp_user_with_addresses_gets_a_port_that_gives_one():
    host = {'server': dict(PAR1['server'], server_ppp_users=[
        {'name': 'fieldeng', 'password': 'x', 'addresses': ['192.168.10.3']}])}
    calls = rehearse.plan(host)['calls']
    assert {c['port'] for c in calls if c['callback_user'] != 'alice'} == {'ttyS1'}


def test_a_number_no_modem_line_can_have_calls_from_the_spare_line():
    host = {'server': dict(PAR1['server'], server_callback_users=[{'name': 'star', 'number': '*99#'}])}
    plan = rehearse.plan(host)
    assert plan['numbers']['callers'] == []
    assert all(c['from_number'] == plan['numbers']['spare'] for c in plan['calls'])


@pytest.mark.parametrize('change, message', [
    ({'server_ports': []}, 'server_ports: the host has no ports'),
    ({'server_callback_users': []}, 'server_callback_users: the host has no callback user'),
    ({'server_ppp_users': []}, 'server_ppp_users: the host has no PPP account'),
    ({'server_ports': [{'link': 'modem'}]}, 'server_ports[0]: no device'),
    ({'server_ports': [{'device': 'ttyS1', 'local_ip': 'not-an-ip', 'remote_ip': '10.0.0.2'}]},
     'server_ports[0].local_ip and server_netmask'),
])
def test_what_cannot_be_rehearsed_is_named(change, message):
    with pytest.raises(rehearse.PlanError, match=message.replace('[', r'\[').replace(']', r'\]')):
        rehearse.plan({'server': dict(PAR1['server'], **change)})


def _events(plan, call, server_number=None, answered=True, t=100.0):
    """The emulator's events of one call: the caller dials the port, the server dials back."""
    port = next(p for p in plan['ports'] if p['port'] == call['port'])
    ev = [{'t': t + 1, 'event': 'dial', 'line': call['from_number'], 'number': port['number'], 'result': 'ringing'}]
    if server_number is not None:
        ev.append({'t': t + 10, 'event': 'dial', 'line': port['number'], 'number': server_number, 'result': 'ringing'})
        if answered:
            ev.append({'t': t + 12, 'event': 'answer', 'line': call['from_number']})
    return ev


def _verdict(plan, outcomes):
    """outcomes: per call, (server dials, linked, pap failed, gate ran)."""
    results, events, syslog = {'calls': []}, [], []
    for k, (call, (dials, linked, pap_failed, gate)) in enumerate(zip(plan['calls'], outcomes)):
        t = 100.0 * (k + 1)
        results['calls'].append({'name': call['name'], 't_start': t, 't_end': t + 50, 'linked': linked,
                                 't_link_up': t + 30 if linked else None,
                                 'link': ['192.168.10.2', '192.168.10.1'] if linked else None,
                                 'pings': {'server': True, 'lan': True}})
        events += _events(plan, call, dials, t=t)
        if gate:
            syslog.append((t + 5, f"mgetty[1]: data dev=ttyS1, cmd='/usr/local/lib/dialin-callback/callback-gate', "
                                  f"user='{call['callback_user']}'"))
        if pap_failed:
            syslog.append((t + 20, f"pppd[2]: PAP peer authentication failed for {call['ppp_user']}"))
    return rehearse.verdict(plan, results, events, syslog)


def test_verdict_passes_calls_called_back_on_the_registered_number_that_linked():
    plan = rehearse.plan(PAR1)
    found = _verdict(plan, [(c['dialled'], True, False, True) for c in plan['calls']])
    assert found['ok'] and all(u['ok'] for u in found['users']) and all(p['ok'] for p in found['ports'])
    assert found['calls'][0]['dial_to_link'] == pytest.approx(29.0)
    assert {(u['user'], u['kind']) for u in found['users']} == {
        ('helpdesk', 'callback'), ('parisops', 'callback'), ('alice', 'callback'),
        ('fieldeng', 'ppp'), ('parisppp', 'ppp')}


def test_verdict_names_the_user_and_why():
    plan = rehearse.plan(PAR1)
    found = _verdict(plan, [
        ('05550999', False, False, True),   # another number called back
        ('05550200', False, True, True),    # the right number, then PAP refused
        (None, False, False, False),        # mgetty did not run the callback
    ])
    assert not found['ok']
    why = {u['user']: u['reason'] for u in found['users'] if not u['ok']}
    assert 'dialled 05550999, not the registered number 0W5550100' in why['helpdesk']
    assert "PPP link for 'parisppp' did not come up: the server refused its PAP password" in why['parisppp']
    assert "mgetty did not run the callback for 'alice'" in why['alice']
    assert {p['port']: p['ok'] for p in found['ports']} == {'ttyS0': False, 'ttyS1': False}


def test_verdict_says_when_no_line_can_answer_the_number():
    host = {'server': dict(PAR1['server'], server_callback_users=[{'name': 'star', 'number': '*99#'}])}
    plan = rehearse.plan(host)
    found = _verdict(plan, [('*99#', False, False, True)] * len(plan['calls']))
    assert not found['ok']
    assert 'which no modem line can answer' in found['calls'][0]['reason']


def test_a_call_not_placed_fails_its_users():
    plan = rehearse.plan(PAR1)
    found = rehearse.verdict(plan, {'calls': []}, [], [])
    assert not found['ok'] and all('not placed' in c['reason'] for c in found['calls'])


def test_line_status_gets_the_host_s_port_names():
    plan = rehearse.plan(PAR1)
    # In reverse order too: ttyS2 -> ttyS1 must not then become ttyS0.
    result = {'lines': [{'port': 'ttyS2', 'device': '/dev/ttyS2'}, {'port': 'ttyS1', 'device': '/dev/ttyS1'}],
              'calls': [{'line': 'ttyS2', 'login': 'ttyS2x'}]}
    mapped = rehearse.host_line_status(result, plan['vm_device'])
    assert [ln['port'] for ln in mapped['lines']] == ['ttyS1', 'ttyS0']
    assert [ln['device'] for ln in mapped['lines']] == ['/dev/ttyS1', '/dev/ttyS0']
    assert mapped['calls'] == [{'line': 'ttyS1', 'login': 'ttyS2x'}]


# tests/rehearse/inventory.yml's broken host: a number no modem dials, a PPP account no port can give
# an address to.
BROKEN = {'server': {
    'server_ports': [{'device': 'ttyUSB0', 'local_ip': '10.20.0.1', 'remote_ip': '10.20.0.2'}],
    'server_callback_users': [{'name': 'field', 'number': '5550142'}, {'name': 'satphone', 'number': '*99#'}],
    'server_ppp_users': [{'name': 'roamer', 'password': 'r'}, {'name': 'oldacct', 'password': 'o', 'addresses': ['10.20.0.9']}],
}}


def test_a_ppp_user_paired_with_an_unreachable_number_gets_a_call_of_its_own():
    plan = rehearse.plan(BROKEN)
    # The unanswerable callback last: its retries hold the port.
    assert [(c['callback_user'], c['ppp_user'], c['ppp_checked']) for c in plan['calls']] == [
        ('field', 'roamer', True), ('field', 'oldacct', True), ('satphone', 'oldacct', False)]
    assert plan['ppp_users_uncovered'] == []


def test_the_callback_user_is_not_blamed_for_the_ppp_user_s_failure_nor_the_reverse():
    plan = rehearse.plan(BROKEN)
    found = _verdict(plan, [('5550142', True, False, True), ('5550142', False, True, True),
                            ('*99#', False, False, True)])
    users = {(u['user'], u['kind']): u for u in found['users']}
    assert users[('field', 'callback')]['ok'] and users[('roamer', 'ppp')]['ok']
    assert 'which no modem line can answer' in users[('satphone', 'callback')]['reason']
    assert not users[('oldacct', 'ppp')]['ok']
    assert users[('oldacct', 'ppp')]['reason'].startswith("call-2: the PPP link for 'oldacct' did not come up")
    assert not found['ok']


def test_ppp_users_no_call_can_reach_are_reported_not_rehearsed():
    host = {'server': dict(PAR1['server'], server_callback_users=[{'name': 'star', 'number': '*99#'}])}
    plan = rehearse.plan(host)
    found = _verdict(plan, [('*99#', False, False, True)])
    users = {(u['user'], u['kind']): u for u in found['users']}
    for name in ('fieldeng', 'parisppp'):
        assert not users[(name, 'ppp')]['ok']
        assert users[(name, 'ppp')]['reason'] == 'not rehearsed: no callback user has a number a modem line can answer'


def test_an_account_with_addresses_may_link_with_them():
    plan = rehearse.plan(BROKEN)
    call = next(c for c in plan['calls'] if c['ppp_user'] == 'oldacct' and c['ppp_checked'])
    assert ['10.20.0.9', '10.20.0.1'] in call['links'] and ['10.20.0.2', '10.20.0.1'] in call['links']
    roamer = next(c for c in plan['calls'] if c['ppp_user'] == 'roamer')
    assert roamer['links'] == [['10.20.0.2', '10.20.0.1']]


def test_a_refused_configuration_fails_the_users_it_names():
    plan = rehearse.plan(BROKEN)
    output = ('TASK [x] ***\nfatal: [server]: FAILED! => {"changed": false, "msg": '
              '"ppp_server_users[1] (\\"oldacct\\"): password must not be empty"}\n')
    msgs = rehearse.failure_messages(output)
    assert msgs == ['ppp_server_users[1] ("oldacct"): password must not be empty']
    users = {(u['user'], u['kind']): u for u in rehearse.configure_failed(plan, msgs[0])}
    assert users[('oldacct', 'ppp')]['reason'].startswith('the configuration refused it: ppp_server_users[1]')
    assert users[('roamer', 'ppp')]['reason'].startswith('not rehearsed: the configuration failed')
    assert not any(u['ok'] for u in users.values())


def test_the_report_masks_a_password_a_message_quotes(tmp_path):
    path = str(tmp_path / 'report.json')
    rehearse.write_report(path, {'error': 'bad value Paris "secret" 2 here'}, ['Paris "secret" 2'])
    text = open(path).read()
    assert 'secret' not in text and '********' in text


def test_a_call_placed_while_the_ports_were_busy_says_so():
    plan = rehearse.plan(PAR1)
    call = plan['calls'][0]
    results = {'calls': [{'name': call['name'], 't_start': 100.0, 't_end': 150.0, 'linked': False,
                          'lines_ready': False}]}
    found = rehearse.verdict(plan, results, _events(plan, call), [])
    assert found['calls'][0]['reason'].startswith("the server's ports were still busy")


def _playbook(tmp_path, playbook, *args):
    """playbooks/rehearse.yml (or a copy) against a one-host inventory, on the controller."""
    import subprocess
    import yaml
    inventory = tmp_path / 'inventory.yml'
    inventory.write_text(yaml.safe_dump({'callback_servers': {'hosts': {'dialin-x.example.org': PAR1['server']}}}))
    collections = next(e for e in sys.path
                       if os.path.isdir(os.path.join(e, 'ansible_collections', 'dialin', 'callback', 'playbooks')))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_NOCOLOR='1',
               ANSIBLE_LOCAL_TEMP=str(tmp_path / 'ansible-tmp'))
    command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', str(inventory), playbook,
               '-e', 'rehearse_dir=%s' % (tmp_path / 'reports')] + list(args)
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300, check=False,
                          cwd=str(tmp_path))


def test_the_playbook_stops_on_a_release_it_cannot_rehearse(tmp_path):
    run = _playbook(tmp_path, os.path.join(REPO_ROOT, 'playbooks', 'rehearse.yml'), '-e', 'rehearse_release=buster')
    assert run.returncode != 0
    assert 'rehearse_release must be bookworm or trixie (got "buster")' in run.stdout
    assert not (tmp_path / 'reports').exists()


def test_the_playbook_says_it_needs_a_checkout(tmp_path):
    import shutil
    copy = tmp_path / 'installed' / 'playbooks'
    shutil.copytree(os.path.join(REPO_ROOT, 'playbooks'), str(copy))
    run = _playbook(tmp_path, str(copy / 'rehearse.yml'))
    assert run.returncode != 0
    assert 'tests/e2e/rehearse.py is missing: run the playbook from a checkout of the collection' in run.stdout
    assert not (tmp_path / 'reports').exists()


def test_the_lan_s_addresses_are_none_a_caller_may_get():
    host = {'server': dict(PAR1['server'], server_ppp_users=[
        {'name': 'fieldeng', 'password': 'x', 'addresses': ['192.168.10.254']}])}
    guest = rehearse.plan(host)['guest']
    assert guest['lan_server_cidr'] == '192.168.10.253/24' and guest['lan_host_ip'] == '192.168.10.252'
