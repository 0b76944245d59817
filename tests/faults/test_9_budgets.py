"""Callback budgets with the real mgetty, callback and callback gate on a converged host.

The test modem gets three lines: the server's port ttyS1 (100), an attacker's line (200) and the
registered number's line (300). Two pseudo-logins, ``callbud`` and ``callother``, both call back
300; each pseudo-login may be called back once an hour (``callback_rate_limit_count: 1``), the
number ten times a day (the default).

- The registered user uses ``callbud``'s one callback; the attacker then types ``callbud`` again:
  the gate refuses without a word, and what the attacker's modem receives from the pseudo-login's
  echo to the hang-up is byte for byte what an unknown name gets (login.config's refusal,
  ``/bin/false``), so a refusal tells the attacker nothing; syslog says why; nothing is dialled.
- The other pseudo-login of the same number is still called back: the attacker's calls used up
  ``callbud``'s budget only.

The budgets' state (/var/lib/dialin-callback) is emptied first, the reset procedure of
README.md: earlier tests' callbacks count against the line's and the server's budgets.
"""

from __future__ import annotations

import functools
import json
import shlex
import time

import pytest

from conftest import CONFIGS, TEST_LIB, base_vars, config_a, modem_events, modem_lines

SERVER, ATTACKER, USER = "100", "200", "300"
ATTACKER_LINE, USER_LINE = "/run/modememu/caller", "/run/modememu/user"
LINES = [f"/dev/ttyS1={SERVER}", f"{ATTACKER_LINE}={ATTACKER}", f"{USER_LINE}={USER}"]
BUDGETED, OTHER = "callbud", "callother"
UNKNOWN = "nobodyhere"  # no login.config line: mgetty runs the refusing catch-all
AFTER_CALLBACK = "Connection established"


def budget_vars() -> dict:
    port = dict(base_vars()["server_ports"][0])
    return dict(config_a(), server_ports=[port],
                server_callback_users=[{"name": BUDGETED, "number": USER}, {"name": OTHER, "number": USER}],
                callback_delay=1, callback_delay_randomize=0, callback_retry_time=5, callback_max_time=90,
                callback_rate_limit_count=1)


CONFIGS["budget"] = functools.partial(budget_vars)

# Dials the server from a line, types a name, and records every byte the line receives from the
# end of the login prompt until the line is closed or NO CARRIER arrives (the hang-up).
PROBE = r"""
import json, sys, time
sys.path.insert(0, %(lib)r)
from caller import Caller, LineClosed
with Caller(%(line)r, timeout=60) as c:
    c.send("ATZ\r"); c.expect("OK")
    c.send("ATD%(number)s\r"); c.expect("CONNECT"); c.expect("login:")
    c.buf.clear()
    c.send("%(name)s\r")
    got = bytearray()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and b"NO CARRIER" not in got:
        try:
            got += c.read_for(0.5)
        except LineClosed:
            break
    print(json.dumps({"after": bytes(got).decode("latin-1")}))
"""


def probe(ctr, line: str, name: str) -> str:
    script = PROBE % {"lib": TEST_LIB, "line": line, "number": SERVER, "name": name}
    out = ctr.sh("python3 -c " + shlex.quote(script), timeout=120).stdout
    return json.loads(out.strip().splitlines()[-1])["after"]


def call_back(ctr, name: str) -> tuple[int, str]:
    """The registered user calls from 300, types the pseudo-login, hangs up, answers the dial-back."""
    argv = ["python3", f"{TEST_LIB}/caller.py", "--line", USER_LINE, "--timeout", "150",
            "send", r"ATZ\r", "expect", "OK", "send", rf"ATD{SERVER}\r", "expect", "CONNECT", "expect", "login:",
            "send", rf"{name}\r", "expect", "Dialing continues in the background", "sleep", "2", "drop-dtr", "1",
            "expect", "RING", "send", r"ATA\r", "expect", "CONNECT", "expect", AFTER_CALLBACK, "expect", "login:"]
    got = ctr.sh(" ".join(shlex.quote(a) for a in argv), check=False, timeout=210)
    return got.returncode, got.stdout + got.stderr


