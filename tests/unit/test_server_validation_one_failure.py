"""The server role's checks report every step role's problems in one failure, each naming the server_*
variable the user set, and a number that YAML read as a number says to quote it. ansible-playbook runs
the checks (tasks_from: validate, check mode: nothing written) on this machine, from an inventory
written as a user writes it (number: 0123456 unquoted)."""
import json
import re
import sys

from ansible_collections.dialin.callback.tests.unit.server_checks import run_server_checks

# A bad callback number (the callback role's check) and a bad PPP address (the ppp_server role's),
# each of which alone stopped the run at its own step, naming the step role's variable.
INVENTORY = '''
callback_servers:
  hosts:
    localhost:
      ansible_connection: local
      ansible_python_interpreter: %s
      server_ports: [{device: ttyS1, local_ip: 192.168.1.1, remote_ip: 192.168.1.2}]
      server_callback_users:
        - {name: call, number: 0123456}
      server_ppp_users:
        - {name: pppuser, password: unit-secret-1, addresses: [10.0.0.300]}
      server_lan_interfaces: [eth0]
      server_mgetty_respawn: none
      server_kernel_ppp_required: false
      server_verify_ports: false
'''


def test_the_server_role_reports_every_step_problem_once_naming_the_server_variables(tmp_path):
    run = run_server_checks(tmp_path, INVENTORY % json.dumps(sys.executable))
    output = run.stdout + run.stderr
    assert run.returncode == 2, output
    # One failure, at the server role's one check of every step (no step role's own check runs).
    assert re.search(r'localhost\s+: ok=\d+\s+changed=0\s+unreachable=0\s+failed=1\s', run.stdout), output
    failures = re.findall(r'TASK \[([^\]]+)\] \*+\n(?:(?!TASK \[).)*?fatal: \[localhost\]: FAILED! => (\{.*\})', run.stdout,
                          re.S)
    assert [task for task, result in failures] == [
        "dialin.callback.server : Check the platform and every step's settings, stop on all their problems at"
        " once, and warn"], output
    for role in ('modem', 'ppp_server', 'ip_forward', 'mgetty', 'callback'):
        assert 'TASK [dialin.callback.%s : Validate ' % role not in run.stdout, (role, output)
    # What the mgetty and callback roles' checks read from the host was read for the server's.
    assert "TASK [dialin.callback.mgetty : Read the kernel's consoles]" in run.stdout, output
    assert 'TASK [dialin.callback.callback : Read the local accounts]' in run.stdout, output
    message = json.loads(failures[0][1])['msg']
    assert message == (
        'server_ppp_users[0] ("pppuser"): addresses must be IPv4 addresses or * (got ["10.0.0.300"]).'
        ' server_callback_users[0] ("call"): number 42798 was read by YAML as a number (a leading 0 is octal in'
        ' YAML 1.1, and leading zeros and a leading + are lost): quote it as written, e.g. number: "42798", or'
        ' number: "0123456" if you wrote 0123456.'), message


def test_an_unsupported_platform_comes_first_in_the_server_role_s_one_failure(tmp_path):
    """Under the server role the platform is checked with everything else, before anything is written:
    a release outside the list (given as an extra variable) is the failure's first problem."""
    run = run_server_checks(tmp_path, INVENTORY % json.dumps(sys.executable), '-e', '{"__common_platforms": ["Debian_11"]}')
    output = run.stdout + run.stderr
    assert run.returncode == 2, output
    failures = re.findall(r'TASK \[([^\]]+)\] \*+\n(?:(?!TASK \[).)*?fatal: \[localhost\]: FAILED! => (\{.*\})', run.stdout,
                          re.S)
    assert len(failures) == 1 and failures[0][0].startswith('dialin.callback.server : Check the platform'), output
    message = json.loads(failures[0][1])['msg']
    assert re.match(r'dialin\.callback\.server supports Debian_11; this host runs \S+ \S+\. server_ppp_users\[0\]', message), message
