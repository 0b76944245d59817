# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""modem_port against a real pseudo-terminal with a small AT responder."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import select
import signal
import struct
import subprocess
import sys
import threading
import time

import pytest

from ansible_collections.dialin.callback.plugins.modules import modem_port


class Responder(threading.Thread):
    """Plays a Hayes modem on the master side of a pty."""

    def __init__(self, master, mode, delay=0, watched_lock=None):
        super(Responder, self).__init__()
        self.daemon = True
        self.master = master
        self.mode = mode
        self.received = b''
        self.stop = threading.Event()
        # A slow modem answers each command after *delay* seconds. With *watched_lock*, the lock
        # file's contents (None: no file) are recorded as each command arrives, as (command, contents).
        self.delay = delay
        self.watched_lock = watched_lock
        self.locks_seen = []

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
                if self.watched_lock:
                    try:
                        with open(self.watched_lock, 'rb') as f:
                            self.locks_seen.append((cmd.strip(), f.read()))
                    except IOError:
                        self.locks_seen.append((cmd.strip(), None))
                # Stopped while thinking: the fixture closes the master after the join, and a
                # later write would land in whatever file reuses its descriptor number.
                if self.delay and self.stop.wait(self.delay):
                    return
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
        elif cmd.upper() == b'AT&V':
            out += b'\r\nACTIVE PROFILE:\r\nE1 Q0 V1 X4 &C1 &D2\r\n\r\nOK\r\n'
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
def modem(pty_pair, request, tmp_path):
    """A modem on a pty; the responder records the lock LCK..<pty number> in tmp_path as each command arrives."""
    mode = getattr(request, 'param', 'ok')
    master, slave, name = pty_pair
    r = Responder(master, mode, watched_lock=str(tmp_path / ('LCK..%s' % os.path.basename(name))))
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
    assert res['lock'] == dict(path=None, pid=None, alive=False, stale=False, holder=None, user=None, foreign=False)
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


def test_probe_commands_are_answered_in_order_under_the_lock(run_module, modem, tmp_path):
    name, responder = modem
    res = run(run_module, path=name, probe=True, timeout=3, lock_dir=str(tmp_path), commands=['AT&V', 'ATI3'])
    assert not res.failed, res
    assert res['probe']['answers'] == [
        dict(command='AT&V', lines=['ACTIVE PROFILE:', 'E1 Q0 V1 X4 &C1 &D2'], result='OK'),
        dict(command='ATI3', lines=[], result='ERROR')]
    assert responder.received == b'AT\rATI\rAT&V\rATI3\r'
    assert [held for cmd, held in responder.locks_seen if cmd == b'AT&V'] == [our_lock()], responder.locks_seen
    assert lock_dir_entries(tmp_path) == []


@pytest.mark.parametrize('command', ['ATD123', 'ATA', 'ATH0', 'ATZ', 'AT&F', 'AT&W', 'ATO', 'ATI0DT5', 'at&w1',
                                     'AT+FCLASS=1', 'AT I', 'ATI\r', 'AT&V\nATD1', 'I3', ''])
def test_a_changing_command_is_refused_before_the_line_is_touched(run_module, modem, tmp_path, command):
    name, responder = modem
    res = run(run_module, path=name, probe=True, timeout=3, lock_dir=str(tmp_path), commands=['AT&V', command])
    assert res.failed and res['msg'].startswith('commands: %r ' % command), res
    time.sleep(0.2)
    assert responder.received == b''
    assert lock_dir_entries(tmp_path) == []


@pytest.mark.parametrize('command', ['AT&V', 'ATI3', 'AT+FCLASS=?', 'AT+GMI?', 'ATS0?', 'AT%V', 'AT\\V'])
def test_query_commands_are_accepted(command):
    assert modem_port.command_problem(command) is None


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
    # Held while it waited, removed after the timeout.
    assert responder.locks_seen == [(b'AT', our_lock())]
    assert lock_dir_entries(tmp_path) == []


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
                               holder=modem_port.process_name(os.getpid()), user=modem_port.process_user(os.getpid()),
                               foreign=True)
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
        assert 'locked by PID %d (sleep, user %s)' % (child.pid, modem_port.process_user(child.pid)) in res['msg']
        assert res['in_use'] is False
    finally:
        child.kill()
        child.wait()


