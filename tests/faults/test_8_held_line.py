"""The held line and caller ID, with the real mgetty, callback and callback gate on a converged host.

The test modem is restarted with four lines: the server's two ports, ttyS1 (100) and ttyS2 (101),
an attacker's line (200) and the registered callback user's line (300). Calls to the server's lines
are cleared by the calling party only (``--calling-party-clear 100,101``, as behind many PBXs and some
exchanges): when the server hangs up, a caller who does not hang up keeps the call, and the server's
line going off hook again dials into it. The server's lines get the caller ID with the RING
(``--caller-id 100,101``: ``NMBR = ...`` between the first and the second RING, which mgetty reads
into CALLER_ID; the ports have ``rings: 2`` so that mgetty waits for it). The callback's modem dials
blind (``X3`` in ``callback_modem_init``, as on PBX lines whose dial tone a modem does not know),
except in the dial-tone detection case (``X4``): there a dial on the held line fails with NO DIALTONE.

- The attack: the attacker calls port 1, types a callback pseudo-login (whose number is the user's,
  300) and does not hang up. With the defence (``server_dial_back_on_another_line``, the default, on a
  server with two ports) the dial-back goes out on port 2 and reaches the registered user, who gets
  the after-callback login prompt; the attacker, still on the held call of port 1, gets nothing.
  The control, without the defence: the dial-back goes out on port 1, lands in the held call
  (CONNECT) and the attacker gets the after-callback login prompt.
- Caller ID: a pseudo-login with ``caller_id`` 300 called from 200, or with the number withheld, is
  refused by the gate (the caller is told nothing, as for an unknown name; syslog says why) and
  nothing is dialled; called from 300, it is called back.
"""

from __future__ import annotations

import functools
import shlex
import subprocess
import time

import pytest

from conftest import CONFIGS, TEST_LIB, base_vars, config_a, modem_events, start_modem_with

SERVER = {"ttyS1": "100", "ttyS2": "101"}
ATTACKER_LINE, ATTACKER = "/run/modememu/caller", "200"
USER_LINE, USER = "/run/modememu/user", "300"
HELD_LOGIN = "callheld"  # a callback user without caller ID: anyone may type it
CID_LOGIN = "callcid"  # a callback user with caller_id 300
LINES = [f"/dev/ttyS1={SERVER['ttyS1']}", f"/dev/ttyS2={SERVER['ttyS2']}", f"{ATTACKER_LINE}={ATTACKER}",
         f"{USER_LINE}={USER}"]
MODEM_OPTIONS = ["--calling-party-clear", "100,101", "--caller-id", "100,101"]
DIR = "/run/held-test"
AFTER_CALLBACK = "Connection established"  # callback's words on the line it connected, then mgetty's login:


def held_vars(other_line: bool, caller_id: bool = False, dial_tone_detection: bool = False) -> dict:
    port1 = dict(base_vars()["server_ports"][0], rings=2)
    port2 = {"device": "ttyS2", "local_ip": "192.168.1.1", "remote_ip": "192.168.1.3", "toggle_dtr": False,
             "rings": 2}
    users = [{"name": HELD_LOGIN, "number": USER}]
    if caller_id:
        users.append({"name": CID_LOGIN, "number": USER, "caller_id": USER})
    return dict(config_a(), server_ports=[port1, port2], server_callback_users=users,
                server_dial_back_on_another_line=other_line,
                callback_modem_init=f'"" ATQ0V1H0{"X4" if dial_tone_detection else "X3"} OK AT+FCLASS=0 OK',
                callback_delay=1, callback_delay_randomize=0, callback_retry_time=5, callback_max_time=90,
                callback_rate_limit_count=50)


CONFIGS["held"] = functools.partial(held_vars, True)
CONFIGS["held-same-line"] = functools.partial(held_vars, False)
CONFIGS["held-caller-id"] = functools.partial(held_vars, True, caller_id=True)
CONFIGS["held-same-line-x4"] = functools.partial(held_vars, False, dial_tone_detection=True)


