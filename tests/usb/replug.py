# Copyright: contributors to dialin.callback
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""USB modems unplugged and plugged back, for real: a QEMU VM with systemd and udev.

Two QEMU usb-serial devices (FTDI, serial numbers A1 and B2) play two USB modems. The guest's root
(Debian bookworm, minbase, systemd, udev, mgetty) gets the collection's files rendered from the
roles' templates as the roles render them: the modem role's udev rule, the mgetty@ unit,
port-settings, mgetty.config and the ports' pppd options (options.identified.<device>). No
mgetty@ unit is enabled: only udev (ENV{SYSTEMD_WANTS}) starts them.

1. At boot each modem gets its mgetty, on the tty it has, with its own mgetty.config section and
   pppd options (port-settings, run by the unit before mgetty).
2. The host removes both devices through QEMU's monitor (QMP device_del): the guest sees their
   mgetty stop (BindsTo), then the host adds them back in the other order (device_add B, then A),
   so that the kernel gives them each other's tty: each gets its mgetty back by itself, and its
   settings followed it.

Kernel and initrd come from the end-to-end test's recipe (tests/e2e/e2e.py: Debian's kernel
package, a busybox initrd that mounts 9p shares). Run as root:  bash tests/usb/run
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
COLLECTION = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(COLLECTION, 'tests', 'e2e'))
import e2e  # noqa: E402  (the end-to-end test's kernel and initrd recipe)

import jinja2  # noqa: E402
import yaml  # noqa: E402

# The release of the VM (its kernel, systemd and udev).
SUITE = 'bookworm'
ROOT_PACKAGES = ['systemd', 'systemd-sysv', 'udev', 'mgetty', 'kmod', 'procps']
DEFAULT_WORKDIR = '/var/tmp/dialin-usb-' + hashlib.sha256(os.path.realpath(COLLECTION).encode()).hexdigest()[:12]
# The two modems: their identity (the USB serial number QEMU gives them) and their settings.
PORTS = [
    {'device': 'ttyUSB0', 'identify': {'serial': 'A1'}, 'rings': 2, 'toggle_dtr': False,
     'mgetty_options': {'direct': 'yes'}, 'local_ip': '10.9.0.1', 'remote_ip': '10.9.0.2'},
    {'device': 'ttyUSB1', 'identify': {'serial': 'B2'}, 'rings': 4, 'toggle_dtr': False,
     'mgetty_options': {'direct': 'yes'}, 'local_ip': '10.9.0.1', 'remote_ip': '10.9.0.3'},
]
QEMU_DEVICES = {'modem-a': 'A1', 'modem-b': 'B2'}


def log(msg: str) -> None:
    print(f'usb-replug: {msg}', flush=True)


def load(path: str) -> dict:
    with open(os.path.join(COLLECTION, path), encoding='utf-8') as f:
        return yaml.safe_load(f)


def render(path: str, variables: dict) -> str:
    # trim_blocks as Ansible's template module renders.
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, trim_blocks=True)
    with open(os.path.join(COLLECTION, path), encoding='utf-8') as f:
        return env.from_string(f.read()).render(ansible_managed='dialin.callback tests/usb', **variables)


def build_root(workdir: str, force: bool) -> str:
    base = os.path.join(workdir, 'rootfs-base')
    key = e2e.sha256_of(SUITE, *e2e.SUITES[SUITE], *ROOT_PACKAGES, 'v2')
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