def test_stale_lock_reported_and_kept_without_probe(run_module, pty_pair, tmp_path):
    dummy, dummy2, name = pty_pair
    child = subprocess.Popen(['true'])
    child.wait()
    lock = write_lock(tmp_path, os.path.basename(name), child.pid)
    res = run(run_module, path=name, lock_dir=str(tmp_path))
    assert not res.failed, res
    assert res['lock'] == dict(path=lock, pid=child.pid, alive=False, stale=True, holder=None, user=None, foreign=False)
    assert res['probe']['lock_files'] == []
    assert os.path.exists(lock)
    assert any('stale' in w and 'left in place' in w for w in res.get('warnings', []))


def our_lock():
    return ('%10d\n' % os.getpid()).encode()


def lock_dir_entries(tmp_path):
    return sorted(e for e in os.listdir(str(tmp_path)) if e.startswith('LCK..'))


def test_probe_holds_mgettys_lock_while_it_talks(run_module, modem, tmp_path):
    """A slow modem: each command arrives while the lock holds our PID as mgetty writes it."""
    name, responder = modem
    responder.delay = 0.5
    lock = str(tmp_path / ('LCK..%s' % os.path.basename(name)))
    res = run(run_module, path=name, probe=True, timeout=3, lock_dir=str(tmp_path))
    assert not res.failed, res
    assert res['probe']['ok'] is True
    # mgetty's lock_write_pid(): sprintf("%10d\n", getpid()), 11 bytes, mode 0644 (checked below).
    assert responder.locks_seen == [(b'AT', our_lock()), (b'ATI', our_lock())]
    assert len(our_lock()) == 11
    assert res['probe']['lock_files'] == [lock]
    assert res['probe']['skipped'] is None
    # Gone after, and no temporary file left (mgetty's LCK..TM.* name).
    assert lock_dir_entries(tmp_path) == []


def test_probe_lock_is_mode_0644_and_atomic(tmp_path):
    """take_lock: the lock appears whole (linked from a finished temporary file), mode 0644."""
    lock = str(tmp_path / 'LCK..ttyS1')
    module = Warnings()
    assert modem_port.take_lock(str(tmp_path), lock, module) is None
    assert (os.stat(lock).st_mode & 0o777) == 0o644
    assert os.stat(lock).st_nlink == 1  # the temporary name is gone
    with open(lock, 'rb') as f:
        assert f.read() == our_lock()
    assert lock_dir_entries(tmp_path) == ['LCK..ttyS1']
    modem_port.release_lock(lock)
    assert not os.path.exists(lock)


class Warnings(object):
    """What take_lock needs of a module: warn()."""

    def __init__(self):
        self.warnings = []

    def warn(self, msg):
        self.warnings.append(msg)


def test_take_lock_leaves_a_live_holders_lock(tmp_path):
    child = start_sleep()
    try:
        lock = write_lock(tmp_path, 'ttyS1', child.pid)
        holder = modem_port.take_lock(str(tmp_path), lock, Warnings())
        assert holder == dict(path=lock, pid=child.pid, holder='sleep')
        with open(lock, 'rb') as f:
            assert f.read() == ('%10d\n' % child.pid).encode()
        assert lock_dir_entries(tmp_path) == ['LCK..ttyS1']
        modem_port.release_lock(lock)  # not ours: kept
        assert os.path.exists(lock)
    finally:
        child.kill()
        child.wait()


def test_stale_lock_probe_proceeds(run_module, modem, tmp_path):
    name, responder = modem
    child = subprocess.Popen(['true'])
    child.wait()
    lock = write_lock(tmp_path, os.path.basename(name), child.pid)
    res = run(run_module, path=name, probe=True, timeout=3, lock_dir=str(tmp_path))
    assert not res.failed, res
    assert res['lock'] == dict(path=lock, pid=child.pid, alive=False, stale=True, holder=None, user=None, foreign=False)
    assert res['probe']['ok'] is True
    # The stale lock was replaced by ours for the probe (as mgetty does), then ours removed.
    assert responder.locks_seen == [(b'AT', our_lock()), (b'ATI', our_lock())]
    assert lock_dir_entries(tmp_path) == []
    assert any('removed stale lock file %s (PID %d is gone)' % (lock, child.pid) in w
               for w in res.get('warnings', []))


