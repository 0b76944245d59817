"""Hayes modem emulator over pseudo-terminals: a tiny telephone exchange for tests.

Each ``--line PATH=NUMBER`` is a phone line with a modem on it.  The emulator creates
a pty pair per line, keeps the master and makes PATH name the slave (a symlink, or with
``--bind`` a plain file with the slave bind-mounted onto it, so that ``ttyname()``
returns PATH, which mgetty's ``callback -S`` needs; that needs CAP_SYS_ADMIN).  The
program under test (mgetty, callback, chat, pppd, caller.py) opens PATH and talks to a
Hayes modem: ``ATD<number>`` rings the line registered at that number, ``ATA`` (or
auto-answer, ``ATS0=n``) connects both, and bytes are then relayed both ways until one
side hangs up with ``+++`` and ``ATH``, drops DTR (sets the speed to B0), or closes the
line (the last close of the slave, unless HUPCL was off: a serial port then keeps DTR
up; or unless the session that had the line opened it again at once, as util-linux's
login does around its vhangup()), whereupon the other side gets ``NO CARRIER``.

Usage::

    python3 modememu.py --line /dev/ttyS1=100 --line /run/modememu/caller=200 \\
        [--bind] [--log /run/modememu/events.jsonl] [--pidfile F] [--ready F] \\
        [--ring-interval 2] [--max-rings 10] [--speed 38400] [--verbose] \\
        [--calling-party-clear [NUMBERS]] [--release-time SECONDS] [--caller-id [NUMBERS]] \\
        [--error [NUMBERS]] [--silent [NUMBERS]]

Commands (command mode; a line is ``AT`` + commands + CR, case-insensitive, parsed left
to right, so ``AT&FH0``, ``ATQ0V1H0`` and ``AT&C1A`` work; ``A/`` repeats the last line):

    A        answer a ringing line (else NO CARRIER)
    D...     dial: the digits (and * #) of the rest of the line; T P W , ; @ ! and other
             modifiers are ignored.  Unknown number: NO CARRIER; busy line (or our own
             number): BUSY; else the callee gets RING every --ring-interval seconds
             until it answers, or --max-rings rings pass and the caller gets NO CARRIER.
             Any byte from the caller while ringing aborts the call (NO CARRIER).
             A leading *67 or #31# withholds our number from the callee's caller ID.
             On a line whose call is held (see below): no dial tone.
    En Qn Vn echo, quiet, verbose result codes (V0: numeric codes)
    H[n]     hang up (H1: OK, nothing)            O   back online (CONNECT)
    I[n]     identity text, then OK               Z, &F   reset to defaults (Z hangs up)
    Sn=v Sn? registers: S0 auto-answer rings, S1 ring count, S2 escape char, S3 CR,
             S4 LF, S5 BS, S12 escape guard time in 1/50 s (default 50 = 1 s)
    &Dn      DTR handling: &D0 ignore a DTR drop, else a DTR drop hangs up (&D3 also resets)
    Xn       result codes and dial-tone detection: X2 and X4 (the default, as in Hayes'
             factory profile) and above detect the dial tone, X0 X1 X3 dial blind
    B C L M N P T W Y [n], &<letter>[n], \\<letter>[n], %<letter>[n]: accepted (OK)
    +FCLASS=0 +FCLASS? +FCLASS=? +GMI +GMM +GMR +GCAP: answered; other + commands: ERROR
    anything else: ERROR.  Text that does not start with AT is echoed and ignored.

Online, ``+++`` with the guard time (S12) of silence before and after returns to
command mode (OK) with the call held: ``ATO`` goes back online, ``ATH`` hangs up.
Data that reaches a line in online command mode is discarded.

Calling-party clear (``--calling-party-clear [NUMBERS]``: calls to these lines, comma
separated, or to every line without a value).  Where the calling party controls clear-down
(many PBXs, some exchanges), the called line hanging up (DTR drop, last close, ATH, ATZ)
does not end the call: the caller gets no NO CARRIER and stays connected, and the call is
held on the called line until the caller hangs up (or, with ``--release-time SECONDS``,
until the exchange releases it after that time: the caller then gets NO CARRIER).  Data
the caller sends meanwhile is lost.  A held line is engaged (BUSY to other callers), and
when it goes off hook again to dial, it is still in the held call: with dial-tone detection
(X2, X4) the dial fails with NO DIALTONE; dialling blind (X0, X1, X3) it gets CONNECT into
the held call, to the caller, whatever number it dialled (the ``dial`` event's ``result``
is ``held``; the ``connect`` events carry ``held``).  That is what mgetty's ``callback -S``
does on such a line: it takes the first CONNECT for its dial-back.

Caller ID (``--caller-id [NUMBERS]``: delivered to these lines, or to every line without a
value), as Rockwell-type modems deliver it (US Bellcore/Telcordia, AT#CID=1): between the
first and the second RING (half a ring interval after the first, at most 0.5 s) the called
line gets ``DATE = MMDD``, ``TIME = HHMM`` and ``NMBR = <the calling line's number>``, or
``NMBR = P`` (private) when the caller withheld it.  mgetty reads these lines (cnd.c) into
CALLER_ID, which it passes to the login program; it counts the NMBR line as a RING, and
needs ``rings 2`` (or more) in mgetty.config to wait for it.  Lines without caller ID
delivery get nothing (mgetty then says CALLER_ID=none).

Broken modems (``--error [NUMBERS]``, ``--silent [NUMBERS]``: these lines, or every line
without a value).  An ``--error`` modem echoes each command line and answers it with ``ERROR``,
whatever it is (the init string of mgetty or callback included; mgetty's init chat fails on it at
once); a ``--silent`` modem reads what it is sent and sends nothing back, no echo and no result (a
modem switched off or hung: mgetty's init chat times out).  Neither one answers a call, and a call
to it rings unanswered.  The ``cmd`` events of such a line carry ``fault`` (``error``, ``silent``).

Nothing is written to a line nobody has open (a serial port that no program has open
loses what arrives): whether the slave is open is polled every 50 ms while it is closed.

Events are appended to ``--log`` as JSON objects, one per line::

    {"t": 1700000000.123, "line": "200", "event": "dial", "number": "100",
     "dialstring": "DT100", "result": "ringing"}

``event`` is one of ``cmd`` (every AT command line: ``cmd``, ``result``), ``dial``
(``number`` dialled, ``dialstring``, ``result``: ringing, busy or no-carrier),
``ring`` (at the callee: ``count``), ``answer`` (at the callee: ``auto``),
``connect`` (one per side: ``speed``), ``hangup`` (``reason``: ath, close, dtr, reset,
no-answer, abort, release).  Call events carry ``number`` (the number dialled for that call)
and ``peer`` (the other line's number); ``line`` is always the line's own number.  With
calling-party clear, a called line's ``hangup`` that holds the call has ``held: true``; a
dial from a held line has ``result`` ``held`` or ``no-dialtone``, and its ``connect`` events
``held: true``.  With caller ID, ``ring`` events carry ``caller_id`` (what the called line
is told, ``P`` when withheld) and a withheld ``dial`` has ``withheld: true``.

``--ready FILE`` is written (JSON: pid and lines) once all lines exist; SIGTERM or
SIGINT removes the links, bind mounts, ready file and pid file, and exits 0.
Stdlib only, Linux, Python 3.11.
"""

