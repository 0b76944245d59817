"""playbooks/decommission.yml with the real mgetty, callback and gate, on containers of their own.

- A fresh container is snapshotted before its first converge, converged with configuration A, called
  (a pseudo-login: the gate writes its budgets, callback dials), then decommissioned: ``--check``
  changes nothing; the run itself waits while a caller is at mgetty's login prompt and goes on once
  that caller has hung up by himself; a second run changes nothing. The host then matches the
  snapshot from before the first converge, except for the packages the converge installed (the
  files dpkg lists for them and those their maintainer scripts write) and an exact list of other
  differences, each explained below (EXPECTED_LEFT).
- On the converged host, a caller at mgetty's login prompt: the decommission stops before anything
  is changed, naming the line and its state, and the caller stays connected.
"""

from __future__ import annotations

import re
import shlex
import time

import pytest

from conftest import CONFIGS, TEST_LIB, config_a, diff_snapshots, modem_events, new_host, snapshot

PLAYBOOK = "playbooks/decommission.yml"

# What else the collection may leave, read as conftest's snapshot reads /etc: the programs, the
# gate's state and records, the metrics' textfile, the PAM profiles, udev's links, mgetty's PID
# files, the units systemd knows, mgetty processes, the nftables table and the running kernel's
# forwarding.
EXTRA_SNAPSHOT = r"""
for d in /usr/local /var/lib/dialin-callback /var/lib/prometheus /run/dialin-callback /usr/share/pam-configs \
  /dev/dialin-callback; do
  find "$d" -xdev -path /usr/local/lib/dialin-test -prune -o -printf '%p\t%y %m %u %g %l\n' 2>/dev/null
done
for f in /run/mgetty.pid.* /run/dialin-callback-port-settings.lock; do
  if [ -e "$f" ]; then printf '%s\tpresent\n' "$f"; fi
done
# The metrics service's active state is left out: its timer starts it every minute (activating, then
# inactive), whatever a run does.
printf 'systemd units\t%s\n' "$(systemctl list-units --all --plain --no-legend 'mgetty@*' 'dialin-callback*' \
  'serial-getty@ttyS1*' 'getty@ttyS1*' \
  | awk '{print $1, $2, ($1 == "dialin-callback-metrics.service" ? "-" : $3)}' | sort | tr '\n' ';')"
printf 'systemd unit files\t%s\n' "$(systemctl list-unit-files --no-legend 'mgetty@*' 'dialin-callback*' \
  'serial-getty@ttyS1*' 'getty@ttyS1*' | awk '{print $1, $2}' | sort | tr '\n' ';')"
printf 'mgetty processes\t%s\n' "$(pgrep -x mgetty | wc -l)"
printf 'nft dialin_callback\t%s\n' "$(nft list tables 2>/dev/null | grep -c dialin_callback)"
printf 'ip_forward\t%s\n' "$(cat /proc/sys/net/ipv4/ip_forward)"
"""

# Differences left on purpose, none of them a file the packages own:
EXPECTED_LEFT = {
    # The port keeps the owner, group and mode the modem role gave it until udev applies its rules
    # again (docs/decommission.md); the container has no udev.
    "/dev/ttyS1": "the port's owner and mode",
    # useradd and userdel keep the previous version of each account database.
    "/etc/passwd-": "shadow's backup",
    "/etc/shadow-": "shadow's backup",
    "/etc/group-": "shadow's backup",
    "/etc/gshadow-": "shadow's backup",
    "/etc/subuid-": "shadow's backup",
    "/etc/subgid-": "shadow's backup",
}
# What the packages' maintainer scripts write (not in dpkg -L): mgetty's postinst copies its
# templates, ppp's writes the secrets files and the provider examples, deb-systemd-helper enables
# the packages' timers, netbase's writes /etc/networks.
MAINTAINER_SCRIPT_FILES = {
    "/etc/networks",
    "/etc/mgetty/mgetty.config", "/etc/mgetty/login.config", "/etc/mgetty/dialin.config",
    "/etc/ppp/pap-secrets", "/etc/ppp/chap-secrets", "/etc/ppp/peers/provider", "/etc/chatscripts/provider",
    "/etc/systemd/system/timers.target.wants/logrotate.timer",
}