def ensure_caller_id_config(host) -> None:
    host.ensure("held-caller-id")


# The attacker, in the container: dials the server, types the pseudo-login, keeps the line (no
# hang-up) and records everything that arrives until the test says stop; DIR/prompt is written
# when a login prompt arrives on the held call.
ATTACKER_SCRIPT = r"""
import os, sys, time
sys.path.insert(0, %(lib)r)
from caller import Caller
d = %(dir)r
def mark(name, text=""):
    with open(f"{d}/{name}.tmp", "w") as f:
        f.write(text)
    os.rename(f"{d}/{name}.tmp", f"{d}/{name}")
with Caller(%(line)r, timeout=90, transcript=lambda s: print(s, flush=True)) as c:
    c.send("ATZ\r"); c.expect("OK")
    c.send("ATD%(number)s\r"); c.expect("CONNECT"); c.expect("login:")
    c.send("%(login)s\r")
    c.expect("Dialing continues in the background")
    c.buf.clear()
    mark("pseudo-login")
    deadline = time.monotonic() + 300
    while not os.path.exists(f"{d}/stop") and time.monotonic() < deadline:
        c.read_for(0.5)
        if b"login:" in c.buf and not os.path.exists(f"{d}/prompt"):
            mark("prompt")
    mark("after", bytes(c.buf).decode("latin-1"))
print("ATTACKER-DONE", flush=True)
"""


def caller_cmd(line: str, *steps: str, timeout: int = 120) -> list[str]:
    return ["python3", f"{TEST_LIB}/caller.py", "--line", line, "--timeout", str(timeout), *steps]


def call(ctr, line: str, *steps: str, timeout: int = 120) -> subprocess.CompletedProcess:
    return ctr.sh(" ".join(shlex.quote(a) for a in caller_cmd(line, *steps, timeout=timeout)), check=False,
                  timeout=timeout + 60)


def start_in_container(ctr, name: str, argv: list[str]) -> subprocess.Popen:
    """argv run in the container (podman exec, in the background), its PID in DIR/<name>.pid: killing
    podman exec would leave it running there, holding its line."""
    script = f"echo $$ > {DIR}/{name}.pid && exec " + " ".join(shlex.quote(a) for a in argv)
    return subprocess.Popen(["podman", "exec", ctr.name, "sh", "-c", script], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)


def stop_in_container(ctr, name: str, proc: subprocess.Popen, grace: float = 0) -> str:
    """Its output, after the process started by start_in_container ended (by itself within grace
    seconds, else SIGTERM to its PID, if that PID is still its own)."""
    if grace:
        try:
            return proc.communicate(timeout=grace)[0]
        except subprocess.TimeoutExpired:
            pass
    if proc.poll() is None:
        ctr.sh(f"p=$(cat {DIR}/{name}.pid 2>/dev/null) && grep -qa dialin-test /proc/$p/cmdline && kill $p",
               check=False)
    try:
        return proc.communicate(timeout=60)[0]
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate(timeout=30)[0]


def wait_for(what: str, check, timeout: float, diagnose=lambda: ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.5)
    raise AssertionError(f"no {what} within {timeout} s\n{diagnose()}")


def logs(ctr) -> str:
    return ctr.sh("tail -n 40 /var/log/mgetty/mg_ttyS1.log /var/log/mgetty/mg_ttyS2.log "
                  "/var/log/mgetty/callback.log /var/log/mgetty/mg_callback.log 2>/dev/null; "
                  "journalctl -q -o cat -t dialin-callback 2>/dev/null | tail -n 20; "
                  "systemctl --no-pager status 'mgetty@*' 2>&1 | tail -n 30", check=False).stdout