@pytest.mark.parametrize('binary', [False, True])
def test_live_allowed_holder_no_probe_holder_reported(run_module, modem, tmp_path, binary):
    name, responder = modem
    child = start_sleep()
    try:
        lock = write_lock(tmp_path, os.path.basename(name), child.pid, binary)
        with open(lock, 'rb') as f:
            before = f.read()
        res = run(run_module, path=name, probe=True, timeout=1, lock_dir=str(tmp_path),
                  allowed_holders=['sleep'])
        assert not res.failed, res
        assert res['probe']['ok'] is None and res['probe']['lock_files'] == []
        assert res['probe']['skipped'] == ('the line is in use: locked by PID %d (sleep), lock file %s'
                                           % (child.pid, lock))
        assert res['lock']['holder'] == 'sleep' and res['lock']['pid'] == child.pid
        time.sleep(0.2)
        assert responder.received == b''
        with open(lock, 'rb') as f:
            assert f.read() == before  # the holder's lock untouched
    finally:
        child.kill()
        child.wait()


def test_live_holder_and_probe_required_fails(run_module, modem, tmp_path):
    name, responder = modem
    child = start_sleep()
    try:
        lock = write_lock(tmp_path, os.path.basename(name), child.pid)
        res = run(run_module, path=name, probe=True, probe_required=True, timeout=1,
                  lock_dir=str(tmp_path), allowed_holders=['sleep'])
        assert res.failed
        assert res['msg'] == '%s was not probed: the line is in use: locked by PID %d (sleep), lock file %s' % (
            name, child.pid, lock)
        time.sleep(0.2)
        assert responder.received == b''
        assert os.path.exists(lock)
    finally:
        child.kill()
        child.wait()


def test_lock_taken_just_before_the_probe(modem, tmp_path):
    """A live process takes the line between main()'s lock check and the probe's own locking.

    No outside process can be timed into that gap, so this runs the probe's locking step itself
    (take_probe_locks, real files, a real live holder): it locks the device's name, meets the
    holder's lock on the link's name, reports the holder and ends the module without probing.
    """
    name, responder = modem
    device_lock = str(tmp_path / ('LCK..%s' % os.path.basename(name)))
    link = tmp_path / 'modem'
    os.symlink(name, str(link))
    child = start_sleep()
    try:
        lock = write_lock(tmp_path, 'modem', child.pid)
        lock_files = []
        module = ExitRecorder(dict(probe=True, probe_required=False, lock_dir=str(tmp_path),
                                   allowed_holders=['mgetty']))
        result = dict(device=name, in_use=False, is_tty=False, lock={},
                      probe=dict(ok=None, skipped=None, lock_files=lock_files))
        with pytest.raises(SystemExit):
            modem_port.take_probe_locks(module, [os.path.basename(name), 'modem'], lock_files, result)
        assert module.exited == 'exit'
        assert result['probe']['skipped'] == (
            'the line was locked just before the probe by PID %d (sleep), lock file %s' % (child.pid, lock))
        assert result['lock'] == dict(path=lock, pid=child.pid, alive=True, stale=False, holder='sleep',
                                      user=modem_port.process_user(child.pid), foreign=True)
        assert result['in_use'] is False and result['is_tty'] is None
        # The device's lock it had already taken is in lock_files, for main() to release.
        assert lock_files == [device_lock]
        with open(device_lock, 'rb') as f:
            assert f.read() == our_lock()
        modem_port.release_lock(device_lock)
        assert lock_dir_entries(tmp_path) == ['LCK..modem']
        assert responder.received == b''
    finally:
        child.kill()
        child.wait()


class ExitRecorder(Warnings):
    """What take_probe_locks needs of a module: params, warn(), exit_json(), fail_json()."""

    def __init__(self, params):
        super(ExitRecorder, self).__init__()
        self.params = params
        self.exited = None

    def exit_json(self, **result):
        self.exited = 'exit'
        raise SystemExit(0)

    def fail_json(self, **result):
        self.exited = 'fail'
        raise SystemExit(1)


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


