"""A rollout drops no call: a configuration change waits for each line's call to end.

One caller (rollout_caller.py, in the container, on the test modem) stays on ttyS1 through three
converges, each changing mgetty.config (its login prompt): at mgetty's login prompt, with a
callback pending, and in a logged-in session. Each converge must leave the call alone, say ttyS1
was deferred and why; the call goes on (the pseudo-login typed at the old prompt is answered,
the callback is made, the session still echoes); after hang-up the next call gets the prompt of
the last converge: the respawned mgetty read the new mgetty.config.
"""

from __future__ import annotations

import functools
import re
import shlex
import subprocess
import time

from conftest import CONFIGS, ROOT, TEST_LIB, base_vars, config_a, modem_events, podman

CALLER_LINE = "/run/modememu/caller"
PSEUDO_LOGIN = "callroll"
SESSION_LOGIN = "rollsession"
# A login.config line of the test's own: a "session" that holds the line (sed echoes the caller),
# usable after a callback (Y), with its own utmp entry. The container's kernel has no PPP, so a
# PPP session cannot hold the line there. The test modem has no carrier line to drop (a real
# hang-up sends the session SIGHUP): it tells the line NO CARRIER, on which this session ends.
SESSION_LINE = f"{SESSION_LOGIN}\tY\tnobody\t{SESSION_LOGIN}\t/bin/sed -u /NO.CARRIER/q"
# The callback waits this long before dialling (the module run ad hoc meanwhile sees it pending,
# without a lock), then dials the caller, who answers only after the converge: every retry_time
# (2 s) it rings again, until max-time counted from its start.
CALLBACK_DELAY = 40
CALLBACK_RETRY_TIME = 2
CALLBACK_MAX_TIME = 600


def rollout_vars(prompt: str) -> dict:
    port = dict(base_vars()["server_ports"][0])
    port["mgetty_options"] = {"login-prompt": f"{prompt} login:"}
    users = base_vars()["server_callback_users"] + [{"name": PSEUDO_LOGIN, "number": "200", "lines": ["ttyS1"]}]
    # The modem role's check accepts a port whose lock a known program holds: sed is the session's.
    holders = ["mgetty", "callback", "login", "pppd", "sed"]
    return dict(config_a(), server_ports=[port], server_callback_users=users, callback_delay=CALLBACK_DELAY,
                callback_retry_time=CALLBACK_RETRY_TIME, callback_max_time=CALLBACK_MAX_TIME,
                modem_allowed_lock_holders=holders)


for _label in ("R1", "R2", "R3", "R4"):
    CONFIGS[_label] = functools.partial(rollout_vars, _label)


def prompt(label: str) -> str:
    return f"{label} login:"


def wait_file(ctr, path: str, caller: subprocess.Popen, timeout: float, since: float | None = None) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = ctr.sh(f"cat {path}", check=False)
        if got.returncode == 0:
            return got.stdout
        if caller.poll() is not None:
            history = line_history(ctr, since) if since is not None else ""
            raise AssertionError(f"the caller ended before {path}:\n{caller.stdout.read()}\n{history}")
        time.sleep(0.5)
    raise AssertionError(f"no {path} within {timeout} s")


def deferred(run, port: str = "ttyS1") -> str:
    """The reason the run gave for deferring the port (the handler's report), or ''."""
    text = re.sub(r"\s+", " ", run.output).replace("''", "'")  # the result's YAML, folded and quoted
    m = re.search(rf"{port}: deferred, (.*?); its next mgetty", text)
    return m.group(1) if m else ""


def mgetty_pid(ctr) -> str:
    return ctr.sh("cat /run/mgetty.pid.ttyS1", check=False).stdout.strip()


def line_history(ctr, since: float, run=None) -> str:
    """What happened on ttyS1 since ``since`` (time.time()), for a failure's message: the test modem's
    events, mgetty's log and journal, and the converge's last lines."""
    log = ctr.sh("tail -n 60 /var/log/mgetty/mg_ttyS1.log", check=False).stdout
    journal = ctr.sh(f"journalctl -o short-precise --no-pager -u mgetty@ttyS1 --since @{int(since)}",
                     check=False).stdout
    events = "\n".join(str(e) for e in modem_events(ctr, since))
    converge = run.tail(40) if run is not None else ""
    return f"modem events:\n{events}\nmg_ttyS1.log:\n{log}\njournal:\n{journal}\nconverge:\n{converge}"


def respawned_mgetty_pid(ctr, timeout: float = 60) -> str:
    """The PID of the mgetty started on the line after the caller was hung up on (systemd starts it
    RestartSec after the hang-up; on a loaded machine later): the one the callback will signal."""
    deadline = time.monotonic() + timeout
    while not mgetty_pid(ctr) and time.monotonic() < deadline:
        time.sleep(0.5)
    return mgetty_pid(ctr)


