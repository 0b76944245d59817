# Copyright: contributors to dialin.callback
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""USB modems unplugged and plugged back, for real: a QEMU VM with systemd and udev.

Two QEMU usb-serial devices (FTDI, serial numbers A1 and B2) play two USB modems, each on a line of
the test modem (tests/modem/modememu.py, run on the host; modem_link.py carries the bytes and the
guest's DTR between QEMU and it). The guest's root (Debian bookworm, minbase, systemd, udev) is
configured from the host with dialin.callback.server over the chroot connection (configure.yml,
usb.yml), as tests/e2e configures its server; the mgetty@ units the role enables are removed, so
that only udev (ENV{SYSTEMD_WANTS}) starts them.

1. At boot each modem gets its mgetty, on the tty it has, with its own mgetty.config section and
   pppd options (port-settings, run by the unit before mgetty).
2. The host removes both devices through QEMU's monitor (QMP device_del): the guest sees their
   mgetty@ units stop (BindsTo) and stay stopped, then the host adds them back in the other order
   (device_add B, then A), so that the kernel gives them each other's tty: each gets its mgetty
   back by itself, and its settings followed it.
3. On modem A's new tty, a caller on the test modem logs in as the callback pseudo-user, is called
   back, and types root's password: no shell. Called back again, the PPP account's login starts
   pppd (the control).

Kernel and initrd come from the end-to-end test's recipe (tests/e2e/e2e.py: Debian's kernel
package, a busybox initrd that mounts 9p shares). Run as root:  bash tests/usb/run
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
COLLECTION = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(COLLECTION, 'tests', 'e2e'))
sys.path.insert(0, HERE)
import e2e  # noqa: E402  (the end-to-end test's kernel and initrd recipe)

import modem_link  # noqa: E402  (tests/usb/modem_link.py)
import yaml  # noqa: E402

# The release of the VM (its kernel, systemd and udev). python3 and python3-apt: Ansible's chroot
# connection runs the roles' modules with the root's own Python.
SUITE = 'bookworm'
ROOT_PACKAGES = ['systemd', 'systemd-sysv', 'udev', 'mgetty', 'kmod', 'procps', 'python3', 'python3-apt']
DEFAULT_WORKDIR = '/var/tmp/dialin-usb-' + hashlib.sha256(os.path.realpath(COLLECTION).encode()).hexdigest()[:12]
with open(os.path.join(HERE, 'usb.yml'), encoding='utf-8') as _f:
    DATA = yaml.safe_load(_f)
# The two modems (usb.yml): QEMU device id -> (the port's configured name, its USB serial number).
QEMU_DEVICES = {'modem-a': 'A1', 'modem-b': 'B2'}
PORT_OF = {serial: port['device'] for port in DATA['server_ports'] for serial in [port['identify']['serial']]}
CALLER = os.path.join(COLLECTION, 'tests', 'modem', 'caller.py')
EMULATOR = os.path.join(COLLECTION, 'tests', 'modem', 'modememu.py')
# Typed after root's password: only a shell prints its answer (the modem's command mode echoes the line).
SHELL_PROBE, SHELL_ANSWER = r'echo shell-$((6*7))\r', 'shell-42'
# The first bytes of pppd's LCP Configure-Request as it sends them (flag, address, escaped control).
LCP_START = r'\x7e\xff\x7d\x23'


def log(msg: str) -> None:
    print(f'usb-replug: {msg}', flush=True)


def build_root(workdir: str, force: bool) -> str:
    base = os.path.join(workdir, 'rootfs-base')
    key = e2e.sha256_of(SUITE, *e2e.SUITES[SUITE], *ROOT_PACKAGES, 'v3')
    # The e2e test's name for the stamp: its kernel step takes the kernel from this root's package
    # lists when the root is newer than the kernel.
    stamp = os.path.join(base, '.dialin-e2e-stamp')
    if not force and os.path.exists(stamp) and e2e.read(stamp).strip() == key:
        log(f'root directory: cached ({base})')
        return base
    tmp = base + '.tmp'
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(base, ignore_errors=True)
    t = time.monotonic()
    e2e.fetch(['mmdebstrap', '--variant=minbase', '--mode=root', '--include=' + ','.join(ROOT_PACKAGES),
               '--skip=cleanup/apt/lists', SUITE, tmp, *e2e.SUITES[SUITE]], 'root directory: mmdebstrap')
    e2e.write(os.path.join(tmp, '.dialin-e2e-stamp'), key + '\n')
    os.rename(tmp, base)
    log(f'root directory: built in {time.monotonic() - t:.1f} s')
    return base


