"""Test-side helper: talk to a line of the modem emulator (modememu.py) like a user would.

Command line::

    python3 caller.py --line /run/modememu/caller [--timeout 40] [--step-timeout S]
        [--wait 10] [--quiet] STEP...

STEPs run in order:

    send TEXT         write TEXT (backslash escapes: \\r \\n \\t \\xHH \\\\)
    expect TEXT       wait until TEXT has been received (escapes as for send)
    expect-re REGEX   wait until the Python regular expression matches the received text
    expect-eof        wait until the line hangs up under us (read gives EIO: the emulator
                      went away; a modem hang-up is the text NO CARRIER, not EOF)
    sleep SECONDS     wait, still recording what arrives
    drop-dtr SECONDS  set the speed to B0 (a DTR drop) for SECONDS, then restore it
    close             close the line (its last close is a hang-up for the emulator)
    open              open it again
    timeout SECONDS   set the timeout of the following expect steps

Each expect consumes the received text up to the end of its match.  A transcript goes
to stdout (``>>>`` sent, ``<<<`` received, with times since start).  Exit status: 0 when
every step succeeded; 1 when a step failed or timed out (the message names the step
and shows what was received); 2 for a usage error; 3 when the line cannot be opened.
``--timeout`` bounds the whole script, ``--step-timeout`` (default: the same) each expect.

As a module (stdlib only)::

    from caller import Caller
    with Caller("/run/modememu/caller", timeout=10) as c:
        c.send("ATZ\\r")
        c.expect("OK")
        c.send("ATD100\\r")
        c.expect("CONNECT")
"""

from __future__ import annotations

import argparse
import errno
import os
import re
import select
import sys
import termios
import time
import tty


class CallerError(Exception):
    """A step failed."""


class ExpectTimeout(CallerError):
    pass


class LineClosed(CallerError):
    pass


# mgetty 1.2.1's login prompt (getlogname() in logname.c) waits for each character 5 s at a time,
# and after each 5-s wait tests the last character read for CR or LF. Before the first character that
# variable is uninitialized stack: when it happens to hold CR or LF, a caller who types nothing for
# 5 s gets an empty login name, which login.config's `*` line takes (here /bin/false: a hang-up).
# mgetty ignores ^A (it drops bytes 0 and 1) but keeps it as the last character: a test's caller who
# stays at the prompt sends it first, so that only what the test looks at can end the call.
IGNORED_AT_LOGIN_PROMPT = b"\x01"


def unescape(text: str) -> bytes:
    """'ATZ\\r' (as typed on a command line) -> b'ATZ\\r'."""
    return text.encode("latin-1", "backslashreplace").decode("unicode_escape").encode("latin-1")


def show(data: bytes) -> str:
    return repr(data)[2:-1]