# A caller on the test modem's other line (200) who dials the server (100), waits for mgetty's login
# prompt and stays there until the stop file appears or HOLD seconds pass, then says whether the
# line was hung up under it ("hung up") or not ("connected") and hangs up itself.
CALLER = r"""
import os, sys, time
sys.path.insert(0, %(lib)r)
from caller import Caller, LineClosed
with Caller("/run/modememu/caller", timeout=60) as c:
    c.send("ATZ\r"); c.expect("OK")
    c.send("ATD100\r"); c.expect("CONNECT"); c.expect("login:")
    c.stay_at_login_prompt()
    open("/run/decommission-caller-ready", "w").close()
    got, hung = bytearray(), False
    deadline = time.monotonic() + %(hold)d
    while time.monotonic() < deadline and not os.path.exists("/run/decommission-caller-stop"):
        try:
            got += c.read_for(0.5)
        except LineClosed:
            hung = True
            break
    hung = hung or b"NO CARRIER" in got
    open("/run/decommission-caller-result", "w").write("hung up" if hung else "connected")
"""


def start_caller(ctr, hold: int) -> None:
    ctr.sh("rm -f /run/decommission-caller-ready /run/decommission-caller-stop /run/decommission-caller-result; "
           f"setsid -f python3 -c {shlex.quote(CALLER % {'lib': TEST_LIB, 'hold': hold})} "
           "</dev/null >/run/decommission-caller.log 2>&1")
    wait_for(ctr, "/run/decommission-caller-ready", 60)


