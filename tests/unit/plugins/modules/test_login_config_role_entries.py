# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The login.config the mgetty role writes: its login_config task (roles/mgetty/tasks/login_config.yml),
its arguments rendered by Ansible's templating from the role's defaults and vars, run on a file.

mgetty runs /bin/login <name> when no line matches (login.c's fallthrough), so without the fallback
the role must write a refusing catch-all line, never leave the name unmatched.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

import pytest
import yaml

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
from ansible_collections.dialin.callback.plugins.filter.input_errors import input_errors
from ansible_collections.dialin.callback.plugins.modules import callback_user, login_config
from ansible_collections.dialin.callback.tests.unit.plugins.modules.managed_file import managed_file, run_on_path

try:
    from ansible.template import trust_as_template
except ImportError:  # pragma: no cover - ansible-core < 2.19 templates every string
    def trust_as_template(value):
        return value

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
REFUSE = '/bin/false'
DEBIAN = (
    "# login.config\n"
    "\n"
    "/AutoPPP/ -\ta_ppp\t/usr/sbin/pppd auth -chap +pap login debug\n"
    "*\t-\t-\t/bin/login @\n"
)


def _load(path):
    with open(os.path.join(ROOT, path)) as f:
        return yaml.safe_load(f)


# Debian 13's values: those of vars/main.yml, no platform file.
LOGIN = _load('roles/mgetty/vars/main.yml')['__mgetty_platform_defaults']['__mgetty_login_program']


def _trusted(value):
    """Strings as Ansible trusts the role's own files: templated when used."""
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, list):
        return [_trusted(v) for v in value]
    if isinstance(value, dict):
        return dict((k, _trusted(v)) for k, v in value.items())
    return value


def role_variables(server=False, **overrides):
    """The mgetty role's variables as its tasks see them: defaults, the inventory's *overrides*, the
    server role's mapping (with server=True) and the role's vars (Debian 13's: no platform file)."""
    layers = [_load('roles/mgetty/defaults/main.yml')]
    if server:
        layers.append(_load('roles/server/defaults/main.yml'))
    layers.append(overrides)
    if server:
        layers.append(_load('roles/server/vars/main.yml'))
    layers.append(_load('roles/mgetty/vars/main.yml'))
    variables = {}
    for layer in layers:
        variables.update(_trusted(layer))
    # Debian 13: no platform file, the platform values are vars/main.yml's defaults.
    variables['__mgetty_platform'] = variables['__mgetty_platform_defaults']
    return variables


def render(variables, value):
    return Templar(loader=DataLoader(), variables=variables).template(_trusted(value))


def task_args(variables, name='Write the /AutoPPP/ and fallback entries of login.config'):
    """The login_config module's arguments of the role's task *name*, rendered."""
    tasks = _load('roles/mgetty/tasks/login_config.yml')
    task = [t for t in tasks if t['name'] == name][0]
    return render(variables, task['dialin.callback.login_config'])


def run_role_task(run_module, path, check_mode=False, **overrides):
    args = task_args(role_variables(**overrides))
    args.pop('path')
    return run_on_path(run_module, login_config.main, path, check_mode, **args)


def catch_all(path):
    return [line for line in path.read_text().splitlines() if line.startswith('*')]


# version, callback_only, fallback: the "*" lines the role writes.
CATCH_ALL = [
    (2, True, True, ['*\tY\t-\t-\t%s\t@' % LOGIN, '*\tN\t-\t-\t%s' % REFUSE]),
    (2, True, False, ['*\t-\t-\t-\t%s' % REFUSE]),
    (2, False, True, ['*\t-\t-\t-\t%s\t@' % LOGIN]),
    (2, False, False, ['*\t-\t-\t-\t%s' % REFUSE]),
    (1, False, True, ['*\t-\t-\t%s\t@' % LOGIN]),
    (1, False, False, ['*\t-\t-\t%s' % REFUSE]),
]


@pytest.mark.parametrize('version, callback_only, fallback, expected', CATCH_ALL)
def test_the_catch_all_lines(run_module, tmp_path, version, callback_only, fallback, expected):
    path = managed_file(tmp_path / 'login.config', DEBIAN, 0o600)
    overrides = dict(mgetty_login_config_version=version, mgetty_callback_only=callback_only,
                     mgetty_login_fallback=fallback, mgetty_insecure_logins_before_callback=not callback_only)
    res = run_role_task(run_module, path, **overrides)
    assert not res.failed, res
    assert catch_all(path) == expected
    again = run_role_task(run_module, path, **overrides)
    assert not again.failed and not again['changed'], again


@pytest.mark.parametrize('version, callback_only', [(2, True), (2, False), (1, False)])
def test_no_fallback_replaces_the_login_line_with_a_refusal(run_module, tmp_path, version, callback_only):
    """Turning the fallback off on a converged host leaves no line that runs /bin/login, and a
    name no line matches still meets a refusal (mgetty would otherwise run /bin/login for it)."""
    path = managed_file(tmp_path / 'login.config', DEBIAN, 0o600)
    overrides = dict(mgetty_login_config_version=version, mgetty_callback_only=callback_only,
                     mgetty_insecure_logins_before_callback=not callback_only)
    assert not run_role_task(run_module, path, **overrides).failed
    res = run_role_task(run_module, path, mgetty_login_fallback=False, **overrides)
    assert not res.failed, res
    assert LOGIN not in path.read_text()
    lines = catch_all(path)
    assert len(lines) == 1 and lines[0].split()[-1] == REFUSE
    # Matched before and after a callback alike.
    assert version == 1 or lines[0].split()[1] == '-'


