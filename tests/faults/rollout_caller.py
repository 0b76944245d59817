"""Runs in the fault-test container: one caller who stays on the line through three converges.

Dials the server (100) from the test line and goes through the three states a rollout must not
break, waiting in each until the test has converged (a file /run/rollout/go-<state>) and failing
if the line drops meanwhile:

1. ``prompt``: at mgetty's login prompt; then types the callback pseudo-login and is hung up on.
2. ``callback``: a callback is pending, then dialling this line (its RINGs are not answered
   until go); then answers a RING and types the session's login at the new login prompt.
3. ``session``: logged in (a login.config session); then checks the session still echoes, and
   hangs up (+++, ATH).

Each state reached is marked by /run/rollout/at-<state> holding the prompt seen. Usage:
``rollout_caller.py LINE PROMPT_BEFORE PROMPT_AFTER_CALLBACK PSEUDO_LOGIN SESSION_LOGIN``.
"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, "/usr/local/lib/dialin-test")
from caller import Caller  # noqa: E402

DIR = "/run/rollout"


def mark(state: str, text: str) -> None:
    with open(f"{DIR}/at-{state}.tmp", "w") as f:
        f.write(text)
    os.rename(f"{DIR}/at-{state}.tmp", f"{DIR}/at-{state}")


def hold(c: Caller, state: str, limit: float = 600, online: bool = True) -> None:
    """Stay on the line (online: the call must not drop meanwhile) until the test says go."""
    deadline = time.monotonic() + limit
    while not os.path.exists(f"{DIR}/go-{state}"):
        c.read_for(0.5)
        if online and b"NO CARRIER" in c.buf:
            raise SystemExit(f"the call dropped in state {state}")
        if time.monotonic() > deadline:
            raise SystemExit(f"no go for state {state} within {limit} s")


def main() -> None:
    line, before, after_callback, pseudo_login, session_login = sys.argv[1:6]
    os.makedirs(DIR, exist_ok=True)
    with Caller(line, timeout=60, transcript=lambda s: print(s, flush=True)) as c:
        c.send("ATZ\r")
        c.expect("OK")
        c.send("ATD100\r")
        c.expect("CONNECT")
        c.expect(before)
        c.stay_at_login_prompt()
        mark("prompt", before)
        hold(c, "prompt")
        c.send(pseudo_login + "\r")
        c.expect("Dialing continues in the background")
        c.expect("NO CARRIER")
        mark("callback", "")
        # The callback rings this line until the test says go: it holds the line all that time.
        hold(c, "callback", online=False)
        c.buf.clear()
        for _attempt in range(3):  # a RING may be the last of a dial attempt: ATA then gets NO CARRIER
            c.expect("RING", timeout=120)
            c.send("ATA\r")
            if b"CONNECT" in c.expect_re("CONNECT|NO CARRIER"):
                break
        else:
            raise SystemExit("the callback's RINGs could not be answered")
        c.expect(after_callback)
        c.send(session_login + "\r")
        # The session's program (sed) answers only once mgetty ran the login.config line.
        time.sleep(2)
        mark("session", after_callback)
        hold(c, "session")
        c.send("still-here\r")
        c.expect("still-here")
        c.expect("still-here")  # the terminal's echo, then sed's copy
        time.sleep(1.2)
        c.send("+++")
        c.expect("OK")
        c.send("ATH\r")
        c.expect("OK")
    print("ROLLOUT-CALLER-DONE", flush=True)


if __name__ == "__main__":
    main()
