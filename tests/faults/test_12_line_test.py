"""playbooks/line_test.yml on a converged host: the real mgetty on ttyS1, the test modem behind it.

- An idle line: its modem is asked AT, ATI and AT&V under the line's UUCP lock (the test modem's
  log has the three commands, from the probe), the line is idle again, the report shows the modem's
  identity and profile, nothing under /etc or /home changed, and a call then gets mgetty's login
  prompt.
- A line at mgetty's login prompt (a caller connected): reported as not tested; no command reaches
  its modem and the caller is not hung up.
"""

from __future__ import annotations

import shlex
import time

from conftest import CONFIGS, TEST_LIB, modem_events, snapshot

PLAYBOOK = "playbooks/line_test.yml"
# A caller on the test modem's other line (200) who dials the server (100), waits for mgetty's
# login prompt and stays there.
CALLER = r"""
import sys, time
sys.path.insert(0, %r)
from caller import Caller
with Caller("/run/modememu/caller", timeout=60) as c:
    c.send("ATZ\r"); c.expect("OK")
    c.send("ATD100\r"); c.expect("CONNECT"); c.expect("login:")
    c.stay_at_login_prompt()
    open("/run/line-test-caller-ready", "w").close()
    time.sleep(120)
""" % TEST_LIB


def line_cmds(ctr, since: float) -> list[str]:
    """The commands the server's line (100) sent its modem since ``since``."""
    return [e["cmd"] for e in modem_events(ctr, since) if e.get("event") == "cmd" and e.get("line") == "100"]


def wait_idle(host):
    """Until the line's mgetty waits for calls (line_status, as the post-check reads it)."""
    deadline = time.monotonic() + 90
    while True:
        state = host.ansible.module("line_status", {"ports": ["ttyS1"], "since": "1m", "syslog_source": "none"})
        if state["lines"][0]["state"] == "idle":
            return
        assert time.monotonic() < deadline, state["lines"]
        time.sleep(2)


def test_an_idle_line_s_modem_is_asked_under_its_lock_and_mgetty_takes_it_back(host):
    host.ensure("A")
    wait_idle(host)
    before = snapshot(host.ctr)
    since = time.time()
    run = host.ansible.run(CONFIGS["A"](), playbook=PLAYBOOK)
    assert run.rc == 0, run.failure_text or run.tail(60)
    assert run.recap["changed"] == 0
    assert "ttyS1: the modem answered; mgetty is idle again; ATI: dialin.callback modememu" in run.output, run.tail(40)
    assert "AT&V: " in run.output and "(OK)" in run.output, run.tail(40)
    cmds = line_cmds(host.ctr, since)
    probe = cmds.index("AT")
    assert cmds[probe:probe + 3] == ["AT", "ATI", "AT&V"], cmds
    assert snapshot(host.ctr) == before
    # The line answers a call afterwards: a caller gets mgetty's login prompt.
    since = time.time()
    ctr = host.ctr
    dial = ctr.sh(f"python3 {TEST_LIB}/caller.py --line /run/modememu/caller --timeout 60 send 'ATZ\\r' expect OK "
                  "send 'ATD100\\r' expect CONNECT expect login:", check=False)
    assert dial.returncode == 0, dial.stdout + dial.stderr
    wait_idle(host)


def test_a_line_at_the_login_prompt_is_not_touched(host):
    host.ensure("A")
    wait_idle(host)
    ctr = host.ctr
    ctr.sh("rm -f /run/line-test-caller-ready; "
           f"setsid -f python3 -c {shlex.quote(CALLER)} </dev/null >/run/line-test-caller.log 2>&1")
    try:
        deadline = time.monotonic() + 60
        while ctr.sh("test -e /run/line-test-caller-ready", check=False).returncode:
            assert time.monotonic() < deadline, ctr.sh("cat /run/line-test-caller.log", check=False).stdout
            time.sleep(0.5)
        since = time.time()
        run = host.ansible.run(CONFIGS["A"](), playbook=PLAYBOOK)
        assert run.rc == 0, run.failure_text or run.tail(60)
        assert "ttyS1: not tested: the line is login_prompt" in run.output, run.tail(40)
        assert line_cmds(ctr, since) == []
        assert [e for e in modem_events(ctr, since) if e.get("event") == "hangup"] == []
    finally:
        ctr.sh("pkill -f line-test-caller-ready; rm -f /run/line-test-caller-ready", check=False)
    wait_idle(host)
