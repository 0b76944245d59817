# Copyright: contributors to dialin.callback
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""End-to-end test of dialin.callback: the whole callback flow in QEMU VMs, for
combinations of server and caller Debian releases (default: a trixie server called
by a bookworm client, and a bookworm server called by a trixie client).

Run as root:  bash tests/e2e/run [--combos SERVER:CALLER,...]   (or python3 tests/e2e/e2e.py)

Set-up per release, cached under the work directory (DIALIN_E2E_WORKDIR, default
/var/tmp/dialin-e2e-<hash of this checkout's path>: two checkouts never share one)
in <workdir>/<release>/ and re-used when present:
  - a Debian root directory (mmdebstrap, minbase, sysvinit, its apt lists kept);
  - for a release that plays the server: its kernel (linux-image-amd64's dependency in
    that root's lists; apt-get download, dpkg -x, depmod) and a busybox initrd with the
    virtio and 9p modules it needs, which loads them and mounts the shares.
Each combination (side by side):
  - two copies of the base roots (overlay mounts): the server's and the caller's;
  - configures them from the host with the collection's roles over the
    community.general.chroot connection (dialin.callback.server on the server,
    dialin.callback.client on the caller, side by side); the caller's also in check
    mode first and a second time, which must change nothing;
  - boots one VM (qemu, KVM on hardware virtualisation else TCG, the server release's
    kernel, the server's root over 9p); the caller's root is mounted in it and used
    through its own mount and network namespaces and chroot; the modem emulator
    (tests/modem/modememu.py) provides the phone lines;
  - the guest script tests/e2e/guest/orchestrate.py runs the scenarios and writes
    /e2e/out/results.json, then powers the VM off; this script checks it.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import gzip
import hashlib
import json
import lzma
import os
import re
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import ansiballz  # noqa: E402  pylint: disable=wrong-import-position
import line_status_step  # noqa: E402  pylint: disable=wrong-import-position
TESTS = os.path.dirname(HERE)
COLLECTION = os.path.dirname(TESTS)

# The Debian releases the test builds roots (and, for a server, a kernel) of.
SUITES = {
    'bookworm': [
        'deb http://deb.debian.org/debian bookworm main',
        'deb http://deb.debian.org/debian bookworm-updates main',
        'deb http://deb.debian.org/debian-security bookworm-security main',
    ],
    'trixie': [
        'deb http://deb.debian.org/debian trixie main',
        'deb http://deb.debian.org/debian trixie-updates main',
        'deb http://deb.debian.org/debian-security trixie-security main',
    ],
}
# Combinations run by default, SERVER:CALLER. The two mixed ones cover each release as
# server (on its own kernel) and as client, and pppd 2.4.9 against 2.5.2 both ways.
DEFAULT_COMBOS = ['trixie:bookworm', 'bookworm:trixie']
# The roles install mgetty and ppp themselves; the root only has what the test
# harness needs (python3 for Ansible and the emulator, the network tools).
ROOT_PACKAGES = [
    'sysvinit-core', 'python3', 'python3-apt', 'iproute2', 'iputils-ping',
    'procps', 'kmod', 'util-linux',
]
# What the initrd needs to mount the 9p shares; their dependencies are read from the
# kernel's modules.dep (they differ between kernels: fscache is part of netfs in 6.12).
INITRD_MODULES = ['virtio_pci', '9pnet_virtio', '9p']

T0 = time.monotonic()
# One work directory per checkout: runs from two checkouts at the same time do not
# share roots, mounts or logs.
DEFAULT_WORKDIR = '/var/tmp/dialin-e2e-' + hashlib.sha256(os.path.realpath(COLLECTION).encode()).hexdigest()[:12]
# Hard limit of each ansible-playbook run, in seconds.
ANSIBLE_TIMEOUT = 900


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


def fetch(cmd, what: str, **kw) -> subprocess.CompletedProcess:
    """A command that downloads from Debian's archive (mmdebstrap, apt-get download): tried again
    after a pause when it fails, as a mirror being updated or a dropped connection fails it once."""
    for attempt in (1, 2, 3):
        res = subprocess.run(cmd, check=False, capture_output=True, text=True, **kw)
        if res.returncode == 0:
            return res
        log(f'{what}: attempt {attempt} failed ({res.returncode}): {tail(res.stdout + res.stderr, 5)}')
        if attempt < 3:
            time.sleep(20 * attempt)
    die(f'{what}: command failed ({res.returncode}): {" ".join(map(str, cmd))}\n'
        f'{res.stdout[-3000:]}{res.stderr[-3000:]}')
    raise AssertionError('unreachable')


def free_gib(path: str) -> float:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize / 2**30


def environment_line(workdir: str) -> str:
    """What the run depends on, in one line at its start: a failure on another machine then
    shows the disk, the cores and the emulator it had."""
    os.makedirs(workdir, exist_ok=True)
    qemu = subprocess.run(['qemu-system-x86_64', '--version'], check=False, capture_output=True, text=True)
    with open('/proc/loadavg', encoding='ascii') as f:
        load = f.read().split()[0]
    return (f'{workdir}: {free_gib(workdir):.1f} GiB free; {os.cpu_count()} cores, load {load}; '
            f'{(qemu.stdout.splitlines() or ["qemu: " + qemu.stderr.strip()])[0]}; kernel {os.uname().release}')


def check_space(workdir: str, need_gib: float) -> None:
    free = free_gib(workdir)
    if free < need_gib:
        die(f'{workdir}: {free:.1f} GiB free, the run needs about {need_gib} GiB '
            '(set DIALIN_E2E_WORKDIR or DIALIN_USB_WORKDIR to a roomier place)')


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
    """Cached artefacts of one Debian release: its base root directory and, for a release
    that plays the server, its kernel, modules and initrd."""

    def __init__(self, workdir: str, suite: str, force: bool, kernel: bool):
        self.suite = suite
        self.mirrors = SUITES[suite]
        self.workdir = os.path.join(workdir, suite)
        self.force = force
        self.with_kernel = kernel
        self.kver = ''
        self.kernel_pkg = ''
        self.kernel_dir = os.path.join(self.workdir, 'kernel')
        self.base = os.path.join(self.workdir, 'rootfs-base')
        self.initrd = os.path.join(self.workdir, 'initrd.img')
        self.timings: dict[str, float] = {}

    @property
    def vmlinuz(self) -> str:
        return os.path.join(self.kernel_dir, 'boot', f'vmlinuz-{self.kver}')

    @property
    def modules(self) -> str:
        # Trixie's kernel packages ship /usr/lib/modules, bookworm's /lib/modules: the
        # unpacked tree gets lib -> usr/lib (as on a merged-/usr system), so this works for both.
        return os.path.join(self.kernel_dir, 'lib', 'modules')

    def all(self) -> None:
        os.makedirs(self.workdir, exist_ok=True)
        steps = [('rootfs', self.rootfs)]
        if self.with_kernel:
            steps += [('kernel', self.kernel), ('initrd', self.make_initrd)]
        # One builder at a time per release: the e2e test and a rehearsal (tests/e2e/rehearse.py) that
        # start together share the work directory's cache.
        with open(os.path.join(self.workdir, '.setup.lock'), 'w', encoding='ascii') as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            for name, step in steps:
                t = time.monotonic()
                step()
                self.timings[name] = time.monotonic() - t

    def rootfs(self) -> None:
        key = sha256_of(self.suite, *self.mirrors, *ROOT_PACKAGES, 'v1')
        stamp = os.path.join(self.base, '.dialin-e2e-stamp')
        if not self.force and os.path.exists(stamp) and read(stamp).strip() == key:
            log(f'{self.suite}: root directory: cached ({self.base})')
            return
        tmp = self.base + '.tmp'
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(self.base, ignore_errors=True)
        log(f'{self.suite}: root directory: mmdebstrap ...')
        t = time.monotonic()
        fetch(['mmdebstrap', '--variant=minbase', '--mode=root',
               '--include=' + ','.join(ROOT_PACKAGES),
               '--skip=cleanup/apt/lists',
               self.suite, tmp, *self.mirrors], f'{self.suite}: root directory: mmdebstrap')
        write(os.path.join(tmp, '.dialin-e2e-stamp'), key + '\n')
        os.rename(tmp, self.base)
        log(f'{self.suite}: root directory: built in {time.monotonic() - t:.1f} s')

    def apt(self, *args: str, cwd: str) -> subprocess.CompletedProcess:
        """The host's apt-get or apt-cache on the release's package lists (those of its base
        root, kept by mmdebstrap): the host's own lists are of its release only."""
        cache = os.path.join(self.workdir, 'apt-cache')
        os.makedirs(os.path.join(cache, 'archives', 'partial'), exist_ok=True)
        opts = ['-o', f'Dir::Etc::SourceList={self.base}/etc/apt/sources.list',
                '-o', f'Dir::Etc::SourceParts={self.base}/etc/apt/sources.list.d',
                '-o', f'Dir::State::Lists={self.base}/var/lib/apt/lists',
                '-o', f'Dir::State::status={self.base}/var/lib/dpkg/status',
                '-o', f'Dir::Cache={cache}', '-o', 'APT::Architecture=amd64']
        if args[:2] == ('apt-get', 'download'):
            return fetch([args[0], *opts, *args[1:]], f'{self.suite}: kernel: apt-get download', cwd=cwd)
        return run([args[0], *opts, *args[1:]], cwd=cwd, capture_output=True, text=True)

    def kernel(self) -> None:
        stamp = os.path.join(self.kernel_dir, '.dialin-e2e-stamp')
        root_stamp = os.path.join(self.base, '.dialin-e2e-stamp')
        # The kernel package comes from the base root's package lists: a kernel unpacked after
        # the root was built is the one those lists name.
        if not self.force and os.path.exists(stamp) and os.path.getmtime(stamp) >= os.path.getmtime(root_stamp):
            self.kernel_pkg, self.kver = read(stamp).split()[:2]
            log(f'{self.suite}: kernel: cached ({self.kernel_pkg})')
            return
        out = self.apt('apt-cache', 'depends', 'linux-image-amd64', cwd=self.workdir).stdout
        pkgs = [ln.split(':', 1)[1].strip() for ln in out.splitlines()
                if ln.strip().startswith('Depends:') and 'linux-image-6' in ln]
        if not pkgs:
            die(f'{self.suite}: cannot find the kernel package behind linux-image-amd64:\n{out}')
        pkg = self.kernel_pkg = pkgs[0]
        log(f'{self.suite}: kernel: downloading {pkg} ...')
        dl = os.path.join(self.workdir, 'dl')
        shutil.rmtree(dl, ignore_errors=True)
        os.makedirs(dl)
        self.apt('apt-get', 'download', pkg, cwd=dl)
        debs = [f for f in os.listdir(dl) if f.endswith('.deb')]
        tmp = self.kernel_dir + '.tmp'
        shutil.rmtree(tmp, ignore_errors=True)
        run(['dpkg', '-x', os.path.join(dl, debs[0]), tmp])
        if not os.path.lexists(os.path.join(tmp, 'lib')):
            os.symlink('usr/lib', os.path.join(tmp, 'lib'))
        kvers = os.listdir(os.path.join(tmp, 'lib', 'modules'))
        if len(kvers) != 1 or not os.path.exists(os.path.join(tmp, 'boot', f'vmlinuz-{kvers[0]}')):
            die(f'{self.suite}: unexpected layout of {debs[0]}: modules {kvers}, boot {os.listdir(os.path.join(tmp, "boot"))}')
        self.kver = kvers[0]
        # depmod from the release's own base root (the host may have no kmod, and an older
        # one may not read the kernel's compressed modules): the kernel tree bound into it
        # in a private mount namespace.
        run(['unshare', '--mount', '--propagation', 'private', 'sh', '-ec',
             f'mount --bind "{tmp}" "{self.base}/mnt"; chroot "{self.base}" depmod -b /mnt {self.kver}'])
        write(os.path.join(tmp, '.dialin-e2e-stamp'), f'{pkg} {self.kver}\n')
        shutil.rmtree(self.kernel_dir, ignore_errors=True)
        os.rename(tmp, self.kernel_dir)
        shutil.rmtree(dl, ignore_errors=True)

    def initrd_modules(self) -> list:
        """[(name, path relative to the modules directory)] of INITRD_MODULES and their
        dependencies, dependencies first; modules built into the kernel are left out."""
        mdir = os.path.join(self.modules, self.kver)
        deps, paths = {}, {}

        def name_of(path):
            base = os.path.basename(path)
            return base[:base.index('.ko')].replace('-', '_')

        for ln in read(os.path.join(mdir, 'modules.dep')).splitlines():
            path, _sep, rest = ln.partition(':')
            paths[name_of(path)] = path
            deps[name_of(path)] = [name_of(d) for d in rest.split()]
        builtin = {name_of(ln) for ln in read(os.path.join(mdir, 'modules.builtin')).split()}
        order: list = []

        def visit(m):
            if m in builtin or m in order:
                return
            if m not in paths:
                die(f'{self.suite}: kernel module {m} not found in {mdir}')
            for d in deps[m]:
                visit(d)
            order.append(m)

        for m in INITRD_MODULES:
            visit(m)
        return [(m, paths[m]) for m in order]

    def make_initrd(self) -> None:
        init = open(os.path.join(HERE, 'initrd-init'), 'rb').read()
        busybox = open('/bin/busybox', 'rb').read()
        mods = self.initrd_modules()
        key = sha256_of(init, busybox, self.kver, *[p for _m, p in mods])
        stamp = self.initrd + '.stamp'
        if not self.force and os.path.exists(self.initrd) and os.path.exists(stamp) and read(stamp).strip() == key:
            log(f'{self.suite}: initrd: cached')
            return
        files = []
        for m, path in mods:
            data = open(os.path.join(self.modules, self.kver, path), 'rb').read()
            # busybox's insmod is given plain modules: trixie's kernel ships them xz-compressed.
            if path.endswith('.xz'):
                data = lzma.decompress(data)
            elif path.endswith('.gz'):
                data = gzip.decompress(data)
            elif not path.endswith('.ko'):
                die(f'{self.suite}: cannot unpack the kernel module {path}')
            files.append((f'modules/{m}.ko', data, 0o100644))
        order = ''.join(f'{m}\n' for m, _p in mods).encode()
        entries = [('dev', None, 0o40755), ('bin', None, 0o40755), ('modules', None, 0o40755),
                   ('bin/busybox', busybox, 0o100755), ('bin/sh', b'busybox', 0o120777),
                   ('init', init, 0o100755), ('modules/order', order, 0o100644)] + files
        with gzip.open(self.initrd + '.tmp', 'wb', compresslevel=6) as f:
            f.write(cpio_newc(entries))
        os.rename(self.initrd + '.tmp', self.initrd)
        write(stamp, key + '\n')
        log(f'{self.suite}: initrd: built ({os.path.getsize(self.initrd) // 1024} KiB; modules {", ".join(m for m, _p in mods)})')


def share(tag: str, path: str, extra: str = '') -> list:
    """QEMU's 9p share of a host directory; a comma in the path is doubled (QEMU's separator)."""
    path = path.replace(',', ',,')
    return ['-virtfs', f'local,path={path},mount_tag={tag},security_model=passthrough,id={tag}{extra}']


def check_tools() -> None:
    for tool in ('qemu-system-x86_64', 'mmdebstrap', 'apt-get', 'dpkg', 'ansible-playbook'):
        if not shutil.which(tool):
            die(f'{tool} not found (apt-get install -y qemu-system-x86 mmdebstrap busybox-static; pip install ansible)')
    if not os.path.exists('/bin/busybox') or b'ELF' not in open('/bin/busybox', 'rb').read(4):
        die('/bin/busybox not found (apt-get install -y busybox-static)')


def in_parallel(jobs: list) -> None:
    """Runs the callables side by side in threads; a failure in any (die() included) ends the run."""
    errors: list = []

    def wrap(job):
        try:
            job()
        except BaseException as exc:  # pylint: disable=broad-except
            errors.append(exc)

    threads = [threading.Thread(target=wrap, args=(job,)) for job in jobs]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    if errors:
        raise errors[0]


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


class Combo:
    """One combination: a server of one release called by a client of another, in one VM
    booted on the server release's kernel. Its files are in <workdir>/run/<name>/."""

    def __init__(self, spec: str, workdir: str):
        server, _sep, caller = spec.partition(':')
        if server not in SUITES or caller not in SUITES:
            die(f'bad combination {spec!r}: SERVER:CALLER, each one of {", ".join(SUITES)}')
        self.server_suite, self.caller_suite = server, caller
        self.name = f'{server}-server-{caller}-client'
        self.rundir = os.path.join(workdir, 'run', self.name)
        self.server = os.path.join(self.rundir, 'server')
        self.caller = os.path.join(self.rundir, 'caller')
        self.checks: list = []
        self.timings: dict = {}
        self.vm_time = 0.0
        self.vm_cpu = 0.0
        self.ok = False
        self.summary: list = []


def release_roots(rundir: str) -> None:
    """Unmount and remove the previous run's roots."""
    for sub in ('server', 'caller'):
        path = os.path.join(rundir, sub)
        if os.path.ismount(path):
            run(['umount', path])
        for suffix in ('', '.upper', '.work'):
            if os.path.lexists(path + suffix):
                shutil.rmtree(path + suffix)


def prepare_roots(combo: Combo, setups: dict, devices: list | None = None,
                  guest: str = 'orchestrate.py') -> tuple[str, str]:
    """Copies of the server's and the caller's base roots (overlay mounts, else cp), plus
    the harness's pieces. devices: the server's ports (default: those of vars/e2e.yml); guest: the
    script init runs once the phone lines are up (guest/orchestrate.py, the scenarios)."""
    rundir = combo.rundir
    release_roots(rundir)
    os.makedirs(rundir, exist_ok=True)
    server, caller = combo.server, combo.caller
    for dst, hostname, base in ((server, 'dialin-server', setups[combo.server_suite].base),
                                (caller, 'dialin-caller', setups[combo.caller_suite].base)):
        for d in (dst, dst + '.upper', dst + '.work'):
            os.makedirs(d)
        res = subprocess.run(['mount', '-t', 'overlay', 'overlay', '-o',
                              f'lowerdir={base},upperdir={dst}.upper,workdir={dst}.work', dst],
                             capture_output=True, text=True, check=False)
        if res.returncode != 0:
            log(f'overlay mount failed ({res.stderr.strip()}), copying the root instead')
            os.rmdir(dst)
            run(['cp', '-a', '--reflink=auto', base, dst])
        write(os.path.join(dst, 'etc', 'hostname'), hostname + '\n')
        # No daemon is started while the roles install packages into the root.
        write(os.path.join(dst, 'usr', 'sbin', 'policy-rc.d'), '#!/bin/sh\nexit 101\n', 0o755)
        os.makedirs(os.path.join(dst, 'lib', 'modules'), exist_ok=True)
    # Work-around: roles/modem/tasks/links.yml links /dev/<link> to the port and sets
    # the port's mode even in an offline root (server_verify_ports: false), and fails
    # when the port is missing. Placeholders in the root's /dev satisfy it; in the VM
    # a devtmpfs is mounted over that /dev.
    if devices is None:
        devices = [port['device'] for port in load_vars().get('server_ports', [])]
    for device in devices:
        placeholder = os.path.join(server, 'dev', device)
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
    lines.append(f'e3:2345:once:/usr/bin/python3 /e2e/tests/e2e/guest/{guest}')
    write(inittab, '\n'.join(lines) + '\n')
    return server, caller


def ansible_env(rundir: str) -> dict:
    # This checkout as the collection dialin.callback, whatever else is installed.
    colls = os.path.join(os.path.dirname(os.path.dirname(rundir)), 'collections')
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


def configure(combo: Combo, args: argparse.Namespace, extra: list) -> dict:
    """Apply the roles to both roots: the server's and the caller's configuration
    run side by side (two ansible-playbook processes). The caller (this change's
    client role) also gets a check-mode run on its fresh root first and a second
    run that must change nothing; --server-checks does the same for the server."""
    rundir, server, caller = combo.rundir, combo.server, combo.caller
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
    suite = {'server': combo.server_suite, 'caller': combo.caller_suite}

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
            log(f'{combo.name}: configure: {host} ({suite[host]}): {step} run rc {res.returncode} in {timings[f"ansible_{host}_{step}"]:.1f} s')
            if step == 'check':
                combo.checks.append({
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
                combo.checks.append({'name': 'configure: server: the first run (e2e_former) creates the account leaver',
                                     'ok': created, 'detail': f'log {logfile}'})
                # The removed-user scenario's positive control (former-user) calls with these.
                keep_former_accounts(server, rundir)
            elif step == 'second':
                bad = [ln for ln in res.stdout.splitlines() if ' changed=' in ln and ' changed=0 ' not in ln]
                lines = [ln for ln in res.stdout.splitlines() if ln.startswith('changed:')]
                combo.checks.append({'name': f'configure: {host}: a second run changes nothing (idempotence)',
                                     'ok': not bad,
                                     'detail': '\n'.join(bad + lines)[-1500:] + f'\nlog: {logfile}'})

    log(f'{combo.name}: configure: applying dialin.callback.server and dialin.callback.client ...')
    t = time.monotonic()
    threads = [threading.Thread(target=pipeline, args=('server', args.server_checks)),
               threading.Thread(target=pipeline, args=('caller', not args.no_idempotence))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    timings['ansible_wall'] = time.monotonic() - t
    if failures:
        die(f'{combo.name}: configuration with the roles failed:\n' + '\n'.join(failures))
    shadow = [ln.split(':') for ln in read(os.path.join(server, 'etc', 'shadow')).splitlines()]
    leaver = next((f for f in shadow if f[0] == 'leaver'), None)
    combo.checks.append({'name': 'configure: server: the next run, without leaver, locked and expired the account',
                         'ok': bool(leaver) and leaver[1].startswith('!') and leaver[7] == '1',
                         'detail': f'shadow fields of leaver: {leaver and [leaver[0], leaver[1][:2] + "...", *leaver[2:]]}'})
    for root in (server, caller):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(root, 'usr', 'sbin', 'policy-rc.d'))
    return timings


# The server's account files after its first configuration run (guest/orchestrate.py's
# FORMER_ACCOUNT_FILES), moved into the VM's out/former-accounts at boot and removed when the VM
# has run: they hold PAP secrets and password hashes, which no output of the run keeps.
FORMER_ACCOUNT_FILES = ('etc/passwd', 'etc/shadow', 'etc/group', 'etc/gshadow', 'etc/ppp/pap-secrets')
FORMER_ACCOUNTS = 'former-accounts'


def keep_former_accounts(server: str, rundir: str) -> None:
    kept = os.path.join(rundir, FORMER_ACCOUNTS)
    shutil.rmtree(kept, ignore_errors=True)
    for rel in FORMER_ACCOUNT_FILES:
        os.makedirs(os.path.dirname(os.path.join(kept, rel)), exist_ok=True)
        shutil.copyfile(os.path.join(server, rel), os.path.join(kept, rel))


def _text(data) -> str:
    if isinstance(data, bytes):
        return data.decode(errors='replace')
    return data or ''


def tail(text: str, n: int) -> str:
    return '\n'.join(text.splitlines()[-n:])


# ---------------------------------------------------------------- VM


def accelerator() -> tuple[list, str]:
    """QEMU's -accel options and why. KVM when the host has hardware virtualisation (kvm_intel
    or kvm_amd loaded, /dev/kvm usable), with TCG as QEMU's fallback; else software emulation.
    A /dev/kvm from another module is not enough: PVM's (kvm_pvm, on some cloud VMs) runs only
    kernels built for it, and Debian's hangs in early boot there. DIALIN_E2E_ACCEL=kvm or tcg
    forces the choice."""
    tcg = ['-accel', 'tcg,thread=multi']
    kvm = ['-accel', 'kvm'] + tcg
    choice = os.environ.get('DIALIN_E2E_ACCEL', 'auto')
    if choice == 'kvm':
        return kvm, 'KVM (DIALIN_E2E_ACCEL=kvm)'
    if choice == 'tcg':
        return tcg, 'TCG (DIALIN_E2E_ACCEL=tcg)'
    hw = [m for m in ('kvm_intel', 'kvm_amd') if os.path.isdir(f'/sys/module/{m}')]
    if hw and os.access('/dev/kvm', os.R_OK | os.W_OK):
        return kvm, f'KVM ({hw[0]})'
    others = sorted(m for m in os.listdir('/sys/module') if m.startswith('kvm')) if os.path.isdir('/sys/module') else []
    return tcg, 'TCG (no hardware KVM' + (f'; loaded: {", ".join(others)}' if others else '') + ')'


class VmCpu(threading.Thread):
    """The CPU time (user and system) QEMU used, read from /proc while it runs: under software
    emulation it says how much of the VM's wall time was work and how much waiting."""

    def __init__(self, timeout_pid: int):
        super().__init__(daemon=True)
        self.timeout_pid = timeout_pid
        self.seconds = 0.0
        self.done = threading.Event()
        self.start()

    def run(self) -> None:
        tick = os.sysconf('SC_CLK_TCK')
        while not self.done.wait(0.5):
            with contextlib.suppress(OSError, ValueError, IndexError):
                for child in read(f'/proc/{self.timeout_pid}/task/{self.timeout_pid}/children').split():
                    fields = read(f'/proc/{child}/stat').rsplit(')', 1)[1].split()
                    self.seconds = max(self.seconds, (int(fields[11]) + int(fields[12])) / tick)

    def stop(self) -> float:
        self.done.set()
        self.join(2)
        return self.seconds


def boot(combo: Combo, setup: Setup, timeout: int, cpus: int, cfg: dict | None = None,
         line_status_args: dict | None = None) -> float:
    """Boots the combination's VM; cfg: what the guest script reads (default: vars/e2e.yml's
    e2e_guest); line_status_args: the line_status payload's arguments (default: the e2e test's)."""
    rundir, server, caller = combo.rundir, combo.server, combo.caller
    out = os.path.join(rundir, 'out')
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    cfg = dict(load_vars()['e2e_guest'] if cfg is None else cfg)
    # The guest stops starting scenarios in time to report before the hard timeout.
    cfg['budget_seconds'] = max(timeout - 45, 30)
    write(os.path.join(out, 'config.json'), json.dumps(cfg, indent=1))
    if os.path.isdir(os.path.join(rundir, FORMER_ACCOUNTS)):
        shutil.move(os.path.join(rundir, FORMER_ACCOUNTS), os.path.join(out, FORMER_ACCOUNTS))
    problem = line_status_step.build(out, ansible_env(rundir), COLLECTION, line_status_args)
    if problem:
        log(f'line_status: {problem}')
    # The revoked-in-call scenario's module (it signals processes: built without running here).
    if 'smoke_user' in cfg:
        problem = ansiballz.build(out, ansible_env(rundir), COLLECTION, 'dialin_session',
                                  {'users': [cfg['smoke_user']], 'ports': [os.path.basename(cfg['server_line']['device'])]},
                                  'dialin_session_module.py', run_here=False)
        if problem:
            log(f'dialin_session: {problem}')
    console = os.path.join(rundir, 'console.log')

    accel, why = accelerator()
    cmd = ['timeout', '--kill-after=10', str(timeout),
           'qemu-system-x86_64', *accel, '-machine', 'q35', '-cpu', os.environ.get('DIALIN_E2E_QEMU_CPU', 'max'),
           '-smp', str(cpus), '-m', '1024',
           '-nodefaults', '-no-user-config', '-display', 'none', '-vga', 'none',
           '-nic', 'none', '-no-reboot',
           '-chardev', f'file,id=con,path={console}', '-serial', 'chardev:con',
           '-kernel', setup.vmlinuz, '-initrd', setup.initrd,
           '-append', 'console=ttyS0 loglevel=4 panic=-1 rw 8250.nr_uarts=1',
           *share('rootfs', server), *share('modules', setup.modules, ',readonly=on'),
           *share('caller', caller), *share('tests', TESTS, ',readonly=on'), *share('out', out)]
    log(f'{combo.name}: VM: booting {setup.suite}\'s kernel {setup.kver}, {why}, {cpus} vCPUs (hard timeout {timeout} s) ...')
    t = time.monotonic()
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        cpu = VmCpu(proc.pid)
        output = proc.communicate()[0]
    res = subprocess.CompletedProcess(cmd, proc.returncode, output, '')
    elapsed = time.monotonic() - t
    combo.vm_cpu = cpu.stop()
    shutil.rmtree(os.path.join(out, FORMER_ACCOUNTS), ignore_errors=True)
    write(os.path.join(rundir, 'qemu.log'), output)
    if res.returncode == 124 or res.returncode == 137:
        log(f'{combo.name}: VM: killed by the hard timeout after {elapsed:.1f} s')
    elif res.returncode != 0:
        log(f'{combo.name}: VM: qemu exited with {res.returncode}: {tail(output, 10)}')
    else:
        log(f'{combo.name}: VM: powered off after {elapsed:.1f} s')
    return elapsed


# ---------------------------------------------------------------- checks


def check_results(combo: Combo) -> bool:
    """Prints the combination's checks and timings; keeps its per-scenario summary."""
    rundir = combo.rundir
    out = os.path.join(rundir, 'out')
    console = os.path.join(rundir, 'console.log')
    rpath = os.path.join(out, 'results.json')
    print(f'\n==== dialin.callback end-to-end results: {combo.name} ====')
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
    host_checks, combo.summary = host_side_checks(results, events, read_syslog(os.path.join(out, 'syslog.log')))
    checks = (combo.checks + results.get('checks', []) + host_checks + line_status_step.checks(out, results)
              + [secret_scan(rundir)])
    ok = True
    for c in checks:
        mark = 'PASS' if c['ok'] else 'FAIL'
        ok = ok and c['ok']
        print(f'{mark}  {c["name"]}' + ('' if c['ok'] else f'\n      -> {c.get("detail", "")}'))
    if not results.get('finished'):
        ok = False
        print(f'FAIL  the guest script did not finish: {results.get("error", "(no error recorded)")}')
    print(f'\n---- timings: {combo.name} ----')
    for k, v in combo.timings.items():
        print(f'configure {k:<19} {v:7.1f} s')
    print(f'VM run (boot to power-off)    {combo.vm_time:7.1f} s (QEMU used {combo.vm_cpu:.1f} s of CPU)')
    for k, v in results.get('timings', {}).items():
        print(f'guest {k:<23} {v:7.1f} s')
    for row in combo.summary:
        parts = [f'{k.replace("_", " ")} {v:.1f} s' for k, v in row.items() if k != 'name']
        print(f'scenario {row["name"]:<14} ' + ', '.join(parts))
    print(f'\ne2e: {combo.name}: {"PASS" if ok else "FAIL"} ({len(checks)} checks; logs in {rundir})')
    return ok


def report(setups: dict, combos: list, total: float) -> None:
    """The run's timings across combinations: set-up, each VM run, dial to link per scenario."""
    print('\n==== dialin.callback end-to-end: summary ====')
    for suite, setup in setups.items():
        print(f'set-up {suite:<9} ' + ', '.join(f'{k} {v:.1f} s' for k, v in setup.timings.items())
              + (f' (kernel {setup.kver})' if setup.kver else ''))
    names = []
    for combo in combos:
        names += [row['name'] for row in combo.summary if row['name'] not in names]
    width = max([len(c.name) for c in combos] + [11])
    print(f'\n{"dial to link":<{width}} ' + ' '.join(f'{n:>14}' for n in names))
    for combo in combos:
        rows = {row['name']: row for row in combo.summary}
        cells = []
        for n in names:
            row = rows.get(n, {})
            if 'dial_to_link' in row:
                cells.append(f'{row["dial_to_link"]:13.1f}s')
            elif 'dial_to_callback' in row or 'dial_to_refusal' in row:
                cells.append(f'{"no link":>14}')
            else:
                cells.append(f'{"-":>14}')
        print(f'{combo.name:<{width}} ' + ' '.join(cells))
    print()
    for combo in combos:
        configure_wall = combo.timings.get('ansible_wall', 0.0)
        print(f'{combo.name:<{width}} configure {configure_wall:6.1f} s, VM run {combo.vm_time:6.1f} s '
              f'(QEMU CPU {combo.vm_cpu:.1f} s): '
              f'{"PASS" if combo.ok else "FAIL"}')
    print(f'total {total:.1f} s')


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
        if sc['expect'] == 'link' and configured[name].get('accounts') == 'former':
            # The removed account's old password worked while the account was there: the removed-user
            # scenario's refusal is the removal's doing.
            user = configured[name].get('ppp_user', '')
            passed = [m for _t, m in log_ if f'PAP peer authentication succeeded for {user}' in m]
            add(f"{name}: with the first run's accounts the server's pppd accepted {user!r}'s PAP password (syslog)",
                bool(user) and bool(passed),
                'pppd lines: ' + ' | '.join(m for _t, m in log_ if 'pppd' in m)[-1200:])
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
        refusal_time = None
        if sc['expect'] == 'no-link-no-callback':
            # login.config broken (Debian's file): mgetty answered, took the caller's LCP frames at its
            # login prompt for /AutoPPP/ and ran pppd (Debian's line); the callback check refused pppd's
            # PAP login (PAM account), so pppd refused the valid password; no IPCP, no callback.
            user = configured[name].get('ppp_user', '')
            line = os.path.basename(cfg.get('server_line', {}).get('device', ''))
            server_answer = [e for e in ev if e['event'] == 'answer' and e.get('line') == server_no]
            add(f'{name}: mgetty answered the call (ATA on the server line)', bool(server_answer),
                json.dumps([e for e in ev if e.get('line') == server_no])[:600])
            autoppp = [m for _t, m in log_ if "user='/AutoPPP/'" in m and "cmd='/usr/sbin/pppd'" in m]
            add(f"{name}: mgetty took the caller's PPP frames at its login prompt for /AutoPPP/ and ran "
                "login.config's pppd, with no callback (syslog)", bool(autoppp),
                'syslog lines of mgetty: ' + ' | '.join(m for _t, m in log_ if 'mgetty' in m)[-1200:])
            want = (f'dialin-callback: login refused: service=ppp user={user} line={line}: '
                    'not called back in this session')
            refused = [(t, m) for t, m in log_ if want in m]
            add(f'{name}: the callback check refused pppd\'s PAP login: "{want}" (syslog)',
                bool(user) and bool(refused),
                'dialin-callback lines: ' + ' | '.join(m for _t, m in log_ if 'dialin-callback' in m)[-1200:])
            failed = [m for _t, m in log_ if f'PAP peer authentication failed for {user}' in m]
            add(f"{name}: so the server's pppd refused {user!r}'s valid PAP password (syslog)",
                bool(user) and bool(failed),
                'pppd lines: ' + ' | '.join(m for _t, m in log_ if 'pppd' in m)[-1200:])
            told = [m for _t, m in log_ if 'PAP authentication failed' in m and 'peer' not in m]
            add(f"{name}: the caller's pppd was told its PAP login failed (syslog)", bool(told),
                'pppd lines: ' + ' | '.join(m for _t, m in log_ if 'pppd' in m)[-1200:])
            server_ip = cfg.get('server_ppp_ip', '')
            ipcp = [m for _t, m in log_ if re.search(r'local\s+IP address ' + re.escape(server_ip) + r'\b', m)]
            add(f"{name}: the server's pppd never brought IPCP up (no \"local IP address {server_ip}\" in syslog)",
                bool(server_ip) and not ipcp, ' | '.join(ipcp)[-800:])
            gate = [m for _t, m in log_ if "cmd='/usr/local/lib/dialin-callback/callback-gate'" in m]
            add(f'{name}: no callback: the server dialled nothing and the callback gate never ran',
                not callback and not gate,
                f'server dials: {json.dumps(callback)[:400]}; gate runs: {" | ".join(gate)[-400:]}')
            if refused:
                refusal_time = refused[0][0]
                print(f'e2e: {name}: server log: {refused[0][1]}')
        row = {'name': name}
        if first_dial and refusal_time:
            row['dial_to_refusal'] = refusal_time - first_dial['t']
        if first_dial and sc.get('t_link_up'):
            row['dial_to_link'] = sc['t_link_up'] - first_dial['t']
        if first_dial and callback:
            row['dial_to_callback'] = callback[0]['t'] - first_dial['t']
        row['scenario'] = sc.get('t_end', lo) - lo
        summary.append(row)
    return checks, summary


def files_holding(rundir: str, secrets) -> tuple[list, int]:
    """The files of a run's outputs (the roots and Ansible's temporary files left out: the roots'
    pap-secrets hold the passwords) that hold one of the secrets, as written or as JSON writes it
    (Ansible's output); and how many files were searched."""
    needles = {s for s in secrets if s}
    needles |= {json.dumps(s)[1:-1] for s in needles}
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
            found += [f'{path}: {s[:3]}...' for s in needles if s.encode() in text]
    return found, scanned


def secret_scan(rundir: str) -> dict:
    """Every output of the run (the Ansible logs, the console, the guest's logs and results) is
    searched for every PAP password of the test data, the wrong one included."""
    data = load_vars()
    secrets = {data['e2e_ppp_password']} | {p['client_ppp_password'] for p in data['e2e_client_peers']
                                            if p.get('client_ppp_password')}
    found, scanned = files_holding(rundir, secrets)
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


def run_combo_vm(combo: Combo, setups: dict, args: argparse.Namespace) -> None:
    try:
        combo.vm_time = boot(combo, setups[combo.server_suite], args.vm_timeout, args.cpus)
    finally:
        if not args.keep_mounted:
            # The overlays' upper directories (run/<combination>/*.upper) keep what changed.
            for path in (combo.server, combo.caller):
                if os.path.ismount(path):
                    subprocess.run(['umount', path], check=False)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--workdir', default=os.environ.get('DIALIN_E2E_WORKDIR', DEFAULT_WORKDIR))
    ap.add_argument('--combos', default=os.environ.get('DIALIN_E2E_COMBOS', ','.join(DEFAULT_COMBOS)),
                    help='comma-separated SERVER:CALLER releases (%(default)s; releases: ' + ', '.join(SUITES) + ')')
    ap.add_argument('--rebuild', action='store_true', help='rebuild the cached kernels, initrds and roots')
    ap.add_argument('--setup-only', action='store_true', help='only build the cached set-up')
    ap.add_argument('--no-idempotence', action='store_true',
                    help="skip the caller's check-mode and second configuration runs")
    ap.add_argument('--server-checks', action='store_true',
                    help="also run the server's configuration in check mode first and a second time")
    ap.add_argument('--reuse', action='store_true',
                    help='boot the roots of the previous run again, without configuring them')
    ap.add_argument('--keep-mounted', action='store_true',
                    help='leave the overlay mounts run/<combination>/server and caller in place after the run')
    ap.add_argument('--vm-timeout', type=int, default=int(os.environ.get('DIALIN_E2E_VM_TIMEOUT', '900')))
    ap.add_argument('--skip-server', action='store_true', help='development: do not apply the server role')
    ap.add_argument('--cpus', type=int, default=2)
    ap.add_argument('--serial', action='store_true',
                    help='configure and boot one combination after the other (default: side by side)')
    args = ap.parse_args()
    if os.geteuid() != 0:
        die('run as root (mmdebstrap, chroot, 9p passthrough)')
    check_tools()
    combos = [Combo(spec.strip(), args.workdir) for spec in args.combos.split(',') if spec.strip()]
    if not combos or len({c.name for c in combos}) != len(combos):
        die(f'--combos {args.combos!r}: give each SERVER:CALLER combination once')
    servers = {c.server_suite for c in combos}
    suites = [s for s in SUITES if s in servers or any(c.caller_suite == s for c in combos)]
    setups = {s: Setup(args.workdir, s, args.rebuild, kernel=s in servers) for s in suites}
    log(environment_line(args.workdir))
    check_space(args.workdir, 4)
    log(f'set-up in {args.workdir} ({", ".join(suites)}) ...')
    in_parallel([setup.all for setup in setups.values()])
    for suite, setup in setups.items():
        log(f'set-up {suite}: ' + ', '.join(f'{k} {v:.1f} s' for k, v in setup.timings.items()))
    if args.setup_only:
        return 0
    ansible_env(combos[0].rundir)

    def configure_combo(combo: Combo) -> None:
        if args.reuse:
            for path, suite in ((combo.server, combo.server_suite), (combo.caller, combo.caller_suite)):
                if os.path.isdir(path + '.upper') and not os.path.ismount(path):
                    base = setups[suite].base
                    run(['mount', '-t', 'overlay', 'overlay', '-o',
                         f'lowerdir={base},upperdir={path}.upper,workdir={path}.work', path])
            return
        t = time.monotonic()
        prepare_roots(combo, setups)
        combo.timings['copy_roots'] = time.monotonic() - t
        extra = ['-e', 'e2e_configure_server=false'] if args.skip_server else []
        combo.timings.update(configure(combo, args, extra))

    if args.serial:
        for combo in combos:
            configure_combo(combo)
            run_combo_vm(combo, setups, args)
    else:
        in_parallel([lambda c=c: configure_combo(c) for c in combos])
        in_parallel([lambda c=c: run_combo_vm(c, setups, args) for c in combos])
    ok = True
    for combo in combos:
        combo.ok = check_results(combo)
        ok = ok and combo.ok
    report(setups, combos, time.monotonic() - T0)
    print(f'\ne2e: {"PASS" if ok else "FAIL"} ({", ".join(c.name for c in combos)})')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