def test_a_rollout_waits_for_each_call_to_end(host):
    ctr = host.ctr
    ctr.start_modem()
    podman("cp", str(ROOT / "tests/faults/rollout_caller.py"), f"{ctr.name}:{TEST_LIB}/rollout_caller.py")
    timings = {}
    caller = None
    try:
        t0 = time.monotonic()
        host.ensure("R1")
        timings["converge R1 (idle line)"] = time.monotonic() - t0
        ctr.sh(f"rm -rf /run/rollout; grep -q '^{SESSION_LOGIN}\t' /etc/mgetty/login.config || "
               f"sed -i '/^!version 2/a {SESSION_LINE}' /etc/mgetty/login.config")
        assert ctr.sh("grep -c '^login-prompt R1 login:$' /etc/mgetty/mgetty.config").stdout.strip() == "1"
        argv = ["python3", f"{TEST_LIB}/rollout_caller.py", CALLER_LINE,
                prompt("R1"), prompt("R2"), PSEUDO_LOGIN, SESSION_LOGIN]
        caller = subprocess.Popen(["podman", "exec", ctr.name, *argv], stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, start_new_session=True)

        # 1. At the login prompt (the idle line was restarted by the R1 converge: its prompt is R1's).
        called = time.time()
        wait_file(ctr, "/run/rollout/at-prompt", caller, 60, called)
        pid = mgetty_pid(ctr)
        t0 = time.monotonic()
        run = host.converge("R2")
        timings["converge R2 (caller at the login prompt)"] = time.monotonic() - t0
        assert mgetty_pid(ctr) == pid, (f"the mgetty at the login prompt (PID {pid}) was replaced:\n"
                                        f"{line_history(ctr, called, run)}")
        assert "login prompt" in deferred(run), f"R2 did not defer ttyS1 for the login prompt:\n{run.tail(40)}"
        ctr.sh("touch /run/rollout/go-prompt")

        # 2. A callback pending: the caller typed the pseudo-login at the old prompt and was hung up on.
        wait_file(ctr, "/run/rollout/at-callback", caller, 60, called)
        t0 = time.monotonic()
        # While callback waits its delay it holds no lock: only the callback process says the line is taken.
        now = host.ansible.module("mgetty_restart", {"ports": ["ttyS1"]})
        timings["module alone (callback waiting its delay)"] = time.monotonic() - t0
        assert now["restarted"] == [] and [d["port"] for d in now["deferred"]] == ["ttyS1"], now
        assert "a callback is pending" in now["deferred"][0]["reason"], now
        pid = respawned_mgetty_pid(ctr)
        assert pid, "no mgetty was started on the line after the caller was hung up on"
        t0 = time.monotonic()
        run = host.converge("R3")
        timings["converge R3 (callback in progress)"] = time.monotonic() - t0
        r3_reason = deferred(run)
        assert "callback" in r3_reason, f"R3 did not defer ttyS1 for the callback:\n{run.tail(40)}"
        assert mgetty_pid(ctr) == pid, (f"the mgetty the callback will signal (PID {pid}) was replaced:\n"
                                        f"{line_history(ctr, called, run)}")
        # The callback is made and answered (the mgetty that takes it over started before R3: R2's prompt).
        t0 = time.monotonic()
        ctr.sh("touch /run/rollout/go-callback")
        wait_file(ctr, "/run/rollout/at-session", caller, CALLBACK_DELAY + 120, called)
        timings["wait for the callback"] = time.monotonic() - t0

        # 3. In a session.
        pid = mgetty_pid(ctr)
        t0 = time.monotonic()
        run = host.converge("R4")
        timings["converge R4 (session)"] = time.monotonic() - t0
        reason = deferred(run)
        assert "session" in reason and "sed PID" in reason, f"R4 did not defer ttyS1 for the session:\n{run.tail(40)}"
        assert mgetty_pid(ctr) == pid, (f"the mgetty of the session (PID {pid}) was replaced:\n"
                                        f"{line_history(ctr, called, run)}")
        ctr.sh("touch /run/rollout/go-session")
        out = caller.communicate(timeout=60)[0]
        assert caller.returncode == 0 and "ROLLOUT-CALLER-DONE" in out, f"the call did not go on:\n{out}"

        # After hang-up the respawned mgetty reads the last configuration.
        t0 = time.monotonic()
        steps = ["send", r"ATZ\r", "expect", "OK", "send", r"ATD100\r", "expect", "CONNECT",
                 "expect", prompt("R4")]  # then caller.py closes the line: a hang-up
        cmd = ["python3", f"{TEST_LIB}/caller.py", "--line", CALLER_LINE, "--timeout", "60", "--wait", "30",
               "sleep", "1"] + steps
        after = ctr.sh(" ".join(shlex.quote(a) for a in cmd), check=False, timeout=120)
        timings["call after hang-up"] = time.monotonic() - t0
        assert after.returncode == 0, f"the line does not answer with R4's prompt after hang-up:\n{after.stdout}"
        print("timings:", {k: round(v, 1) for k, v in timings.items()}, "R3 reason:", r3_reason, "R4 reason:", reason)
    finally:
        if caller is not None and caller.returncode is None:
            if caller.poll() is None:
                caller.kill()
            # The caller's transcript, for a failure's report.
            print(caller.communicate(timeout=30)[0])
        ctr.sh(f"sed -i '/^{SESSION_LOGIN}\t/d' /etc/mgetty/login.config; rm -rf /run/rollout", check=False)
        host.state = None