from __future__ import annotations

import argparse
import ctypes
import errno
import fcntl
import json
import os
import select
import signal
import stat
import sys
import termios
import time
import tty

VERSION = "1.1"
IDENT = "dialin.callback modememu " + VERSION

# Call states of a line.
IDLE = "idle"  # command mode, on hook
DIALING = "dialing"  # we dialled, the callee is ringing
RINGING = "ringing"  # somebody dialled us (command mode: ATA answers)
ONLINE = "online"  # connected, data mode
ONLINE_CMD = "online-cmd"  # connected, command mode after +++

NUMERIC = {
    "OK": b"0",
    "CONNECT": b"1",
    "RING": b"2",
    "NO CARRIER": b"3",
    "ERROR": b"4",
    "NO DIALTONE": b"6",
    "BUSY": b"7",
    "NO ANSWER": b"8",
}

DEFAULT_REGS = {0: 0, 1: 0, 2: 43, 3: 13, 4: 10, 5: 8, 6: 2, 7: 50, 8: 2, 10: 14, 12: 50}

CHECK_INTERVAL = 0.05  # s: polling of closed lines and of DTR
TIOCGSID = 0x5429  # Linux: the session of a pty's slave, asked on its master (not in termios)
WITHHOLD_PREFIXES = ("*67", "#31#")  # dialled before the number: the callee's caller ID says P

MS_BIND = 4096
MNT_DETACH = 2


class Terminate(Exception):
    """Raised by the SIGTERM/SIGINT handler to leave the main loop."""


class Pending:
    """Result of a command line whose answer comes later (D, A)."""


PENDING = Pending()


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def bind_mount(source: str, target: str) -> None:
    if _libc().mount(source.encode(), target.encode(), None, MS_BIND, None) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount --bind {source} {target}: {os.strerror(err)}")


def umount(target: str) -> None:
    if _libc().umount2(target.encode(), MNT_DETACH) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"umount {target}: {os.strerror(err)}")


def is_mountpoint(path: str) -> bool:
    try:
        with open("/proc/self/mountinfo", encoding="utf-8") as f:
            for row in f:
                fields = row.split()
                if len(fields) > 4 and fields[4].replace("\\040", " ") == path:
                    return True
    except OSError:
        pass
    return False


