# Copyright: contributors to dialin.callback
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""End-to-end test of dialin.callback: the whole callback flow in a QEMU VM.

Run as root:  bash tests/e2e/run   (or python3 tests/e2e/e2e.py)

Set-up, cached under the work directory (DIALIN_E2E_WORKDIR, default
/var/tmp/dialin-e2e-<hash of this checkout's path>: two checkouts never share one)
and re-used when present:
  - Debian's linux-image-6.1.0-*-amd64 (apt-get download, dpkg -x, depmod);
  - a busybox initrd that loads virtio and 9p and mounts the shares;
  - a Debian bookworm root directory (mmdebstrap, minbase, sysvinit).
Each run:
  - makes two copies of the root directory (overlay mounts): the server's and the caller's;
  - configures them from the host with the collection's roles over the
    community.general.chroot connection (dialin.callback.server on the server,
    dialin.callback.client on the caller, side by side); the caller's also in check
    mode first and a second time, which must change nothing;
  - boots one VM (qemu -accel tcg, the server's root over 9p); the caller's root
    is mounted in it and used through its own mount and network namespaces and
    chroot; the modem emulator (tests/modem/modememu.py) provides the phone lines;
  - the guest script tests/e2e/guest/orchestrate.py runs the scenarios and writes
    /e2e/out/results.json, then powers the VM off; this script checks it.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import line_status_step  # noqa: E402  pylint: disable=wrong-import-position
TESTS = os.path.dirname(HERE)
COLLECTION = os.path.dirname(TESTS)

SUITE = 'bookworm'
MIRRORS = [
    'deb http://deb.debian.org/debian bookworm main',
    'deb http://deb.debian.org/debian bookworm-updates main',
    'deb http://deb.debian.org/debian-security bookworm-security main',
]
# The roles install mgetty and ppp themselves; the root only has what the test
# harness needs (python3 for Ansible and the emulator, the network tools).
ROOT_PACKAGES = [
    'sysvinit-core', 'python3', 'python3-apt', 'iproute2', 'iputils-ping',
    'procps', 'kmod', 'util-linux',
]
INITRD_MODULES = [
    'virtio_ring', 'virtio', 'virtio_pci_legacy_dev', 'virtio_pci_modern_dev',
    'virtio_pci', 'netfs', 'fscache', '9pnet', '9pnet_virtio', '9p',
]

T0 = time.monotonic()
# One work directory per checkout: runs from two checkouts at the same time do not
# share roots, mounts or logs.
DEFAULT_WORKDIR = '/var/tmp/dialin-e2e-' + hashlib.sha256(os.path.realpath(COLLECTION).encode()).hexdigest()[:12]
# Hard limit of each ansible-playbook run, in seconds.
ANSIBLE_TIMEOUT = 900
# Results of the configuration steps, reported with the guest's checks.
CONFIG_CHECKS: list = []


def log(msg: str) -> None:
    print(f'[e2e {time.monotonic() - T0:7.1f}s] {msg}', flush=True)


def die(msg: str) -> None:
    print(f'e2e: FAIL: {msg}', file=sys.stderr, flush=True)
    sys.exit(1)


def run(cmd, check=True, **kw) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(cmd, check=check, **kw)
    except subprocess.CalledProcessError as exc:
        out = exc.stdout or ''
        err = exc.stderr or ''
        if isinstance(out, bytes):
            out = out.decode(errors='replace')
        if isinstance(err, bytes):
            err = err.decode(errors='replace')
        die(f'command failed ({exc.returncode}): {" ".join(map(str, cmd))}\n{out[-3000:]}{err[-3000:]}')
        raise


def sha256_of(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode() if isinstance(p, str) else p)
        h.update(b'\0')
    return h.hexdigest()


def read(path: str) -> str:
    with open(path, encoding='utf-8', errors='replace') as f:
        return f.read()


def write(path: str, text: str, mode: int = 0o644) -> None:
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)
    os.chmod(path, mode)


# ---------------------------------------------------------------- set-up


class Setup:
    """Cached artefacts: kernel, modules, base root directory, initrd."""

    def __init__(self, workdir: str, force: bool):
        self.workdir = workdir
        self.force = force
        self.kver = ''
        self.kernel_dir = os.path.join(workdir, 'kernel')
        self.base = os.path.join(workdir, 'rootfs-base')
        self.initrd = os.path.join(workdir, 'initrd.img')
        self.timings: dict[str, float] = {}

    @property
    def vmlinuz(self) -> str:
        return os.path.join(self.kernel_dir, 'boot', f'vmlinuz-{self.kver}')

    @property
    def modules(self) -> str:
        return os.path.join(self.kernel_dir, 'lib', 'modules')

    def all(self) -> None:
        for tool in ('qemu-system-x86_64', 'mmdebstrap', 'apt-get', 'dpkg', 'ansible-playbook'):
            if not shutil.which(tool):
                die(f'{tool} not found (apt-get install -y qemu-system-x86 mmdebstrap busybox-static; pip install ansible)')
        if not os.path.exists('/bin/busybox') or b'ELF' not in open('/bin/busybox', 'rb').read(4):
            die('/bin/busybox not found (apt-get install -y busybox-static)')
        os.makedirs(self.workdir, exist_ok=True)
        for name, step in (('rootfs', self.rootfs), ('kernel', self.kernel), ('initrd', self.make_initrd)):
            t = time.monotonic()
            step()
            self.timings[name] = time.monotonic() - t

    def rootfs(self) -> None:
        key = sha256_of(SUITE, *MIRRORS, *ROOT_PACKAGES, 'v1')
        stamp = os.path.join(self.base, '.dialin-e2e-stamp')
        if not self.force and os.path.exists(stamp) and read(stamp).strip() == key:
            log(f'root directory: cached ({self.base})')
            return
        tmp = self.base + '.tmp'
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(self.base, ignore_errors=True)
        log('root directory: mmdebstrap ...')
        t = time.monotonic()
        run(['mmdebstrap', '--variant=minbase', '--mode=root',
             '--include=' + ','.join(ROOT_PACKAGES),
             '--skip=cleanup/apt/lists',
             SUITE, tmp, *MIRRORS], capture_output=True, text=True)
        write(os.path.join(tmp, '.dialin-e2e-stamp'), key + '\n')
        os.rename(tmp, self.base)
        log(f'root directory: built in {time.monotonic() - t:.1f} s')

    def kernel(self) -> None:
        out = run(['apt-cache', 'depends', 'linux-image-amd64'], capture_output=True, text=True).stdout
        pkgs = [ln.split(':', 1)[1].strip() for ln in out.splitlines()
                if ln.strip().startswith('Depends:') and 'linux-image-6' in ln]
        if not pkgs:
            die(f'cannot find the kernel package behind linux-image-amd64:\n{out}')
        pkg = pkgs[0]
        self.kver = pkg[len('linux-image-'):]
        stamp = os.path.join(self.kernel_dir, '.dialin-e2e-stamp')
        if not self.force and os.path.exists(stamp) and read(stamp).strip() == pkg:
            log(f'kernel: cached ({pkg})')
            return
        log(f'kernel: downloading {pkg} ...')
        dl = os.path.join(self.workdir, 'dl')
        shutil.rmtree(dl, ignore_errors=True)
        os.makedirs(dl)
        run(['apt-get', 'download', pkg], cwd=dl, capture_output=True, text=True)
        debs = [f for f in os.listdir(dl) if f.endswith('.deb')]
        tmp = self.kernel_dir + '.tmp'
        shutil.rmtree(tmp, ignore_errors=True)
        run(['dpkg', '-x', os.path.join(dl, debs[0]), tmp])
        # depmod from the base root (the host may have no kmod): bind the kernel
        # tree into it in a private mount namespace.
        run(['unshare', '--mount', '--propagation', 'private', 'sh', '-ec',
             f'mount --bind "{tmp}" "{self.base}/mnt"; chroot "{self.base}" depmod -b /mnt {self.kver}'])
        write(os.path.join(tmp, '.dialin-e2e-stamp'), pkg + '\n')
        shutil.rmtree(self.kernel_dir, ignore_errors=True)
        os.rename(tmp, self.kernel_dir)
        shutil.rmtree(dl, ignore_errors=True)

    def make_initrd(self) -> None:
        init = open(os.path.join(HERE, 'initrd-init'), 'rb').read()
        busybox = open('/bin/busybox', 'rb').read()
        mdir = os.path.join(self.modules, self.kver)
        deps = {}
        for ln in read(os.path.join(mdir, 'modules.dep')).splitlines():
            path = ln.split(':', 1)[0]
            deps[os.path.basename(path)[:-3]] = path
        files = {}
        for m in INITRD_MODULES:
            if m not in deps:
                die(f'kernel module {m} not found in {mdir}')
            files[m] = open(os.path.join(mdir, deps[m]), 'rb').read()
        key = sha256_of(init, busybox, self.kver, *INITRD_MODULES)
        stamp = self.initrd + '.stamp'
        if not self.force and os.path.exists(self.initrd) and os.path.exists(stamp) and read(stamp).strip() == key:
            log('initrd: cached')
            return
        entries = [('dev', None, 0o40755), ('bin', None, 0o40755), ('modules', None, 0o40755),
                   ('bin/busybox', busybox, 0o100755), ('bin/sh', b'busybox', 0o120777),
                   ('init', init, 0o100755)]
        entries += [(f'modules/{m}.ko', data, 0o100644) for m, data in files.items()]
        with gzip.open(self.initrd + '.tmp', 'wb', compresslevel=6) as f:
            f.write(cpio_newc(entries))
        os.rename(self.initrd + '.tmp', self.initrd)
        write(stamp, key + '\n')
        log(f'initrd: built ({os.path.getsize(self.initrd) // 1024} KiB)')


def cpio_newc(entries) -> bytes:
    """A newc cpio archive of (name, data or None for a directory, mode); a
    symbolic link has mode 0o120777 and its target as data."""
    out = bytearray()

    def pad4():
        while len(out) % 4:
            out.append(0)

    ino = 1
    for name, data, mode in entries + [('TRAILER!!!', None, 0)]:
        body = data or b''
        nlink = 2 if mode & 0o40000 else 1
        fields = [ino, mode, 0, 0, nlink, 0, len(body), 0, 0, 0, 0, len(name) + 1, 0]
        out += b'070701' + b''.join(b'%08X' % v for v in fields)
        out += name.encode() + b'\0'
        pad4()
        out += body
        pad4()
        ino += 1
    return bytes(out)


# ---------------------------------------------------------------- configuration


def load_vars() -> dict:
    import yaml  # from ansible's dependencies
    with open(os.path.join(HERE, 'vars', 'e2e.yml'), encoding='utf-8') as f:
        return yaml.safe_load(f)


def release_roots(rundir: str) -> None:
    """Unmount and remove the previous run's roots."""
    for sub in ('server', 'caller'):
        path = os.path.join(rundir, sub)
        if os.path.ismount(path):
            run(['umount', path])
        for suffix in ('', '.upper', '.work'):
            if os.path.lexists(path + suffix):
                shutil.rmtree(path + suffix)


def prepare_roots(setup: Setup, rundir: str) -> tuple[str, str]:
    """Two copies of the base root (overlay mounts, else cp), plus the harness's pieces."""
    release_roots(rundir)
    os.makedirs(rundir, exist_ok=True)
    server = os.path.join(rundir, 'server')
    caller = os.path.join(rundir, 'caller')
    for dst, hostname in ((server, 'dialin-server'), (caller, 'dialin-caller')):
        for d in (dst, dst + '.upper', dst + '.work'):
            os.makedirs(d)
        res = subprocess.run(['mount', '-t', 'overlay', 'overlay', '-o',
                              f'lowerdir={setup.base},upperdir={dst}.upper,workdir={dst}.work', dst],
                             capture_output=True, text=True, check=False)
        if res.returncode != 0:
            log(f'overlay mount failed ({res.stderr.strip()}), copying the root instead')
            os.rmdir(dst)
            run(['cp', '-a', '--reflink=auto', setup.base, dst])
        write(os.path.join(dst, 'etc', 'hostname'), hostname + '\n')
        # No daemon is started while the roles install packages into the root.
        write(os.path.join(dst, 'usr', 'sbin', 'policy-rc.d'), '#!/bin/sh\nexit 101\n', 0o755)
        os.makedirs(os.path.join(dst, 'lib', 'modules'), exist_ok=True)
    # Work-around: roles/modem/tasks/links.yml links /dev/<link> to the port and sets
    # the port's mode even in an offline root (server_verify_ports: false), and fails
    # when the port is missing. Placeholders in the root's /dev satisfy it; in the VM
    # a devtmpfs is mounted over that /dev.
    for port in load_vars().get('server_ports', []):
        placeholder = os.path.join(server, 'dev', port['device'])
        if not os.path.lexists(placeholder):
            write(placeholder, '', 0o660)
    for d in ('e2e/caller', 'e2e/tests', 'e2e/out'):
        os.makedirs(os.path.join(server, d), exist_ok=True)
    # The harness's own init lines (nothing about mgetty or ppp): the stock VT
    # gettys are useless here; the stock rcS is replaced by a short one
    # (guest/vm-rcS: the full one takes a minute under emulation) and runlevel 2's
    # services (cron, exim4... pulled in by mgetty's logrotate) are not started;
    # a sysinit step starts the phone lines (modem
    # emulator) and a syslog listener before the respawn lines run; a "once"
    # line in runlevel 2 runs the scenarios and powers off.
    inittab = os.path.join(server, 'etc', 'inittab')
    lines = []
    for ln in read(inittab).splitlines():
        if (':respawn:/sbin/getty' in ln or ln.startswith('l2:2:wait:')) and not ln.startswith('#'):
            ln = '#' + ln
        if ln.startswith('si::sysinit:'):
            ln = 'si::sysinit:/e2e/tests/e2e/guest/vm-rcS'
        lines.append(ln)
        if ln.startswith('si::sysinit:'):
            lines.append('e2::sysinit:/usr/bin/python3 /e2e/tests/e2e/guest/vm_sysinit.py')
    lines.append('e3:2345:once:/usr/bin/python3 /e2e/tests/e2e/guest/orchestrate.py')
    write(inittab, '\n'.join(lines) + '\n')
    return server, caller


def ansible_env(rundir: str) -> dict:
    # This checkout as the collection dialin.callback, whatever else is installed.
    colls = os.path.join(os.path.dirname(rundir), 'collections')
    link = os.path.join(colls, 'ansible_collections', 'dialin', 'callback')
    os.makedirs(os.path.dirname(link), exist_ok=True)
    if os.path.realpath(link) != os.path.realpath(COLLECTION):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(link)
        os.symlink(COLLECTION, link)
    env = dict(os.environ)
    env.update({
        'ANSIBLE_COLLECTIONS_PATH': colls,
        'ANSIBLE_FORCE_COLOR': '0',
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_HOST_KEY_CHECKING': '0',
        'ANSIBLE_RETRY_FILES_ENABLED': '0',
        'ANSIBLE_LOCAL_TEMP': os.path.join(rundir, 'ansible-tmp'),
        'ANSIBLE_STDOUT_CALLBACK': 'default',
        'ANSIBLE_CALLBACKS_ENABLED': 'ansible.posix.profile_tasks',
        'ANSIBLE_DISPLAY_SKIPPED_HOSTS': '0',
        'ANSIBLE_PIPELINING': '1',
    })
    return env


def configure(rundir: str, server: str, caller: str, args: argparse.Namespace, extra: list) -> dict:
    """Apply the roles to both roots: the server's and the caller's configuration
    run side by side (two ansible-playbook processes). The caller (this change's
    client role) also gets a check-mode run on its fresh root first and a second
    run that must change nothing; --server-checks does the same for the server."""
    inventory = os.path.join(rundir, 'inventory.ini')
    write(inventory, '\n'.join([
        '[e2e_servers]',
        f'server ansible_host={server}',
        '[e2e_callers]',
        f'caller ansible_host={caller}',
        '[all:vars]',
        'ansible_connection=community.general.chroot',
        'ansible_python_interpreter=/usr/bin/python3',
        '',
    ]))
    base = ['ansible-playbook', '-i', inventory, os.path.join(HERE, 'playbooks', 'configure.yml'), *extra]
    env = ansible_env(rundir)
    timings: dict = {}
    failures: list = []

    def pipeline(host: str, checks: bool) -> None:
        # The server's first run has an account more (e2e_former): the next run must revoke it.
        steps = (['check'] if checks else []) + (['former'] if host == 'server' else []) + ['first'] \
            + (['second'] if checks else [])
        for step in steps:
            cmd = base + ['--limit', host] + (['--check'] if step == 'check' else []) \
                + (['-e', 'e2e_former=true'] if step == 'former' else [])
            logfile = os.path.join(rundir, f'ansible-{host}-{step}.log')
            t = time.monotonic()
            try:
                res = subprocess.run(cmd, env=env, cwd=COLLECTION, capture_output=True, text=True,
                                     check=False, timeout=ANSIBLE_TIMEOUT)
            except subprocess.TimeoutExpired as exc:
                res = subprocess.CompletedProcess(cmd, 124, _text(exc.stdout),
                                                  _text(exc.stderr) + f'\n(killed after {ANSIBLE_TIMEOUT} s)')
            write(logfile, res.stdout + res.stderr)
            timings[f'ansible_{host}_{step}'] = time.monotonic() - t
            log(f'configure: {host}: {step} run rc {res.returncode} in {timings[f"ansible_{host}_{step}"]:.1f} s')
            if step == 'check':
                CONFIG_CHECKS.append({
                    'name': f'configure: {host}: check mode (--check) on the fresh root succeeds',
                    'ok': res.returncode == 0,
                    'detail': f'rc {res.returncode}, log {logfile}\n'
                              + '\n'.join(ln for ln in res.stdout.splitlines()
                                          if ln.startswith(('fatal:', 'failed:')))[-1200:]})
            elif res.returncode != 0:
                failures.append(f'{host}: {step} configuration run failed (rc {res.returncode}), log {logfile}\n'
                                + tail(res.stdout + res.stderr, 50))
                return
            elif step == 'former':
                created = any(ln.startswith('leaver:') for ln in read(os.path.join(server, 'etc', 'passwd')).splitlines())
                CONFIG_CHECKS.append({'name': 'configure: server: the first run (e2e_former) creates the account leaver',
                                      'ok': created, 'detail': f'log {logfile}'})
            elif step == 'second':
                bad = [ln for ln in res.stdout.splitlines() if ' changed=' in ln and ' changed=0 ' not in ln]
                lines = [ln for ln in res.stdout.splitlines() if ln.startswith('changed:')]
                CONFIG_CHECKS.append({'name': f'configure: {host}: a second run changes nothing (idempotence)',
                                      'ok': not bad,
                                      'detail': '\n'.join(bad + lines)[-1500:] + f'\nlog: {logfile}'})

    log('configure: applying dialin.callback.server and dialin.callback.client ...')
    t = time.monotonic()
    threads = [threading.Thread(target=pipeline, args=('server', args.server_checks)),
               threading.Thread(target=pipeline, args=('caller', not args.no_idempotence))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    timings['ansible_wall'] = time.monotonic() - t
    if failures:
        die('configuration with the roles failed:\n' + '\n'.join(failures))
    shadow = [ln.split(':') for ln in read(os.path.join(server, 'etc', 'shadow')).splitlines()]
    leaver = next((f for f in shadow if f[0] == 'leaver'), None)
    CONFIG_CHECKS.append({'name': 'configure: server: the next run, without leaver, locked and expired the account',
                          'ok': bool(leaver) and leaver[1].startswith('!') and leaver[7] == '1',
                          'detail': f'shadow fields of leaver: {leaver and [leaver[0], leaver[1][:2] + "...", *leaver[2:]]}'})
    for root in (server, caller):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(root, 'usr', 'sbin', 'policy-rc.d'))
    return timings


def _text(data) -> str:
    if isinstance(data, bytes):
        return data.decode(errors='replace')
    return data or ''


def tail(text: str, n: int) -> str:
    return '\n'.join(text.splitlines()[-n:])


# ---------------------------------------------------------------- VM


def boot(setup: Setup, rundir: str, server: str, caller: str, timeout: int, cpus: int) -> float:
    out = os.path.join(rundir, 'out')
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    cfg = load_vars()['e2e_guest']
    # The guest stops starting scenarios in time to report before the hard timeout.
    cfg['budget_seconds'] = max(timeout - 45, 30)
    write(os.path.join(out, 'config.json'), json.dumps(cfg, indent=1))
    problem = line_status_step.build(out, ansible_env(rundir), COLLECTION)
    if problem:
        log(f'line_status: {problem}')
    console = os.path.join(rundir, 'console.log')

    def share(tag, path, extra=''):
        return ['-virtfs', f'local,path={path},mount_tag={tag},security_model=passthrough,id={tag}{extra}']

    cmd = ['timeout', '--kill-after=10', str(timeout),
           'qemu-system-x86_64', '-accel', 'tcg,thread=multi', '-machine', 'q35', '-cpu', os.environ.get('DIALIN_E2E_QEMU_CPU', 'max'),
           '-smp', str(cpus), '-m', '1024',
           '-nodefaults', '-no-user-config', '-display', 'none', '-vga', 'none',
           '-nic', 'none', '-no-reboot',
           '-chardev', f'file,id=con,path={console}', '-serial', 'chardev:con',
           '-kernel', setup.vmlinuz, '-initrd', setup.initrd,
           '-append', 'console=ttyS0 loglevel=4 panic=-1 rw 8250.nr_uarts=1',
           *share('rootfs', server), *share('modules', setup.modules, ',readonly=on'),
           *share('caller', caller), *share('tests', TESTS, ',readonly=on'), *share('out', out)]
    log(f'VM: booting (hard timeout {timeout} s) ...')
    t = time.monotonic()
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - t
    write(os.path.join(rundir, 'qemu.log'), res.stdout + res.stderr)
    if res.returncode == 124 or res.returncode == 137:
        log(f'VM: killed by the hard timeout after {elapsed:.1f} s')
    elif res.returncode != 0:
        log(f'VM: qemu exited with {res.returncode}: {tail(res.stderr, 10)}')
    else:
        log(f'VM: powered off after {elapsed:.1f} s')
    return elapsed


# ---------------------------------------------------------------- checks


def check_results(rundir: str, vm_time: float, config_timings: dict, setup: Setup) -> bool:
    out = os.path.join(rundir, 'out')
    console = os.path.join(rundir, 'console.log')
    rpath = os.path.join(out, 'results.json')
    if not os.path.exists(rpath):
        print(f'e2e: FAIL: the VM wrote no results ({rpath}). Console tail ({console}):')
        print(tail(read(console) if os.path.exists(console) else '', 40))
        return False
    results = json.loads(read(rpath))
    events = []
    epath = os.path.join(out, 'events.jsonl')
    if os.path.exists(epath):
        for ln in read(epath).splitlines():
            with contextlib.suppress(ValueError):
                events.append(json.loads(ln))
    host_checks, summary = host_side_checks(results, events, read_syslog(os.path.join(out, 'syslog.log')))
    checks = (CONFIG_CHECKS + results.get('checks', []) + host_checks + line_status_step.checks(out, results)
              + [secret_scan(rundir)])
    ok = True
    print('\n==== dialin.callback end-to-end results ====')
    for c in checks:
        mark = 'PASS' if c['ok'] else 'FAIL'
        ok = ok and c['ok']
        print(f'{mark}  {c["name"]}' + ('' if c['ok'] else f'\n      -> {c.get("detail", "")}'))
    if not results.get('finished'):
        ok = False
        print(f'FAIL  the guest script did not finish: {results.get("error", "(no error recorded)")}')
    print('\n---- timings ----')
    for k, v in setup.timings.items():
        print(f'set-up {k:<22} {v:7.1f} s')
    for k, v in config_timings.items():
        print(f'configure {k:<19} {v:7.1f} s')
    print(f'VM run (boot to power-off)    {vm_time:7.1f} s')
    for k, v in results.get('timings', {}).items():
        print(f'guest {k:<23} {v:7.1f} s')
    for row in summary:
        parts = [f'{k.replace("_", " ")} {v:.1f} s' for k, v in row.items() if k != 'name']
        print(f'scenario {row["name"]:<14} ' + ', '.join(parts))
    print(f'\ne2e: {"PASS" if ok else "FAIL"} (logs in {rundir})')
    return ok


def host_side_checks(results: dict, events: list, syslog: list) -> tuple[list, list]:
    """Checks on the emulator's event log and the guest's syslog, per scenario
    (each scenario's window runs from its `pon` to the next scenario's start).
    Returns the checks and a per-scenario timing summary."""
    checks: list = []
    summary: list = []

    def add(name, ok, detail=''):
        checks.append({'name': name, 'ok': bool(ok), 'detail': detail[-1500:]})

    allowed = results.get('registered_numbers', {})
    dials = [e for e in events if e.get('event') == 'dial']
    bad = [e for e in dials if e.get('number') not in allowed.get(e.get('line', ''), [])]
    add('emulator: only the registered numbers were ever dialled', not bad,
        'unexpected dials: ' + json.dumps(bad)[:1200])
    cfg = results.get('config', {})
    server_no = cfg.get('server_line', {}).get('number')
    caller_no = cfg.get('caller_line', {}).get('number')
    scenarios = [sc for sc in results.get('scenarios', []) if sc.get('t_start')]
    # Each scenario's data as configured (tests/e2e/vars/e2e.yml): the login it sends, the refusal...
    configured = {sc['name']: sc for sc in cfg.get('scenarios', [])}
    for i, sc in enumerate(scenarios):
        lo = sc['t_start']
        hi = scenarios[i + 1]['t_start'] if i + 1 < len(scenarios) else float('inf')
        ev = [e for e in events if lo <= e.get('t', 0) < hi]
        log_ = [(t, m) for t, m in syslog if lo <= t < hi]
        name = sc['name']
        first_dial = next((e for e in ev if e['event'] == 'dial' and e.get('line') == caller_no), None)
        callback = [e for e in ev if e['event'] == 'dial' and e.get('line') == server_no]
        answered = [e for e in ev if e['event'] == 'answer' and e.get('line') == caller_no]
        add(f'{name}: the caller dialled the server ({server_no})',
            first_dial is not None and first_dial.get('number') == server_no, json.dumps(first_dial))
        if sc['expect'] in ('link', 'no-link'):
            login = [m for _t, m in log_ if "cmd='/usr/local/lib/dialin-callback/callback-gate'" in m and "user='call'" in m]
            add(f'{name}: the caller logged in as the callback pseudo-user (mgetty ran the callback gate)',
                bool(login), 'no mgetty "data ... cmd=\'/usr/local/lib/dialin-callback/callback-gate\', user=\'call\'" line in syslog')
            hung = [e for e in ev if e['event'] == 'hangup' and first_dial and e['t'] > first_dial['t']
                    and (not callback or e['t'] < callback[0]['t'])]
            add(f'{name}: the server hung up, then dialled the registered number {caller_no}',
                bool(hung) and bool(callback) and all(e.get('number') == caller_no for e in callback),
                f'hangups before the callback: {json.dumps(hung)[:300]}; server dials: {json.dumps(callback)[:400]}')
            add(f'{name}: the caller answered the callback (ATA)', bool(answered), json.dumps(answered)[:300])
        if sc['expect'] == 'no-callback':
            # Tried for real: mgetty answered, the caller's name reached it and login.config's
            # catch-all refused it (mgetty's audit line names the login and the program it ran),
            # the server hung up soon after (a refusal, not login's timeout), no callback.
            login, refusal = configured[name].get('login', ''), configured[name].get('refusal', '')
            server_answer = [e for e in ev if e['event'] == 'answer' and e.get('line') == server_no]
            add(f'{name}: mgetty answered the call (ATA on the server line)', bool(server_answer),
                json.dumps([e for e in ev if e.get('line') == server_no])[:600])
            sent = [m for _t, m in log_ if 'chat[' in m and f'send ({login}^M)' in m]
            add(f"{name}: the caller's chat sent the name {login!r} (syslog)", bool(login) and bool(sent),
                'chat lines: ' + ' | '.join(m for _t, m in log_ if 'chat[' in m)[-800:])
            refused = [(t, m) for t, m in log_ if f"user='{login}'" in m and f"cmd='{refusal}'" in m]
            add(f"{name}: mgetty got the name {login!r} and ran login.config's refusal {refusal} (syslog)",
                bool(login) and bool(refused),
                'syslog lines of mgetty: ' + ' | '.join(m for _t, m in log_ if 'mgetty' in m)[-1200:])
            hangup = [e for e in ev if e['event'] == 'hangup' and e.get('line') == server_no
                      and refused and e['t'] >= refused[0][0]]
            add(f'{name}: the server hung up within 10 s of the refusal (not a timeout)',
                bool(hangup) and hangup[0]['t'] - refused[0][0] < 10,
                f'refusal at {refused[:1]}, server line hangups: {json.dumps(hangup)[:300]}')
            if refused:
                print(f'e2e: {name}: server log: {refused[0][1]}')
            add(f'{name}: the server did not call back an unknown login', not callback,
                f'server dials: {json.dumps(callback)[:400]}')
        if sc['expect'] == 'no-link':
            # The server's pppd (the authenticator) says "PAP peer authentication failed for <user>";
            # the caller's says "PAP authentication failed".
            user = configured[name].get('ppp_user', '')
            failed = [m for _t, m in log_ if f'PAP peer authentication failed for {user}' in m]
            add(f"{name}: the server's pppd refused {user!r}'s PAP password (syslog)", bool(user) and bool(failed),
                'no "PAP peer authentication failed for ..." in syslog; pppd lines: '
                + ' | '.join(m for _t, m in log_ if 'pppd' in m)[-1200:])
            if failed:
                print(f'e2e: {name}: server log: {failed[0]}')
        row = {'name': name}
        if first_dial and sc.get('t_link_up'):
            row['dial_to_link'] = sc['t_link_up'] - first_dial['t']
        if first_dial and callback:
            row['dial_to_callback'] = callback[0]['t'] - first_dial['t']
        row['scenario'] = sc.get('t_end', lo) - lo
        summary.append(row)
    return checks, summary


def secret_scan(rundir: str) -> dict:
    """Every output of the run (the Ansible logs, the console, the guest's logs and results) is
    searched for every PAP password of the test data, the wrong one included."""
    data = load_vars()
    secrets = {data['e2e_ppp_password']} | {p['client_ppp_password'] for p in data['e2e_client_peers']
                                            if p.get('client_ppp_password')}
    found, scanned = [], 0
    roots = {os.path.join(rundir, d)
             for d in ('server', 'caller', 'server.upper', 'caller.upper', 'server.work', 'caller.work', 'ansible-tmp')}
    for top, dirs, files in os.walk(rundir):
        dirs[:] = [d for d in dirs if os.path.join(top, d) not in roots]
        for f in files:
            path = os.path.join(top, f)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            with open(path, 'rb') as fh:
                text = fh.read()
            scanned += 1
            found += [f'{path}: {s[:3]}...' for s in secrets if s.encode() in text]
    return {'name': f'no PAP password in any output of the run ({scanned} files searched)',
            'ok': scanned > 0 and not found, 'detail': '; '.join(found)}


def read_syslog(path: str) -> list:
    out = []
    if os.path.exists(path):
        for ln in read(path).splitlines():
            t, _sep, msg = ln.partition(' ')
            with contextlib.suppress(ValueError):
                out.append((float(t), msg))
    return out


# ---------------------------------------------------------------- main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--workdir', default=os.environ.get('DIALIN_E2E_WORKDIR', DEFAULT_WORKDIR))
    ap.add_argument('--rebuild', action='store_true', help='rebuild the cached kernel, initrd and root')
    ap.add_argument('--setup-only', action='store_true', help='only build the cached set-up')
    ap.add_argument('--no-idempotence', action='store_true',
                    help="skip the caller's check-mode and second configuration runs")
    ap.add_argument('--server-checks', action='store_true',
                    help="also run the server's configuration in check mode first and a second time")
    ap.add_argument('--reuse', action='store_true',
                    help='boot the roots of the previous run again, without configuring them')
    ap.add_argument('--keep-mounted', action='store_true',
                    help='leave the overlay mounts run/server and run/caller in place after the run')
    ap.add_argument('--vm-timeout', type=int, default=int(os.environ.get('DIALIN_E2E_VM_TIMEOUT', '480')))
    ap.add_argument('--skip-server', action='store_true', help='development: do not apply the server role')
    ap.add_argument('--cpus', type=int, default=2)
    args = ap.parse_args()
    if os.geteuid() != 0:
        die('run as root (mmdebstrap, chroot, 9p passthrough)')
    setup = Setup(args.workdir, args.rebuild)
    log(f'set-up in {args.workdir} ...')
    setup.all()
    log('set-up: ' + ', '.join(f'{k} {v:.1f} s' for k, v in setup.timings.items()))
    if args.setup_only:
        return 0
    rundir = os.path.join(args.workdir, 'run')
    timings = {}
    if args.reuse:
        server, caller = os.path.join(rundir, 'server'), os.path.join(rundir, 'caller')
        for path in (server, caller):
            if os.path.isdir(path + '.upper') and not os.path.ismount(path):
                run(['mount', '-t', 'overlay', 'overlay', '-o',
                     f'lowerdir={setup.base},upperdir={path}.upper,workdir={path}.work', path])
    else:
        t = time.monotonic()
        server, caller = prepare_roots(setup, rundir)
        timings['copy_roots'] = time.monotonic() - t
        extra = ['-e', 'e2e_configure_server=false'] if args.skip_server else []
        timings.update(configure(rundir, server, caller, args, extra))
    try:
        vm_time = boot(setup, rundir, server, caller, args.vm_timeout, args.cpus)
    finally:
        if not args.keep_mounted:
            # The overlays' upper directories (run/*.upper) keep what changed.
            for path in (server, caller):
                if os.path.ismount(path):
                    subprocess.run(['umount', path], check=False)
    return 0 if check_results(rundir, vm_time, timings, setup) else 1


if __name__ == '__main__':
    sys.exit(main())