def test_sigterm_during_the_probe_removes_the_lock(modem, tmp_path):
    """The module as Ansible runs it, in its own process, stopped by SIGTERM while a slow modem thinks."""
    name, responder = modem
    responder.delay = 30
    args = json.dumps({'ANSIBLE_MODULE_ARGS': dict(path=name, probe=True, timeout=60, lock_dir=str(tmp_path))})
    # The module imports the collection's module_utils: the child finds them where this test does.
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    proc = subprocess.Popen([sys.executable, modem_port.__file__, args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        lock = str(tmp_path / ('LCK..%s' % os.path.basename(name)))
        deadline = time.monotonic() + 20
        while not responder.locks_seen and time.monotonic() < deadline:
            time.sleep(0.05)
        # The module is waiting for the answer to AT, holding the lock with its own PID.
        assert responder.locks_seen == [(b'AT', ('%10d\n' % proc.pid).encode())]
        assert os.path.exists(lock)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    result = json.loads(out)
    assert result['failed'] is True, (out, err)
    assert result['msg'] == 'probe of %s interrupted by signal %d; its lock files were removed' % (
        name, signal.SIGTERM)
    assert lock_dir_entries(tmp_path) == []


# A foreign lock: /run/lock is world-writable, so a lock names any live process; with holder_on_line
# only the port's own mgetty, callback or a program on the port is the dial-in service.

def start_named(tmp_path, name, args, stdin=None):
    """A child whose program is called name (/proc/PID/comm), a shell that waits (no exec of sleep)."""
    program = tmp_path / name
    if not program.exists():
        with open('/bin/sh', 'rb') as f:
            program.write_bytes(f.read())
        program.chmod(0o755)
    child = subprocess.Popen([str(program), '-c', 'sleep 30; :'] + list(args), stdin=stdin)
    deadline = time.monotonic() + 5
    while modem_port.process_name(child.pid) != name and time.monotonic() < deadline:
        time.sleep(0.01)
    return child


SERVICE = ['mgetty', 'callback', 'login', 'pppd']


@pytest.mark.parametrize('name, args, on_port', [
    ('mgetty', ['ttyS9'], False),  # another line's mgetty (or a process a user named so)
    ('pppd', [], False),  # pppd not on the port
    ('mgetty', ['PORT'], True),  # the port's mgetty
    ('pppd', [], True),  # pppd with the port as its line (stdin)
])
def test_a_lock_of_an_allowed_program_counts_only_on_the_port(run_module, modem, tmp_path, name, args, on_port):
    port, responder = modem
    line = open(port, 'rb', buffering=0) if on_port and name != 'mgetty' else None
    child = start_named(tmp_path, name, [port if a == 'PORT' else a for a in args], stdin=line)
    try:
        lock = write_lock(tmp_path, os.path.basename(port), child.pid)
        res = run(run_module, path=port, probe=True, timeout=1, lock_dir=str(tmp_path),
                  allowed_holders=SERVICE, holder_on_line=True)
        assert res['lock']['holder'] == name and res['lock']['user'] == modem_port.process_user(child.pid)
        if on_port:
            assert not res.failed and res['in_use'] is True and res['lock']['foreign'] is False, res
        else:
            assert res.failed and res['lock']['foreign'] is True, res
            assert res['msg'] == ('%s is locked by PID %d (%s, user %s) (lock file %s): a foreign lock, not '
                                  'mgetty, callback, login, pppd on %s' % (
                                      port, child.pid, name, res['lock']['user'], lock, os.path.basename(port)))
        time.sleep(0.2)
        assert responder.received == b''  # never opened nor probed
        # Without holder_on_line the name alone decides (the module's default).
        assert not run(run_module, path=port, lock_dir=str(tmp_path), allowed_holders=SERVICE).failed
    finally:
        child.kill()
        child.wait()
        if line:
            line.close()


def test_the_lock_of_a_link_named_like_another_line_is_not_the_ports(run_module, pty_pair, tmp_path):
    # /dev/dialin-callback/ttyUSB0 -> ../ttyUSB1 while another modem has ttyUSB0: LCK..ttyUSB0 is that
    # modem's. Here a link named tty (/dev/tty is another device) to the pty, and a live LCK..tty.
    dummy, dummy2, name = pty_pair
    child = start_sleep()
    try:
        for link_name, locked in (('tty', False), ('modem', True)):
            link = tmp_path / link_name
            os.symlink(name, str(link))
            write_lock(tmp_path, link_name, child.pid)
            res = run(run_module, path=str(link), lock_dir=str(tmp_path))
            assert res.failed is locked, res
            assert (res['lock']['path'] is None) is not locked, res
    finally:
        child.kill()
        child.wait()


def _mode_of(path):
    return oct(os.stat(os.path.realpath(path)).st_mode & 0o7777)


def test_an_idle_port_gets_its_mode_with_a_diff_and_again_changes_nothing(run_module, pty_pair, tmp_path):
    dummy, dummy2, name = pty_pair
    os.chmod(name, 0o620)
    res = run(run_module, path=name, lock_dir=str(tmp_path), mode='0600')
    assert not res.failed, res
    assert res['changed'] is True
    assert _mode_of(name) == '0o600'
    assert res['diff']['before']['mode'] == '0620' and res['diff']['after']['mode'] == '0600', res['diff']
    assert res['diff']['before']['path'] == os.path.realpath(name)
    again = run(run_module, path=name, lock_dir=str(tmp_path), mode='0600')
    assert not again.failed and again['changed'] is False, again


def test_an_idle_port_s_owner_and_group_are_compared_by_name(run_module, pty_pair, tmp_path):
    dummy, dummy2, name = pty_pair
    st = os.stat(name)
    import grp
    import pwd
    res = run(run_module, path=name, lock_dir=str(tmp_path),
              owner=pwd.getpwuid(st.st_uid).pw_name, group=grp.getgrgid(st.st_gid).gr_name)
    assert not res.failed, res
    assert res['changed'] is False


def test_check_mode_reports_the_mode_change_and_leaves_the_port(run_module, pty_pair, tmp_path):
    dummy, dummy2, name = pty_pair
    os.chmod(name, 0o620)
    res = run(run_module, check_mode=True, path=name, lock_dir=str(tmp_path), mode='0600')
    assert not res.failed, res
    assert res['changed'] is True
    assert res['diff']['after']['mode'] == '0600'
    assert _mode_of(name) == '0o620'


# The lock's holder is allowed (the port's own call: left alone, not changed) or not (a foreign lock:
# the task fails); either way the port keeps the mode it has.
@pytest.mark.parametrize('holders, in_call', [(['sleep'], True), (['mgetty'], False)])
def test_a_locked_port_keeps_its_mode(run_module, pty_pair, tmp_path, holders, in_call):
    dummy, dummy2, name = pty_pair
    os.chmod(name, 0o620)
    child = start_sleep()
    try:
        write_lock(tmp_path, os.path.basename(name), child.pid)
        res = run(run_module, path=name, lock_dir=str(tmp_path), allowed_holders=holders, mode='0600')
        if in_call:
            assert not res.failed, res
            assert res['in_use'] is True and res['changed'] is False and 'diff' not in res
        else:
            assert res.failed and 'locked by PID %d' % child.pid in res['msg']
        assert _mode_of(name) == '0o620'
    finally:
        child.kill()
        child.wait()


def test_a_mode_that_is_not_one_fails_and_changes_nothing(run_module, pty_pair, tmp_path):
    dummy, dummy2, name = pty_pair
    os.chmod(name, 0o620)
    res = run(run_module, path=name, lock_dir=str(tmp_path), owner=str(os.getuid()), mode='rwx-nonsense')
    assert res.failed
    assert res['msg'] == 'mode must be in octal or symbolic form', res['msg']
    assert _mode_of(name) == '0o620'


def test_without_owner_group_or_mode_no_diff_is_returned(run_module, pty_pair, tmp_path):
    dummy, dummy2, name = pty_pair
    res = run(run_module, path=name, lock_dir=str(tmp_path))
    assert not res.failed and res['changed'] is False and 'diff' not in res


def test_prefer_path_is_checked_when_it_exists(run_module, pty_pair, tmp_path):
    dummy, dummy2, name = pty_pair
    link = tmp_path / 'ttyUSB7'
    os.symlink(name, str(link))
    res = run(run_module, path=str(tmp_path / 'no-such-tty'), prefer_path=str(link), lock_dir=str(tmp_path))
    assert not res.failed, res
    assert res['path'] == str(link) and res['link_target'] == name
    assert res['device'] == os.path.realpath(name) and res['is_tty']


def test_path_is_checked_when_prefer_path_is_absent(run_module, pty_pair, tmp_path):
    dummy, dummy2, name = pty_pair
    res = run(run_module, path=name, prefer_path=str(tmp_path / 'ttyUSB7'), lock_dir=str(tmp_path))
    assert not res.failed, res
    assert res['path'] == name and res['device'] == os.path.realpath(name)


def test_a_dangling_prefer_path_is_checked_and_fails_naming_it(run_module, pty_pair, tmp_path):
    dummy, dummy2, name = pty_pair
    link = tmp_path / 'ttyUSB7'
    os.symlink(str(tmp_path / 'gone'), str(link))
    res = run(run_module, path=name, prefer_path=str(link), lock_dir=str(tmp_path))
    assert res.failed
    assert res['msg'] == '%s does not exist (dangling symlink to %s)' % (link, tmp_path / 'gone')
