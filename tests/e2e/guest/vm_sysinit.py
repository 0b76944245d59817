# Copyright: contributors to dialin.callback
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run by init (inittab `sysinit` line added by tests/e2e/e2e.py) in the test VM,
after /etc/init.d/rcS and before the runlevel's respawn lines (mgetty's).

Starts, in the background, a syslog listener on /dev/log (writes
/e2e/out/syslog.log: pppd, chat and mgetty's callback log there) and the modem
emulator (tests/modem/modememu.py) with the server's and the caller's phone
lines, and waits until the emulator says it is ready: mgetty must find its
port when init starts it.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import time

OUT = '/e2e/out'
EMULATOR = '/e2e/tests/modem/modememu.py'


def note(msg: str) -> None:
    line = f'[vm-sysinit {time.time():.3f}] {msg}'
    with open(os.path.join(OUT, 'vm-sysinit.log'), 'a', encoding='utf-8') as f:
        f.write(line + '\n')
    with open('/dev/console', 'w', encoding='utf-8') as con:
        con.write(line + '\n')


def syslog_listener() -> None:
    """Child: receive syslog datagrams on /dev/log, append them to syslog.log."""
    try:
        os.unlink('/dev/log')
    except FileNotFoundError:
        pass
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind('/dev/log')
    os.chmod('/dev/log', 0o666)
    with open(os.path.join(OUT, 'syslog.log'), 'a', encoding='utf-8') as f:
        while True:
            data = sock.recv(65536)
            text = data.decode('utf-8', errors='replace').rstrip('\0\n')
            f.write(f'{time.time():.3f} {text}\n')
            f.flush()


def daemon(func) -> None:
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            fd = os.open('/dev/null', os.O_RDWR)
            for n in (0, 1, 2):
                os.dup2(fd, n)
            try:
                func()
            finally:
                os._exit(0)
        os._exit(0)
    os.wait()


def main() -> int:
    t0 = time.time()
    with open('/proc/uptime', encoding='ascii') as f:
        note(f'sysinit step starts, uptime {f.read().split()[0]} s')
    with open(os.path.join(OUT, 'config.json'), encoding='utf-8') as f:
        cfg = json.load(f)
    # What udev's static nodes (kmod static-nodes) would provide: pppd 2.4.9 does
    # not create /dev/ppp; opening it loads ppp_generic (char-major-108).
    if not os.path.exists('/dev/ppp'):
        os.mknod('/dev/ppp', 0o600 | stat.S_IFCHR, os.makedev(108, 0))
    daemon(syslog_listener)
    for _attempt in range(50):
        if os.path.exists('/dev/log'):
            break
        time.sleep(0.1)
    if not os.path.exists(EMULATOR):
        note(f'{EMULATOR} is missing: no phone lines')
        return 0
    ready = '/run/e2e-modememu.ready'
    # The rehearsal (tests/e2e/rehearse.py) gives every line: one per server port and per caller's number.
    lines = cfg.get('lines') or [cfg['server_line'], cfg['caller_line']]
    cmd = [sys.executable, EMULATOR, '--bind',
           *[arg for line in lines for arg in ('--line', f'{line["device"]}={line["number"]}')],
           *(['--caller-id'] if cfg.get('caller_id') else []),
           '--log', os.path.join(OUT, 'events.jsonl'),
           '--pidfile', '/run/e2e-modememu.pid', '--ready', ready]
    note('starting ' + ' '.join(cmd))
    # pylint: disable-next=consider-using-with
    logf = open(os.path.join(OUT, 'modememu.log'), 'ab')
    subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT,
                     start_new_session=True)
    for _attempt in range(300):
        if os.path.exists(ready):
            note(f'modem emulator ready after {time.time() - t0:.1f} s')
            return 0
        time.sleep(0.1)
    note('modem emulator NOT ready after 30 s')
    return 1


if __name__ == '__main__':
    try:
        sys.exit(main())
    except Exception as exc:  # pylint: disable=broad-except
        note(f'error: {exc!r}')
        sys.exit(1)
