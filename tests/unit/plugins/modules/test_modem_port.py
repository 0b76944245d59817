# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""modem_port against a real pseudo-terminal with a small AT responder."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import select
import struct
import subprocess
import threading
import time

import pytest

from ansible_collections.dialin.callback.plugins.modules import modem_port


class Responder(threading.Thread):
    """Plays a Hayes modem on the master side of a pty."""

    def __init__(self, master, mode):
        super(Responder, self).__init__()
        self.daemon = True
        self.master = master
        self.mode = mode
        self.received = b''
        self.stop = threading.Event()

    def run(self):
        buf = b''
        while not self.stop.is_set():
            r, dummy, dummy = select.select([self.master], [], [], 0.05)
            if not r:
                continue
            try:
                data = os.read(self.master, 1024)
            except OSError:
                return
            self.received += data
            buf += data
            while b'\r' in buf:
                cmd, buf = buf.split(b'\r', 1)
                self.answer(cmd.strip())

    def answer(self, cmd):
        if self.mode == 'silent':
            return
        if self.mode == 'garbage':
            os.write(self.master, b'\r\n\x00\xffNO WAY\r\n')
            return
        if self.mode == 'error':
            os.write(self.master, cmd + b'\r\r\nERROR\r\n')
            return
        # echo, like a modem in E1
        out = cmd + b'\r'
        if cmd.upper() == b'AT':
            out += b'\r\nOK\r\n'
        elif cmd.upper() == b'ATI':
            out += b'\r\n56000\r\n\r\nTest Modem 1.0\r\n\r\nOK\r\n'
        else:
            out += b'\r\nERROR\r\n'
        os.write(self.master, out)


@pytest.fixture
def pty_pair():
    master, slave = os.openpty()
    name = os.ttyname(slave)
    yield master, slave, name
    for fd in (master, slave):
        try:
            os.close(fd)
        except OSError:
            pass


@pytest.fixture
def modem(pty_pair, request):
    mode = getattr(request, 'param', 'ok')
    master, slave, name = pty_pair
    r = Responder(master, mode)
    r.start()
    yield name, r
    r.stop.set()
    r.join(2)


def run(run_module, check_mode=False, **kw):
    return run_module(modem_port.main, kw, check_mode=check_mode)


def test_pty_without_probe(run_module, pty_pair, tmp_path):
    dummy, dummy2, name = pty_pair
    res = run(run_module, path=name, lock_dir=str(tmp_path))
    assert not res.failed, res
    assert res['changed'] is False
    assert res['device'] == os.path.realpath(name)
    assert res['device'].startswith('/dev/pts/')
    assert res['is_char_device'] and res['is_tty']
    assert res['driver'] is None
    assert res['link_target'] is None
    assert res['lock'] == dict(path=None, pid=None, alive=False, stale=False, holder=None)
    assert res['in_use'] is False
    assert res['probe']['ok'] is None


def test_symlink_reported(run_module, pty_pair, tmp_path):
    dummy, dummy2, name = pty_pair
    link = tmp_path / 'modem'
    os.symlink(name, str(link))
    res = run(run_module, path=str(link), lock_dir=str(tmp_path))
    assert not res.failed, res
    assert res['link_target'] == name
    assert res['device'] == os.path.realpath(name)


def test_probe_ok(run_module, modem, tmp_path):
    name, responder = modem
    res = run(run_module, path=name, probe=True, timeout=3, lock_dir=str(tmp_path))
    assert not res.failed, res
    assert res['probe']['ok'] is True
    assert 'OK' in res['probe']['response']
    assert res['probe']['identity'] == ['56000', 'Test Modem 1.0']
    assert responder.received == b'AT\rATI\r'


def test_probe_check_mode_same(run_module, modem, tmp_path):
    name, dummy = modem
    res = run(run_module, check_mode=True, path=name, probe=True, timeout=3, lock_dir=str(tmp_path))
    assert not res.failed, res
    assert res['probe']['ok'] is True
    assert res['changed'] is False


@pytest.mark.parametrize('modem', ['silent'], indirect=True)
def test_probe_no_answer(run_module, modem, tmp_path):
    name, responder = modem
    start = time.monotonic()
    res = run(run_module, path=name, probe=True, timeout=1, lock_dir=str(tmp_path))
    elapsed = time.monotonic() - start
    assert res.failed
    assert 'no answer within 1.0 s' in res['msg']
    assert elapsed < 2.0
    assert res['probe']['ok'] is False
    assert responder.received == b'AT\r'