class Line:
    def __init__(self, emu: "Emulator", path: str, number: str):
        self.emu = emu
        self.path = os.path.abspath(path)
        self.number = number
        self.master = -1
        self.pts = ""
        self.bound = False
        self.linked = False
        self.open = False
        # The session the slave is the controlling tty of (TIOCGSID on the master), last seen open.
        self.session: int | None = None
        self.outbuf = bytearray()
        self.cmdbuf = bytearray()
        self.last_cmd = b""
        self.state = IDLE
        self.peer: Line | None = None
        self.call_number = ""  # the number dialled for the current call
        self.called = False  # this line was the called party of the current call
        self.held: Line | None = None  # (called line, on hook) the caller whose call it still holds
        self.held_until: float | None = None  # when the exchange releases the held call
        self.caller_id = ""  # (ringing line) the caller ID this call delivers
        self.cid_due: float | None = None  # when the caller ID block is sent
        self.next_ring = 0.0
        self.rings = 0
        self.last_rx = 0.0
        self.esc_count = 0
        self.esc_last = 0.0
        self.esc_deadline: float | None = None
        self.dtr_low = False
        self.reset_settings()

    # ----- set-up and tear-down -------------------------------------------------
    def reset_settings(self) -> None:
        self.echo = True
        self.quiet = False
        self.verbose = True
        self.dtr_mode = 2
        self.xlevel = 4
        self.regs = dict(DEFAULT_REGS)
        self.regs[12] = self.emu.default_s12
        self.selected_reg = 0

    def create(self, bind: bool) -> None:
        master, slave = os.openpty()
        self.master = master
        self.pts = os.ttyname(slave)
        # Raw, set with TCSANOW: TCSAFLUSH would discard what the program writes first.
        tty.setraw(slave, termios.TCSANOW)
        attrs = termios.tcgetattr(slave)
        # HUPCL as in a serial port's default termios (a pty's has it off): its last close is
        # then the hang-up, as long as no program clears it.
        attrs[2] |= termios.CLOCAL | termios.CREAD | termios.HUPCL
        attrs[4] = attrs[5] = self.emu.speed_const
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
        os.close(slave)  # never keep the slave: its last close is the hang-up
        os.set_blocking(master, False)
        self._make_path(bind)

    def _make_path(self, bind: bool) -> None:
        path = self.path
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if os.path.lexists(path):
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                os.unlink(path)
            elif is_mountpoint(path):
                umount(path)  # left over by an emulator that died
                if os.path.lexists(path) and not bind:
                    os.unlink(path)
            elif stat.S_ISREG(st.st_mode) and st.st_size == 0:
                if not bind:
                    os.unlink(path)
            else:
                raise SystemExit(f"modememu: {path} exists and is not a link or empty file: refusing to replace it")
        if bind:
            if not os.path.lexists(path):
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                os.close(fd)
            try:
                bind_mount(self.pts, path)
            except OSError as e:
                os.unlink(path)
                raise SystemExit(f"modememu: {e} (--bind needs CAP_SYS_ADMIN)") from e
            self.bound = True
        else:
            os.symlink(self.pts, path)
            self.linked = True

    def destroy(self) -> None:
        if self.bound:
            try:
                umount(self.path)
            except OSError as e:
                self.emu.debug(f"{self.path}: {e}")
            try:
                os.unlink(self.path)
            except OSError:
                pass
            self.bound = False
        if self.linked:
            try:
                if os.readlink(self.path) == self.pts:
                    os.unlink(self.path)
            except OSError:
                pass
            self.linked = False
        if self.master >= 0:
            os.close(self.master)
            self.master = -1

    # ----- slave open/closed --------------------------------------------------------
    def slave_is_open(self) -> bool:
        p = select.poll()
        p.register(self.master, select.POLLIN)
        for _fd, ev in p.poll(0):
            if ev & select.POLLHUP:
                return False
        return True

    def refresh_open(self) -> None:
        if not self.open and self.slave_is_open():
            self.open = True
            self.emu.debug(f"line {self.number}: {self.path} opened")
        if self.open:
            self.session = self.slave_session() or self.session

    def slave_session(self) -> int | None:
        """The session whose controlling tty the slave is, or None (no session, or closed)."""
        try:
            sid = fcntl.ioctl(self.master, TIOCGSID, b"\0\0\0\0")
        except OSError:
            return None
        return int.from_bytes(sid, sys.byteorder) or None

    def reopened_by_its_session(self) -> bool:
        """After a close was seen: the slave is open again, as the controlling tty of the session
        that had it before. util-linux's login (Debian 13) clears HUPCL, closes the port, calls
        vhangup() and opens it again, then puts HUPCL back; on a loaded machine all that can be done
        before this process reads the modes, which then say HUPCL. A new session (init's or
        systemd's next mgetty) is a real last close."""
        if self.session is None:
            return False
        # The open makes the tty the session's controlling tty a moment after the slave is open.
        for _attempt in range(20):
            if not self.slave_is_open():
                return False
            sid = self.slave_session()
            if sid is not None:
                return sid == self.session
            time.sleep(0.005)
        return False

    def on_close(self) -> None:
        if not self.open:
            return
        if self.emu.args.close_latency:
            time.sleep(self.emu.args.close_latency)
        # A serial port's last close lowers DTR, and so hangs the modem up, only with HUPCL
        # set: util-linux's login (Debian 13) clears it, closes the port and opens it again.
        hupcl = self.hupcl()
        if hupcl and self.reopened_by_its_session():
            self.emu.debug(f"line {self.number}: closed and opened again by session {self.session} "
                           "(login's vhangup): the call goes on")
            return
        self.open = False
        self.session = None
        self.outbuf.clear()
        self.cmdbuf.clear()
        self.emu.debug(f"line {self.number}: {self.path} closed")
        # Drop anything still queued for the next opener (a port that is not open loses
        # what arrives).  Opening the slave for a moment does not count as a hang-up.
        try:
            fd = os.open(self.pts, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
            try:
                termios.tcflush(fd, termios.TCIFLUSH)
            finally:
                os.close(fd)
        except OSError:
            pass
        if self.state in (ONLINE, ONLINE_CMD, DIALING):
            if hupcl:
                self.hangup("close")
            else:
                self.emu.debug(f"line {self.number}: closed with HUPCL off: DTR stays up, the call goes on")

    def hupcl(self) -> bool:
        try:
            return bool(termios.tcgetattr(self.master)[2] & termios.HUPCL)
        except termios.error:
            return True

    # ----- output ---------------------------------------------------------------------
    def write(self, data: bytes) -> None:
        if not data or self.emu.fault(self) == "silent":
            return
        self.refresh_open()
        if not self.open:
            self.emu.debug(f"line {self.number}: not open, dropped {data!r}")
            return
        self.emu.debug(f"line {self.number} <- {data!r}")
        self.outbuf += data  # written by the main loop, in one go per iteration

    def flush(self) -> None:
        while self.outbuf and self.master >= 0:
            try:
                n = os.write(self.master, self.outbuf)
            except BlockingIOError:
                return
            except OSError as e:
                if e.errno == errno.EIO:
                    self.on_close()
                    return
                raise
            del self.outbuf[:n]

    def result(self, text: str) -> None:
        if self.quiet:
            return
        if self.verbose:
            self.write(b"\r\n" + text.encode() + b"\r\n")
        else:
            self.write(NUMERIC[text.split(" ")[0]] + b"\r")

    def info(self, text: str) -> None:
        if self.verbose:
            self.write(b"\r\n" + text.encode() + b"\r\n")
        else:
            self.write(text.encode() + b"\r\n")

    # ----- input ------------------------------------------------------------------------
    def on_readable(self) -> None:
        while self.master >= 0:
            try:
                data = os.read(self.master, 4096)
            except BlockingIOError:
                return
            except OSError as e:
                if e.errno == errno.EIO:
                    self.on_close()
                    return
                raise
            if not data:
                self.on_close()
                return
            self.open = True
            self.session = self.slave_session() or self.session
            self.emu.debug(f"line {self.number} -> {data!r}")
            self.on_data(data)

    def on_data(self, data: bytes) -> None:
        i = 0
        while i < len(data):
            if self.state == ONLINE:
                i += self.online_data(data[i:])
            elif self.state == DIALING:
                if data[i] in (10, 13):  # the end of the ATD line itself
                    i += 1
                    continue
                self.emu.event(self, "hangup", reason="abort", number=self.call_number,
                               peer=self.peer.number if self.peer else None)
                self.abort_dial()
                self.result("NO CARRIER")
                i += 1
            else:
                self.command_byte(data[i])
                i += 1

    def online_data(self, data: bytes) -> int:
        """Relay data to the peer, watching for the escape sequence; returns bytes used."""
        esc = self.regs.get(2, 43)
        guard = self.guard()
        for k, b in enumerate(data):
            now = time.monotonic()
            if b == esc and esc <= 127 and (
                (self.esc_count == 0 and now - self.last_rx >= guard)
                or (0 < self.esc_count < 3 and now - self.esc_last < guard)
            ):
                self.esc_count += 1
                self.esc_last = now
                self.esc_deadline = now + guard if self.esc_count == 3 else None
            else:
                self.esc_count = 0
                self.esc_deadline = None
            self.last_rx = now
            if self.state != ONLINE:  # pragma: no cover - state changes only in ticks
                return k
        peer = self.peer
        if peer is not None and peer.state == ONLINE:
            peer.write(data)
        return len(data)

    def guard(self) -> float:
        return self.regs.get(12, 50) / 50.0

    def command_byte(self, b: int) -> None:
        cr = self.regs.get(3, 13)
        bs = self.regs.get(5, 8)
        if self.echo:
            self.write(bytes([b]))
        if b == cr:
            line = bytes(self.cmdbuf)
            self.cmdbuf.clear()
            self.command_line(line)
        elif b in (bs, 127):
            if self.cmdbuf:
                self.cmdbuf.pop()
        elif b == self.regs.get(4, 10) or b == 0:
            pass
        else:
            self.cmdbuf.append(b)
            if len(self.cmdbuf) > 1024:
                del self.cmdbuf[:-1024]
            if self.cmdbuf[-2:].upper() == b"A/":
                self.cmdbuf.clear()
                if self.last_cmd:
                    if self.echo:
                        self.write(b"\r")
                    self.command_line(self.last_cmd)

    # ----- command interpreter ------------------------------------------------------------
    def command_line(self, raw: bytes) -> None:
        text = raw.decode("latin-1")
        pos = text.upper().find("AT")
        if pos < 0:
            return  # not a command: a modem ignores it
        cmdtext = text[pos:].strip()
        self.last_cmd = cmdtext.encode("latin-1")
        fault = self.emu.fault(self)
        if fault:
            # A broken modem runs nothing: no dial, no answer, no register change.
            self.emu.event(self, "cmd", cmd=cmdtext, result="ERROR" if fault == "error" else None, fault=fault)
            self.write(b"\r\nERROR\r\n")  # nothing reaches a silent line (write)
            return
        outcome = self.execute(cmdtext[2:])
        shown = None if outcome is PENDING else outcome
        self.emu.event(self, "cmd", cmd=cmdtext, result=shown)
        if isinstance(outcome, str):
            self.result(outcome)

    def execute(self, s: str):
        """Run the commands after AT; return "OK", "ERROR", another result, or PENDING."""
        s = s.upper()
        i = 0
        n = len(s)

        def number(default: int = 0) -> int:
            nonlocal i
            j = i
            while i < n and s[i].isdigit():
                i += 1
            return int(s[j:i]) if i > j else default

        while i < n:
            c = s[i]
            i += 1
            if c in " \t":
                continue
            if c == "D":
                return self.dial(s[i:])
            if c == "A":
                return self.answer(auto=False)
            if c == "O":
                number()
                if self.state == ONLINE_CMD:
                    self.state = ONLINE
                    self.last_rx = time.monotonic()
                    self.esc_count = 0
                    return f"CONNECT {self.emu.speed}"
                return "NO CARRIER"
            if c == "E":
                v = number()
                if v > 1:
                    return "ERROR"
                self.echo = v == 1
            elif c == "Q":
                v = number()
                if v > 1:
                    return "ERROR"
                self.quiet = v == 1
            elif c == "V":
                v = number()
                if v > 1:
                    return "ERROR"
                self.verbose = v == 1
            elif c == "H":
                v = number()
                if v == 0 and self.state in (ONLINE_CMD, ONLINE):
                    self.hangup("ath")
            elif c == "Z":
                number()
                if self.state in (ONLINE_CMD, ONLINE):
                    self.hangup("reset")
                self.reset_settings()
            elif c == "I":
                v = number()
                self.info({3: "modememu pty Hayes emulator", 4: "dialin.callback"}.get(v, IDENT))
            elif c == "X":
                self.xlevel = number()
            elif c in "BCLMNPTWY":
                number()
            elif c == "S":
                reg = number(-1)
                if reg < 0 or reg > 255:
                    return "ERROR"
                self.selected_reg = reg
                if i < n and s[i] == "=":
                    i += 1
                    v = number(0)
                    if v > 255:
                        return "ERROR"
                    self.regs[reg] = v
                elif i < n and s[i] == "?":
                    i += 1
                    self.info(f"{self.regs.get(reg, 0):03d}")
            elif c == "?":
                self.info(f"{self.regs.get(self.selected_reg, 0):03d}")
            elif c == "&":
                if i >= n or not s[i].isalpha():
                    return "ERROR"
                sub = s[i]
                i += 1
                v = number()
                if sub == "F":
                    self.reset_settings()
                elif sub == "D":
                    if v > 3:
                        return "ERROR"
                    self.dtr_mode = v
                elif sub == "V":
                    self.info(self.profile())
            elif c in "\\%":
                if i >= n or not s[i].isalpha():
                    return "ERROR"
                i += 1
                number()
            elif c == "+":
                j = i
                while i < n and s[i] not in ";":
                    i += 1
                res = self.extended(s[j:i])
                if res != "OK":
                    return res
                if i < n and s[i] == ";":
                    i += 1
            else:
                return "ERROR"
        return "OK"

    def extended(self, cmd: str) -> str:
        if cmd in ("FCLASS=0", "FCLASS=0.0"):
            return "OK"
        if cmd == "FCLASS?":
            self.info("0")
            return "OK"
        if cmd == "FCLASS=?":
            self.info("0")
            return "OK"
        if cmd in ("GMI", "GMI?"):
            self.info("dialin.callback")
            return "OK"
        if cmd in ("GMM", "GMM?"):
            self.info("modememu")
            return "OK"
        if cmd in ("GMR", "GMR?"):
            self.info(VERSION)
            return "OK"
        if cmd == "GCAP":
            self.info("+GCAP: +FCLASS")
            return "OK"
        return "ERROR"

    def profile(self) -> str:
        regs = " ".join(f"S{k:02d}:{v:03d}" for k, v in sorted(self.regs.items()))
        return (f"E{int(self.echo)} Q{int(self.quiet)} V{int(self.verbose)} X{self.xlevel} &D{self.dtr_mode}"
                f"\r\n{regs}")

    # ----- calls ------------------------------------------------------------------------
    def dial(self, dialstring: str):
        number = "".join(ch for ch in dialstring if ch.isdigit() or ch in "*#")
        withheld = None
        for prefix in WITHHOLD_PREFIXES:
            if number.startswith(prefix) and len(number) > len(prefix):
                number, withheld = number[len(prefix):], True
                break
        if self.state in (ONLINE_CMD, ONLINE):
            self.emu.event(self, "dial", number=number, dialstring="D" + dialstring, result="error")
            return "ERROR"
        if self.held is not None:
            return self.dial_into_held_call(number, dialstring)
        callee = self.emu.numbers.get(number)
        if callee is None or not number or self.state == RINGING:
            self.emu.event(self, "dial", number=number, dialstring="D" + dialstring, result="no-carrier",
                           withheld=withheld)
            return "NO CARRIER"
        if callee is self or callee.state != IDLE or callee.held is not None:
            self.emu.event(self, "dial", number=number, dialstring="D" + dialstring, result="busy",
                           withheld=withheld)
            return "BUSY"
        self.emu.event(self, "dial", number=number, dialstring="D" + dialstring, result="ringing",
                       withheld=withheld)
        self.state = DIALING
        self.peer = callee
        self.call_number = number
        self.called = False
        callee.state = RINGING
        callee.peer = self
        callee.call_number = number
        callee.called = True
        callee.caller_id = "P" if withheld else self.number
        callee.cid_due = None
        callee.rings = 0
        callee.regs[1] = 0
        callee.next_ring = time.monotonic() + 0.2
        return PENDING

    def dial_into_held_call(self, number: str, dialstring: str):
        """Off hook on a line whose call is held: no dial tone, the line is still in that call."""
        caller = self.held
        assert caller is not None
        if self.xlevel == 2 or self.xlevel >= 4:  # dial-tone detection
            self.emu.event(self, "dial", number=number, dialstring="D" + dialstring, result="no-dialtone",
                           peer=caller.number)
            return "NO DIALTONE"
        # Dialling blind: the digits go into the held call, and the caller's modem is still there.
        self.emu.event(self, "dial", number=number, dialstring="D" + dialstring, result="held",
                       peer=caller.number)
        self.held = None
        self.held_until = None
        self.state = ONLINE
        self.peer = caller
        self.last_rx = time.monotonic()
        self.esc_count = 0
        self.esc_deadline = None
        self.dtr_low = self.speed_is_zero()
        self.emu.event(self, "connect", speed=self.emu.speed, number=number, peer=caller.number, held=True)
        self.emu.event(caller, "connect", speed=self.emu.speed, number=self.call_number, peer=self.number,
                       held=True)
        return f"CONNECT {self.emu.speed}"

    def ring(self, now: float) -> None:
        """Called on the callee when its next ring is due."""
        caller = self.peer
        if caller is None:
            self.state = IDLE
            return
        if self.rings >= self.emu.max_rings:
            self.emu.event(caller, "hangup", reason="no-answer", number=self.call_number, peer=self.number)
            caller.state = IDLE
            caller.peer = None
            self.state = IDLE
            self.peer = None
            caller.result("NO CARRIER")
            return
        self.rings += 1
        self.regs[1] = min(self.rings, 255)
        cid = self.caller_id if self.emu.delivers_caller_id(self) else None
        self.emu.event(self, "ring", count=self.rings, number=self.call_number, peer=caller.number,
                       caller_id=cid)
        self.result("RING")
        self.next_ring = now + self.emu.ring_interval
        if cid is not None and self.rings == 1:
            self.cid_due = now + min(0.5, self.emu.ring_interval / 2)
        s0 = self.regs.get(0, 0)
        if s0 > 0 and self.rings >= s0:
            self.answer(auto=True)

    def send_caller_id(self) -> None:
        """The caller ID block between the first and the second RING (Rockwell: DATE, TIME, NMBR)."""
        self.cid_due = None
        if self.quiet:
            return
        now = time.localtime()
        block = f"DATE = {now.tm_mon:02d}{now.tm_mday:02d}\r\nTIME = {now.tm_hour:02d}{now.tm_min:02d}\r\n" \
                f"NMBR = {self.caller_id}\r\n"
        self.write(b"\r\n" + block.encode())

    def answer(self, auto: bool):
        if self.state != RINGING or self.peer is None:
            return "NO CARRIER"
        caller = self.peer
        self.emu.event(self, "answer", auto=auto, number=self.call_number, peer=caller.number)
        now = time.monotonic()
        for side in (self, caller):
            side.state = ONLINE
            side.last_rx = now
            side.esc_count = 0
            side.esc_deadline = None
            side.dtr_low = side.speed_is_zero()
        self.emu.event(self, "connect", speed=self.emu.speed, number=self.call_number, peer=caller.number)
        self.emu.event(caller, "connect", speed=self.emu.speed, number=self.call_number, peer=self.number)
        self.result(f"CONNECT {self.emu.speed}")
        caller.result(f"CONNECT {self.emu.speed}")
        return PENDING

    def abort_dial(self) -> None:
        callee = self.peer
        if callee is not None and callee.peer is self:
            callee.state = IDLE
            callee.peer = None
        self.state = IDLE
        self.peer = None

    def hangup(self, reason: str) -> None:
        """Our side ends the call (ATH, close, DTR drop, reset): the peer gets NO CARRIER.

        With calling-party clear, a called line that hangs up only goes on hook: the call is held
        for the caller, who gets nothing.  The caller hanging up clears a held call."""
        peer = self.peer
        state = self.state
        if (state in (ONLINE, ONLINE_CMD) and self.called and peer is not None and peer.peer is self
                and self.emu.calling_party_clears(self)):
            self.state = IDLE
            self.peer = None
            self.esc_count = 0
            self.esc_deadline = None
            self.held = peer
            release = self.emu.release_time
            self.held_until = time.monotonic() + release if release > 0 else None
            self.emu.event(self, "hangup", reason=reason, number=self.call_number, peer=peer.number, held=True)
            return
        self.state = IDLE
        self.peer = None
        self.esc_count = 0
        self.esc_deadline = None
        if state == DIALING:
            self.emu.event(self, "hangup", reason=reason, number=self.call_number,
                           peer=peer.number if peer else None)
            if peer is not None and peer.peer is self:
                peer.state = IDLE
                peer.peer = None
            return
        if state not in (ONLINE, ONLINE_CMD):
            return
        self.emu.event(self, "hangup", reason=reason, number=self.call_number,
                       peer=peer.number if peer else None)
        if peer is not None and peer.held is self:  # the caller clears the call it held
            peer.held = None
            peer.held_until = None
            return
        if peer is not None and peer.peer is self:
            peer.state = IDLE
            peer.peer = None
            peer.esc_count = 0
            peer.esc_deadline = None
            peer.result("NO CARRIER")

    def speed_is_zero(self) -> bool:
        try:
            attrs = termios.tcgetattr(self.master)
        except termios.error:
            return False
        return attrs[5] == termios.B0

    # ----- timers -----------------------------------------------------------------------
    def tick(self, now: float) -> None:
        self.refresh_open()
        if self.state == RINGING and now >= self.next_ring:
            self.ring(now)
        if self.state == RINGING and self.cid_due is not None and now >= self.cid_due:
            self.send_caller_id()
        if self.held is not None and self.held_until is not None and now >= self.held_until:
            self.release_held_call()
        if (self.state == ONLINE and self.esc_count == 3 and self.esc_deadline is not None
                and now >= self.esc_deadline):
            self.esc_count = 0
            self.esc_deadline = None
            self.state = ONLINE_CMD
            self.cmdbuf.clear()
            self.emu.event(self, "cmd", cmd="+++", result="OK")
            self.result("OK")
        low = self.speed_is_zero()
        if low and not self.dtr_low and self.dtr_mode != 0 and self.state in (ONLINE, ONLINE_CMD, DIALING):
            self.emu.debug(f"line {self.number}: DTR dropped")
            if self.state == DIALING:
                self.emu.event(self, "hangup", reason="dtr", number=self.call_number,
                               peer=self.peer.number if self.peer else None)
                self.abort_dial()
            else:
                self.hangup("dtr")
            if self.dtr_mode == 3:
                self.reset_settings()
        self.dtr_low = low

    def release_held_call(self) -> None:
        """The exchange's release timer ran out: the held call ends, the caller gets NO CARRIER."""
        caller = self.held
        self.held = None
        self.held_until = None
        if caller is None or caller.peer is not self:
            return
        self.emu.event(caller, "hangup", reason="release", number=caller.call_number, peer=self.number)
        caller.state = IDLE
        caller.peer = None
        caller.esc_count = 0
        caller.esc_deadline = None
        caller.result("NO CARRIER")

    def next_deadline(self, now: float) -> float:
        d = now + 1.0
        if not self.open or self.state in (ONLINE, ONLINE_CMD, DIALING):
            d = min(d, now + CHECK_INTERVAL)
        if self.state == RINGING:
            d = min(d, self.next_ring)
            if self.cid_due is not None:
                d = min(d, self.cid_due)
        if self.held_until is not None:
            d = min(d, self.held_until)
        if self.esc_deadline is not None:
            d = min(d, self.esc_deadline)
        return d


class Emulator:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.lines: list[Line] = []
        self.numbers: dict[str, Line] = {}
        self.ring_interval = args.ring_interval
        self.max_rings = args.max_rings
        self.speed = args.speed
        self.speed_const = getattr(termios, f"B{args.speed}", termios.B38400)
        self.default_s12 = max(1, min(255, round(args.guard * 50)))
        self.cpc_lines = number_set(args.calling_party_clear)
        self.release_time = args.release_time
        self.cid_lines = number_set(args.caller_id)
        self.error_lines = number_set(args.error)
        self.silent_lines = number_set(args.silent)
        self.verbose = args.verbose
        self.logf = None
        if args.log:
            os.makedirs(os.path.dirname(os.path.abspath(args.log)), exist_ok=True)
            self.logf = open(args.log, "a", encoding="utf-8")  # noqa: SIM115

    def calling_party_clears(self, line: Line) -> bool:
        """Whether the calling party alone clears calls to this line."""
        return self.cpc_lines is True or (bool(self.cpc_lines) and line.number in self.cpc_lines)

    def delivers_caller_id(self, line: Line) -> bool:
        return self.cid_lines is True or (bool(self.cid_lines) and line.number in self.cid_lines)

    def fault(self, line: Line) -> str:
        """The line's modem is broken: "error" (answers every command ERROR), "silent", or ""."""
        for name, numbers in (("silent", self.silent_lines), ("error", self.error_lines)):
            if numbers is True or (bool(numbers) and line.number in numbers):
                return name
        return ""

    def debug(self, msg: str) -> None:
        if self.verbose:
            print(f"modememu: {time.time():.3f} {msg}", file=sys.stderr, flush=True)

    def event(self, line: Line, event: str, **fields) -> None:
        rec = {"t": round(time.time(), 3), "line": line.number, "event": event}
        rec.update({k: v for k, v in fields.items() if v is not None})
        self.debug("event " + json.dumps(rec))
        if self.logf is not None:
            self.logf.write(json.dumps(rec) + "\n")
            self.logf.flush()

    def setup(self) -> None:
        for spec in self.args.line:
            path, sep, number = spec.rpartition("=")
            if not sep or not path or not number.isdigit():
                raise SystemExit(f"modememu: bad --line {spec!r}: want PATH=NUMBER (digits)")
            if number in self.numbers:
                raise SystemExit(f"modememu: number {number} given twice")
            line = Line(self, path, number)
            self.lines.append(line)
            self.numbers[number] = line
            line.create(self.args.bind)
            self.debug(f"line {number}: {line.path} -> {line.pts}")
        for option, numbers in (("--calling-party-clear", self.cpc_lines), ("--caller-id", self.cid_lines),
                                ("--error", self.error_lines), ("--silent", self.silent_lines)):
            unknown = sorted(numbers - set(self.numbers)) if isinstance(numbers, set) else []
            if unknown:
                raise SystemExit(f"modememu: {option}: no line has the number(s) {', '.join(unknown)}")
        if self.args.pidfile:
            write_atomic(self.args.pidfile, f"{os.getpid()}\n")
        if self.args.ready:
            info = {"pid": os.getpid(),
                    "lines": {ln.number: {"path": ln.path, "pts": ln.pts} for ln in self.lines}}
            write_atomic(self.args.ready, json.dumps(info) + "\n")
        if not self.args.quiet:
            desc = ", ".join(f"{ln.path}={ln.number} ({ln.pts})" for ln in self.lines)
            print(f"modememu: pid {os.getpid()}: {desc}", file=sys.stderr, flush=True)

    def cleanup(self) -> None:
        for line in self.lines:
            line.destroy()
        for f in (self.args.ready, self.args.pidfile):
            if f:
                try:
                    os.unlink(f)
                except OSError:
                    pass
        if self.logf is not None:
            self.logf.close()
            self.logf = None

    def run(self) -> None:
        while True:
            now = time.monotonic()
            for line in self.lines:
                line.tick(now)
            for line in self.lines:
                if line.outbuf:
                    line.flush()
            now = time.monotonic()
            deadline = min(line.next_deadline(now) for line in self.lines)
            p = select.poll()
            byfd = {}
            for line in self.lines:
                if line.open:
                    mask = select.POLLIN
                    if line.outbuf:
                        mask |= select.POLLOUT
                    p.register(line.master, mask)
                    byfd[line.master] = line
            timeout_ms = max(0, int((deadline - now) * 1000) + 1)
            for fd, ev in p.poll(timeout_ms):
                line = byfd[fd]
                if ev & (select.POLLIN | select.POLLHUP | select.POLLERR):
                    line.on_readable()
            for line in self.lines:
                if line.outbuf:
                    line.flush()


def number_set(values):
    """--calling-party-clear / --caller-id values: True for every line, else the set of numbers."""
    if not values:
        return set()
    numbers = set()
    for value in values:
        if value == "all":
            return True
        numbers |= {n.strip() for n in value.split(",") if n.strip()}
    return numbers


def write_atomic(path: str, text: str) -> None:
    path = os.path.abspath(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description="Hayes modem emulator: phone lines over pseudo-terminals.",
        epilog="Example: modememu.py --line /dev/ttyS1=100 --line /run/modememu/caller=200 "
        "--bind --log /run/modememu/events.jsonl --ready /run/modememu/ready",
    )
    ap.add_argument("--line", action="append", required=True, metavar="PATH=NUMBER",
                    help="a phone line: PATH names the pty slave, NUMBER is its phone number (repeatable)")
    ap.add_argument("--bind", action="store_true",
                    help="bind-mount the pty slave onto a plain file at PATH instead of a symlink "
                         "(ttyname() then returns PATH; needs CAP_SYS_ADMIN)")
    ap.add_argument("--log", metavar="FILE", help="append events to FILE as JSON lines")
    ap.add_argument("--pidfile", metavar="FILE", help="write the process id to FILE")
    ap.add_argument("--ready", metavar="FILE", help="write FILE once all lines exist")
    ap.add_argument("--ring-interval", type=float, default=2.0, metavar="SECONDS",
                    help="time between RINGs (default 2)")
    ap.add_argument("--max-rings", type=int, default=10, metavar="N",
                    help="rings before the caller gets NO CARRIER (default 10)")
    ap.add_argument("--speed", type=int, default=38400, help="speed in CONNECT messages (default 38400)")
    ap.add_argument("--guard", type=float, default=1.0, metavar="SECONDS",
                    help="default escape guard time, register S12 (default 1)")
    ap.add_argument("--calling-party-clear", action="append", nargs="?", const="all", metavar="NUMBERS",
                    help="calls to these lines (comma-separated numbers; no value: every line) are cleared "
                         "by the caller only: when the called line hangs up the call is held, and the line "
                         "going off hook again is still in it (repeatable)")
    ap.add_argument("--release-time", type=float, default=0.0, metavar="SECONDS",
                    help="with --calling-party-clear: the exchange releases a held call after this time "
                         "(default 0: never, the caller must hang up)")
    ap.add_argument("--caller-id", action="append", nargs="?", const="all", metavar="NUMBERS",
                    help="deliver the caller's number to these lines (comma-separated; no value: every line) "
                         "between the first and the second RING: DATE = , TIME = , NMBR = (repeatable)")
    ap.add_argument("--error", action="append", nargs="?", const="all", metavar="NUMBERS",
                    help="the modems of these lines (comma-separated; no value: every line) answer every "
                         "command with ERROR, the init string included (repeatable)")
    ap.add_argument("--silent", action="append", nargs="?", const="all", metavar="NUMBERS",
                    help="the modems of these lines (comma-separated; no value: every line) send nothing: "
                         "no echo, no result (repeatable)")
    ap.add_argument("--close-latency", type=float, default=0.0, metavar="SECONDS",
                    help="wait SECONDS after a close is seen before reading the line's modes "
                         "(tests of the emulator: a loaded machine)")
    ap.add_argument("-v", "--verbose", action="store_true", help="trace data and events on stderr")
    ap.add_argument("-q", "--quiet", action="store_true", help="no start-up message")
    return ap.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    emu = Emulator(args)

    def terminate(signum, _frame):
        raise Terminate(signum)

    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGINT, terminate)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        emu.setup()
        emu.run()
    except Terminate:
        pass
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        emu.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
