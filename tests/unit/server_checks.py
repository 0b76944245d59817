"""The server role's checks (tasks_from: validate) run for real with ansible-playbook --check on
localhost, for the unit tests that read what they say."""
import os
import subprocess
import sys

import yaml

PLAY = [{
    'name': 'The server role checks',
    'hosts': 'callback_servers',
    'gather_facts': False,
    'tasks': [{'name': 'Run the server checks',
               'ansible.builtin.import_role': {'name': 'dialin.callback.server', 'tasks_from': 'validate'}}],
}]


def collections_path():
    """The folder above ansible_collections/dialin/callback on sys.path (tests/unit/conftest.py)."""
    for entry in sys.path:
        if os.path.isdir(os.path.join(entry, 'ansible_collections', 'dialin', 'callback', 'roles', 'server')):
            return entry
    raise AssertionError('the collection is not on sys.path')


def run_server_checks(tmp_path, inventory, *args):
    """ansible-playbook --check of PLAY with ``inventory`` (YAML text) in tmp_path; the CompletedProcess."""
    (tmp_path / 'inventory.yml').write_text(inventory)
    (tmp_path / 'play.yml').write_text(yaml.safe_dump(PLAY))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path(), ANSIBLE_NOCOLOR='1',
               ANSIBLE_STDOUT_CALLBACK='default', ANSIBLE_CALLBACK_RESULT_FORMAT='json',
               ANSIBLE_LOCAL_TEMP=str(tmp_path / 'ansible-tmp'), ANSIBLE_REMOTE_TEMP=str(tmp_path / 'ansible-tmp'))
    command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', 'inventory.yml', 'play.yml',
               '--check'] + list(args)
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, check=False,
                          cwd=str(tmp_path))