def logs(ctr) -> str:
    return ctr.sh("tail -n 30 /var/log/mgetty/mg_ttyS1.log /var/log/mgetty/callback.log 2>/dev/null; "
                  "journalctl -q -o cat -t dialin-callback 2>/dev/null | tail -n 20", check=False).stdout


def fresh_line(ctr) -> None:
    """mgetty started afresh on ttyS1 with its modem initialised, waiting for the next call."""
    since = time.time()
    ctr.sh("systemctl reset-failed 'mgetty@*' 2>/dev/null; systemctl restart mgetty@ttyS1")
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if any(e["event"] == "cmd" and e["line"] == SERVER and e["cmd"].upper().startswith("AT&F")
               for e in modem_events(ctr, since)):
            time.sleep(1)
            return
        time.sleep(0.5)
    raise AssertionError(f"mgetty on ttyS1 did not initialise its modem within 90 s\n{logs(ctr)}")


def refused_as_an_unknown_name(ctr, name: str) -> str:
    """The attacker types ``name`` on a fresh line, then a name nobody has: both calls end in NO CARRIER
    and, after the line's echo of the typed name, are the same bytes up to the hang-up. Returns those
    bytes (what a refusal looks like to the caller)."""
    fresh_line(ctr)
    refused = probe(ctr, ATTACKER_LINE, name)
    fresh_line(ctr)
    unknown = probe(ctr, ATTACKER_LINE, UNKNOWN)
    assert "NO CARRIER" in refused and "NO CARRIER" in unknown, (refused, unknown)
    assert refused.startswith(name) and unknown.startswith(UNKNOWN), (refused, unknown)
    assert refused[len(name):] == unknown[len(UNKNOWN):], (
        f"a refused pseudo-login is told apart from an unknown name:\nrefused: {refused!r}\nunknown: {unknown!r}")
    assert "Dialing continues" not in refused, refused
    return unknown[len(UNKNOWN):]


def dials_since(ctr, since: float) -> list[tuple]:
    return [(e["line"], e["number"]) for e in modem_events(ctr, since) if e["event"] == "dial" and e["line"] == SERVER]


@pytest.fixture(scope="module")
def lines(host):
    with modem_lines(host, LINES) as ctr:
        yield ctr


def test_a_spent_pseudo_login_is_refused_exactly_as_an_unknown_name(host, lines):
    ctr = lines
    host.ensure("budget")
    ctr.sh("rm -rf /var/lib/dialin-callback/login /var/lib/dialin-callback/number "
           "/var/lib/dialin-callback/line /var/lib/dialin-callback/server")
    # The user's own callback: callbud's one for the hour.
    fresh_line(ctr)
    since = time.time()
    rc, out = call_back(ctr, BUDGETED)
    assert rc == 0, f"{BUDGETED} was not called back the first time:\n{out}\n{logs(ctr)}"
    assert dials_since(ctr, since) == [(SERVER, USER)], dials_since(ctr, since)
    # The attacker: callbud again, then a name nobody has.
    since = time.time()
    after_echo = refused_as_an_unknown_name(ctr, BUDGETED)
    out = ctr.sh("journalctl -q -o cat -t dialin-callback 2>/dev/null", check=False).stdout
    assert f"callback refused: login={BUDGETED} " in out, f"no refusal in syslog:\n{out}"
    # Nothing dialled, for longer than callback's delay before dialling.
    time.sleep(12)
    assert dials_since(ctr, since) == [], f"the server dialled after the refusal\n{logs(ctr)}"
    print(f"after the pseudo-login's echo, refused and unknown both got {after_echo!r}")


def test_another_pseudo_login_of_the_number_is_still_called_back(host, lines):
    ctr = lines
    host.ensure("budget")
    out = ctr.sh("ls /var/lib/dialin-callback/login/ 2>/dev/null", check=False).stdout
    if BUDGETED not in out:  # run alone: spend callbud's budget first
        fresh_line(ctr)
        assert call_back(ctr, BUDGETED)[0] == 0
    fresh_line(ctr)
    since = time.time()
    rc, out = call_back(ctr, OTHER)
    assert rc == 0, f"{OTHER} was not called back after {BUDGETED}'s budget was spent:\n{out}\n{logs(ctr)}"
    assert dials_since(ctr, since) == [(SERVER, USER)], dials_since(ctr, since)
