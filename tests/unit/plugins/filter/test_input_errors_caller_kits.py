# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""input_errors('caller_kits'): the server role's variables as playbooks/caller_kits.yml reads them,
checked by the same rules as the server's roles, each message naming the server's variable."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy

import pytest

from ansible_collections.dialin.callback.plugins.filter.input_errors import input_errors

GOOD = {
    'server_ports': [{'device': 'ttyS1', 'local_ip': '192.168.1.1', 'remote_ip': '192.168.1.2'}],
    'server_callback_users': [{'name': 'call', 'number': '123456'}, {'name': 'call2', 'number': '0W5551234'}],
    'server_ppp_users': [{'name': 'pppuser', 'password': 'Sup3r-Secret'}],
    'server_netmask': '255.255.255.0',
    'server_require_caller_id': False,
    'caller_kits_server_number': '100',
    'caller_kits_ppp_users': {},
    'caller_kits_dir': '/srv/caller-kits',
}


def errors(**changes):
    values = copy.deepcopy(GOOD)
    values.update(changes)
    return input_errors(values, 'caller_kits')


def test_one_ppp_account_serves_every_pseudo_login():
    assert errors() == []


def test_with_two_accounts_each_pseudo_login_is_mapped():
    users = GOOD['server_ppp_users'] + [{'name': 'other', 'password': 'x'}]
    assert errors(server_ppp_users=users, caller_kits_ppp_users={'call': 'pppuser', 'call2': 'other'}) == []
    found = errors(server_ppp_users=users, caller_kits_ppp_users={'call': 'pppuser'})
    assert found == ['server_callback_users[1] ("call2"): caller_kits_ppp_users names no PPP account for it, and'
                     ' server_ppp_users has 2 (["pppuser", "other"]): map each pseudo-login to the account its'
                     ' caller logs in as after the callback.']


@pytest.mark.parametrize('changes, message', [
    ({'caller_kits_ppp_users': {'nobody': 'pppuser'}},
     'caller_kits_ppp_users: "nobody" is not a pseudo-login of server_callback_users (["call", "call2"]).'),
    ({'caller_kits_ppp_users': {'call': 'root'}},
     'caller_kits_ppp_users: "call" is given "root", which is not an account of server_ppp_users (["pppuser"]).'),
    ({'caller_kits_ppp_users': ['call']}, 'caller_kits_ppp_users must map pseudo-logins to PPP account names'),
    ({'caller_kits_server_number': ''}, 'caller_kits_server_number must be the number the callers dial'),
    ({'caller_kits_server_number': '555-0100'}, 'caller_kits_server_number must be the number the callers dial'),
    ({'caller_kits_dir': ''}, 'caller_kits_dir must be a directory on the controller'),
    ({'server_callback_users': [{'name': 'ca"ll', 'number': '1'}]},
     'server_callback_users[0] ("ca\\"ll"): name must be a login name'),
    ({'server_callback_users': [{'name': 'call', 'number': '12a'}]},
     'server_callback_users[0] ("call"): number must be a quoted string of digits'),
    ({'server_callback_users': [{'name': 'call', 'number': '1'}, {'name': 'call', 'number': '2'}]},
     'server_callback_users: each name may appear once'),
    ({'server_require_caller_id': True},
     'server_callback_users[0] ("call"): server_require_caller_id is true, so every callback user needs a caller_id.'),
    ({'server_ports': [{'device': 'ttyS1', 'local_ip': '192.168.1.1', 'remote_ip': '10.0.0.2'}]},
     'server_ports[0] ("ttyS1"): local_ip "192.168.1.1" and remote_ip "10.0.0.2" must be on one network'),
    ({'server_netmask': 'not-a-mask'}, 'server_netmask must be an IPv4 netmask'),
    ({'server_ppp_users': [{'name': 'PPP user', 'password': 'x'}]}, 'server_ppp_users[0] ("PPP user"): name must be'),
    ({'server_ppp_users': [{'name': 'pppuser', 'password': 'two\nlines'}]}, 'server_ppp_users[0] ("pppuser"): password'),
    ({'server_callback_users': [{'name': 'pppuser', 'number': '1'}]}, 'server_callback_users and server_ppp_users share'),
])
def test_each_problem_names_the_variable(changes, message):
    found = errors(**changes)
    assert any(m.startswith(message) for m in found), found
    # The ppp_server role's names never leak: the kit's user sets the server role's variables.
    assert not any('ppp_server_' in m for m in found), found


def test_a_password_is_never_echoed():
    found = errors(server_ppp_users=[{'name': 'pppuser', 'password': 'secret\rvalue'}])
    assert found and not any('secret' in m for m in found)