class Caller:
    def __init__(self, path: str, timeout: float = 10.0, transcript=None, wait: float = 0.0,
                 speed: int = termios.B38400):
        self.path = path
        self.timeout = timeout
        self.transcript = transcript  # a callable taking a str, or None
        self.speed = speed
        self.fd = -1
        self.buf = bytearray()  # received, not yet consumed by an expect
        self.received = bytearray()  # everything received
        self.t0 = time.monotonic()
        self.open(wait=wait)

    # ----- life cycle -------------------------------------------------------------------
    def open(self, wait: float = 0.0) -> None:
        deadline = time.monotonic() + wait
        while True:
            try:
                self.fd = os.open(self.path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
                break
            except FileNotFoundError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.05)
        # Raw, 8N1, no modem control; TCSANOW so that nothing queued is flushed.
        tty.setraw(self.fd, termios.TCSANOW)
        attrs = termios.tcgetattr(self.fd)
        attrs[2] |= termios.CLOCAL | termios.CREAD
        attrs[4] = attrs[5] = self.speed
        termios.tcsetattr(self.fd, termios.TCSANOW, attrs)
        self._note(f"--- opened {self.path}")

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
            self._note(f"--- closed {self.path}")

    def __enter__(self) -> "Caller":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _note(self, msg: str) -> None:
        if self.transcript is not None:
            self.transcript(f"[{time.monotonic() - self.t0:7.3f}] {msg}")

    # ----- I/O --------------------------------------------------------------------------
    def send(self, data: str | bytes) -> None:
        if isinstance(data, str):
            data = data.encode("latin-1")
        self._note(f">>> {show(data)}")
        view = memoryview(data)
        deadline = time.monotonic() + self.timeout
        while view:
            try:
                n = os.write(self.fd, view)
                view = view[n:]
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise ExpectTimeout(f"could not write to {self.path} for {self.timeout} s")
                select.select([], [self.fd], [], 0.1)

    def _read(self, wait: float) -> bytes:
        """Read what arrives within `wait` seconds (b'' if nothing); LineClosed on EIO."""
        readable = select.select([self.fd], [], [], max(0.0, wait))[0]
        if not readable:
            return b""
        try:
            data = os.read(self.fd, 4096)
        except BlockingIOError:
            return b""
        except OSError as e:
            if e.errno == errno.EIO:
                raise LineClosed(f"{self.path}: the line went away (EIO)") from e
            raise
        if data:
            self.buf += data
            self.received += data
            self._note(f"<<< {show(data)}")
        return data

    def expect(self, pattern: str | bytes, timeout: float | None = None) -> bytes:
        """Wait for a literal text; return the received text up to the end of it."""
        if isinstance(pattern, str):
            pattern = pattern.encode("latin-1")

        def find(buf: bytearray) -> int:
            i = buf.find(pattern)
            return i + len(pattern) if i >= 0 else -1

        return self._expect(find, repr(pattern.decode("latin-1")), timeout)

    def stay_at_login_prompt(self) -> None:
        """Before staying silent at mgetty's login prompt: a character mgetty ignores (see
        IGNORED_AT_LOGIN_PROMPT)."""
        self.send(IGNORED_AT_LOGIN_PROMPT)

    def expect_re(self, regex: str | bytes, timeout: float | None = None) -> bytes:
        if isinstance(regex, str):
            regex = regex.encode("latin-1")
        rx = re.compile(regex)

        def find(buf: bytearray) -> int:
            m = rx.search(bytes(buf))
            return m.end() if m else -1

        return self._expect(find, f"/{regex.decode('latin-1')}/", timeout)

    def _expect(self, find, what: str, timeout: float | None) -> bytes:
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while True:
            end = find(self.buf)
            if end >= 0:
                out = bytes(self.buf[:end])
                del self.buf[:end]
                return out
            left = deadline - time.monotonic()
            if left <= 0:
                raise ExpectTimeout(f"timed out after {timeout:g} s waiting for {what}; "
                                    f"unmatched input: '{show(bytes(self.buf[-300:]))}'")
            self._read(min(left, 0.2))

    def expect_eof(self, timeout: float | None = None) -> None:
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self._read(min(0.2, max(0.0, deadline - time.monotonic())))
            except LineClosed:
                return
        raise ExpectTimeout(f"timed out after {timeout:g} s waiting for the line to close")

    def read_for(self, seconds: float) -> bytes:
        """Collect what arrives during `seconds` (it stays available to expect)."""
        deadline = time.monotonic() + seconds
        got = bytearray()
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return bytes(got)
            got += self._read(min(left, 0.2))

    def sleep(self, seconds: float) -> None:
        self.read_for(seconds)

    def drop_dtr(self, seconds: float = 0.5) -> None:
        """Hang up the way a program does on a real serial port: speed B0 for a while."""
        attrs = termios.tcgetattr(self.fd)
        saved = list(attrs)
        attrs[4] = attrs[5] = termios.B0
        termios.tcsetattr(self.fd, termios.TCSANOW, attrs)
        self._note(f"--- DTR low for {seconds:g} s")
        self.read_for(seconds)
        termios.tcsetattr(self.fd, termios.TCSANOW, saved)
        self._note("--- DTR high")