def ansible_env(workdir: str) -> dict:
    """This checkout as the collection dialin.callback (a link under the work directory)."""
    colls = os.path.join(workdir, 'collections')
    link = os.path.join(colls, 'ansible_collections', 'dialin', 'callback')
    os.makedirs(os.path.dirname(link), exist_ok=True)
    if os.path.realpath(link) != os.path.realpath(COLLECTION):
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(COLLECTION, link)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=colls, ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0',
               ANSIBLE_RETRY_FILES_ENABLED='0', ANSIBLE_PIPELINING='1', ANSIBLE_DISPLAY_SKIPPED_HOSTS='0',
               ANSIBLE_LOCAL_TEMP=os.path.join(workdir, 'ansible-tmp'))
    return env


def configure_root(root: str, run: str, workdir: str) -> tuple[bool, float]:
    """dialin.callback.server applied to the VM's root from the host (configure.yml); (ok, seconds)."""
    # roles/modem's links.yml sets the ports' owner and mode even in an offline root: placeholders
    # (in the VM a devtmpfs is mounted over this /dev).
    for port in DATA['server_ports']:
        placeholder = os.path.join(root, 'dev', port['device'])
        if not os.path.lexists(placeholder):
            e2e.write(placeholder, '', 0o660)
    # No daemon is started while the roles install packages into the root.
    e2e.write(os.path.join(root, 'usr/sbin/policy-rc.d'), '#!/bin/sh\nexit 101\n', 0o755)
    inventory = os.path.join(run, 'inventory.ini')
    e2e.write(inventory, f'[usb_server]\nserver ansible_host={root}\n[all:vars]\n'
              'ansible_connection=community.general.chroot\nansible_python_interpreter=/usr/bin/python3\n')
    playbook = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
    cmd = [playbook if os.path.exists(playbook) else 'ansible-playbook', '-i', inventory, os.path.join(HERE, 'configure.yml')]
    t = time.monotonic()
    res = subprocess.run(cmd, env=ansible_env(workdir), cwd=COLLECTION, capture_output=True, text=True, check=False, timeout=900)
    e2e.write(os.path.join(run, 'out', 'ansible-configure.log'), res.stdout + res.stderr)
    seconds = time.monotonic() - t
    if res.returncode != 0:
        log(f'configure.yml failed (rc {res.returncode}) after {seconds:.1f} s:\n{e2e.tail(res.stdout + res.stderr, 40)}')
        return False, seconds
    os.unlink(os.path.join(root, 'usr/sbin/policy-rc.d'))
    # The role enables mgetty@<port> for boot; the test shows that udev alone starts them.
    for top, _dirs, files in os.walk(os.path.join(root, 'etc/systemd/system')):
        for name in files + _dirs:
            if name.startswith('mgetty@') and top.endswith('.wants'):
                os.unlink(os.path.join(top, name))
    return True, seconds


def install_harness(root: str) -> None:
    """The guest side of the test: its script and unit, and the shares' mount points."""
    files = {'/usr/local/sbin/usb-replug-guest': (e2e.read(os.path.join(HERE, 'guest.sh')), 0o755),
             '/etc/systemd/system/usb-replug-guest.service': (GUEST_UNIT, 0o644)}
    for path, (text, mode) in files.items():
        target = root + path
        os.makedirs(os.path.dirname(target), exist_ok=True)
        e2e.write(target, text, mode)
    wants = os.path.join(root, 'etc/systemd/system/multi-user.target.wants')
    os.makedirs(wants, exist_ok=True)
    os.symlink('../usb-replug-guest.service', os.path.join(wants, 'usb-replug-guest.service'))
    for share in ('caller', 'tests', 'out'):
        os.makedirs(os.path.join(root, 'e2e', share), exist_ok=True)
    os.makedirs(os.path.join(root, 'lib/modules'), exist_ok=True)
    # No login prompt on the console, no network wait.
    for unit in ('serial-getty@ttyS0.service', 'getty@tty1.service', 'systemd-networkd-wait-online.service'):
        link = os.path.join(root, 'etc/systemd/system', unit)
        if not os.path.lexists(link):
            os.symlink('/dev/null', link)


GUEST_UNIT = """[Unit]
Description=dialin.callback USB replug test, guest side
After=multi-user.target systemd-udev-settle.service

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/usb-replug-guest
StandardOutput=journal+console

[Install]
WantedBy=multi-user.target
"""


