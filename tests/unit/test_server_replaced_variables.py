"""The server role warns when the inventory sets a step role's variable that roles/server/vars/main.yml
sets from the server's own (role variables outrank the inventory, so that value is never used).
ansible-playbook runs the server role's checks (tasks_from: validate, check mode) on this machine."""
import re
import sys

import yaml

from ansible_collections.dialin.callback.tests.unit.server_checks import run_server_checks

SERVER = {
    'ansible_connection': 'local',
    'ansible_python_interpreter': sys.executable,
    'server_ports': [{'device': 'ttyS1', 'local_ip': '192.168.1.1', 'remote_ip': '192.168.1.2'}],
    'server_callback_users': [{'name': 'call', 'number': '123456'}],
    'server_ppp_users': [{'name': 'pppuser', 'password': 'unit-secret-1'}],
    'server_kernel_ppp_required': False,
    'server_verify_ports': False,
    # So that the check passes on any machine (its service manager, its interfaces).
    'server_mgetty_respawn': 'none',
    'server_lan_interfaces': ['eth0'],
}
TASK = "Check the platform and every step's settings, stop on all their problems at once, and warn"


def check_output(tmp_path, host_vars, *args):
    """What the server's check task printed: its message when it passed, its error when it failed."""
    run = run_server_checks(tmp_path, yaml.safe_dump({'callback_servers': {'hosts': {'localhost': host_vars}}}), *args)
    section = re.search(r'TASK \[dialin\.callback\.server : %s\] \*+\n(.*?)\n\n' % re.escape(TASK), run.stdout, re.S)
    assert section, run.stdout + run.stderr
    return section.group(1)


def warning(tmp_path, host_vars, *args):
    """The check's message when it passed, or None when it passed quietly (no message: no warning)."""
    output = check_output(tmp_path, host_vars, *args)
    assert output.startswith('ok:'), output
    message = re.search(r'"msg": "(.*)"', output)
    return message.group(1) if message else None


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


def test_the_warning_is_also_given_when_the_checks_fail(tmp_path):
    host_vars = dict(SERVER, mgetty_respawn='inittab', server_lan_interfaces=[])
    output = check_output(tmp_path, host_vars)
    assert 'server_lan_interfaces must name the LAN interfaces' in output, output
    assert ('WARNING: the inventory sets mgetty_respawn, which the server role sets itself' in output
            and 'Set server_mgetty_respawn (mgetty_respawn) instead.' in output), output
