"""Tests of the modem emulator (modememu.py) and the caller helper (caller.py).

Run: python -m pytest tests/modem -q
Each test starts its own emulator with three lines under a temporary directory, with a
short ring interval and guard time so that the whole file runs in seconds.  Every wait
is bounded; an alarm fails a test that would hang anyway.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import stat
import subprocess
import sys
import termios
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from caller import Caller, ExpectTimeout  # noqa: E402

EMU = os.path.join(HERE, "modememu.py")
CALLER = os.path.join(HERE, "caller.py")
RING = 0.3  # --ring-interval
GUARD = 0.3  # --guard (S12)
MAX_RINGS = 4


@pytest.fixture(autouse=True)
def _alarm():
    def boom(*_args):
        raise TimeoutError("test took longer than 30 s")

    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(30)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


class Emu:
    def __init__(self, tmp_path, extra=(), lines=(("a", "100"), ("b", "200"), ("c", "300"))):
        self.dir = tmp_path
        self.paths = {name: str(tmp_path / "lines" / name) for name, _number in lines}
        self.log = str(tmp_path / "events.jsonl")
        self.ready = str(tmp_path / "ready")
        self.pidfile = str(tmp_path / "pid")
        cmd = [sys.executable, EMU, "--log", self.log, "--ready", self.ready, "--pidfile", self.pidfile,
               "--ring-interval", str(RING), "--max-rings", str(MAX_RINGS), "--guard", str(GUARD), "-q"]
        for name, number in lines:
            cmd += ["--line", f"{self.paths[name]}={number}"]
        cmd += list(extra)
        self.stderr = open(tmp_path / "emu.stderr", "w+")  # noqa: SIM115
        self.proc = subprocess.Popen(cmd, stderr=self.stderr)
        deadline = time.monotonic() + 5
        while not os.path.exists(self.ready):
            if self.proc.poll() is not None:
                self.stderr.seek(0)
                raise RuntimeError(f"emulator exited {self.proc.returncode}: {self.stderr.read()}")
            if time.monotonic() > deadline:
                raise RuntimeError("emulator not ready after 5 s")
            time.sleep(0.02)
        self.callers: list[Caller] = []

    def open(self, name, timeout=3.0) -> Caller:
        c = Caller(self.paths[name], timeout=timeout)
        self.callers.append(c)
        return c

    def events(self, event=None):
        with open(self.log, encoding="utf-8") as f:
            evs = [json.loads(row) for row in f if row.strip()]
        return [e for e in evs if event is None or e["event"] == event]

    def stop(self) -> int:
        for c in self.callers:
            c.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.stderr.close()
        return self.proc.returncode


@pytest.fixture
def emu(tmp_path):
    e = Emu(tmp_path)
    yield e
    e.stop()


def cmd(c: Caller, text: str, result: str = "OK") -> bytes:
    c.send(text + "\r")
    return c.expect(result)


def connect(emu, caller="a", callee="b", number="200"):
    a = emu.open(caller)
    b = emu.open(callee)
    cmd(a, "ATZ")
    cmd(b, "ATZ")
    a.send(f"ATD{number}\r")
    b.expect("RING")
    b.send("ATA\r")
    b.expect("CONNECT 38400\r\n")
    a.expect("CONNECT 38400\r\n")
    return a, b


def escape(c: Caller) -> None:
    c.sleep(GUARD + 0.15)
    c.send("+++")
    c.expect("\r\nOK\r\n", timeout=GUARD + 2)


def test_at_ok(emu):
    a = emu.open("a")
    a.send("AT\r")
    assert a.expect("OK\r\n") == b"AT\r\r\nOK\r\n"
    a.send("at\r")
    assert a.expect("OK\r\n") == b"at\r\r\nOK\r\n"


def test_echo_off_and_on(emu):
    a = emu.open("a")
    assert cmd(a, "ATE0", "OK\r\n") == b"ATE0\r\r\nOK\r\n"  # echoed before it takes effect
    a.send("AT\r")
    assert a.expect("OK\r\n") == b"\r\nOK\r\n"
    a.send("ATE1\r")
    assert a.expect("OK\r\n") == b"\r\nOK\r\n"
    a.send("AT\r")
    assert a.expect("OK\r\n") == b"AT\r\r\nOK\r\n"
    cmd(a, "ATE0", "OK\r\n")
    a.send("ATZ\r")  # ATZ restores the defaults: echo on again
    assert a.expect("OK\r\n") == b"\r\nOK\r\n"
    a.send("AT\r")
    assert a.expect("OK\r\n") == b"AT\r\r\nOK\r\n"


def test_multiple_commands_per_line(emu):
    a = emu.open("a")
    for line in ("AT&FH0", "ATQ0V1H0", "AT&F E0 V1 &C1 &D2 X4 M0 L0 S0=0 H0", "AT+FCLASS=0",
                 "ATX3M1L2&K3", "AT&C1&D2S7=60", "ATE1Q0V1"):
        a.send(line + "\r")
        assert a.expect_re(rb"\r\n(OK|ERROR)\r\n").endswith(b"OK\r\n"), line
    cmd(a, "ATI", "OK\r\n")
    a.send("ATI\r")
    assert b"modememu" in a.expect("OK\r\n")
    a.send("ATS0=3S0?\r")
    assert a.expect("OK\r\n").endswith(b"\r\n003\r\n\r\nOK\r\n")
    a.send("AT&C1A\r")  # &C1, then answer: nothing rings
    assert a.expect_re(rb"\r\n(NO CARRIER|OK|ERROR)\r\n").endswith(b"NO CARRIER\r\n")


def test_numeric_and_quiet_results(emu):
    a = emu.open("a")
    cmd(a, "ATE0V0", "V0\r0\r")
    a.send("AT\r")
    assert a.expect("\r") == b"0\r"
    a.send("ATFOO\r")
    assert a.expect("\r") == b"4\r"
    a.send("ATV1Q1\r")
    assert a.read_for(0.3) == b""
    a.send("ATQ0\r")
    assert a.expect("OK\r\n") == b"\r\nOK\r\n"


def test_error_for_garbage(emu):
    a = emu.open("a")
    for junk in ("ATGARBAGE", "AT&", "AT+NOSUCH", "ATE7", "ATS999=1", "AT+FCLASS=2"):
        a.send(junk + "\r")
        assert a.expect_re(rb"\r\n(OK|ERROR)\r\n").endswith(b"ERROR\r\n"), junk
    a.send("HELLO\r")  # not a command: echoed, otherwise ignored
    assert a.read_for(0.3) == b"HELLO\r"
    cmd(a, "AT")
    assert [e["result"] for e in emu.events("cmd")][:2] == ["ERROR", "ERROR"]


def test_dial_unknown_number(emu):
    a = emu.open("a")
    a.send("ATDT999\r")
    assert a.expect_re(rb"\r\n(NO CARRIER|BUSY|CONNECT)").endswith(b"NO CARRIER")
    (dial,) = emu.events("dial")
    assert dial["number"] == "999" and dial["result"] == "no-carrier" and dial["line"] == "100"


def test_dial_rings_callee_and_ata_connects_both(emu):
    a = emu.open("a")
    b = emu.open("b")
    cmd(b, "AT")
    a.send("ATDT 2,0-0\r")  # modifiers and punctuation are ignored: dials 200
    t0 = time.monotonic()
    b.expect("\r\nRING\r\n")
    b.expect("\r\nRING\r\n")
    assert time.monotonic() - t0 >= RING * 0.8
    assert a.read_for(0.1) == b"ATDT 2,0-0\r"  # the caller only sees its echo while ringing
    b.send("ATA\r")
    assert b.expect("CONNECT 38400\r\n").endswith(b"ATA\r\r\nCONNECT 38400\r\n")
    a.expect("\r\nCONNECT 38400\r\n")
    assert emu.events("dial")[0]["number"] == "200"


def test_data_relayed_both_ways(emu):
    a, b = connect(emu)
    blob = bytes(range(256)) * 4  # every byte value, no escape sequence in it
    a.send(blob)
    got = bytearray()
    while len(got) < len(blob):
        got += b.read_for(0.2)
    assert bytes(got) == blob
    b.send("hello from b\r\nATH\r\n")  # online, AT commands are just data
    a.expect("hello from b\r\nATH\r\n")
    a.send("a+++b")  # no guard time: not an escape
    b.expect("a+++b")
    assert b.read_for(GUARD + 0.3) == b""


def test_escape_then_ath_gives_peer_no_carrier(emu):
    a, b = connect(emu)
    escape(b)
    cmd(b, "ATH", "OK\r\n")
    a.expect("\r\nNO CARRIER\r\n")
    cmd(a, "AT")  # both back in command mode
    cmd(b, "AT")
    (hup,) = emu.events("hangup")
    assert hup["line"] == "200" and hup["reason"] == "ath" and hup["peer"] == "100"


def test_escape_then_ato_goes_back_online(emu):
    a, b = connect(emu)
    escape(a)
    cmd(a, "AT")  # online command mode takes commands
    a.send("ATO\r")
    a.expect("CONNECT 38400\r\n")
    a.send("still here")
    b.expect("still here")
    b.send("and me")
    a.expect("and me")


def test_closing_the_callee_hangs_up(emu):
    a, b = connect(emu)
    b.close()
    a.expect("\r\nNO CARRIER\r\n")
    b = emu.open("b")
    cmd(b, "AT")
    assert emu.events("hangup")[0]["reason"] == "close"


def test_a_close_with_hupcl_off_keeps_the_call(emu):
    # util-linux's login (Debian 13) clears HUPCL, closes the port and opens it again: on a
    # serial port DTR stays up, so the modem keeps the call.
    a, b = connect(emu)
    attrs = termios.tcgetattr(b.fd)
    attrs[2] &= ~termios.HUPCL
    termios.tcsetattr(b.fd, termios.TCSANOW, attrs)
    b.close()
    time.sleep(0.5)
    b = emu.open("b")
    a.send("after the reopen")
    b.expect("after the reopen")
    assert not emu.events("hangup")
    attrs = termios.tcgetattr(b.fd)
    attrs[2] |= termios.HUPCL  # login puts the modes back after its reopen
    termios.tcsetattr(b.fd, termios.TCSANOW, attrs)
    b.close()
    a.expect("\r\nNO CARRIER\r\n")
    assert [e["reason"] for e in emu.events("hangup")] == ["close"]


# A program in a session of its own on the callee's line (start_new_session: it opens the line as
# its controlling tty, HUPCL on), then, once told on stdin, util-linux's login's init_tty(): HUPCL
# off, close, vhangup(), open again, the modes put back (HUPCL on), and a line to the caller.
LOGIN_LIKE = r"""
import ctypes, os, signal, sys, termios
path = sys.argv[1]
fd = os.open(path, os.O_RDWR)
attrs = termios.tcgetattr(fd)
attrs[2] |= termios.HUPCL
termios.tcsetattr(fd, termios.TCSANOW, attrs)
print("open", flush=True)
sys.stdin.readline()
modes = termios.tcgetattr(fd)
cleared = list(modes)
cleared[2] &= ~termios.HUPCL
termios.tcsetattr(fd, termios.TCSANOW, cleared)
os.close(fd)
signal.signal(signal.SIGHUP, signal.SIG_IGN)
ctypes.CDLL(None).vhangup()
signal.signal(signal.SIGHUP, signal.SIG_DFL)
fd = os.open(path, os.O_RDWR)
termios.tcsetattr(fd, termios.TCSAFLUSH, modes)
os.write(fd, b"after the reopen")
sys.stdin.readline()
"""


def test_login_reopening_the_line_before_the_modem_looks_keeps_the_call(tmp_path):
    """On a loaded machine login's close, reopen and restored HUPCL can all come before the modem
    reads the line's modes (--close-latency makes that certain): the same session opened the line
    again, so the call goes on. Without that check the modes say HUPCL and the call is hung up."""
    e = Emu(tmp_path, ["--close-latency", "0.3"])
    try:
        a, b = connect(e)
        login = subprocess.Popen([sys.executable, "-c", LOGIN_LIKE, e.paths["b"]], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True, start_new_session=True)
        try:
            assert login.stdout.readline() == "open\n"
            b.close()
            time.sleep(0.3)  # the emulator has seen the session of the line's only opener
            login.stdin.write("go\n")
            login.stdin.flush()
            a.expect("after the reopen")
            time.sleep(0.6)  # past the close latency
            a.send("still connected")
            assert not e.events("hangup")
        finally:
            login.kill()
            login.wait(5)
        a.expect("\r\nNO CARRIER\r\n")  # its last close, HUPCL on: a hang-up
        assert [ev["reason"] for ev in e.events("hangup")] == ["close"]
    finally:
        e.stop()


def test_another_session_opening_the_line_at_once_does_not_keep_the_call(tmp_path):
    """The control: the line's last close with HUPCL on, and a program of another session (init's
    next mgetty) opening the line before the modem looks: the call is hung up."""
    e = Emu(tmp_path, ["--close-latency", "0.3"])
    try:
        a, b = connect(e)
        first = subprocess.Popen([sys.executable, "-c", LOGIN_LIKE, e.paths["b"]], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True, start_new_session=True)
        assert first.stdout.readline() == "open\n"
        b.close()
        time.sleep(0.3)
        first.kill()
        first.wait(5)
        second = subprocess.Popen([sys.executable, "-c", LOGIN_LIKE, e.paths["b"]], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True, start_new_session=True)
        try:
            assert second.stdout.readline() == "open\n"
            a.expect("\r\nNO CARRIER\r\n")
            assert [ev["reason"] for ev in e.events("hangup")] == ["close"]
        finally:
            second.kill()
            second.wait(5)
    finally:
        e.stop()


def test_closing_the_caller_hangs_up(emu):
    a, b = connect(emu)
    a.close()
    b.expect("\r\nNO CARRIER\r\n")


def test_busy(emu):
    a = emu.open("a")
    b = emu.open("b")
    c = emu.open("c")
    a.send("ATD200\r")
    b.expect("RING")
    c.send("ATD200\r")
    c.expect("\r\nBUSY\r\n")
    c.send("ATD300\r")  # our own number
    c.expect("\r\nBUSY\r\n")
    b.send("ATA\r")
    a.expect("CONNECT")
    c.send("ATD100\r")  # connected lines are busy too
    c.expect("\r\nBUSY\r\n")
    assert [e["result"] for e in emu.events("dial")] == ["ringing", "busy", "busy", "busy"]


def test_dtr_drop_hangs_up(emu):
    a, b = connect(emu)
    b.drop_dtr(0.3)
    a.expect("\r\nNO CARRIER\r\n")
    cmd(b, "AT")
    assert emu.events("hangup")[-1]["reason"] == "dtr"
    # And from the other side, with an explicit B0 through termios.
    a.send("ATD200\r")
    b.expect("RING")
    b.send("ATA\r")
    a.expect("CONNECT")
    attrs = termios.tcgetattr(a.fd)
    saved = list(attrs)
    attrs[4] = attrs[5] = termios.B0
    termios.tcsetattr(a.fd, termios.TCSANOW, attrs)
    b.expect("\r\nNO CARRIER\r\n")
    termios.tcsetattr(a.fd, termios.TCSANOW, saved)
    cmd(a, "AT")


def test_dtr_ignored_with_and_d0(emu):
    a, b = connect(emu)
    escape(b)
    a.expect("+++")  # the escape sequence itself reaches the peer, as with real modems
    cmd(b, "AT&D0O", "CONNECT")
    b.drop_dtr(0.3)
    assert a.read_for(0.3) == b""
    b.send("alive")
    a.expect("alive")


def test_ata_when_not_ringing(emu):
    a = emu.open("a")
    cmd(a, "ATA", "NO CARRIER")


def test_no_answer(emu):
    a = emu.open("a")
    b = emu.open("b")
    a.send("ATD200\r")
    a.expect("\r\nNO CARRIER\r\n", timeout=RING * (MAX_RINGS + 3))
    assert b.read_for(0.1).count(b"RING") == MAX_RINGS
    assert emu.events("hangup")[-1]["reason"] == "no-answer"
    cmd(b, "AT")


def test_auto_answer(emu):
    a = emu.open("a")
    b = emu.open("b")
    cmd(b, "ATS0=2")
    a.send("ATD200\r")
    out = b.expect("CONNECT 38400\r\n")
    assert out.count(b"RING") == 2
    a.expect("CONNECT 38400")
    assert emu.events("answer")[0]["auto"] is True


def test_dial_aborted_by_a_key(emu):
    a = emu.open("a")
    b = emu.open("b")
    a.send("ATD200\r")
    b.expect("RING")
    a.send("x")
    a.expect("\r\nNO CARRIER\r\n")
    b.read_for(RING * 2)
    assert b"RING" not in b.read_for(RING * 2)
    cmd(b, "AT")
    c = emu.open("c")
    c.send("ATD200\r")  # the line is free again
    b.expect("RING")


def test_ringing_a_line_nobody_has_open_leaves_nothing_behind(emu):
    a = emu.open("a")
    a.send("ATD200\r")
    a.expect("NO CARRIER", timeout=RING * (MAX_RINGS + 3))
    b = emu.open("b")
    assert b.read_for(0.3) == b""  # the RINGs were not queued for the next opener
    cmd(b, "AT")
    assert len(emu.events("ring")) == MAX_RINGS


def test_first_command_right_after_open(emu):
    for _attempt in range(5):
        fd = os.open(emu.paths["a"], os.O_RDWR | os.O_NOCTTY)
        os.write(fd, b"ATZ\r")  # before the emulator can have noticed the open
        c = Caller.__new__(Caller)
        c.path, c.timeout, c.transcript, c.fd = emu.paths["a"], 3.0, None, fd
        c.buf, c.received, c.t0 = bytearray(), bytearray(), time.monotonic()
        c.expect("OK\r\n")
        os.close(fd)
        time.sleep(0.1)


def test_events_log(emu):
    a, b = connect(emu)
    escape(a)
    cmd(a, "ATH")
    b.expect("NO CARRIER")
    evs = emu.events()
    assert all({"t", "line", "event"} <= e.keys() for e in evs)
    assert {e["event"] for e in evs} <= {"dial", "ring", "answer", "connect", "hangup", "cmd"}
    kinds = [e["event"] for e in evs if e["event"] != "cmd"]
    assert kinds[:2] == ["dial", "ring"]
    assert kinds[-4:] == ["answer", "connect", "connect", "hangup"]
    dial = evs[[e["event"] for e in evs].index("dial")]
    assert dial == {**dial, "line": "100", "number": "200", "result": "ringing"}
    assert {e["line"] for e in emu.events("connect")} == {"100", "200"}
    assert all(e["number"] == "200" for e in evs if e["event"] != "cmd")
    assert [e["cmd"] for e in emu.events("cmd") if e["line"] == "100"] == ["ATZ", "ATD200", "+++", "ATH"]
    ts = [e["t"] for e in evs]
    assert ts == sorted(ts)


def test_sigterm_removes_links(tmp_path):
    e = Emu(tmp_path)
    paths = list(e.paths.values())
    assert all(os.path.islink(p) for p in paths)
    assert all(os.readlink(p).startswith("/dev/pts/") for p in paths)
    assert json.load(open(e.ready))["pid"] == e.proc.pid
    assert e.stop() == 0
    assert not any(os.path.lexists(p) for p in paths)
    assert not os.path.exists(e.ready) and not os.path.exists(e.pidfile)


def test_bind_mount(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("--bind needs root (CAP_SYS_ADMIN)")
    try:
        e = Emu(tmp_path, extra=["--bind"], lines=(("ttyS1", "100"), ("caller", "200")))
    except RuntimeError as err:
        if "CAP_SYS_ADMIN" in str(err) or "not permitted" in str(err):
            pytest.skip(f"no CAP_SYS_ADMIN: {err}")
        raise
    try:
        path = e.paths["ttyS1"]
        assert not os.path.islink(path)
        assert stat.S_ISCHR(os.stat(path).st_mode)
        s1 = e.open("ttyS1")
        # What mgetty's callback -S needs.  (Not os.ttyname: CPython gives ttyname_r a
        # _SC_TTY_NAME_MAX = 32 byte buffer, too short for a tmp path.)
        libc = ctypes.CDLL(None)
        libc.ttyname.restype = ctypes.c_char_p
        assert libc.ttyname(s1.fd).decode() == path
        c = e.open("caller")
        c.send("ATD100\r")
        s1.expect("RING")
        s1.send("ATA\r")
        c.expect("CONNECT")
        s1.close()
        c.expect("NO CARRIER")
    finally:
        assert e.stop() == 0
    assert not os.path.lexists(path)
    with open("/proc/self/mountinfo") as f:
        assert path not in f.read()


def test_caller_cli(emu, tmp_path):
    ok = subprocess.run(
        [sys.executable, CALLER, "--line", emu.paths["a"], "--timeout", "5",
         "send", r"ATZ\r", "expect", "OK", "send", r"ATD300\r", "expect-re", "BUSY|NO CARRIER|CONNECT"],
        capture_output=True, text=True, timeout=20, check=False)
    assert ok.returncode == 0, ok.stderr
    assert ">>> ATZ\\r" in ok.stdout and "<<<" in ok.stdout and "caller: OK" in ok.stdout
    bad = subprocess.run(
        [sys.executable, CALLER, "--line", emu.paths["a"], "--timeout", "5", "--step-timeout", "0.5",
         "send", r"AT\r", "expect", "OK", "expect", "login:"],
        capture_output=True, text=True, timeout=20, check=False)
    assert bad.returncode == 1
    assert "step 3 (expect 'login:')" in bad.stderr and "timed out" in bad.stderr
    usage = subprocess.run([sys.executable, CALLER, "--line", emu.paths["a"], "frobnicate"],
                           capture_output=True, text=True, timeout=20, check=False)
    assert usage.returncode == 2 and "unknown step" in usage.stderr
    missing = subprocess.run([sys.executable, CALLER, "--line", str(tmp_path / "nope"), "--wait", "0.2",
                              "send", "AT"], capture_output=True, text=True, timeout=20, check=False)
    assert missing.returncode == 3


def test_caller_expect_timeout_names_what_it_waited_for(emu):
    a = emu.open("a", timeout=0.3)
    a.send("AT\r")
    with pytest.raises(ExpectTimeout, match="login:"):
        a.expect("login:")


# ----- calling-party clear: the held line -------------------------------------------------


def held_call(tmp_path, extra=("--calling-party-clear", "200")):
    """a (100) calls b (200), b answers and hangs up (DTR drop): with calling-party clear on 200
    the call is held for a."""
    e = Emu(tmp_path, extra=list(extra))
    a, b = connect(e)
    b.drop_dtr(0.3)
    return e, a, b


def test_a_called_line_hanging_up_holds_the_call_with_calling_party_clear(tmp_path):
    e, a, b = held_call(tmp_path)
    try:
        assert b"NO CARRIER" not in a.read_for(0.5), "the caller was hung up on"
        (hup,) = e.events("hangup")
        assert hup == {**hup, "line": "200", "reason": "dtr", "held": True, "peer": "100"}
        cmd(b, "AT")  # the called line is on hook, in command mode
        # mgetty's init chat on the held line (ATZ, AT&F...) does not end the call...
        cmd(b, "ATZ")
        cmd(b, "AT&FE1Q0V1&C1&D2&K3S0=0")
        a.send("lost")  # ...and nobody hears the caller meanwhile
        assert b.read_for(0.3) == b""
        c = e.open("c")
        cmd(c, "AT")
        c.send("ATD200\r")  # the held line is engaged
        c.expect("\r\nBUSY\r\n")
        # Off hook again: no dial tone. Dial-tone detection (X4, the factory default) says so.
        cmd(b, "ATD300", "\r\nNO DIALTONE\r\n")
        assert b"RING" not in c.read_for(0.5)
        # Dialling blind (X3), the dial lands in the held call: CONNECT, to the caller.
        cmd(b, "ATX3")
        cmd(b, "ATD300", "\r\nCONNECT 38400\r\n")
        b.send("login: ")
        a.expect("login: ")
        a.send("intruder\r")
        b.expect("intruder\r")
        assert b"RING" not in c.read_for(0.3), "the dialled number rang"
        dials = [d for d in e.events("dial") if d["line"] == "200"]
        assert [(d["number"], d["result"], d.get("peer")) for d in dials] == [
            ("300", "no-dialtone", "100"), ("300", "held", "100")]
        held = [ev for ev in e.events("connect") if ev.get("held")]
        assert {(ev["line"], ev["peer"]) for ev in held} == {("200", "100"), ("100", "200")}
        assert b"NO CARRIER" not in a.received
    finally:
        e.stop()


def test_the_caller_hanging_up_clears_a_held_call(tmp_path):
    e, a, b = held_call(tmp_path)
    try:
        escape(a)
        cmd(a, "ATH")  # the calling party clears the call
        assert b"NO CARRIER" not in b.read_for(0.3)  # on hook: nothing to tell it
        c = e.open("c")
        cmd(c, "AT")
        cmd(b, "ATX3")
        b.send("ATD300\r")  # a normal dial now
        c.expect("RING")
        c.send("ATA\r")
        b.expect("CONNECT 38400")
        assert e.events("dial")[-1]["result"] == "ringing"
        # b is the calling party of this call: its hang-up clears it at once.
        b.drop_dtr(0.3)
        c.expect("\r\nNO CARRIER\r\n")
    finally:
        e.stop()


def test_a_caller_who_closes_the_line_clears_the_held_call(tmp_path):
    e, a, b = held_call(tmp_path)
    try:
        a.close()
        time.sleep(0.3)
        c = e.open("c")
        cmd(c, "AT")
        c.send("ATD200\r")  # the line is free again
        b.expect("RING")
        assert [h["reason"] for h in e.events("hangup")] == ["dtr", "close"]
    finally:
        e.stop()


def test_the_exchange_releases_a_held_call_after_the_release_time(tmp_path):
    e, a, b = held_call(tmp_path, extra=("--calling-party-clear", "--release-time", "0.6"))
    try:
        assert b"NO CARRIER" not in a.read_for(0.2)
        a.expect("\r\nNO CARRIER\r\n", timeout=3)
        assert e.events("hangup")[-1] == {**e.events("hangup")[-1], "line": "100", "reason": "release"}
        c = e.open("c")
        cmd(c, "AT")
        b.send("ATD300\r")  # dial tone again
        c.expect("RING")
        cmd(a, "AT")
    finally:
        e.stop()


def test_without_calling_party_clear_the_called_line_hangs_up_as_before(tmp_path):
    e, a, b = held_call(tmp_path, extra=("--calling-party-clear", "300"))  # not b's line
    try:
        a.expect("\r\nNO CARRIER\r\n")
        assert "held" not in e.events("hangup")[0]
        cmd(b, "ATX0")
        c = e.open("c")
        cmd(c, "AT")
        b.send("ATD300\r")
        c.expect("RING")
    finally:
        e.stop()


@pytest.mark.parametrize("x, result", [(0, "CONNECT 38400"), (1, "CONNECT 38400"), (2, "NO DIALTONE"),
                                       (3, "CONNECT 38400"), (4, "NO DIALTONE"), (None, "NO DIALTONE")])
def test_dial_tone_detection_by_x_level(tmp_path, x, result):
    e, a, b = held_call(tmp_path)
    try:
        if x is not None:
            cmd(b, f"ATX{x}")
        b.send("ATDT300\r")
        assert b.expect_re(rb"\r\n(CONNECT 38400|NO DIALTONE|NO CARRIER|BUSY)\r\n").endswith(
            f"\r\n{result}\r\n".encode())
        b.send("ATQ0\r")
        if result == "NO DIALTONE":
            b.expect("OK")
            assert b"NO CARRIER" not in a.read_for(0.2)  # still held
        else:
            a.expect("ATQ0\r")  # online: the command is data for the caller
    finally:
        e.stop()


def test_calling_party_clear_needs_known_numbers(tmp_path):
    with pytest.raises(RuntimeError, match="no line has the number"):
        Emu(tmp_path, extra=["--calling-party-clear", "100,999"])


# ----- caller ID --------------------------------------------------------------------------


def test_caller_id_is_delivered_between_the_first_and_second_ring(tmp_path):
    e = Emu(tmp_path, extra=["--caller-id", "200"])
    try:
        a = e.open("a")
        b = e.open("b")
        cmd(b, "AT")
        a.send("ATD200\r")
        got = b.expect("\r\nRING\r\n")
        got += b.expect("\r\nRING\r\n")
        text = got.decode()
        # As mgetty's cnd.c reads it (Rockwell: "DATE = ", "TIME = ", "NMBR = ").
        assert text.index("RING") < text.index("NMBR = 100\r\n") < text.rindex("RING"), text
        lines = [ln for ln in text.split("\r\n") if ln]
        i = lines.index("NMBR = 100")
        assert lines[i - 2].startswith("DATE = ") and len(lines[i - 2]) == len("DATE = 0321")
        assert lines[i - 1].startswith("TIME = ") and lines[i - 1][7:].isdigit()
        assert text.count("NMBR") == 1  # once per call
        rings = e.events("ring")
        assert rings[0]["caller_id"] == "100"
        b.send("ATA\r")
        a.expect("CONNECT")
    finally:
        e.stop()


def test_a_withheld_number_is_delivered_as_private(tmp_path):
    e = Emu(tmp_path, extra=["--caller-id"])
    try:
        a = e.open("a")
        b = e.open("b")
        cmd(b, "AT")
        a.send("ATD*67200\r")  # *67 (or #31#): withhold the number; 200 still rings
        b.expect("RING")
        b.expect("\r\nNMBR = P\r\n")
        (dial,) = e.events("dial")
        assert dial == {**dial, "number": "200", "withheld": True, "result": "ringing"}
        b.send("ATA\r")
        a.expect("CONNECT")
        escape(a)
        cmd(a, "ATH")
        b.expect("NO CARRIER")
        a.send("ATD#31#200\r")
        b.expect("\r\nNMBR = P\r\n")
    finally:
        e.stop()


def test_no_caller_id_on_lines_without_it(tmp_path):
    e = Emu(tmp_path, extra=["--caller-id", "300"])
    try:
        a = e.open("a")
        b = e.open("b")
        cmd(b, "AT")
        a.send("ATD200\r")
        got = b.expect("\r\nRING\r\n") + b.expect("\r\nRING\r\n")
        assert b"NMBR" not in got and b"DATE" not in got
        assert "caller_id" not in e.events("ring")[0]
    finally:
        e.stop()


# ----- broken modems --------------------------------------------------------------------------


def test_an_error_modem_answers_every_command_with_error(tmp_path):
    e = Emu(tmp_path, extra=["--error", "100"])
    try:
        a = e.open("a")
        b = e.open("b")
        # mgetty's init chat ("" ATZ OK, or the Hayes set-up) gets ERROR for every line it sends.
        for text in ("ATZ", "AT", "AT&FE1Q0V1&C1&D2&K3S0=0", "ATS0=1"):
            assert cmd(a, text, "ERROR\r\n") == (text + "\r\r\nERROR\r\n").encode()
        a.send("ATD200\r")
        a.expect("ERROR")
        assert b"RING" not in b.read_for(RING * 2)  # the dial was not run
        cmd(b, "AT")  # the other lines' modems are sound
        b.send("ATD100\r")
        assert a.read_for(RING * 2).count(b"RING") >= 1
        a.send("ATA\r")
        a.expect("ERROR")  # never answers
        b.expect("\r\nNO CARRIER\r\n", timeout=RING * (MAX_RINGS + 3))
        faulty = [ev for ev in e.events("cmd") if ev["line"] == "100"]
        assert faulty and all(ev["fault"] == "error" and ev["result"] == "ERROR" for ev in faulty), faulty
        assert not e.events("answer")
    finally:
        e.stop()


def test_a_silent_modem_sends_nothing(tmp_path):
    e = Emu(tmp_path, extra=["--silent", "100"])
    try:
        a = e.open("a")
        b = e.open("b")
        a.send("ATZ\r")
        a.send("AT\r")
        assert a.read_for(1.0) == b""  # no echo, no result: mgetty's chat times out
        with pytest.raises(ExpectTimeout):
            a.expect("OK", timeout=0.5)
        cmd(b, "AT")
        b.send("ATD100\r")  # rings unanswered, and the silent line shows no RING
        b.expect("\r\nNO CARRIER\r\n", timeout=RING * (MAX_RINGS + 3))
        assert a.read_for(0.2) == b""
        cmds = [ev for ev in e.events("cmd") if ev["line"] == "100"]
        assert [ev["cmd"] for ev in cmds] == ["ATZ", "AT"] and all(ev["fault"] == "silent" for ev in cmds)
        assert "result" not in cmds[0]
    finally:
        e.stop()


def test_a_fault_on_an_unknown_number_is_refused(tmp_path):
    with pytest.raises(RuntimeError, match="--silent: no line has the number"):
        Emu(tmp_path, extra=["--silent", "999"])
