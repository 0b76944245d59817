# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""playbooks/status.yml run on the controller against itself (local connection, no become) and a
server whose Python does not exist: the report's files rendered by ansible.builtin.template, the
failing server in it, changed=0; check mode writes nothing; a bad threshold stops the run naming
the variable. The figures of a real server's lines: tests/unit/plugins/filter/test_status_report.py
and the Molecule rollout scenario."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import re
import subprocess
import sys

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLAYBOOK = os.path.join(REPO_ROOT, 'playbooks', 'status.yml')


def collections_path():
    """The folder above ansible_collections/dialin/callback on sys.path (tests/unit/conftest.py)."""
    for entry in sys.path:
        if os.path.isdir(os.path.join(entry, 'ansible_collections', 'dialin', 'callback', 'playbooks')):
            return entry
    raise AssertionError('the collection is not on sys.path')


def run(tmp_path, out, *args):
    inventory = tmp_path / 'inventory.ini'
    inventory.write_text(
        '[callback_servers]\n'
        'dialin-here ansible_connection=local ansible_become=false ansible_python_interpreter=%s\n'
        'dialin-broken ansible_connection=local ansible_become=false '
        'ansible_python_interpreter=/nonexistent/python3\n' % sys.executable)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path(), ANSIBLE_NOCOLOR='1',
               ANSIBLE_STDOUT_CALLBACK='default', ANSIBLE_LOCAL_TEMP=str(tmp_path / 'ansible-tmp'),
               ANSIBLE_REMOTE_TEMP=str(tmp_path / 'ansible-tmp'))
    command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', str(inventory), PLAYBOOK,
               '-e', 'status_dir=%s' % out, '-e', 'status_json=true'] + list(args)
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, check=False,
                          cwd=str(tmp_path))


def changed(stdout):
    return dict((host, int(count)) for host, count in re.findall(r'(?m)^(\S+)\s*: ok=\d+\s+changed=(\d+)', stdout))


@pytest.fixture(scope='module')
def report(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp('status')
    out = tmp_path / 'report'
    result = run(tmp_path, out)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    return {'tmp': tmp_path, 'out': out, 'run': result}


def test_the_report_is_written_from_the_templates_and_nothing_changes(report):
    assert changed(report['run'].stdout) == {'dialin-here': 0, 'dialin-broken': 0}
    assert sorted(p.name for p in report['out'].iterdir()) == ['status.html', 'status.json', 'status.md']
    data = json.loads((report['out'] / 'status.json').read_text())
    servers = {s['host']: s for s in data['servers']}
    assert servers['dialin-here']['ok'] is True and servers['dialin-broken']['ok'] is False
    assert data['summary']['servers'] == 2 and data['summary']['servers_unreachable'] == 1
    assert data['summary']['thresholds'] == {'status_warn_gate_refusals': 3, 'status_warn_unknown_logins': 3,
                                             'status_warn_pap_failures': 3}
    html = (report['out'] / 'status.html').read_text()
    md = (report['out'] / 'status.md').read_text()
    # The failing server first (CRITICAL), in both documents, with its error.
    assert re.search(r'<tr class="CRITICAL"><td>dialin-broken</td>', html)
    rows = re.findall(r'(?m)^\| (dialin-\w+) \| [^|]* \| ([^|]*?) \| (\w+) \|', md)
    assert rows[0] == ('dialin-broken', 'unreachable', 'CRITICAL'), rows
    assert '<script' not in html and not re.search(r'(src|href)\s*=', html)
    assert re.search(r'Generated \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d', md)


def test_check_mode_writes_nothing_and_changes_nothing(report):
    out = report['tmp'] / 'checked'
    result = run(report['tmp'], out, '--check')
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert changed(result.stdout) == {'dialin-here': 0, 'dialin-broken': 0}
    assert not out.exists()


@pytest.mark.parametrize('variable', ['status_warn_gate_refusals', 'status_warn_unknown_logins',
                                      'status_warn_pap_failures'])
def test_a_bad_threshold_stops_the_run_naming_the_variable(report, variable):
    out = report['tmp'] / ('bad-' + variable)
    result = run(report['tmp'], out, '-e', '%s=-2' % variable)
    assert result.returncode == 2
    assert "%s: '-2' is not a whole number of 0 or more" % variable in result.stdout + result.stderr
    assert not out.exists()
