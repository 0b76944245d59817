"""State of the fleet after playbooks/rollout.yml (Molecule scenario rollout).

dialin-rollout-2 has no modem: it failed pre-flight and must be exactly as before the rollout.
dialin-rollout-1 and dialin-rollout-3 must be converged callback servers with the fleet's,
their site's and their own users, and PAP secrets decrypted from the example vault.
"""

import re
import shlex
import time

import pytest

LOGIN_CONFIG = "/etc/mgetty/login.config"
CALLBACK_GATE = "/usr/local/lib/dialin-callback/callback-gate"
# Users of each converged server: fleet-wide + site + host (inventories/fleet + host_vars/).
CALLBACK_USERS = {
    "dialin-rollout-1": {"helpdesk": ["0W5550100"], "parisops": ["0W5550200"],
                         "alice": ["-l", "ttyS1", "5550123"]},
    "dialin-rollout-3": {"helpdesk": ["0W5550100"], "lyonops": ["0W5550300"],
                         "bob": ["5550456"]},
}
# The example vault's test-only secrets (tests/fleet/vault-password).
PAP_SECRETS = {
    "dialin-rollout-1": {"fieldeng": "fleet PAP secret #1", "parisppp": "paris PAP secret #2"},
    "dialin-rollout-3": {"fieldeng": "fleet PAP secret #1", "lyonppp": "lyon PAP secret #3"},
}


def name(host):
    return host.backend.get_hostname()


# The server that failed pre-flight: untouched.

def test_failed_server_is_exactly_as_before(bad):
    # The same script as prepare.yml ran (molecule/shared/snapshot.sh, copied there).
    diff = bad.run("bash /root/dialin-snapshot.sh | diff -u /root/snapshot-before-rollout -")
    assert diff.rc == 0, diff.stdout + diff.stderr


@pytest.mark.parametrize("path", [
    LOGIN_CONFIG,
    "/etc/mgetty/mgetty.config",
    "/etc/udev/rules.d/70-dialin-callback-modem.rules",
    "/etc/systemd/system/mgetty@.service",
    "/etc/sysctl.d/60-dialin-callback.conf",
    "/etc/ppp/pap-secrets",
])
def test_failed_server_has_none_of_the_collections_files(bad, path):
    assert not bad.file(path).exists


def test_failed_server_has_no_mgetty(bad):
    assert not bad.package("mgetty").is_installed
    assert bad.run("pgrep --exact mgetty").rc == 1


# The converged servers.

def mgetty_command_lines(host, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        lines = host.run("pgrep --exact --list-full mgetty").stdout.splitlines()
        if lines or time.monotonic() > deadline:
            return [line.split(None, 1)[1] for line in lines]
        time.sleep(1)


def test_mgetty_runs_on_the_port(good):
    # Debian 13 has merged /usr: mgetty is /usr/sbin/mgetty there (the mgetty role's platform vars).
    binary = "/usr/sbin/mgetty" if good.system_info.release.startswith("13") else "/sbin/mgetty"
    assert mgetty_command_lines(good) == [binary + " ttyS1"]
    service = good.service("mgetty@ttyS1")
    assert service.is_running
    assert service.is_enabled


def test_login_config_is_root_0600_with_every_callback_user(good):
    f = good.file(LOGIN_CONFIG)
    assert (f.user, f.mode) == ("root", 0o600)
    entries = [line.split() for line in f.content_string.splitlines()
               if line.strip() and not line.lstrip().startswith("#")]
    # The default format is version 2: the callback entries carry N (never right after a callback).
    assert entries[0] == ["!version", "2"]
    callback = {}
    for e in entries:
        # The entries run the callback rate limit's gate with the pseudo-login (@), never callback itself.
        assert "/usr/sbin/callback" not in e, e
        if CALLBACK_GATE in e:
            assert e[1] == "N", e
            assert e[e.index(CALLBACK_GATE) + 1] == "@", e
            args = e[e.index(CALLBACK_GATE) + 2:]
            callback[e[0]] = args if args[0] == "-l" else args[1:]
    assert callback == CALLBACK_USERS[name(good)]


def test_pap_secrets_has_the_vault_secrets(good):
    f = good.file("/etc/ppp/pap-secrets")
    assert (f.user, f.mode) == ("root", 0o600)
    content = f.content_string
    for client, secret in PAP_SECRETS[name(good)].items():
        assert re.search(rf'^{client}\s+\*\s+"{re.escape(secret)}"', content, re.M), client
    assert "$ANSIBLE_VAULT" not in content


def test_a_call_gets_the_login_prompt(good):
    script = ["send", r"ATZ\r", "expect", "OK", "send", r"ATD100\r",
              "expect", "CONNECT", "expect", "login:"]
    cmd = ["python3", "/usr/local/lib/dialin-test/caller.py", "--line", "/run/modememu/caller",
           "--timeout", "60"] + script
    result = good.run(" ".join(shlex.quote(a) for a in cmd))
    assert result.rc == 0, result.stdout + result.stderr
    assert "login:" in result.stdout