@pytest.mark.parametrize('modem', ['garbage'], indirect=True)
def test_probe_garbage(run_module, modem, tmp_path):
    name, dummy = modem
    start = time.monotonic()
    res = run(run_module, path=name, probe=True, timeout=1, lock_dir=str(tmp_path))
    assert time.monotonic() - start < 2.0
    assert res.failed
    assert 'unexpected answer' in res['msg']
    assert 'NO WAY' in res['msg']


@pytest.mark.parametrize('modem', ['error'], indirect=True)
def test_probe_error_is_unexpected(run_module, modem, tmp_path):
    name, dummy = modem
    start = time.monotonic()
    res = run(run_module, path=name, probe=True, timeout=3, lock_dir=str(tmp_path))
    assert time.monotonic() - start < 2.0  # ERROR ends the wait at once
    assert res.failed
    assert 'unexpected answer' in res['msg'] and 'ERROR' in res['msg']


def start_sleep():
    """A child `sleep 30`, once /proc names it: Popen can return between the exec's close-on-exec
    step and the kernel's renaming of the process (seen here: 4 in 300 starts still read python)."""
    child = subprocess.Popen(['sleep', '30'])
    deadline = time.monotonic() + 5
    while modem_port.process_name(child.pid) != 'sleep' and time.monotonic() < deadline:
        time.sleep(0.01)
    return child


def write_lock(lock_dir, name, pid, binary=False):
    path = os.path.join(str(lock_dir), 'LCK..%s' % name)
    with open(path, 'wb') as f:
        if binary:
            f.write(struct.pack('=i', pid))
        else:
            f.write(('%10d\n' % pid).encode())
    return path


# Binary PIDs whose bytes read as ASCII digits and whitespace (2359 is b'7\t\0\0'), the
# largest PID, and the ASCII forms: HDB's "%10d\n", a bare number, a 4-byte "123\n".
@pytest.mark.parametrize('content, pid', [
    (struct.pack('=i', 2359), 2359),
    (struct.pack('=i', 0x3031), 0x3031),
    (struct.pack('=i', 4194304), 4194304),
    (b'      2359\n', 2359),
    (b'2359', 2359),
    (b'123\n', 123),
    (b'', None),
    (b'not a pid\n', None),
])
def test_read_lock_pid_formats(tmp_path, content, pid):
    path = tmp_path / 'LCK..ttyS0'
    path.write_bytes(content)
    assert modem_port.read_lock_pid(str(path)) == pid


@pytest.mark.parametrize('binary', [False, True])
def test_locked_by_live_pid_never_opened(run_module, modem, tmp_path, binary):
    name, responder = modem
    lock = write_lock(tmp_path, os.path.basename(name), os.getpid(), binary)
    res = run(run_module, path=name, probe=True, timeout=1, lock_dir=str(tmp_path))
    assert res.failed
    assert 'locked by PID %d' % os.getpid() in res['msg']
    assert res['lock'] == dict(path=lock, pid=os.getpid(), alive=True, stale=False,
                               holder=modem_port.process_name(os.getpid()))
    time.sleep(0.2)
    assert responder.received == b''  # nothing was sent to the line
    assert os.path.exists(lock)


def test_locked_via_symlink_name_by_child(run_module, modem, tmp_path):
    name, responder = modem
    link = tmp_path / 'modem'
    os.symlink(name, str(link))
    child = start_sleep()
    try:
        write_lock(tmp_path, 'modem', child.pid)
        res = run(run_module, path=str(link), probe=True, timeout=1, lock_dir=str(tmp_path))
        assert res.failed
        assert 'locked by PID %d' % child.pid in res['msg']
    finally:
        child.kill()
        child.wait()
    assert responder.received == b''


def test_lock_of_an_allowed_holder_is_in_use_and_never_opened(run_module, modem, tmp_path):
    name, responder = modem
    child = start_sleep()
    try:
        write_lock(tmp_path, os.path.basename(name), child.pid)
        res = run(run_module, path=name, probe=True, timeout=1, lock_dir=str(tmp_path),
                  allowed_holders=['mgetty', 'sleep'])
        assert not res.failed, res
        assert res['in_use'] is True and res['is_tty'] is None
        assert res['lock']['holder'] == 'sleep' and res['lock']['alive'] is True
        assert res['probe']['ok'] is None
        time.sleep(0.2)
        assert responder.received == b''  # nothing was sent to the line
    finally:
        child.kill()
        child.wait()