class Qmp:
    def __init__(self, path: str):
        deadline = time.monotonic() + 30
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX)
                self.sock.connect(path)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        self.file = self.sock.makefile('rw')
        json.loads(self.file.readline())
        self.execute('qmp_capabilities')

    def execute(self, command: str, **arguments) -> dict:
        self.file.write(json.dumps({'execute': command, 'arguments': arguments}) + '\n')
        self.file.flush()
        while True:
            reply = json.loads(self.file.readline())
            if 'event' in reply:
                continue
            if 'error' in reply:
                raise RuntimeError(f'QMP {command}: {reply["error"]}')
            return reply['return']


def wait_for(path: str, marker: str, proc: subprocess.Popen, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path) and marker in e2e.read(path):
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.2)
    return False


def start_emulator(run: str, out: str) -> tuple[subprocess.Popen, dict]:
    """The test modem on the host: a line per USB modem (modem_link.Link joins it to QEMU) and the
    caller's line. Returns the process and {QEMU device id: its line's path}."""
    lines = os.path.join(run, 'lines')
    os.makedirs(lines)
    paths = {dev: os.path.join(lines, dev) for dev in QEMU_DEVICES}
    argv = [sys.executable, EMULATOR, '--log', os.path.join(out, 'events.jsonl'),
            '--ready', os.path.join(run, 'modememu.ready'), '--line', f'{os.path.join(lines, "caller")}={DATA["usb_caller_number"]}']
    for dev, serial in QEMU_DEVICES.items():
        argv += ['--line', f'{paths[dev]}={DATA["usb_line_numbers"][PORT_OF[serial]]}']
    with open(os.path.join(out, 'modememu.log'), 'ab') as logf:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT)
    for _attempt in range(300):
        if os.path.exists(os.path.join(run, 'modememu.ready')):
            return proc, paths
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    raise RuntimeError(f'the test modem did not start: {e2e.tail(e2e.read(os.path.join(out, "modememu.log")), 10)}')


def usb_device_of(qmp_path: str):
    """device_of(bus, addr) for modem_link.DtrWatch: the id of the QEMU device at that USB address,
    from the monitor's "info usb" (a QMP connection of its own)."""
    qmp = None
    lock = threading.Lock()

    def device_of(bus: int, addr: int) -> str:
        nonlocal qmp
        with lock:
            if qmp is None:
                qmp = Qmp(qmp_path)
            text = qmp.execute('human-monitor-command', **{'command-line': 'info usb'})
        for line in text.splitlines():
            m = re.search(r'Device (\d+)\.(\d+),.*ID: (\S+)', line)
            if m and (int(m.group(1)), int(m.group(2))) == (bus, addr):
                return m.group(3)
        return ''
    return device_of


def call(caller_line: str, steps: list, timeout: int, transcript: str) -> subprocess.CompletedProcess:
    """caller.py on the test modem's caller line; its transcript kept in out/."""
    res = subprocess.run([sys.executable, CALLER, '--line', caller_line, '--timeout', str(timeout)] + steps,
                         capture_output=True, text=True, check=False, timeout=timeout + 30)
    e2e.write(transcript, res.stdout + res.stderr)
    return res