def reset_lines(ctr) -> None:
    """Both ports' mgetty started afresh, waiting for a call with the modem initialised (its init
    chat in the event log): a call that the last test left at a login prompt is gone, and no RING
    (and caller ID) of the next call reaches an mgetty that is still starting."""
    since = time.time()
    ctr.sh("systemctl reset-failed 'mgetty@*' 2>/dev/null; systemctl restart mgetty@ttyS1 mgetty@ttyS2")

    def initialised():
        inits = {e["line"] for e in modem_events(ctr, since)
                 if e["event"] == "cmd" and e["cmd"].upper().startswith("AT&F")}
        return set(SERVER.values()) <= inits

    wait_for("init chat of both ports' mgetty", initialised, 90, lambda: logs(ctr))
    time.sleep(1)


@pytest.fixture(scope="module")
def lines(host):
    """The four-line test modem for this module; the usual two lines again afterwards."""
    ctr = host.ctr
    start_modem_with(ctr, LINES, *MODEM_OPTIONS)
    try:
        yield ctr
    finally:
        ctr.sh(f"rm -rf {DIR}", check=False)
        ctr.stop_modem()
        ctr.start_modem()
        host.state = None  # the next test converges what it needs (ttyS2 is gone from the modem)


def attack(host, label: str, settle: float = 0) -> dict:
    """The held-line attack on a host converged to ``label``: what the attacker got after the
    pseudo-login, the user's call (if the dial-back reached it) and the server's dials. With
    ``settle``, the attack ends that many seconds after the first dial-back instead of when the
    dial-back's outcome is known (a dial that keeps failing has none)."""
    ctr = host.ctr
    host.ensure(label)
    reset_lines(ctr)
    ctr.sh(f"rm -rf {DIR} && mkdir -p {DIR}")
    since = time.time()
    # The registered user waits for the dial-back (a line nobody has open loses its RINGs).
    user = start_in_container(ctr, "user", caller_cmd(
        USER_LINE, "send", r"ATZ\r", "expect", "OK", "expect", "RING", "send", r"ATA\r", "expect", "CONNECT",
        "expect", AFTER_CALLBACK, "expect", "login:", timeout=150))
    script = ATTACKER_SCRIPT % {"lib": TEST_LIB, "dir": DIR, "line": ATTACKER_LINE, "number": SERVER["ttyS1"],
                                "login": HELD_LOGIN}
    attacker = start_in_container(ctr, "attacker", ["python3", "-c", script])
    try:
        wait_for("pseudo-login typed", lambda: ctr.sh(f"test -e {DIR}/pseudo-login", check=False).returncode == 0,
                 90, lambda: logs(ctr))
        # The server's dial-back: callback dials once its delay is over.
        dials = wait_for("dial-back", lambda: [e for e in modem_events(ctr, since) if e["event"] == "dial"
                                               and e["line"] in SERVER.values()], 120, lambda: logs(ctr))
        if settle:
            time.sleep(settle)
        else:
            # Its outcome: the attacker gets a login prompt, or the user's call ends (prompt or failure).
            wait_for("end of the dial-back", lambda: ctr.sh(f"test -e {DIR}/prompt", check=False).returncode == 0
                     or user.poll() is not None, 150, lambda: logs(ctr))
        # Whatever else was coming to the attacker's held call has had time to come.
        time.sleep(5)
    finally:
        ctr.sh(f"touch {DIR}/stop", check=False)
        attacker_out = stop_in_container(ctr, "attacker", attacker, grace=60)
        user_out = stop_in_container(ctr, "user", user)
    after = ctr.sh(f"cat {DIR}/after", check=False).stdout
    events = modem_events(ctr, since)
    return {"attacker": attacker_out, "after": after, "user": user_out, "user_rc": user.returncode,
            "dials": [e for e in events if e["event"] == "dial" and e["line"] in SERVER.values()],
            "events": events, "held": [e for e in events if e["event"] == "hangup" and e.get("held")],
            "logs": logs(ctr)}


def report(r: dict) -> str:
    return (f"attacker:\n{r['attacker'][-3000:]}\nuser (rc {r['user_rc']}):\n{r['user'][-3000:]}\n"
            f"server dials: {r['dials']}\nlogs:\n{r['logs']}")


