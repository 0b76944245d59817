"""Each defence against ssh as a PPP account, alone: the others taken away, it still refuses.

The converged server has three: sshd's `DenyGroups` (refused before any authentication), the
drop-in's `Match Group` block (`ForceCommand /bin/false`, `DisableForwarding`), and pam_access in
common-account. Each test runs a second sshd of the server (port 2222, its own log) whose
configuration is the system's own (Debian's sshd_config and the other drop-ins) plus only the
part of the collection's drop-in under test, read from the installed file; pam_access is taken
away by giving its rules file an allow-all rule for the test's length. The control, with none of
the three, shows the attacks would work: the PPP account's password opens a forward to a LAN
service.
"""

import shlex

import pytest

import ssh_forward

PPP_USER, PPP_PASSWORD = "pppuser", "molecule secret #1"  # shared/group_vars
DROPIN = "/etc/ssh/sshd_config.d/dialin-callback.conf"
ACCESS_FILE = "/etc/security/access-dialin-callback.conf"
WORK = "/run/dialin-layers"
PORT = 2222
LAN_PORT, FORWARDED_PORT, LAN_SECRET = 18090, 18091, "lan-service-reached"
SSH = ["ssh", "-p", str(PORT), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
       "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR", "-o", "PreferredAuthentications=password",
       "-o", "PubkeyAuthentication=no", "-o", "NumberOfPasswordPrompts=1"]


def sh(host, script, check=True):
    result = host.run("bash -c " + shlex.quote(script))
    if check:
        assert result.rc == 0, f"{script}\n{result.stdout}{result.stderr}"
    return result


def dropin_parts(host):
    """The installed drop-in's DenyGroups line and its Match block."""
    text = host.file(DROPIN).content_string
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    deny = [ln for ln in lines if ln.startswith("DenyGroups ")]
    match_at = next(i for i, ln in enumerate(lines) if ln.startswith("Match "))
    assert deny and lines[match_at].startswith("Match Group "), text
    return {"deny": deny, "match": lines[match_at:]}


class Sshd:
    """A second sshd with the system's configuration and the chosen parts of the drop-in."""

    def __init__(self, host, parts):
        self.host = host
        others = sh(host, f"ls /etc/ssh/sshd_config.d/*.conf 2>/dev/null | grep -vxF {DROPIN}; true").stdout.split()
        main = [ln for ln in host.file("/etc/ssh/sshd_config").content_string.splitlines()
                if not ln.strip().lower().startswith("include ")]
        # Global keywords first (sshd keeps the first value it reads), Match blocks last.
        config = (parts.get("deny", []) + [f"Include {p}" for p in others] + main + parts.get("match", []))
        sh(host, f"mkdir -p {WORK} && rm -f {WORK}/sshd.log && cat > {WORK}/sshd_config <<'EOF'\n"
                 + "\n".join(config) + "\nEOF")
        sh(host, f"/usr/sbin/sshd -t -f {WORK}/sshd_config")
        sh(host, f"/usr/sbin/sshd -f {WORK}/sshd_config -p {PORT} -o PidFile={WORK}/sshd.pid -E {WORK}/sshd.log"
                 f" && for i in $(seq 1 100); do ss -Hltn 'sport = :{PORT}' | grep -q . && exit 0; sleep 0.1; done;"
                 " exit 1")

    def log(self):
        return sh(self.host, f"cat {WORK}/sshd.log", check=False).stdout

    def stop(self):
        sh(self.host, f"kill $(cat {WORK}/sshd.pid) 2>/dev/null; rm -f {WORK}/sshd.pid", check=False)


@pytest.fixture
def sshd(host):
    started = []

    def start(parts):
        started.append(Sshd(host, parts))
        return started[-1]

    yield start
    for s in started:
        s.stop()


@pytest.fixture
def without_pam_access(host):
    """pam_access's rules file allows everything until the test ends."""
    sh(host, f"mkdir -p {WORK} && cp -p {ACCESS_FILE} {WORK}/access.saved && printf '+ : ALL : ALL\\n' > {ACCESS_FILE}")
    yield
    sh(host, f"cp -p {WORK}/access.saved {ACCESS_FILE} && rm -f {WORK}/access.saved")


def password_ssh(host, *command):
    return host.run(" ".join(shlex.quote(a) for a in ["sshpass", "-p", PPP_PASSWORD] + SSH
                             + [f"{PPP_USER}@127.0.0.1", *command]))


def forwarding(host):
    """ssh -N -L to a LAN service with the PPP password: what came through the forward."""
    forward = f"{FORWARDED_PORT}:127.0.0.1:{LAN_PORT}"
    argv = ["sshpass", "-p", PPP_PASSWORD] + SSH + ["-N", "-L", forward, f"{PPP_USER}@127.0.0.1"]
    through, _ssh_output = ssh_forward.forwarding_attempt(host, argv, LAN_PORT, FORWARDED_PORT, LAN_SECRET,
                                                          f"{WORK}/forward.out")
    return through


def test_deny_groups_alone_refuses_before_authentication(host, sshd, without_pam_access):
    server = sshd({"deny": dropin_parts(host)["deny"]})
    result = password_ssh(host, "echo", "shell-reached")
    log = server.log()
    assert result.rc == 255 and "shell-reached" not in result.stdout, result.stdout + result.stderr
    assert "DenyGroups" in log and "Accepted password" not in log, log
    assert LAN_SECRET not in forwarding(host), server.log()


def test_the_match_block_alone_gives_no_command_and_no_forward(host, sshd, without_pam_access):
    server = sshd({"match": dropin_parts(host)["match"]})
    result = password_ssh(host, "echo", "shell-reached")
    log = server.log()
    # The password is accepted (no other layer), and then nothing runs but /bin/false.
    assert "Accepted password for " + PPP_USER in log, log
    assert "shell-reached" not in result.stdout and result.rc != 0, result.stdout + result.stderr
    through = forwarding(host)
    assert LAN_SECRET not in through, through + server.log()


def test_pam_access_alone_refuses_the_ppp_account(host, sshd):
    server = sshd({})
    result = password_ssh(host, "echo", "shell-reached")
    log = server.log()
    assert result.rc == 255 and "shell-reached" not in result.stdout, result.stdout + result.stderr
    # pam_access, in PAM's account stage after the password: sshd names PAM's account check.
    assert "by PAM account configuration" in log, log
    assert LAN_SECRET not in forwarding(host), server.log()


def test_without_the_three_layers_the_ppp_password_opens_a_forward(host, sshd, without_pam_access):
    """The control: the attack itself works, so the refusals above are the layers' doing."""
    server = sshd({})
    through = forwarding(host)
    assert LAN_SECRET in through, through + server.log()