def calls_after_the_swap(run: str, out: str) -> list:
    """On modem A, which now has modem B's old tty: a callback, then root's password; a callback, then
    the PPP account's. The guest checks its logs for the same calls (guest.sh, phase 3)."""
    checks = []
    caller_line = os.path.join(run, 'lines', 'caller')
    number = DATA['usb_line_numbers'][PORT_OF[QEMU_DEVICES['modem-a']]]
    pseudo_login = DATA['server_callback_users'][0]['name']
    called_back = ['send', r'ATZ\r', 'expect', 'OK', 'send', f'ATD{number}\\r', 'expect', 'CONNECT',
                   'expect', 'login:', 'send', pseudo_login + r'\r',
                   # The server hangs up (its mgetty ends: DTR drops) and dials the registered number.
                   'expect', 'NO CARRIER', 'expect', 'RING', 'send', r'ATA\r', 'expect', 'CONNECT', 'expect', 'login:']
    root = call(caller_line, called_back + [
        'send', r'root\r', 'expect', 'assword:', 'send', DATA['usb_root_password'] + r'\r',
        'send', SHELL_PROBE, 'expect', 'NO CARRIER'], 300, os.path.join(out, 'call-root.txt'))
    checks.append({'name': "swapped: modem A's new tty answers, the pseudo-login is called back, and root's "
                           "password then gets no shell (the server hangs up)",
                   'ok': root.returncode == 0 and SHELL_ANSWER not in root.stdout and 'Login incorrect' not in root.stdout,
                   'detail': e2e.tail(root.stdout + root.stderr, 12)})
    # mgetty is respawned after the hang-up (RestartSec, then port-settings and its init chat).
    time.sleep(15)
    ppp = call(caller_line, called_back + [
        'send', DATA['usb_ppp_user'] + r'\r', 'expect', 'assword:', 'send', DATA['usb_ppp_password'] + r'\r',
        'expect', LCP_START, 'close'], 300, os.path.join(out, 'call-ppp.txt'))
    checks.append({'name': "swapped (control): called back again on modem A's new tty, the PPP account's login "
                           "passes and pppd speaks LCP to the caller",
                   'ok': ppp.returncode == 0, 'detail': e2e.tail(ppp.stdout + ppp.stderr, 12)})
    return checks


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--workdir', default=os.environ.get('DIALIN_USB_WORKDIR', DEFAULT_WORKDIR))
    ap.add_argument('--rebuild', action='store_true')
    ap.add_argument('--timeout', type=int, default=int(os.environ.get('DIALIN_USB_VM_TIMEOUT', '1500')))
    args = ap.parse_args()
    if os.geteuid() != 0:
        e2e.die('run as root (mmdebstrap, chroot, 9p passthrough)')
    started = time.monotonic()
    log(e2e.environment_line(args.workdir))
    e2e.check_space(args.workdir, 2)
    setup = e2e.Setup(args.workdir, SUITE, args.rebuild, kernel=True)
    os.makedirs(setup.workdir, exist_ok=True)
    setup.base = build_root(args.workdir, args.rebuild)  # depmod of the kernel runs in it
    setup.kernel()
    setup.make_initrd()
    run = os.path.join(args.workdir, 'run')
    shutil.rmtree(run, ignore_errors=True)
    os.makedirs(run)
    root, out, caller = (os.path.join(run, name) for name in ('root', 'out', 'caller'))
    os.makedirs(out)
    os.makedirs(caller)
    subprocess.run(['cp', '-a', '--reflink=auto', setup.base, root], check=True)
    configured, configure_time = configure_root(root, run, args.workdir)
    if not configured:
        log('FAIL: 0 checks; the configuration with dialin.callback.server failed')
        return 1
    install_harness(root)
    prepared = time.monotonic() - started
    log(f'kernel {setup.kver}, root configured by dialin.callback.server in {configure_time:.1f} s; ready in {prepared:.1f} s')

    emulator, line_paths = start_emulator(run, out)
    qmp_path = os.path.join(run, 'qmp.sock')
    qmp_dtr_path = os.path.join(run, 'qmp-dtr.sock')
    trace = os.path.join(run, 'qemu-trace.log')
    console = os.path.join(run, 'console.log')
    guest_log = os.path.join(out, 'guest.log')
    # KVM where it works (DIALIN_USB_ACCEL=kvm); TCG by default, as the end-to-end test (nested KVM can hang).
    accel = ['-accel', os.environ['DIALIN_USB_ACCEL']] if os.environ.get('DIALIN_USB_ACCEL') else []

    cmd = ['timeout', '--kill-after=10', str(args.timeout), 'qemu-system-x86_64', *accel, '-accel', 'tcg,thread=multi',
           '-machine', 'q35', '-cpu', 'max', '-smp', '2', '-m', '512',
           '-nodefaults', '-no-user-config', '-display', 'none', '-vga', 'none', '-nic', 'none', '-no-reboot',
           '-chardev', f'file,id=con,path={console}', '-serial', 'chardev:con',
           '-qmp', f'unix:{qmp_path},server=on,wait=off', '-qmp', f'unix:{qmp_dtr_path},server=on,wait=off',
           # The guest's DTR: the FTDI control requests (modem_link.DtrWatch reads them).
           '-trace', f'enable=usb_serial_handle_control,file={trace}',
           '-kernel', setup.vmlinuz, '-initrd', setup.initrd,
           '-append', 'console=ttyS0 loglevel=4 panic=-1 rw 8250.nr_uarts=1 systemd.show_status=0',
           '-device', 'qemu-xhci,id=xhci',
           # Each modem's bytes on a socket, which modem_link.Link joins to the test modem's line;
           # always-plugged: the device is there whether or not the socket has its client yet.
           *[arg for dev, serial in QEMU_DEVICES.items()
             for arg in ('-chardev', f'socket,id={dev}-line,path={os.path.join(run, dev + ".sock")},server=on,wait=off',
                         '-device', f'usb-serial,id={dev},bus=xhci.0,chardev={dev}-line,serial={serial},always-plugged=on')],
           *e2e.share('rootfs', root), *e2e.share('modules', setup.modules, ',readonly=on'),
           *e2e.share('caller', caller), *e2e.share('tests', HERE, ',readonly=on'), *e2e.share('out', out)]
    log('VM: booting with modem A (serial A1) and modem B (serial B2) plugged in, on the test modem\'s lines')
    t = time.monotonic()
    link_log = open(os.path.join(out, 'modem-link.log'), 'a', encoding='utf-8')  # pylint: disable=consider-using-with

    def link_note(msg: str) -> None:
        link_log.write(f'{time.time():.3f} {msg}\n')
        link_log.flush()

    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    links = {dev: modem_link.Link(dev, os.path.join(run, dev + '.sock'), line_paths[dev], link_note) for dev in QEMU_DEVICES}
    for link in links.values():
        link.start()
    watch = modem_link.DtrWatch(trace, links, usb_device_of(qmp_dtr_path), link_note)
    watch.start()
    host_checks = []
    try:
        qmp = Qmp(qmp_path)
        if not wait_for(guest_log, 'PHASE1-DONE', proc, args.timeout):
            log('the guest did not finish its boot checks')
        else:
            boot = time.monotonic() - t
            log(f'guest checked the boot after {boot:.1f} s; unplugging both modems (device_del)')
            for dev in QEMU_DEVICES:
                qmp.execute('device_del', id=dev)
            watch.forget()
            # longer than the guest's own 150 s wait and 15 s of staying stopped, so that it always reports what it saw
            if not wait_for(guest_log, 'UNPLUGGED', proc, 200):
                log('the guest did not see both modems go')
            else:
                log('plugging them back, modem B first (device_add), so that they swap ttys')
                for dev in ('modem-b', 'modem-a'):
                    for attempt in range(150):
                        try:
                            qmp.execute('device_add', driver='usb-serial', id=dev, bus='xhci.0',
                                        chardev=f'{dev}-line', serial=QEMU_DEVICES[dev], **{'always-plugged': True})
                            break
                        except RuntimeError as err:
                            # device_del completes asynchronously; the chardev is free once it has.
                            if attempt == 149:
                                log(f'device_add {dev} still refused after 30 s: {err}')
                            time.sleep(0.2)
                    time.sleep(1)
                watch.forget()
                replug = time.monotonic()
                if wait_for(guest_log, 'PHASE2-DONE', proc, 240):
                    log(f'guest checked the replug {time.monotonic() - replug:.1f} s after device_add; '
                        'calling modem A on its new tty')
                    calls = time.monotonic()
                    host_checks = calls_after_the_swap(run, out)
                    log(f'calls done in {time.monotonic() - calls:.1f} s')
                    e2e.write(os.path.join(out, 'calls-done'), '\n')
                    wait_for(guest_log, 'PHASE3-DONE', proc, 120)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
    finally:
        if proc.poll() is None:
            proc.kill()
        vm_time = time.monotonic() - t
        for link in links.values():
            link.stop.set()
        watch.stop.set()
        emulator.terminate()
        try:
            emulator.wait(timeout=10)
        except subprocess.TimeoutExpired:
            emulator.kill()
        link_log.close()
    results = {}
    rpath = os.path.join(out, 'results.json')
    if os.path.exists(rpath):
        results = json.loads(e2e.read(rpath))
    print(e2e.tail(proc.stdout.read() if proc.stdout else '', 20))
    print(e2e.read(guest_log) if os.path.exists(guest_log) else '(no guest log)')
    checks = results.get('checks', []) + host_checks
    for check in checks:
        print(('PASS ' if check['ok'] else 'FAIL ') + check['name'] + (': ' + check['detail'] if check['detail'] else ''))
    ok = bool(checks) and all(check['ok'] for check in checks) and results.get('complete') is True and len(host_checks) == 2
    if not ok:
        diagnosis = os.path.join(out, 'diagnosis.txt')
        print(e2e.read(diagnosis) if os.path.exists(diagnosis) else '(no diagnosis)')
        print(f'usb-replug: FAIL; console tail ({console}):')
        print(e2e.tail(e2e.read(console) if os.path.exists(console) else '', 40))
    log(f'{"PASS" if ok else "FAIL"}: {len(checks)} checks; preparation {prepared:.1f} s, VM {vm_time:.1f} s, '
        f'total {time.monotonic() - started:.1f} s')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
