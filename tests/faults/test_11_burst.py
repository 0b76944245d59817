"""A burst across many pseudo-logins stops at the server budget, with the real mgetty, callback and
callback gate on a converged host.

The test modem gets six lines: the server's port ttyS1 (100), an attacker's line (200) and four
callee lines (301 to 304). Four pseudo-logins, ``callbursta`` to ``callburstd``, each call back their
own number (301 to 304). Every budget but the server's is far away (five callbacks a pseudo-login
an hour, ten a number a day, a hundred on the line an hour); the server may make two callbacks an
hour (``callback_server_limit_count: 2``).

- The attack: the attacker, on one line, types ``callbursta``, then ``callburstb``, then
  ``callburstc``, then ``callburstd``, one call each. The first two are called back (the server
  dials 301, then 302; each callee answers and hangs up after mgetty's login prompt). The third and
  the fourth are refused by the server budget although their own budgets are untouched: nothing is
  dialled, what the attacker's modem receives from the pseudo-login's echo to the hang-up is byte
  for byte what an unknown name gets, and syslog names the server budget.
- The control, without the defence (``callback_server_limit_count: 0``, no limit): the same burst's
  third call is dialled (303). The refusal above is the server budget's doing, not the test's.

The budgets' state (/var/lib/dialin-callback) is emptied before each burst and at the end, the reset
procedure of README.md: earlier callbacks count against the server's and the line's budgets.
"""

from __future__ import annotations

import functools
import shlex
import threading
import time

import pytest

from conftest import CONFIGS, TEST_LIB, base_vars, config_a, modem_events, modem_lines
from test_9_budgets import (AFTER_CALLBACK, ATTACKER_LINE, SERVER, dials_since, fresh_line, logs, probe,
                            refused_as_an_unknown_name)

ATTACKER = "200"
LOGINS = ["callbursta", "callburstb", "callburstc", "callburstd"]
NUMBERS = dict(zip(LOGINS, ["301", "302", "303", "304"]))
CALLEE_LINES = {number: f"/run/modememu/callee{number}" for number in NUMBERS.values()}
LINES = [f"/dev/ttyS1={SERVER}", f"{ATTACKER_LINE}={ATTACKER}"] + [f"{path}={n}" for n, path in CALLEE_LINES.items()]
SERVER_LIMIT = 2
RESET = ("rm -rf /var/lib/dialin-callback/login /var/lib/dialin-callback/number "
         "/var/lib/dialin-callback/line /var/lib/dialin-callback/server")


def burst_vars(server_limit: int) -> dict:
    port = dict(base_vars()["server_ports"][0])
    return dict(config_a(), server_ports=[port],
                server_callback_users=[{"name": name, "number": number} for name, number in NUMBERS.items()],
                callback_delay=1, callback_delay_randomize=0, callback_retry_time=5, callback_max_time=90,
                callback_rate_limit_count=5, callback_rate_limit_window=3600,
                callback_number_limit_count=10, callback_number_limit_window=86400,
                callback_line_limit_count=100, callback_line_limit_window=3600,
                callback_server_limit_count=server_limit, callback_server_limit_window=3600)


CONFIGS["burst"] = functools.partial(burst_vars, SERVER_LIMIT)
CONFIGS["burst-unlimited"] = functools.partial(burst_vars, 0)


class Callee:
    """A callee line waiting for the server's dial-back, in the background: it answers the RING,
    waits for callback's words and mgetty's login prompt, then hangs up (a DTR drop)."""

    def __init__(self, ctr, number: str):
        self.ctr, self.number, self.result = ctr, number, None
        argv = ["python3", f"{TEST_LIB}/caller.py", "--line", CALLEE_LINES[number], "--timeout", "90",
                "send", r"ATZ\r", "expect", "OK", "expect", "RING", "send", r"ATA\r", "expect", "CONNECT",
                "expect", AFTER_CALLBACK, "expect", "login:", "drop-dtr", "1"]
        since = time.time()
        self.thread = threading.Thread(target=self._run, args=(" ".join(shlex.quote(a) for a in argv),))
        self.thread.start()
        # Open and reset before anyone dials it: the emulator writes nothing to a line nobody has open.
        deadline = time.monotonic() + 30
        while not any(e["event"] == "cmd" and e["line"] == number for e in modem_events(ctr, since)):
            assert time.monotonic() < deadline, f"the callee on {number} did not open its line"
            time.sleep(0.2)

    def _run(self, script: str) -> None:
        self.result = self.ctr.sh(script, check=False, timeout=120)

    def wait(self) -> tuple[int, str]:
        self.thread.join(130)
        assert self.result is not None, f"the callee on {self.number} still runs"
        return self.result.returncode, self.result.stdout + self.result.stderr


def called_back(ctr, name: str) -> None:
    """The attacker types ``name``; the server dials its number, the callee there answers."""
    number = NUMBERS[name]
    fresh_line(ctr)
    since = time.time()
    callee = Callee(ctr, number)
    after = probe(ctr, ATTACKER_LINE, name)
    rc, out = callee.wait()
    assert "Dialing continues in the background" in after, f"{name} was not let through:\n{after!r}\n{logs(ctr)}"
    assert rc == 0, f"the callback of {name} did not reach {number}:\n{out}\n{logs(ctr)}"
    assert dials_since(ctr, since) == [(SERVER, number)], dials_since(ctr, since)


def gate_log(ctr, since: float) -> list[str]:
    return ctr.sh(f"journalctl -q -o cat -t dialin-callback --since @{int(since) - 1} 2>/dev/null",
                  check=False).stdout.splitlines()


@pytest.fixture(scope="module")
def lines(host):
    with modem_lines(host, LINES, cleanup=RESET) as ctr:
        yield ctr


def test_a_burst_across_pseudo_logins_stops_at_the_server_budget(host, lines):
    ctr = lines
    host.ensure("burst")
    ctr.sh(RESET)
    start = time.time()
    first, second, third, fourth = LOGINS
    called_back(ctr, first)
    called_back(ctr, second)
    assert any(f"callback allowed: login={second} " in row and f"server {SERVER_LIMIT} of {SERVER_LIMIT} " in row
               for row in gate_log(ctr, start)), "\n".join(gate_log(ctr, start))
    # The third pseudo-login, its own budgets untouched, then a name nobody has.
    since = time.time()
    after_echo = refused_as_an_unknown_name(ctr, third)
    # And the fourth: the burst stays stopped.
    fresh_line(ctr)
    refused_too = probe(ctr, ATTACKER_LINE, fourth)
    assert refused_too[len(fourth):] == after_echo, (refused_too, after_echo)
    # Nothing dialled, for longer than callback's delay before dialling.
    time.sleep(12)
    assert dials_since(ctr, since) == [], f"the server dialled after the server budget was spent\n{logs(ctr)}"
    rows = gate_log(ctr, since)
    for name in (third, fourth):
        assert any(f"callback refused: login={name} " in row and "for this server " in row for row in rows), (
            f"no refusal of {name} by the server budget in syslog:\n" + "\n".join(rows))
    print(f"{first} and {second} called back; {third} and {fourth} refused, both got "
          f"{after_echo!r} after the echo, as an unknown name")


def test_control_without_the_server_budget_the_burst_is_dialled(host, lines):
    ctr = lines
    host.ensure("burst-unlimited")
    ctr.sh(RESET)
    for name in LOGINS[:3]:
        called_back(ctr, name)
    print(f"without a server budget, {', '.join(LOGINS[:3])} were all called back")