@pytest.mark.parametrize('fallback', [True, False])
def test_callback_entries_come_before_the_catch_all(run_module, tmp_path, fallback):
    path = managed_file(tmp_path / 'login.config', DEBIAN, 0o600)
    assert not run_role_task(run_module, path, mgetty_login_fallback=fallback).failed
    res = run_on_path(run_module, callback_user.main, path, name='call', number='123456',
                      program_args=[], lines=[])
    assert not res.failed, res
    assert not run_role_task(run_module, path, mgetty_login_fallback=fallback)['changed']
    names = [line.split()[0] for line in path.read_text().splitlines() if line and not line.startswith('#')
             and not line.startswith('!')]
    assert names.index('call') < names.index('*')
    assert 'call\tN\t-\t-\t/usr/sbin/callback\t-S\t123456' in path.read_text()


def test_the_default_is_callback_only_without_a_warning(run_module, tmp_path):
    path = managed_file(tmp_path / 'login.config', DEBIAN, 0o600)
    assert render(role_variables(), '{{ __mgetty_insecure_reason }}') == ''
    res = run_role_task(run_module, path)
    assert not res.failed, res
    assert not res.get('warnings'), res
    assert path.read_text().startswith('# login.config\n\n!version 2\n')


@pytest.mark.parametrize('overrides, words', [
    (dict(mgetty_login_config_version=1), ['mgetty_login_config_version 1', 'no callback column']),
    (dict(mgetty_callback_only=False), ['mgetty_callback_only false']),
])
@pytest.mark.parametrize('check_mode', [False, True])
def test_logins_before_a_callback_warn_on_every_run(run_module, tmp_path, overrides, words, check_mode):
    path = managed_file(tmp_path / 'login.config', DEBIAN, 0o600)
    overrides = dict(overrides, mgetty_insecure_logins_before_callback=True)
    for run in range(2):
        res = run_role_task(run_module, path, check_mode=check_mode, **overrides)
        assert not res.failed, res
        warnings = [w for w in res.get('warnings', []) if 'before any callback' in w]
        assert len(warnings) == 1, res
        for word in words + [str(path), 'mgetty_insecure_logins_before_callback',
                             'server_insecure_logins_before_callback']:
            assert word in warnings[0]
    # The second run changed nothing (in check mode, nothing was written either time).
    assert res['changed'] == check_mode


def test_check_mode_on_a_host_without_mgetty_warns_and_writes_nothing(run_module, tmp_path):
    """A check-mode run on a host without mgetty yet: no login.config, not even its directory. The
    role's one task shows the file it would write and the warning, and writes nothing."""
    variables = role_variables(mgetty_login_config_version=1, mgetty_insecure_logins_before_callback=True)
    args = task_args(variables)
    args['path'] = str(tmp_path / 'mgetty' / 'login.config')
    res = run_module(login_config.main, args, check_mode=True)
    assert not res.failed, res
    assert res['changed']
    assert '/AutoPPP/' in res['diff']['after'] and res['diff']['before'] == '', res
    assert any('before any callback' in w for w in res.get('warnings', [])), res
    assert not os.path.exists(tmp_path / 'mgetty')


def validate(variables):
    """The mgetty role's validate.yml check, with the values its task passes."""
    values = dict((k, render(variables, '{{ %s }}' % k)) for k in (
        'mgetty_ports', 'mgetty_login_config_version', 'mgetty_callback_only',
        'mgetty_insecure_logins_before_callback', 'mgetty_refuse_program', 'mgetty_autoppp_args',
        'mgetty_port_mode'))
    values.update(_respawn_method='systemd', _service_mgr='systemd', _consoles=[])
    return input_errors(values, 'mgetty')


@pytest.mark.parametrize('server', [False, True])
def test_the_defaults_validate(server):
    assert validate(role_variables(server=server)) == []


@pytest.mark.parametrize('overrides, words', [
    (dict(mgetty_login_config_version=1), ['mgetty_login_config_version 1']),
    (dict(mgetty_callback_only=False), ['mgetty_callback_only false']),
])
def test_the_mgetty_role_refuses_callback_only_off(overrides, words):
    errors = validate(role_variables(**overrides))
    assert len(errors) == 1 and all(w in errors[0] for w in words), errors
    assert validate(role_variables(mgetty_insecure_logins_before_callback=True, **overrides)) == []


@pytest.mark.parametrize('overrides, words', [
    (dict(server_login_config_version=1), ['server_login_config_version']),
    (dict(server_callback_only=False), ['server_callback_only']),
])
def test_the_server_role_passes_its_insecure_switch(overrides, words):
    errors = validate(role_variables(server=True, **overrides))
    assert len(errors) == 1 and all(w in errors[0] for w in words + ['server_insecure_logins_before_callback']), errors
    variables = role_variables(server=True, server_insecure_logins_before_callback=True, **overrides)
    assert render(variables, '{{ mgetty_insecure_logins_before_callback }}') is True
    assert validate(variables) == []
    # The inventory's mgetty_ variable does not count under the server role: its mapping wins.
    variables = role_variables(server=True, mgetty_insecure_logins_before_callback=True, **overrides)
    assert len(validate(variables)) == 1
