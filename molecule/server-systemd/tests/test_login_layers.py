"""Root's and a local user's password after a callback: each of the two PAM layers alone refuses.

After a callback, login.config (version 2, the default) runs login for any name: only PAM stands
between the caller and a shell. Two layers in common-account refuse everyone but the PPP accounts on
a dial-in line: pam_access (the rules file) and the callback check (pam_exec running called-back,
"not a PPP account"). Each test takes one layer away for its length, makes a real callback on the
test modem's line and types the password at the login prompt mgetty shows after it: the other layer
alone still refuses, and its own line in the logs says which one did. The control takes both away:
root's password then gets a shell on the line, so the refusals are the layers' doing.

The tests use the shared tests' line pacing (conftest.py's paced_line: init's respawn limit) and
their caller (test_access.py); each has its own pseudo-login (group_vars: the rate limit counts
callbacks per pseudo-login).
"""

import pathlib
import sys

import pytest

# The shared tests' caller and line pacing (molecule/shared/tests, run in the same session).
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "shared" / "tests"))
from conftest import paced_line  # noqa: F401,E402  pylint: disable=unused-import,wrong-import-position
from test_access import (LOCAL_PASSWORD, LOCAL_USER, ROOT_PASSWORD, SHELL_ANSWER, SHELL_PROBE,
                         call_back_and_log_in, log_mark, logs_since)  # noqa: E402  pylint: disable=wrong-import-position

ACCESS_FILE = "/etc/security/access-dialin-callback.conf"
CALLED_BACK = "/usr/local/lib/dialin-callback/called-back"
SAVED = "/root/dialin-layers.saved"
# Each layer as the test takes it away, and the line it logs when it refuses {user} on ttyS1.
LAYERS = {
    # Every line allowed: pam_access returns success.
    "pam_access": (f"printf '+ : ALL : ALL\\n' > {ACCESS_FILE}",
                   "access denied for user `{user}' from `ttyS1'"),
    # The check says yes to everything: pam_exec returns success.
    "callback check": (f"printf '#!/bin/sh\\nexit 0\\n' > {CALLED_BACK}",
                       "login refused: service=login user={user} line=ttyS1: not a PPP account"),
}
USERS = {"root": ("root", ROOT_PASSWORD, "calllayerroot"),
         "local user": (LOCAL_USER, LOCAL_PASSWORD, "calllayerlocal")}


def sh(host, command):
    result = host.run(command)
    assert result.rc == 0, f"{command}\n{result.stdout}{result.stderr}"
    return result


@pytest.fixture
def take_away(host):
    """Take the named layers away (their files replaced) until the test ends."""
    taken = []

    def remove(*layers):
        for layer in layers:
            path = ACCESS_FILE if layer == "pam_access" else CALLED_BACK
            sh(host, f"mkdir -p {SAVED} && cp -p {path} {SAVED}/")
            taken.append(path)
            sh(host, LAYERS[layer][0])

    yield remove
    for path in taken:
        sh(host, f"cp -p {SAVED}/{path.rsplit('/', 1)[1]} {path}")
    host.run(f"rm -rf {SAVED}")


@pytest.mark.usefixtures("paced_line")
@pytest.mark.line_calls(callbacks=1)
@pytest.mark.parametrize("who", sorted(USERS))
@pytest.mark.parametrize("left", sorted(LAYERS))
def test_one_layer_alone_refuses_a_password_after_a_callback(host, take_away, left, who):
    user, password, pseudo_login = USERS[who]
    taken = next(layer for layer in LAYERS if layer != left)
    take_away(taken)
    mark = log_mark(host)
    # The probe after the password: only a shell would answer it.
    result = call_back_and_log_in(host, pseudo_login, user, password, ["send", SHELL_PROBE, "expect", "NO CARRIER"])
    assert result.rc == 0, result.stdout + result.stderr
    # The password was right: PAM's account stack refused, and no shell answered the probe.
    assert "Login incorrect" not in result.stdout, result.stdout
    assert SHELL_ANSWER not in result.stdout, result.stdout
    logs = logs_since(host, mark)
    assert LAYERS[left][1].format(user=user) in logs, logs
    # The layer taken away logged nothing: the refusal is the one left's alone.
    assert LAYERS[taken][1].format(user=user) not in logs, logs


@pytest.mark.usefixtures("paced_line")
@pytest.mark.line_calls(callbacks=1)
def test_control_without_both_layers_root_gets_a_shell_after_a_callback(host, take_away):
    take_away(*LAYERS)
    try:
        # login flushes what was typed before the shell ran: the probe again at root's prompt.
        result = call_back_and_log_in(host, "calllayerctl", "root", ROOT_PASSWORD,
                                      ["send", SHELL_PROBE, "expect", ":~# ", "send", SHELL_PROBE,
                                       "expect", SHELL_ANSWER, "send", r"exit\r", "expect", "NO CARRIER"])
    finally:
        # A shell the caller did not end would hold the line for the tests after this one (the
        # line's pty is the only terminal in the container).
        host.run("for t in $(ps -eo tty= | sort -u | grep -v '?'); do pkill -KILL -t \"$t\"; done")
    assert result.rc == 0, result.stdout + result.stderr
    assert SHELL_ANSWER in result.stdout, result.stdout