def wait_for(ctr, path: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while ctr.sh(f"test -e {path}", check=False).returncode:
        assert time.monotonic() < deadline, ctr.sh("cat /run/decommission-caller.log", check=False).stdout
        time.sleep(0.5)


def caller_result(ctr, seconds: float = 120) -> str:
    ctr.sh("touch /run/decommission-caller-stop")
    wait_for(ctr, "/run/decommission-caller-result", seconds)
    return ctr.sh("cat /run/decommission-caller-result").stdout


def wait_state(host, states: tuple[str, ...], seconds: float = 120) -> str:
    """Until ttyS1 is in one of ``states`` (line_status, as the decommission reads it)."""
    deadline = time.monotonic() + seconds
    while True:
        state = host.ansible.module("line_status", {"ports": ["ttyS1"], "since": "1m", "syslog_source": "none"})
        now = state["lines"][0]["state"]
        if now in states:
            return now
        assert time.monotonic() < deadline, state["lines"]
        time.sleep(2)


def full_snapshot(ctr) -> dict[str, str]:
    snap = snapshot(ctr)
    for line in ctr.sh(EXTRA_SNAPSHOT).stdout.splitlines():
        path, _tab, rest = line.partition("\t")
        snap[f"extra:{path}"] = rest
    return snap


def packages(ctr) -> set[str]:
    return set(ctr.sh("dpkg-query --show --showformat='${Package}\\n'").stdout.split())


def package_paths(ctr, names: set[str]) -> set[str]:
    if not names:
        return set()
    return set(ctr.sh("dpkg -L " + " ".join(sorted(names))).stdout.splitlines())


def decommission_vars() -> dict:
    """Configuration A with a short callback (callback gives up within 20 s on a number nobody
    answers), the accounts removed, not locked."""
    return dict(config_a(), callback_retry_time=5, callback_max_time=20, ppp_server_revoked_accounts="remove")


CONFIGS["decommission"] = decommission_vars


@pytest.fixture(scope="module")
def fresh_host(workdir):
    with new_host(workdir) as fresh:
        yield fresh


def test_a_decommissioned_host_is_as_before_its_first_converge_but_for_the_packages(fresh_host):
    host, ctr = fresh_host, fresh_host.ctr
    before = full_snapshot(ctr)
    packages_before = packages(ctr)

    host.converge("decommission")
    wait_state(host, ("idle",))
    # A call: the pseudo-login "call" goes through the gate (its budgets written), callback dials
    # 123456, which no line of the test modem has, and gives up.
    since = time.time()
    dial = ctr.sh(f"python3 {TEST_LIB}/caller.py --line /run/modememu/caller --timeout 60 send 'ATZ\\r' expect OK "
                  "send 'ATD100\\r' expect CONNECT expect login: send 'call\\r' "
                  "expect 'Dialing continues in the background'", check=False)
    assert dial.returncode == 0, dial.stdout + dial.stderr
    deadline = time.monotonic() + 60
    while not [e for e in modem_events(ctr, since) if e.get("event") == "cmd" and "123456" in e.get("cmd", "")]:
        assert time.monotonic() < deadline, modem_events(ctr, since)
        time.sleep(1)
    wait_state(host, ("idle",))
    assert ctr.sh("ls /var/lib/dialin-callback/login").stdout.split() == ["call"]
    converged = full_snapshot(ctr)

    # --check: nothing changes, and the run says what it would remove.
    run = host.ansible.run(decommission_vars(), "--check", "--diff", playbook=PLAYBOOK)
    assert run.rc == 0, run.failure_text or run.tail(60)
    assert run.recap["changed"] > 0
    # mgetty's process and its unit's active state come and go with each respawn.
    respawn = ("extra:mgetty processes", "extra:systemd units")
    assert diff_snapshots({k: v for k, v in converged.items() if k not in respawn},
                          {k: v for k, v in full_snapshot(ctr).items() if k not in respawn}) == []

    # A caller at the login prompt, who hangs up by himself after 60 s: the run waits for him.
    called = time.time()
    start_caller(ctr, hold=60)
    assert wait_state(host, ("login_prompt",), 20) == "login_prompt"
    # -v: each retry of the wait shows the lines' states (in the message below when it fails).
    run = host.ansible.run(decommission_vars(), "--diff", "-v", "-e", "decommission_wait_for_calls=120",
                           playbook=PLAYBOOK)
    assert run.rc == 0, run.failure_text or run.tail(60)
    assert re.search(r"RETRYING: (\[.*\]: )?Wait until no line is in a call", run.output), run.tail(60)
    # The caller writes its result before it hangs up: without it, the run went on during the call.
    result = ctr.sh("cat /run/decommission-caller-result", check=False)
    assert result.stdout == "connected", (
        result.stderr, ctr.sh("cat /run/decommission-caller.log", check=False).stdout, modem_events(ctr, called),
        re.findall(r'"state": "(\w+)"', run.output), re.findall(r'"detail": "([^"]*)"', run.output))
    assert run.recap["changed"] > 0

    again = host.ansible.run(decommission_vars(), "--diff", playbook=PLAYBOOK)
    assert again.rc == 0, again.failure_text or again.tail(60)
    assert again.recap["changed"] == 0, again.output

    after = full_snapshot(ctr)
    new_packages = packages(ctr) - packages_before
    assert {"mgetty", "ppp"} <= new_packages
    owned = package_paths(ctr, new_packages) | MAINTAINER_SCRIPT_FILES
    left = {line.split(": ", 1)[0] for line in diff_snapshots(before, after)} - owned
    # Exactly the differences listed: any other one is something the decommission forgot.
    assert sorted(left) == sorted(EXPECTED_LEFT), "\n".join(
        d for d in diff_snapshots(before, after) if d.split(": ", 1)[0] in left ^ set(EXPECTED_LEFT))
    # The packages' files as the packages wrote them: /etc/ppp/options as dpkg has it, and what the
    # maintainer scripts copied from their templates.
    assert ctr.sh("dpkg --verify ppp mgetty", check=False).stdout == ""
    same = ctr.sh("sed 's/-HOSTNAME-//g' /usr/share/ppp/pap-secrets | cmp - /etc/ppp/pap-secrets && "
                  "cmp /usr/share/mgetty/templates/etc/mgetty.config /etc/mgetty/mgetty.config && "
                  "cmp /usr/share/mgetty/templates/etc/login.config /etc/mgetty/login.config", check=False)
    assert same.returncode == 0, same.stdout + same.stderr


def test_a_line_in_a_call_stops_the_decommission_before_any_change(host):
    host.ensure("A")
    ctr = host.ctr
    wait_state(host, ("idle",))
    start_caller(ctr, hold=300)
    try:
        assert wait_state(host, ("login_prompt",), 20) == "login_prompt"
        before = full_snapshot(ctr)
        since = time.time()
        run = host.ansible.run(CONFIGS["A"](), "--diff", playbook=PLAYBOOK)
        assert run.rc != 0, run.tail(60)
        assert "Not decommissioned, nothing changed: ttyS1 is login_prompt" in run.output, run.tail(60)
        assert run.recap["changed"] == 0
        assert diff_snapshots(before, full_snapshot(ctr)) == []
        assert [e for e in modem_events(ctr, since) if e.get("event") == "hangup"] == []
        assert caller_result(ctr) == "connected"
    finally:
        ctr.sh("touch /run/decommission-caller-stop", check=False)
    wait_state(host, ("idle",))
