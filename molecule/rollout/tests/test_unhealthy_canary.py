"""The rollout's health gate (Molecule scenario rollout, verify; after the other modules, which need
the fleet's modems sound).

The canary of the rollout (dialin-rollout-1, batch 1 of [1, 25%]) gets a broken test modem
(tests/modem/modememu.py --error: every command answered ERROR; --silent: nothing at all), then the
fleet is rolled out with a change of mgetty.config for every server (mgetty_debug). mgetty's init chat
fails on the canary's modem; systemd respawns it every RestartSec, so a process is there most of the
time (the former post-check, pgrep or any lock file, passed). The post-check reads the line's state
with line_status and must fail batch 1 with it, and the rollout must stop there: dialin-rollout-3
(batch 2) keeps its old mgetty.config. The rollout of the converge step, with sound modems, passed
the same post-check (the control).
"""

import json
import os
import re
import subprocess
import time

import pytest

from conftest import GOOD

TOP = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
CANARY, LATER = GOOD
TEST_LIB = "/usr/local/lib/dialin-test"
CONFIG = "/etc/mgetty/mgetty.config"


def podman(container, *argv, timeout=90):
    return subprocess.run(["podman", "exec", container, *argv], capture_output=True, text=True,
                          timeout=timeout, check=False)


def restart_test_modem(host, *fault):
    """The test modem of prepare.yml again, with a fault (or none), on new ptys."""
    stop = podman(host, "start-stop-daemon", "--stop", "--pidfile", "/run/modememu.pid", "--remove-pidfile",
                  "--retry", "10")
    assert stop.returncode in (0, 1), stop.stderr
    start = podman(host, "start-stop-daemon", "--start", "--background", "--make-pidfile", "--pidfile",
                   "/run/modememu.pid", "--exec", "/usr/bin/python3", "--", TEST_LIB + "/modememu.py",
                   "--line", "/dev/ttyS1=100", "--line", "/run/modememu/caller=200",
                   "--log", "/run/modememu/events.jsonl", "--ready", "/run/modememu/ready", *fault)
    assert start.returncode == 0, start.stderr
    deadline = time.monotonic() + 30
    while podman(host, "test", "-e", "/run/modememu/ready").returncode:
        assert time.monotonic() < deadline, "the test modem did not start"
        time.sleep(0.5)


def checksum(host, path):
    return podman(host, "sha256sum", path).stdout.split()[0]


def rollout(*extra):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_STDOUT_CALLBACK="default",
               ANSIBLE_CALLBACK_RESULT_FORMAT="json", ANSIBLE_CALLBACK_FORMAT_PRETTY="0",
               ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_TIMEOUT="60")
    started = time.monotonic()
    run = subprocess.run(
        ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"],
         "--vault-password-file", os.path.join(TOP, "tests/fleet/vault-password"),
         "dialin.callback.rollout", *extra],
        capture_output=True, text=True, env=env, timeout=900, check=False)
    print("rollout %s: rc %d in %.0f s" % (" ".join(extra), run.returncode, time.monotonic() - started))
    return run


def recap(output):
    return {host: dict(zip(("ok", "changed", "unreachable", "failed"), map(int, counts)))
            for host, *counts in re.findall(
                r"(?m)^(\S+)\s*: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", output)}


def post_check_failure(output):
    """The message of the post-check's failure on the canary (the assert's msg, JSON result format)."""
    for line in output.splitlines():
        if line.startswith("fatal: [%s]: FAILED! => " % CANARY):
            result = json.loads(line.split(" => ", 1)[1])
            if "not every port waits for calls" in result.get("msg", ""):
                return result["msg"]
    return None


@pytest.fixture
def sound_modem_afterwards():
    yield
    restart_test_modem(CANARY)
    # Past StartLimitBurst systemd stopped restarting the canary's mgetty: start it afresh.
    podman(CANARY, "systemctl", "reset-failed", "mgetty@ttyS1.service")
    podman(CANARY, "systemctl", "restart", "mgetty@ttyS1.service")


@pytest.mark.parametrize("fault, debug", [("--error", "5"), ("--silent", "6")])
def test_a_canary_whose_modem_does_not_answer_stops_the_rollout(sound_modem_afterwards, fault, debug):
    restart_test_modem(CANARY, fault, "100")
    # The mgetty on the old pty may wait on it; the next one opens the broken modem.
    assert podman(CANARY, "systemctl", "restart", "mgetty@ttyS1.service").returncode == 0
    if fault == "--error":
        # mgetty fails at once, so systemd gives up after StartLimitBurst starts in 60 s; the converge's
        # start of the unit would then be refused (a failure before the post-check) if it came within
        # those 60 s. reset-failed leaves the unit stopped, and the converge starts it.
        deadline = time.monotonic() + 120
        while podman(CANARY, "systemctl", "is-failed", "--quiet", "mgetty@ttyS1.service").returncode:
            assert time.monotonic() < deadline, "mgetty on the ERROR modem did not fail"
            time.sleep(1)
        assert "failed in mg_init_data, dev=ttyS1" in podman(CANARY, "cat", "/var/log/mgetty/mg_ttyS1.log").stdout
        podman(CANARY, "systemctl", "reset-failed", "mgetty@ttyS1.service")
    later_before = checksum(LATER, CONFIG)
    assert "debug %s\n" % debug not in podman(CANARY, "cat", CONFIG).stdout

    run = rollout("-e", "mgetty_debug=" + debug)
    output = run.stdout + run.stderr

    # Batch 1 converged the canary (its new mgetty.config is there), then its post-check failed with
    # the line's state and mgetty's own words about the modem.
    message = post_check_failure(output)
    assert message, output[-6000:]
    assert "ttyS1 is modem_not_answering: " in message, message
    assert "failed in mg_init_data, dev=ttyS1" in message, message
    assert "debug %s\n" % debug in podman(CANARY, "cat", CONFIG).stdout
    # The rollout stopped before batch 2: one converge batch, dialin-rollout-3 not changed.
    assert run.returncode == 2, output[-6000:]
    batches = [s for s in run.stdout.split("\nPLAY ") if s.startswith("[Converge")]
    assert len(batches) == 1 and "[%s]" % LATER not in batches[0], output[-6000:]
    counts = recap(run.stdout)
    assert counts[CANARY]["failed"] == 1 and counts[LATER] == {**counts[LATER], "changed": 0, "failed": 0}, counts
    assert checksum(LATER, CONFIG) == later_before
    assert "debug %s\n" % debug not in podman(LATER, "cat", CONFIG).stdout
