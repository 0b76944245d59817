"""dialin.callback.line_status while a line is in use, and with its mgetty stopped (Molecule scenario
rollout, verify; after test_status.py, whose report counts the calls made before this module).

The module runs from the controller as an operator runs it (`ansible -m`, check mode) while the test
modem's caller holds dialin-rollout-1's line at mgetty's login prompt, then with mgetty stopped
(dialin-rollout-3): each live state it reports comes from the running programs, not from a replay.
"""

import json
import os
import shlex
import subprocess
import time

from conftest import GOOD

TOP = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
CALLER = "/usr/local/lib/dialin-test/caller.py"


def podman(container, *argv, timeout=90):
    return subprocess.run(["podman", "exec", container, *argv], capture_output=True, text=True,
                          timeout=timeout, check=False)


def line_status(host):
    """The module's result for ttyS1 of host, run in check mode from the controller."""
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_STDOUT_CALLBACK="json")
    run = subprocess.run(
        ["ansible", "-i", os.environ["MOLECULE_INVENTORY_FILE"],
         "--vault-password-file", os.path.join(TOP, "tests/fleet/vault-password"), host, "--check",
         "-m", "dialin.callback.line_status", "-a", json.dumps({"ports": ["ttyS1"], "since": "1h"})],
        capture_output=True, text=True, env=env, timeout=180, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    result = json.loads(run.stdout)["plays"][0]["tasks"][0]["hosts"][host]
    assert not result.get("changed"), result
    (line,) = result["lines"]
    return line


def received(host, transcript):
    """What the caller has received so far: its transcript's "<<<" lines, joined (one prompt may
    arrive in two reads)."""
    text = podman(host, "cat", transcript).stdout
    return "".join(ln.split("<<< ", 1)[1] for ln in text.splitlines() if "<<< " in ln)


def wait_idle(host, timeout=60):
    deadline = time.monotonic() + timeout
    while podman(host, "sh", "-c", "tail -n 1 /var/log/mgetty/mg_ttyS1.log | grep -q 'waiting\\.\\.\\.$'").returncode:
        assert time.monotonic() < deadline, "%s: mgetty does not wait for a call" % host
        time.sleep(1)


def test_a_caller_at_the_login_prompt_is_reported_live():
    host = GOOD[0]
    wait_idle(host)
    mark = "/run/dialin-test-live-call"
    # The caller dials, waits for the login prompt, says so in a file, and holds the line 40 s.
    script = ["send", r"ATZ\r", "expect", "OK", "send", r"ATD100\r", "expect", "CONNECT", "expect", "login:",
              "sleep", "40"]
    caller = subprocess.Popen(
        ["podman", "exec", host, "sh", "-c",
         "python3 %s --line /run/modememu/caller --timeout 90 %s > %s 2>&1; echo rc=$? >> %s"
         % (CALLER, " ".join(shlex.quote(a) for a in script), mark, mark)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # The module is asked once the caller has seen the prompt.
        deadline = time.monotonic() + 40
        while "login:" not in received(host, mark):
            assert caller.poll() is None, podman(host, "cat", mark).stdout
            assert time.monotonic() < deadline, "no login prompt: " + podman(host, "cat", mark).stdout
            time.sleep(0.5)
        at_prompt = line_status(host)
        still_on_line = caller.poll() is None
    finally:
        caller.wait(timeout=120)
    assert still_on_line, "the caller left before the module looked: the check proves nothing"
    assert at_prompt["state"] == "login_prompt", at_prompt
    assert at_prompt["mgetty_pid"] and "connected, login prompt" in at_prompt["detail"], at_prompt
    assert at_prompt["health"] == "OK" and "proc" in at_prompt["sources"], at_prompt
    # Once the caller hangs up the line answers again, and the call is in its calls.
    wait_idle(host)
    after = line_status(host)
    assert after["state"] == "idle", after
    assert after["calls"] and after["calls"][-1]["outcome"] == "no_login", after["calls"][-1:]


def test_a_line_whose_mgetty_is_stopped_is_reported_critical():
    host = GOOD[1]
    wait_idle(host)
    stop = podman(host, "systemctl", "stop", "mgetty@ttyS1.service")
    assert stop.returncode == 0, stop.stderr
    try:
        stopped = line_status(host)
    finally:
        start = podman(host, "systemctl", "start", "mgetty@ttyS1.service")
    assert start.returncode == 0, start.stderr
    assert (stopped["state"], stopped["health"], stopped["healthy"]) == ("no_mgetty", "CRITICAL", False), stopped
    assert stopped["mgetty_pid"] is None, stopped
    wait_idle(host)
    again = line_status(host)
    assert (again["state"], again["health"]) == ("idle", "OK"), again
