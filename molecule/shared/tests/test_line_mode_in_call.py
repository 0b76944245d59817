"""A converge during a call leaves the line's owner and mode to mgetty.

mgetty sets the line to mode 0600 once a caller has typed a name (then runs login, which gives the
line to the user who logs in); the modem role sets owner, group and mode only on an idle line. With
the real mgetty, callback and login on the test modem's line: a caller is called back, types the PPP
account's name after the callback and sits at login's password prompt while the scenario's converge
runs; the converge changes nothing, and the line is still 0600 with the call still up. login's
own timeout at that prompt (LOGIN_TIMEOUT in /etc/login.defs, 60 s, which the collection does not
manage) is raised for the call, so that it outlasts a converge, and put back after it.
"""

import os
import re
import shlex
import subprocess
import time

import pytest

TOP = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
CALLER = "/usr/local/lib/dialin-test/caller.py"
CALLER_LINE = "/run/modememu/caller"
CALLER_LOG = "/run/dialin-test-call-in-converge.log"
SERVER_NUMBER = "100"
# group_vars/callback_servers.yml: called back at the caller's line (-l ttyS1).
PSEUDO_LOGIN = "callus"
LOGIN_DEFS = "/etc/login.defs"
# login's timeout at its password prompt during the test: longer than a converge.
LOGIN_TIMEOUT = 280


def converge_playbook():
    """The scenario's converge: its own converge.yml (roles-alone), else the shared one."""
    own = os.path.join(os.environ.get("MOLECULE_SCENARIO_DIRECTORY", ""), "converge.yml")
    return own if os.path.isfile(own) else os.path.join(TOP, "molecule", "shared", "converge.yml")


def converge(host):
    """The scenario's converge against the container, through Mitogen where it is installed (the
    whole converge must fit in login's timeout); its output."""
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_STDOUT_CALLBACK="default")
    extra = []
    try:
        import ansible_mitogen
    except ImportError:
        pass
    else:
        plugins = os.path.join(os.path.dirname(ansible_mitogen.__file__), "plugins")
        env.update(ANSIBLE_STRATEGY="mitogen_linear",
                   ANSIBLE_STRATEGY_PLUGINS=os.path.join(plugins, "strategy"),
                   ANSIBLE_CONNECTION_PLUGINS=os.path.join(plugins, "connection"))
        extra = ["-e", "ansible_connection=mitogen_podman", "-e", f"ansible_host={host.backend.name}"]
    run = subprocess.run(
        ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], converge_playbook()] + extra,
        capture_output=True, text=True, env=env, timeout=300, check=False, cwd=TOP)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    return run.stdout


def line_mode(host):
    return host.run("stat -L -c %a /dev/ttyS1").stdout.strip()


@pytest.mark.usefixtures("paced_line")
@pytest.mark.line_calls(callbacks=1)
def test_a_converge_during_a_call_leaves_the_line_to_mgetty(host):
    # The budgets count every callback of the scenario's verify to this number and line: this
    # test's own callback must not be refused by them.
    host.run("rm -f /var/lib/dialin-callback/login/%s /var/lib/dialin-callback/number/* "
             "/var/lib/dialin-callback/line/* /var/lib/dialin-callback/server/*", PSEUDO_LOGIN)
    steps = ["send", r"ATZ\r", "expect", "OK", "send", rf"ATD{SERVER_NUMBER}\r", "expect", "CONNECT",
             "expect", "login:", "send", rf"{PSEUDO_LOGIN}\r", "expect", "NO CARRIER", "expect", "RING",
             "send", r"ATA\r", "expect", "CONNECT", "expect", "login:", "send", r"pppuser\r",
             "expect", "assword:", "sleep", "240"]
    cmd = ["python3", CALLER, "--line", CALLER_LINE, "--timeout", "300"] + steps
    login_defs = host.file(LOGIN_DEFS).content_string
    assert re.search(r"(?m)^LOGIN_TIMEOUT\s", login_defs)
    host.run("cp -p %s %s.dialin-test && sed -i 's/^LOGIN_TIMEOUT\\s.*/LOGIN_TIMEOUT %s/' %s",
             LOGIN_DEFS, LOGIN_DEFS, str(LOGIN_TIMEOUT), LOGIN_DEFS)
    caller = host.run(f"nohup {shlex.join(cmd)} > {CALLER_LOG} 2>&1 & echo $!")
    caller_pid = caller.stdout.strip()
    try:
        deadline = time.monotonic() + 120
        while "assword:" not in host.file(CALLER_LOG).content_string:
            assert time.monotonic() < deadline, host.file(CALLER_LOG).content_string
            assert host.run("kill -0 %s", caller_pid).rc == 0, host.file(CALLER_LOG).content_string
            time.sleep(0.5)
        at_prompt = time.monotonic()
        # mgetty set the line to 0600 when the name was typed (then ran login).
        assert line_mode(host) == "600"

        out = converge(host)
        took = time.monotonic() - at_prompt
        recap = re.search(r"(?m)^\S+\s+:\s+ok=.*$", out).group(0)
        mode_after = line_mode(host)
        log = host.file(CALLER_LOG).content_string
        assert "NO CARRIER" not in log.split("assword:", 1)[1], (
            f"the call ended during the converge ({took:.0f} s after the password prompt, login waits "
            f"{LOGIN_TIMEOUT} s): the test proves nothing\n{log}")
        assert re.search(r"\bchanged=0\b", recap) and re.search(r"\bfailed=0\b", recap), (
            recap + "\n" + "\n".join(line for line in out.splitlines() if line.startswith("changed:")))
        assert mode_after == "600", f"the converge set the line in a call to {mode_after}"
    finally:
        host.run("kill %s", caller_pid)
        host.run("mv %s.dialin-test %s", LOGIN_DEFS, LOGIN_DEFS)
        assert host.file(LOGIN_DEFS).content_string == login_defs