STEPS = {  # name -> number of arguments
    "send": 1, "expect": 1, "expect-re": 1, "expect-eof": 0, "sleep": 1, "drop-dtr": 1,
    "close": 0, "open": 0, "timeout": 1,
}


def parse_steps(words: list[str]) -> list[tuple[str, str | None]]:
    steps = []
    i = 0
    while i < len(words):
        name = words[i]
        if name not in STEPS:
            raise ValueError(f"unknown step {name!r} (known: {', '.join(STEPS)})")
        if STEPS[name]:
            if i + 1 >= len(words):
                raise ValueError(f"step {name!r} needs an argument")
            steps.append((name, words[i + 1]))
            i += 2
        else:
            steps.append((name, None))
            i += 1
        if name in ("sleep", "drop-dtr", "timeout"):
            try:
                float(steps[-1][1])
            except ValueError:
                raise ValueError(f"step {name!r} needs a number, not {steps[-1][1]!r}") from None
    return steps


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description="Run a send/expect script on a modem emulator line.",
        epilog="Steps: send TEXT | expect TEXT | expect-re REGEX | expect-eof | sleep S | "
        "drop-dtr S | close | open | timeout S.  Example: caller.py --line /run/modememu/caller "
        "--timeout 40 send 'ATZ\\r' expect OK send 'ATD100\\r' expect CONNECT expect 'login:'",
    )
    ap.add_argument("--line", required=True, metavar="PATH", help="the line to open")
    ap.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS",
                    help="bound on the whole script (default 30)")
    ap.add_argument("--step-timeout", type=float, metavar="SECONDS",
                    help="bound on each expect step (default: --timeout)")
    ap.add_argument("--wait", type=float, default=10.0, metavar="SECONDS",
                    help="wait this long for the line to appear (default 10)")
    ap.add_argument("-q", "--quiet", action="store_true", help="no transcript")
    ap.add_argument("steps", nargs=argparse.REMAINDER, metavar="STEP")
    args = ap.parse_args(argv)
    try:
        steps = parse_steps(args.steps)
    except ValueError as e:
        print(f"caller: {e}", file=sys.stderr)
        return 2
    if not steps:
        print("caller: no steps given", file=sys.stderr)
        return 2

    transcript = None if args.quiet else (lambda s: print(s, flush=True))
    step_timeout = args.step_timeout if args.step_timeout is not None else args.timeout
    t_end = time.monotonic() + args.timeout
    try:
        c = Caller(args.line, timeout=step_timeout, transcript=transcript, wait=args.wait)
    except OSError as e:
        print(f"caller: cannot open {args.line}: {e}", file=sys.stderr)
        return 3

    def left(limit: float) -> float:
        return max(0.0, min(limit, t_end - time.monotonic()))

    current = ""
    try:
        for k, (name, arg) in enumerate(steps, 1):
            current = f"step {k} ({name}{' ' + repr(arg) if arg is not None else ''})"
            if time.monotonic() >= t_end:
                raise ExpectTimeout(f"the script's --timeout of {args.timeout:g} s ran out")
            if name == "send":
                c.send(unescape(arg))
            elif name == "expect":
                c.expect(unescape(arg), timeout=left(step_timeout))
            elif name == "expect-re":
                c.expect_re(unescape(arg), timeout=left(step_timeout))
            elif name == "expect-eof":
                c.expect_eof(timeout=left(step_timeout))
            elif name == "sleep":
                c.sleep(left(float(arg)))
            elif name == "drop-dtr":
                c.drop_dtr(left(float(arg)))
            elif name == "close":
                c.close()
            elif name == "open":
                c.open(wait=left(args.wait))
            elif name == "timeout":
                step_timeout = float(arg)
                c.timeout = step_timeout
    except (CallerError, OSError) as e:
        print(f"caller: FAILED at {current}: {e}", file=sys.stderr)
        c.close()
        return 1
    c.close()
    if transcript:
        transcript(f"caller: OK, {len(steps)} steps in {time.monotonic() - c.t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