def test_lock_of_another_holder_fails_naming_it(run_module, modem, tmp_path):
    name, dummy = modem
    child = start_sleep()
    try:
        write_lock(tmp_path, os.path.basename(name), child.pid)
        res = run(run_module, path=name, lock_dir=str(tmp_path), allowed_holders=['mgetty'])
        assert res.failed
        assert 'locked by PID %d (sleep)' % child.pid in res['msg']
        assert res['in_use'] is False
    finally:
        child.kill()
        child.wait()


def test_stale_lock_reported_and_kept(run_module, modem, tmp_path):
    name, dummy = modem
    child = subprocess.Popen(['true'])
    child.wait()
    lock = write_lock(tmp_path, os.path.basename(name), child.pid)
    res = run(run_module, path=name, probe=True, timeout=3, lock_dir=str(tmp_path))
    assert not res.failed, res
    assert res['lock'] == dict(path=lock, pid=child.pid, alive=False, stale=True, holder=None)
    assert res['probe']['ok'] is True
    assert os.path.exists(lock)
    assert any('stale' in w for w in res.get('warnings', []))


def test_unreadable_lock_content_fails(run_module, pty_pair, tmp_path):
    dummy, dummy2, name = pty_pair
    path = os.path.join(str(tmp_path), 'LCK..%s' % os.path.basename(name))
    with open(path, 'w') as f:
        f.write('garbage here\n')
    res = run(run_module, path=name, lock_dir=str(tmp_path))
    assert res.failed
    assert 'locked' in res['msg']


def test_missing_path(run_module, tmp_path):
    res = run(run_module, path=str(tmp_path / 'nope'), lock_dir=str(tmp_path))
    assert res.failed
    assert 'does not exist' in res['msg']


def test_dangling_symlink(run_module, tmp_path):
    link = tmp_path / 'modem'
    os.symlink('/dev/ttyNOPE', str(link))
    res = run(run_module, path=str(link), lock_dir=str(tmp_path))
    assert res.failed
    assert 'dangling' in res['msg']
    assert res['link_target'] == '/dev/ttyNOPE'


def test_regular_file(run_module, tmp_path):
    f = tmp_path / 'file'
    f.write_text('x')
    res = run(run_module, path=str(f), lock_dir=str(tmp_path))
    assert res.failed
    assert 'not a character device' in res['msg']
    assert res['is_char_device'] is False


def test_char_device_not_tty(run_module, tmp_path):
    res = run(run_module, path='/dev/null', lock_dir=str(tmp_path))
    assert res.failed
    assert 'not a terminal' in res['msg']
    assert res['is_char_device'] is True
    assert res['is_tty'] is False


def test_bad_speed(run_module, pty_pair, tmp_path):
    dummy, dummy2, name = pty_pair
    res = run(run_module, path=name, probe=True, speed=12345, lock_dir=str(tmp_path))
    assert res.failed
    assert 'speed' in res['msg']


def _fake_sys(tmp_path, chain):
    """Build class/tty/ttyX/device -> devices/a/b/c with drivers along *chain* (innermost first)."""
    sys_root = tmp_path / 'sys'
    devs = sys_root / 'devices'
    path = devs
    for i in range(len(chain)):
        path = path / ('d%d' % i)
    path.mkdir(parents=True)
    node = path
    for bus, drv in chain:
        target = sys_root / 'bus' / bus / 'drivers' / drv
        target.mkdir(parents=True, exist_ok=True)
        os.symlink(str(target), str(node / 'driver'))
        node = node.parent
    tty = sys_root / 'class' / 'tty' / 'ttyX'
    tty.mkdir(parents=True)
    os.symlink(str(path), str(tty / 'device'))
    return str(sys_root)


def test_driver_serial_base_bus(tmp_path):
    sys_root = _fake_sys(tmp_path, [('serial-base', 'port'), ('serial-base', 'ctrl'), ('platform', 'serial8250')])
    assert modem_port.driver_of('/dev/ttyX', sys_root) == 'serial8250'


def test_driver_usb(tmp_path):
    sys_root = _fake_sys(tmp_path, [('usb-serial', 'ftdi_sio')])
    assert modem_port.driver_of('/dev/ttyX', sys_root) == 'ftdi_sio'


def test_driver_none_for_pty(tmp_path):
    assert modem_port.driver_of('/dev/pts/0', str(tmp_path)) is None