def install_collection_files(root: str) -> None:
    """The files the modem, mgetty and ppp_server roles write, rendered from their templates."""
    modem = dict(load('roles/modem/defaults/main.yml'), **load('roles/modem/vars/main.yml'), modem_ports=PORTS)
    mgetty = {k: v for k, v in load('roles/mgetty/defaults/main.yml').items() if k != 'mgetty_callback_only'}
    mgetty.update(load('roles/mgetty/vars/main.yml'))
    mgetty.update(load('roles/mgetty/vars/Debian_12.yml'), mgetty_ports=PORTS)
    mgetty['__mgetty_identified_ports'] = PORTS
    # What port-settings names prints while each modem is on its configured tty (the roles' first run).
    mgetty['__mgetty_kernel_names'] = {port['device']: port['device'] for port in PORTS}
    ppp_prefix = load('roles/ppp_server/vars/main.yml')['__ppp_server_identified_prefix']
    files = {
        modem['modem_udev_rules_file']: (render('roles/modem/templates/modem.rules.j2', modem), 0o644),
        mgetty['__mgetty_unit_file'].replace('{{ __mgetty_systemd_unit_dir }}', mgetty['__mgetty_systemd_unit_dir']):
            (render('roles/mgetty/templates/mgetty@.service.j2', mgetty), 0o644),
        mgetty['__mgetty_port_settings']: (render('roles/mgetty/templates/port-settings.j2', mgetty), 0o755),
        mgetty['__mgetty_config_dir'] + '/mgetty.config': (render('roles/mgetty/templates/mgetty.config.j2', mgetty), 0o644),
    }
    for port in PORTS:
        files['/etc/ppp/options.' + ppp_prefix + port['device']] = (
            render('roles/ppp_server/templates/options.tty.j2', {'item': port}), 0o644)
    files['/usr/local/sbin/usb-replug-guest'] = (e2e.read(os.path.join(HERE, 'guest.sh')), 0o755)
    files['/etc/systemd/system/usb-replug-guest.service'] = (GUEST_UNIT, 0o644)
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--workdir', default=os.environ.get('DIALIN_USB_WORKDIR', DEFAULT_WORKDIR))
    ap.add_argument('--rebuild', action='store_true')
    ap.add_argument('--timeout', type=int, default=int(os.environ.get('DIALIN_USB_VM_TIMEOUT', '600')))
    args = ap.parse_args()
    if os.geteuid() != 0:
        e2e.die('run as root (mmdebstrap, 9p passthrough)')
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
    install_collection_files(root)
    prepared = time.monotonic() - started
    log(f'kernel {setup.kver}, root and files ready in {prepared:.1f} s')

    qmp_path = os.path.join(run, 'qmp.sock')
    console = os.path.join(run, 'console.log')
    guest_log = os.path.join(out, 'guest.log')
    # KVM where it works (DIALIN_USB_ACCEL=kvm); TCG by default, as the end-to-end test (nested KVM can hang).
    accel = ['-accel', os.environ['DIALIN_USB_ACCEL']] if os.environ.get('DIALIN_USB_ACCEL') else []

    cmd = ['timeout', '--kill-after=10', str(args.timeout), 'qemu-system-x86_64', *accel, '-accel', 'tcg,thread=multi',
           '-machine', 'q35', '-cpu', 'max', '-smp', '2', '-m', '512',
           '-nodefaults', '-no-user-config', '-display', 'none', '-vga', 'none', '-nic', 'none', '-no-reboot',
           '-chardev', f'file,id=con,path={console}', '-serial', 'chardev:con',
           '-qmp', f'unix:{qmp_path},server=on,wait=off',
           '-kernel', setup.vmlinuz, '-initrd', setup.initrd,
           '-append', 'console=ttyS0 loglevel=4 panic=-1 rw 8250.nr_uarts=1 systemd.show_status=0',
           '-device', 'qemu-xhci,id=xhci',
           # always-plugged: a usb-serial is attached only once its chardev opens, and a null one never does.
           *[arg for dev, serial in QEMU_DEVICES.items()
             for arg in ('-chardev', f'null,id={dev}-line', '-device',
                         f'usb-serial,id={dev},bus=xhci.0,chardev={dev}-line,serial={serial},always-plugged=on')],
           *e2e.share('rootfs', root), *e2e.share('modules', setup.modules, ',readonly=on'),
           *e2e.share('caller', caller), *e2e.share('tests', HERE, ',readonly=on'), *e2e.share('out', out)]
    log('VM: booting with modem A (serial A1) and modem B (serial B2) plugged in')
    t = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    ok = False
    try:
        qmp = Qmp(qmp_path)
        if not wait_for(guest_log, 'PHASE1-DONE', proc, args.timeout):
            log('the guest did not finish its boot checks')
        else:
            boot = time.monotonic() - t
            log(f'guest checked the boot after {boot:.1f} s; unplugging both modems (device_del)')
            for dev in QEMU_DEVICES:
                qmp.execute('device_del', id=dev)
            # longer than the guest's own 150 s wait, so that it always reports what it saw
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
                replug = time.monotonic()
                if wait_for(guest_log, 'PHASE2-DONE', proc, 240):
                    log(f'guest checked the replug {time.monotonic() - replug:.1f} s after device_add')
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
    finally:
        if proc.poll() is None:
            proc.kill()
        vm_time = time.monotonic() - t
    results = {}
    rpath = os.path.join(out, 'results.json')
    if os.path.exists(rpath):
        results = json.loads(e2e.read(rpath))
    print(e2e.tail(proc.stdout.read() if proc.stdout else '', 20))
    print(e2e.read(guest_log) if os.path.exists(guest_log) else '(no guest log)')
    checks = results.get('checks', [])
    for check in checks:
        print(('PASS ' if check['ok'] else 'FAIL ') + check['name'] + (': ' + check['detail'] if check['detail'] else ''))
    ok = bool(checks) and all(check['ok'] for check in checks) and results.get('complete') is True
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
