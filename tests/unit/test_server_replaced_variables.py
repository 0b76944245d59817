"""The server role warns when the inventory sets a step role's variable that roles/server/vars/main.yml
sets from the server's own (role variables outrank the inventory, so that value is never used).
ansible-playbook runs the server role's checks (tasks_from: validate, check mode) on this machine."""
import os
import re
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
SERVER = {
    'ansible_connection': 'local',
    'ansible_python_interpreter': sys.executable,
    'server_ports': [{'device': 'ttyS1', 'local_ip': '192.168.1.1', 'remote_ip': '192.168.1.2'}],
    'server_callback_users': [{'name': 'call', 'number': '123456'}],
    'server_ppp_users': [{'name': 'pppuser', 'password': 'unit-secret-1'}],
    'server_kernel_ppp_required': False,
    'server_verify_ports': False,
}
TASK = 'Warn about step role variables of the inventory that the server role replaces'


def collections_path():
    """The folder above ansible_collections/dialin/callback on sys.path (tests/unit/conftest.py)."""
    for entry in sys.path:
        if os.path.isdir(os.path.join(entry, 'ansible_collections', 'dialin', 'callback', 'roles', 'server')):
            return entry
    raise AssertionError('the collection is not on sys.path')


def warning(tmp_path, host_vars, *args):
    """The warning task's message, or None when it was skipped."""
    (tmp_path / 'inventory.yml').write_text(yaml.safe_dump({'callback_servers': {'hosts': {'localhost': host_vars}}}))
    (tmp_path / 'play.yml').write_text(yaml.safe_dump(PLAY))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path(), ANSIBLE_NOCOLOR='1',
               ANSIBLE_STDOUT_CALLBACK='default', ANSIBLE_CALLBACK_RESULT_FORMAT='json',
               ANSIBLE_LOCAL_TEMP=str(tmp_path / 'ansible-tmp'), ANSIBLE_REMOTE_TEMP=str(tmp_path / 'ansible-tmp'))
    command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', 'inventory.yml', 'play.yml',
               '--check'] + list(args)
    run = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, check=False,
                         cwd=str(tmp_path))
    # The later checks of this machine decide the exit status; the warning task runs before them.
    section = re.search(r'TASK \[dialin\.callback\.server : %s\] \*+\n(.*?)\n\n' % re.escape(TASK), run.stdout, re.S)
    assert section, run.stdout + run.stderr
    if section.group(1).startswith('skipping:'):
        return None
    message = re.search(r'"msg": "(.*)"', section.group(1))
    assert message, section.group(1)
    return message.group(1)


def test_inventory_values_the_server_role_replaces_are_named_with_the_server_variable_to_set(tmp_path):
    host_vars = dict(SERVER, modem_ports=[{'device': 'ttyS9'}], mgetty_respawn='inittab',
                     # What the server role would set: no warning for it.
                     callback_ports=['ttyS1'],
                     # Also an extra variable below, which outranks role variables: used, no warning.
                     mgetty_ports=[{'device': 'ttyS9'}])
    message = warning(tmp_path, host_vars, '-e', '{"mgetty_ports": [{"device": "ttyS9"}]}')
    assert message is not None
    assert message.startswith('WARNING: the inventory sets modem_ports, mgetty_respawn, which the server role sets')
    assert 'Set server_ports (modem_ports); server_mgetty_respawn (mgetty_respawn) instead.' in message
    assert 'callback_ports' not in message and 'mgetty_ports' not in message


def test_no_warning_when_the_inventory_sets_only_server_variables(tmp_path):
    assert warning(tmp_path, dict(SERVER)) is None