def test_a_held_line_gets_no_dial_back_on_a_server_with_two_lines(host, lines):
    r = attack(host, "held")
    # The attack was made: the server hung up port 1 and the attacker kept the call.
    assert any(e["line"] == SERVER["ttyS1"] for e in r["held"]), f"port 1's call was never held\n{report(r)}"
    assert "NO CARRIER" not in r["after"], f"the attacker's call was not held\n{report(r)}"
    # The dial-back went out on port 2, to the registered number, and reached the user.
    assert [(d["line"], d["number"], d["result"]) for d in r["dials"]] == [(SERVER["ttyS2"], USER, "ringing")], \
        report(r)
    assert r["user_rc"] == 0, f"the registered user was not called back\n{report(r)}"
    # Nothing of it reached the attacker on port 1's held call.
    assert "login:" not in r["after"] and AFTER_CALLBACK not in r["after"], \
        f"the attacker on the held call got {r['after']!r}\n{report(r)}"
    assert not [e for e in r["events"] if e["event"] == "connect" and e.get("held")], report(r)
    print("server dials:", r["dials"], "\nthe attacker got after the pseudo-login:", repr(r["after"]))


def test_without_the_defence_the_dial_back_lands_in_the_held_call(host, lines):
    """The control: server_dial_back_on_another_line false, the dial-back goes out on port 1."""
    r = attack(host, "held-same-line")
    assert any(e["line"] == SERVER["ttyS1"] for e in r["held"]), f"port 1's call was never held\n{report(r)}"
    assert [(d["line"], d["number"], d["result"]) for d in r["dials"]] == [(SERVER["ttyS1"], USER, "held")], \
        f"the dial-back did not go into the held call\n{report(r)}"
    connects = {(e["line"], e["peer"]) for e in r["events"] if e["event"] == "connect" and e.get("held")}
    assert (SERVER["ttyS1"], ATTACKER) in connects, report(r)
    # The attack works: the attacker gets the after-callback login prompt, the user nothing.
    assert AFTER_CALLBACK in r["after"] and "login:" in r["after"], \
        f"the attacker got no after-callback login prompt: {r['after']!r}\n{report(r)}"
    rang = [e for e in r["events"] if e["event"] == "ring" and e["line"] == USER]
    assert not rang and r["user_rc"] != 0, f"the registered user was called too\n{report(r)}"
    print("server dials:", r["dials"], "\nthe attacker got after the pseudo-login:", repr(r["after"]))


def test_dial_tone_detection_keeps_a_dial_back_out_of_the_held_call(host, lines):
    """One line and dial-tone detection (X4 in callback_modem_init, what README advises for a
    single-port server): callback goes off hook on port 1, whose call the attacker holds; the modem
    hears no dial tone, every dial fails with NO DIALTONE, and the attacker gets nothing. Without X4
    the same dial lands in the held call (the control above)."""
    ctr = lines
    try:
        # Long enough for callback's retries (callback_retry_time 5 s) after its first dial.
        r = attack(host, "held-same-line-x4", settle=25)
        assert any(e["line"] == SERVER["ttyS1"] for e in r["held"]), f"port 1's call was never held\n{report(r)}"
        results = [(d["line"], d["number"], d["result"]) for d in r["dials"]]
        assert len(results) >= 2, f"callback did not try again after NO DIALTONE\n{report(r)}"
        assert set(results) == {(SERVER["ttyS1"], USER, "no-dialtone")}, report(r)
        assert not [e for e in r["events"] if e["event"] == "connect" and e.get("held")], report(r)
        assert "login:" not in r["after"] and AFTER_CALLBACK not in r["after"], \
            f"the attacker on the held call got {r['after']!r}\n{report(r)}"
        assert not [e for e in r["events"] if e["event"] == "ring" and e["line"] == USER], report(r)
        print("server dials:", results, "\nthe attacker got after the pseudo-login:", repr(r["after"]))
    finally:
        # callback keeps trying until callback_max_time: it must not dial into the next test.
        ctr.sh("pkill -x callback; sleep 1; pkill -9 -x callback", check=False)


