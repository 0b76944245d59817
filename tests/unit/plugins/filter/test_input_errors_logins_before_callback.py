# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The switches that turn callback-only off are refused unless the insecure switch is set."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.dialin.callback.plugins.filter.input_errors import input_errors

INSECURE = 'mgetty_insecure_logins_before_callback'
# The mgetty role's variables with their defaults (as in test_input_errors.py).
GOOD = {
    'mgetty_ports': [{'device': 'ttyS1', 'link': 'modem', 'local_ip': '192.168.1.1', 'remote_ip': '192.168.1.2'}],
    'mgetty_login_config_version': 2, 'mgetty_callback_only': True, INSECURE: False,
    'mgetty_refuse_program': '/bin/false', 'mgetty_autoppp_args': ['auth', '-chap', '+pap', 'login', 'nodetach'],
    'mgetty_port_mode': '0660', '_respawn_method': 'systemd', '_service_mgr': 'systemd',
    '_modem_types': ['hayes', 'usrobotics'], '_consoles': [],
}


def with_changes(role, **changes):
    assert role == 'mgetty'
    values = dict(GOOD)
    values.update(changes)
    return values


@pytest.mark.parametrize('changes, words', [
    ({'mgetty_login_config_version': 1, 'mgetty_callback_only': False},
     ['mgetty_login_config_version 1', 'server_login_config_version', 'no callback column', INSECURE,
      'server_insecure_logins_before_callback', 'set it to 2']),
    # mgetty_callback_only's default follows the version: "1" and false are what a bare version 1 gives.
    ({'mgetty_login_config_version': '1', 'mgetty_callback_only': False}, ['mgetty_login_config_version 1']),
    ({'mgetty_callback_only': False},
     ['mgetty_callback_only false', 'server_callback_only', INSECURE, 'server_insecure_logins_before_callback',
      'set it to true']),
    ({'mgetty_callback_only': 'false'}, ['mgetty_callback_only false']),
    ({'mgetty_callback_only': False, INSECURE: False}, ['mgetty_callback_only false']),
    # Only a real boolean: "true" in quotes is refused (it may come from a quoted "false" elsewhere).
    ({'mgetty_callback_only': False, INSECURE: 'true'}, [INSECURE, 'not quoted', '"true"']),
])
def test_callback_only_off_is_refused_naming_the_variable(changes, words):
    errors = input_errors(with_changes('mgetty', **changes), 'mgetty')
    assert len(errors) == 1, errors
    for word in words:
        assert word in errors[0], errors


@pytest.mark.parametrize('changes', [
    {'mgetty_login_config_version': 1, 'mgetty_callback_only': False, INSECURE: True},
    {'mgetty_callback_only': False, INSECURE: True},
    # The switch alone changes nothing: callback-only stays on.
    {INSECURE: True},
    {INSECURE: False},
])
def test_callback_only_off_is_accepted_with_the_insecure_switch(changes):
    assert input_errors(with_changes('mgetty', **changes), 'mgetty') == []


def test_callback_only_with_version_1_keeps_its_own_message():
    errors = input_errors(with_changes('mgetty', mgetty_login_config_version=1, mgetty_callback_only=True), 'mgetty')
    assert errors == ['mgetty_callback_only needs mgetty_login_config_version 2.']


def test_a_bad_version_gives_one_message():
    errors = input_errors(with_changes('mgetty', mgetty_login_config_version=3, mgetty_callback_only=False), 'mgetty')
    assert len(errors) == 1 and 'must be 1 or 2' in errors[0], errors
