# Copyright: contributors to dialin.callback
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The test modem's lines behind QEMU's USB modems: their bytes and their DTR.

QEMU's usb-serial (an FTDI chip) hands the bytes the guest writes to its chardev, here a UNIX
socket, and turns the guest's modem-control requests (FTDI SET_MDM_CTRL: DTR, RTS) into a TIOCMSET
on that chardev, which a socket cannot carry. A modem hangs up when DTR drops (the guest's last
close of the tty with HUPCL, or a speed of 0): without it the server could never hang up.

So, for each USB modem, ``Link`` relays the bytes between the socket and a line of the test modem
(tests/modem/modememu.py: a pseudo-terminal whose slave the link holds open, as the modem's
cable), and ``DtrWatch`` reads each DTR change from QEMU's trace of the FTDI control requests
(trace event usb_serial_handle_control) and sets the line's speed to 0 while DTR is low, which is
how the test modem sees a DTR drop on its lines (the same as caller.py's drop-dtr).
"""

from __future__ import annotations

import os
import re
import select
import socket
import termios
import threading
import time
import tty

# QEMU 7.2's trace-events (hw/usb): usb_serial_handle_control "dev %d:%u got control 0x%x, value 0x%x".
CONTROL = re.compile(r'usb_serial_handle_control dev (\d+):(\d+) got control 0x([0-9a-fA-F]+), value 0x([0-9a-fA-F]+)')
# VendorDeviceOutRequest | FTDI_SET_MDM_CTRL; the value's high byte says which lines it sets.
SET_MDM_CTRL = 0x4001
FTDI_DTR, FTDI_SET_DTR = 0x01, 0x0100


class Link(threading.Thread):
    """Bytes between QEMU's chardev socket and the test modem's line; DTR as the line's speed."""

    def __init__(self, name: str, sock_path: str, line_path: str, log):
        super().__init__(name=f'link-{name}', daemon=True)
        self.label = name
        self.sock_path = sock_path
        self.line_path = line_path
        self.log = log
        self.stop = threading.Event()
        self.fd = -1
        self.speed = termios.B38400
        self.dtr_low = False
        self.lock = threading.Lock()

    def set_dtr(self, high: bool) -> None:
        with self.lock:
            if self.fd < 0 or self.dtr_low == (not high):
                return
            attrs = termios.tcgetattr(self.fd)
            attrs[4] = attrs[5] = self.speed if high else termios.B0
            termios.tcsetattr(self.fd, termios.TCSANOW, attrs)
            self.dtr_low = not high
        self.log(f'{self.label}: DTR {"up" if high else "dropped"}')

    def connect(self, deadline: float):
        """QEMU's chardev socket (it listens from its start; a device_del may drop the client)."""
        while not self.stop.is_set():
            sock = socket.socket(socket.AF_UNIX)
            try:
                sock.connect(self.sock_path)
                return sock
            except OSError:
                sock.close()
                if time.monotonic() > deadline:
                    self.log(f'{self.label}: cannot connect to {self.sock_path}')
                    return None
                time.sleep(0.2)
        return None

    def run(self) -> None:
        fd = os.open(self.line_path, os.O_RDWR | os.O_NOCTTY)
        # Raw and at once (TCSANOW): a flush would lose what the modem already said.
        tty.setraw(fd, termios.TCSANOW)
        self.speed = termios.tcgetattr(fd)[5] or termios.B38400
        with self.lock:
            self.fd = fd
        sock = None
        try:
            while not self.stop.is_set():
                if sock is None:
                    sock = self.connect(time.monotonic() + 60)
                    if sock is None:
                        return
                    self.log(f'{self.label}: connected to QEMU')
                readable, _w, _x = select.select([sock, fd], [], [], 0.2)
                if sock in readable:
                    data = sock.recv(4096)
                    if not data:
                        self.log(f'{self.label}: QEMU closed the socket')
                        sock.close()
                        sock = None
                        continue
                    os.write(fd, data)
                if fd in readable:
                    try:
                        data = os.read(fd, 4096)
                    except OSError:
                        data = b''
                    if data:
                        sock.sendall(data)
        finally:
            with self.lock:
                self.fd = -1
            os.close(fd)
            if sock is not None:
                sock.close()


class DtrWatch(threading.Thread):
    """Follows QEMU's trace file; hands each SET_MDM_CTRL's DTR to the Link of the device it names.

    ``device_of(bus, addr)`` names the QEMU device (its id) at that USB address; the addresses
    change when a device is added again, so ``forget()`` drops what was learnt."""

    def __init__(self, trace_path: str, links: dict, device_of, log):
        super().__init__(name='dtr-watch', daemon=True)
        self.trace_path = trace_path
        self.links = links
        self.device_of = device_of
        self.log = log
        self.stop = threading.Event()
        self.known: dict = {}
        self.lock = threading.Lock()

    def forget(self) -> None:
        with self.lock:
            self.known.clear()

    def run(self) -> None:
        while not os.path.exists(self.trace_path) and not self.stop.is_set():
            time.sleep(0.1)
        with open(self.trace_path, encoding='utf-8', errors='replace') as f:
            pending = ''
            while not self.stop.is_set():
                chunk = f.readline()
                if not chunk:
                    time.sleep(0.05)
                    continue
                pending += chunk
                if not pending.endswith('\n'):
                    continue
                line, pending = pending, ''
                m = CONTROL.search(line)
                if not m or int(m.group(3), 16) != SET_MDM_CTRL:
                    continue
                value = int(m.group(4), 16)
                if not value & FTDI_SET_DTR:
                    continue
                where = (int(m.group(1)), int(m.group(2)))
                with self.lock:
                    device = self.known.get(where)
                if device is None:
                    device = self.device_of(*where)
                    with self.lock:
                        self.known[where] = device
                link = self.links.get(device)
                if link is None:
                    self.log(f'DTR request from USB device {where[0]}.{where[1]} ({device}): no link')
                    continue
                link.set_dtr(bool(value & FTDI_DTR))