def refusals(ctr, login: str) -> list[str]:
    out = ctr.sh("journalctl -q -o cat -t dialin-callback 2>/dev/null; "
                 "grep -h dialin-callback /var/log/auth.log 2>/dev/null", check=False).stdout
    return [ln for ln in out.splitlines() if f"callback refused: login={login} " in ln]


def mgetty_callers(ctr) -> list[str]:
    """The caller IDs in mgetty's audit lines of port 1 (``caller='...'``), in order."""
    log = ctr.sh("cat /var/log/mgetty/mg_ttyS1.log", check=False).stdout
    return [ln.split("caller='", 1)[1].split("'", 1)[0] for ln in log.splitlines()
            if "data dev=" in ln and "caller='" in ln]


def test_a_pseudo_login_with_a_caller_id_is_refused_from_another_number_or_none(host, lines):
    ctr = lines
    ensure_caller_id_config(host)
    since = time.time()
    before = len(refusals(ctr, CID_LOGIN))
    for dial, shown in (("100", ATTACKER), ("*67100", "none")):  # *67: the number withheld (NMBR = P)
        reset_lines(ctr)
        got = call(ctr, ATTACKER_LINE, "send", r"ATZ\r", "expect", "OK", "send", rf"ATD{dial}\r",
                   "expect", "CONNECT", "expect", "login:", "send", rf"{CID_LOGIN}\r", "sleep", "5")
        assert got.returncode == 0, f"the call from {shown} failed:\n{got.stdout}{got.stderr}\n{logs(ctr)}"
        assert "Dialing continues" not in got.stdout, f"a call from {shown} was to be called back:\n{got.stdout}"
        wanted = f"caller ID '{shown}' is not its registered one"
        wait_for(f"refusal in syslog ({wanted})", lambda: any(wanted in ln for ln in refusals(ctr, CID_LOGIN)[before:]),
                 30, lambda: logs(ctr))
    # mgetty read the caller ID the line delivered (or P, withheld) and passed it to the gate.
    assert mgetty_callers(ctr)[-2:] == [ATTACKER, "P"], mgetty_callers(ctr)
    # Nothing dialled, for longer than callback's delay before dialling (1 s and its own 4 s).
    time.sleep(12)
    dials = [e for e in modem_events(ctr, since) if e["event"] == "dial" and e["line"] in SERVER.values()]
    assert not dials, f"the server dialled after a refusal: {dials}\n{logs(ctr)}"
    assert len(refusals(ctr, CID_LOGIN)) - before == 2


def test_a_pseudo_login_with_a_caller_id_is_called_back_from_its_number(host, lines):
    ctr = lines
    ensure_caller_id_config(host)
    reset_lines(ctr)
    since = time.time()
    # The user calls from 300, types the pseudo-login, hangs up (drops DTR: the server's exchange
    # would hold the call otherwise) and answers the dial-back.
    got = call(ctr, USER_LINE, "send", r"ATZ\r", "expect", "OK", "send", rf"ATD{SERVER['ttyS1']}\r",
               "expect", "CONNECT", "expect", "login:", "send", rf"{CID_LOGIN}\r",
               "expect", "Dialing continues in the background", "sleep", "2", "drop-dtr", "1",
               "expect", "RING", "send", r"ATA\r", "expect", "CONNECT", "expect", AFTER_CALLBACK,
               "expect", "login:", timeout=150)
    assert got.returncode == 0, f"the registered number was not called back:\n{got.stdout}{got.stderr}\n{logs(ctr)}"
    assert mgetty_callers(ctr)[-1] == USER, mgetty_callers(ctr)
    dials = [(e["line"], e["number"]) for e in modem_events(ctr, since)
             if e["event"] == "dial" and e["line"] in SERVER.values()]
    assert dials == [(SERVER["ttyS2"], USER)], dials
