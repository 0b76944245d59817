# Copyright: contributors to dialin.callback
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Guest side of the end-to-end test: runs in the VM as an inittab `once` line
(added by tests/e2e/e2e.py), runs the scenarios of /e2e/out/config.json, writes
/e2e/out/results.json and powers the VM off.

The VM's root is the server's root directory (configured by dialin.callback.server);
the caller's root directory (configured by dialin.callback.client) is at
/e2e/caller and used through its own mount namespace (its own /etc, /run) and
network namespace `caller`, with chroot. Phone lines come from the modem
emulator started by vm_sysinit.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import pty
import re
import select
import signal
import subprocess
import threading
import time
import traceback
import tty

OUT = '/e2e/out'
CALLER_ROOT = '/e2e/caller'
NSDIR = '/run/e2e'
CALLER_MNT = f'{NSDIR}/caller.mnt'
MGETTY_LOG_DIR = '/var/log/mgetty'

T_BOOT = time.time()
RESULTS: dict = {'checks': [], 'timings': {}, 'scenarios': [], 'finished': False}


def note(msg: str) -> None:
    line = f'[orchestrate {time.time():.3f}] {msg}'
    with open(os.path.join(OUT, 'orchestrate.log'), 'a', encoding='utf-8') as f:
        f.write(line + '\n')
    try:
        with open('/dev/console', 'w', encoding='utf-8') as con:
            con.write(line + '\n')
    except OSError:
        pass


def check(name: str, ok: bool, detail: str = '') -> bool:
    RESULTS['checks'].append({'name': name, 'ok': bool(ok), 'detail': detail[-1500:]})
    note(f'{"PASS" if ok else "FAIL"} {name}' + ('' if ok else f': {detail[-500:]}'))
    return bool(ok)


def sh(cmd, timeout=30, check_rc=False, **kw) -> subprocess.CompletedProcess:
    if isinstance(cmd, str):
        cmd = ['sh', '-c', cmd]
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False, **kw)
    except subprocess.TimeoutExpired as exc:
        res = subprocess.CompletedProcess(cmd, 124, exc.stdout or '', (exc.stderr or '') + '\n(timeout)')
    except FileNotFoundError as exc:
        # A program the roles did not install (nft without the forwarding policy): a failed check, not a crash.
        res = subprocess.CompletedProcess(cmd, 127, '', str(exc))
    if check_rc and res.returncode != 0:
        raise RuntimeError(f'{cmd}: rc {res.returncode}: {res.stdout}{res.stderr}')
    return res


def in_caller(cmd: list, netns: str = 'caller') -> list:
    """A command run in the caller's mount namespace and root, in network namespace netns."""
    return ['nsenter', f'--mount={CALLER_MNT}', f'--net=/run/netns/{netns}', 'chroot', CALLER_ROOT, *cmd]


def ip_json(args: list, netns: str | None = None) -> list:
    cmd = ['ip'] + (['-n', netns] if netns else []) + ['-j'] + args
    res = sh(cmd)
    if res.returncode != 0 or not res.stdout.strip():
        return []
    try:
        return json.loads(res.stdout)
    except ValueError:
        return []


def ppp_addrs(netns: str | None) -> dict:
    """{ifname: (local, peer)} of the up ppp interfaces with an IPv4 address."""
    found = {}
    for link in ip_json(['-4', 'addr', 'show'], netns):
        name = link.get('ifname', '')
        if not name.startswith('ppp'):
            continue
        for a in link.get('addr_info', []):
            if a.get('family') == 'inet':
                found[name] = (a.get('local'), a.get('address', a.get('peer')))
    return found


def pids_matching(pattern: bytes) -> list:
    pids = []
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        try:
            with open(f'/proc/{d}/cmdline', 'rb') as f:
                cmdline = f.read()
        except OSError:
            continue
        if re.search(pattern, cmdline):
            pids.append(int(d))
    return pids


def caller_pppd(peer: str) -> list:
    return pids_matching(rb'(^|/)pppd\0call\0' + re.escape(peer.encode()) + rb'(\0|$)')


def wait_for(pred, timeout: float, step: float = 0.2):
    end = time.time() + timeout
    while True:
        val = pred()
        if val or time.time() > end:
            return val
        time.sleep(step)


def uptime() -> float:
    with open('/proc/uptime', encoding='ascii') as f:
        return float(f.read().split()[0])


# ---------------------------------------------------------------- environment


def setup_namespaces(cfg: dict) -> None:
    # Caller: its own network namespace and a persistent mount namespace in
    # which its root gets /dev, /proc, /sys and a fresh /run.
    sh(['ip', 'netns', 'add', 'caller'], check_rc=True)
    sh(['ip', '-n', 'caller', 'link', 'set', 'lo', 'up'], check_rc=True)
    os.makedirs(NSDIR, exist_ok=True)
    sh(f'mount --bind {NSDIR} {NSDIR} && mount --make-private {NSDIR} && touch {CALLER_MNT}', check_rc=True)
    r = CALLER_ROOT
    sh(['nsenter', '--net=/run/netns/caller', 'unshare', f'--mount={CALLER_MNT}', '--propagation', 'private',
        'sh', '-ec',
        f'mount --rbind /dev {r}/dev; mount -t proc proc {r}/proc; mount -t sysfs sysfs {r}/sys; '
        f'mount -t tmpfs -o mode=755 tmpfs {r}/run; mkdir -p {r}/run/lock {r}/run/pppd; '
        f'mount -t tmpfs tmpfs {r}/tmp'], check_rc=True)
    # The server's LAN: namespace `lan` behind a veth pair.
    sh(['ip', 'netns', 'add', 'lan'], check_rc=True)
    sh(f'ip link add lan0 type veth peer name lan1 netns lan && '
       f'ip addr add {cfg["lan_server_cidr"]} dev lan0 && ip link set lan0 up && '
       f'ip -n lan link set lo up && ip -n lan addr add {cfg["lan_host_cidr"]} dev lan1 && '
       f'ip -n lan link set lan1 up', check_rc=True)
    # A second network of the server, not named as a LAN (server_lan_interfaces): namespace `other`
    # behind its own veth pair, its default route through the server, so only the forwarding policy
    # keeps a caller from it.
    other = cfg.get('other_network')
    if other:
        sh(f'ip netns add other && ip link add other0 type veth peer name other1 netns other && '
           f'ip addr add {other["server_cidr"]} dev other0 && ip link set other0 up && '
           f'ip -n other link set lo up && ip -n other addr add {other["host_cidr"]} dev other1 && '
           f'ip -n other link set other1 up && ip -n other route add default via {other["server_ip"]}',
           check_rc=True)


def environment(cfg: dict) -> None:
    note(f'kernel {os.uname().release}, uptime {uptime():.1f} s')
    RESULTS['timings']['boot_to_orchestrator_uptime'] = uptime()
    with open('/proc/sys/net/ipv4/ip_forward', encoding='ascii') as f:
        fwd = f.read().strip()
    check('server: net.ipv4.ip_forward is 1 at boot (set by the ip_forward role)', fwd == '1', f'ip_forward={fwd}')
    policy = cfg.get('forward_policy')
    if policy:
        res = sh(['nft', 'list', 'table', 'inet', policy['table']])
        check(f"server: the forwarding policy's table inet {policy['table']} is loaded at boot (its init script)",
              res.returncode == 0 and 'chain forward' in res.stdout, res.stdout + res.stderr)
    lsmod = sh(['lsmod']).stdout
    note('ppp modules at start: ' + ', '.join(m for m in ('ppp_generic', 'ppp_async') if m in lsmod))
    dev = cfg['server_line']['device']
    if os.path.exists(EMU_READY):
        st = sh(['findmnt', '-n', dev]).stdout.strip()
        check(f'emulator: server line bound at {dev}', bool(st), f'findmnt {dev}: {st!r}')


EMU_READY = '/run/e2e-modememu.ready'


# ---------------------------------------------------------------- smoke test


class PtyLink:
    """Two pty pairs whose masters are relayed: a null-modem cable."""

    def __init__(self):
        self.a_master, self.a_slave = pty.openpty()
        self.b_master, self.b_slave = pty.openpty()
        for fd in (self.a_slave, self.b_slave):
            tty.setraw(fd)
        self.paths = (os.ttyname(self.a_slave), os.ttyname(self.b_slave))
        self.stop = False
        self.thread = threading.Thread(target=self.relay, daemon=True)
        self.thread.start()

    def relay(self):
        peer = {self.a_master: self.b_master, self.b_master: self.a_master}
        while not self.stop:
            readable = select.select(list(peer), [], [], 0.2)[0]
            for fd in readable:
                try:
                    data = os.read(fd, 4096)
                    if data:
                        os.write(peer[fd], data)
                except OSError:
                    time.sleep(0.05)

    def close(self):
        self.stop = True
        self.thread.join(2)
        for fd in (self.a_master, self.a_slave, self.b_master, self.b_slave):
            try:
                os.close(fd)
            except OSError:
                pass


def smoke(cfg: dict) -> None:
    """Kernel PPP only: two pppd (the caller's binaries) over a pty pair, PAP.
    Both ends use the PAP secret the client role wrote for smoke_peer."""
    t0 = time.time()
    for ns in ('smoke-s', 'smoke-c'):
        sh(['ip', 'netns', 'add', ns], check_rc=True)
        sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up'])
    link = PtyLink()
    common = ['38400', 'nodetach', 'local', 'nocrtscts', 'nolock', 'lcp-echo-interval', '0', 'noccp',
              'logfile', '/dev/null']
    user, peer = cfg['smoke_user'], cfg['smoke_peer']
    srv = subprocess.Popen(in_caller(['/usr/sbin/pppd', link.paths[0], *common, 'auth', 'require-pap',
                                      'name', peer, '10.99.0.1:10.99.0.2'], 'smoke-s'),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    cli = subprocess.Popen(in_caller(['/usr/sbin/pppd', link.paths[1], *common, 'noauth', 'user', user,
                                      'remotename', peer, 'noipdefault'], 'smoke-c'),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    up = wait_for(lambda: ppp_addrs('smoke-c').get('ppp0') == ('10.99.0.2', '10.99.0.1/32')
                  or ppp_addrs('smoke-c').get('ppp0') == ('10.99.0.2', '10.99.0.1'), 30)
    t_up = time.time() - t0
    ping = sh(['ip', 'netns', 'exec', 'smoke-c', 'ping', '-c', '2', '-i', '0.5', '-W', '3', '10.99.0.1'])
    for p in (cli, srv):
        p.terminate()
    outs = []
    for p in (cli, srv):
        try:
            outs.append(p.communicate(timeout=10)[0])
        except subprocess.TimeoutExpired:
            p.kill()
            outs.append(p.communicate()[0])
    link.close()
    RESULTS['timings']['smoke_link_up'] = t_up
    check('smoke: two pppd over a pty pair with PAP bring up ppp0 (kernel PPP works)', up,
          f'caller side: {ppp_addrs("smoke-c")}; pppd output:\n' + '\n----\n'.join(outs))
    check('smoke: ping over the smoke link', ping.returncode == 0, ping.stdout + ping.stderr)
    note(f'smoke: link up after {t_up:.1f} s')


# ---------------------------------------------------------------- scenarios


def mgetty_pids(device: str) -> list:
    base = os.path.basename(device).encode()
    return pids_matching(rb'(^|/)mgetty\0(.*\0)?(/dev/)?' + re.escape(base) + rb'(\0|$)')


def line_busy(device: str) -> list:
    """Processes other than mgetty and the emulator that hold the server line open
    (callback, login, pppd)."""
    emu = _read_pid('/run/e2e-modememu.pid')
    busy = []
    for d in os.listdir('/proc'):
        if not d.isdigit() or int(d) in (emu, os.getpid()):
            continue
        try:
            with open(f'/proc/{d}/cmdline', 'rb') as f:
                argv0 = os.path.basename(f.read().split(b'\0')[0])
        except OSError:
            continue
        if argv0 != b'mgetty' and device.encode() in _fds_of(int(d)).split(b' '):
            busy.append(int(d))
    return busy


def _stat_field(pid: int, index: int) -> int:
    """A numeric field of /proc/PID/stat after the command name (0 state, 1 ppid, 3 session)."""
    try:
        with open(f'/proc/{pid}/stat', encoding='ascii') as f:
            return int(f.read().rsplit(')', 1)[1].split()[index])
    except (OSError, ValueError, IndexError):
        return -1


def _ppid(pid: int) -> int:
    return _stat_field(pid, 1)


def _read_pid(path: str) -> int:
    try:
        with open(path, encoding='ascii') as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return -1


def _fds_of(pid: int) -> bytes:
    names = []
    try:
        for fd in os.listdir(f'/proc/{pid}/fd'):
            try:
                names.append(os.readlink(f'/proc/{pid}/fd/{fd}').encode())
            except OSError:
                pass
    except OSError:
        pass
    return b' '.join(names)


def mgetty_waiting(device: str) -> bool:
    """mgetty runs on the line and its log says it waits for RING."""
    pids = mgetty_pids(device)
    if not pids:
        return False
    logf = os.path.join(MGETTY_LOG_DIR, 'mg_' + os.path.basename(device) + '.log')
    try:
        with open(logf, encoding='utf-8', errors='replace') as f:
            text = f.read()
    except OSError:
        return False
    # The last mgetty start in the log, then its "waiting..." for a call (after
    # the init chat) and nothing after it.
    start = text.rfind('mgetty: ')
    if start < 0:
        return False
    lines = text[start:].rstrip('\n').splitlines()
    return lines[-1].rstrip().endswith('waiting...')


def wait_server_ready(cfg: dict, timeout: float = 60) -> bool:
    dev = cfg['server_line']['device']
    t0 = time.time()
    ok = wait_for(lambda: mgetty_waiting(dev) and not line_busy(dev), timeout, 0.3)
    note(f'server line {"ready" if ok else "NOT ready"} after {time.time() - t0:.1f} s '
         f'(mgetty pids {mgetty_pids(dev)})')
    return bool(ok)


def pon(peer: str) -> subprocess.CompletedProcess:
    return sh(in_caller(['pon', peer]), timeout=20)


def poff(peer: str) -> subprocess.CompletedProcess:
    return sh(in_caller(['poff', peer]), timeout=20)


LOGIN_CONFIG = '/etc/mgetty/login.config'
# Debian's login.config: mgetty ships it as a template, and its postinst copies it to /etc/mgetty (then
# chmod 0600) when /etc/mgetty/login.config is missing; the package's md5sums list names its checksum.
DEBIAN_LOGIN_CONFIG = '/usr/share/mgetty/templates/etc/login.config'
DEBIAN_MD5SUMS = '/var/lib/dpkg/info/mgetty.md5sums'
# Its active lines (format 1: name, user id, utmp entry, program): the fallback when the template is
# not there, and what the test checks it installed.
DEBIAN_ACTIVE_LINES = ['/AutoPPP/ -\ta_ppp\t/usr/sbin/pppd auth -chap +pap login debug',
                       '*\t-\t-\t/bin/login @']


def active_lines(text: str) -> list:
    """login.config's entries, each as its fields (comments and blank lines left out)."""
    return [ln.split() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith('#')]


def _write_root_file(path: str, data: bytes, mode: int, uid: int = 0, gid: int = 0) -> None:
    """path replaced at once (a file beside it, renamed), with its owner and mode set before."""
    tmp = f'{path}.e2e-{os.getpid()}'
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fchown(fd, uid, gid)
        os.fchmod(fd, mode)
    finally:
        os.close(fd)
    os.rename(tmp, path)


def install_debian_login_config(name: str, rec: dict) -> dict:
    """Replaces the server's login.config with Debian's shipped one (root, 0600, as mgetty's postinst
    leaves it); returns what is needed to put the collection's file back."""
    st = os.stat(LOGIN_CONFIG)
    with open(LOGIN_CONFIG, 'rb') as f:
        saved = {'data': f.read(), 'mode': st.st_mode & 0o7777, 'uid': st.st_uid, 'gid': st.st_gid}
    source = 'the two lines written by the test (no template in the mgetty package)'
    data = ('\n'.join(DEBIAN_ACTIVE_LINES) + '\n').encode()
    try:
        with open(DEBIAN_LOGIN_CONFIG, 'rb') as f:
            template = f.read()
        with open(DEBIAN_MD5SUMS, encoding='utf-8') as f:
            listed = [ln.split()[0] for ln in f if ln.split()[1:] == [DEBIAN_LOGIN_CONFIG.lstrip('/')]]
        if listed and listed[0] == hashlib.md5(template).hexdigest():
            data = template
            source = f'{DEBIAN_LOGIN_CONFIG} of the installed mgetty package (md5 as in its md5sums)'
        else:
            source += f'; {DEBIAN_LOGIN_CONFIG} differs from the package\'s md5sums {listed}'
    except (OSError, IndexError) as exc:
        source += f' ({exc})'
    _write_root_file(LOGIN_CONFIG, data, 0o600)
    rec['login_config'] = {'source': source, 'sha256': hashlib.sha256(data).hexdigest(),
                           'saved_sha256': hashlib.sha256(saved['data']).hexdigest()}
    with open(LOGIN_CONFIG, encoding='utf-8', errors='replace') as f:
        now = active_lines(f.read())
    st = os.stat(LOGIN_CONFIG)
    want = [ln.split() for ln in DEBIAN_ACTIVE_LINES]
    check(f"{name}: the server's login.config is Debian's shipped file, root 0600 (from {source})",
          now == want and st.st_uid == 0 and st.st_mode & 0o7777 == 0o600,
          f'active lines {now}, want {want}; owner {st.st_uid}, mode {oct(st.st_mode & 0o7777)}')
    note(f'{name}: login.config replaced by Debian\'s: {source}')
    return saved


def restore_login_config(name: str, saved: dict) -> None:
    _write_root_file(LOGIN_CONFIG, saved['data'], saved['mode'], saved['uid'], saved['gid'])
    st = os.stat(LOGIN_CONFIG)
    with open(LOGIN_CONFIG, 'rb') as f:
        back = f.read()
    check(f"{name}: the collection's login.config is back, byte for byte, root 0600",
          back == saved['data'] and st.st_uid == 0 and st.st_gid == 0 and st.st_mode & 0o7777 == 0o600
          and saved['mode'] == 0o600,
          f'same bytes: {back == saved["data"]}; owner {st.st_uid}:{st.st_gid}, mode {oct(st.st_mode & 0o7777)} '
          f'(before the scenario: {saved["uid"]}:{saved["gid"]} {oct(saved["mode"])})')


# The account files as the server's first configuration run left them (e2e_former: one PPP account
# more), copied by e2e.py before the next run revoked that account.
FORMER_ACCOUNTS_DIR = f'{OUT}/former-accounts'
FORMER_ACCOUNT_FILES = ('/etc/passwd', '/etc/shadow', '/etc/group', '/etc/gshadow', '/etc/ppp/pap-secrets')


def install_former_accounts(name: str, user: str) -> dict:
    """Puts the account files of the server's first run in place (each with the owner and mode of
    the file it replaces); returns what is needed to put the current ones back."""
    saved = {}
    for path in FORMER_ACCOUNT_FILES:
        st = os.stat(path)
        with open(path, 'rb') as f:
            saved[path] = {'data': f.read(), 'mode': st.st_mode & 0o7777, 'uid': st.st_uid, 'gid': st.st_gid}
    former = {}
    for path in FORMER_ACCOUNT_FILES:
        with open(FORMER_ACCOUNTS_DIR + path, 'rb') as f:
            former[path] = f.read()
    # The account is what the next run revoked: present, unlocked and in the PPP group before, and
    # not in the current files' pap-secrets.
    shadow = [ln.split(b':') for ln in former['/etc/shadow'].splitlines()]
    entry = next((f for f in shadow if f[0] == user.encode()), None)
    secrets = [ln.split() for ln in former['/etc/ppp/pap-secrets'].splitlines()
               if ln.strip() and not ln.lstrip().startswith(b'#')]
    check(f'{name}: the first run\'s files have {user} unlocked with a PAP secret, the current ones no secret for it',
          bool(entry) and not entry[1].startswith(b'!') and any(f[:1] == [user.encode()] for f in secrets)
          and not any(ln.split()[:1] == [user.encode()]
                      for ln in saved['/etc/ppp/pap-secrets']['data'].splitlines()),
          f'shadow entry {entry and [entry[0], entry[1][:2] + b"..."]}; first run\'s secrets for: {[f[0] for f in secrets]}')
    for path in FORMER_ACCOUNT_FILES:
        _write_root_file(path, former[path], saved[path]['mode'], saved[path]['uid'], saved[path]['gid'])
    note(f'{name}: account files of the first configuration run in place: {", ".join(FORMER_ACCOUNT_FILES)}')
    return saved


def restore_current_accounts(name: str, saved: dict) -> None:
    back = {}
    for path, old in saved.items():
        _write_root_file(path, old['data'], old['mode'], old['uid'], old['gid'])
        st = os.stat(path)
        with open(path, 'rb') as f:
            back[path] = (f.read() == old['data'], (st.st_uid, st.st_gid, st.st_mode & 0o7777)
                          == (old['uid'], old['gid'], old['mode']))
    check(f"{name}: the current account files are back, byte for byte, with their owner and mode",
          all(same and meta for same, meta in back.values()), json.dumps(back))


def scenario(cfg: dict, sc: dict) -> None:
    name, peer, expect = sc['name'], sc['peer'], sc['expect']
    rec = {'name': name, 'peer': peer, 'expect': expect}
    RESULTS['scenarios'].append(rec)
    note(f'==== scenario {name} (peer {peer}, expect {expect})')
    ready = wait_server_ready(cfg)
    check(f'{name}: server line ready (mgetty respawned and waiting for RING)', ready,
          _tail(os.path.join(MGETTY_LOG_DIR, 'mg_' + os.path.basename(cfg['server_line']['device']) + '.log')))
    if not ready:
        rec['skipped'] = 'server line not ready'
        return
    pids = mgetty_pids(cfg['server_line']['device'])
    rec['mgetty_pid'] = pids[0] if pids else None
    ppids = [_ppid(p) for p in pids]
    prev = [r.get('mgetty_pid') for r in RESULTS['scenarios'][:-1] if r.get('mgetty_pid')]
    check(f'{name}: mgetty on the line is a child of init (the inittab respawn line)'
          + (', respawned since the previous call' if prev else ''),
          ppids == [1] and (not prev or prev[-1] != pids[0]),
          f'mgetty pids {pids}, parents {ppids}, previous scenario mgetty pid {prev[-1:] or None}')
    # login.config broken for this call: Debian's shipped file, the collection's put back afterwards.
    saved = install_debian_login_config(name, rec) if sc.get('login_config') == 'debian' else None
    # The removed account's positive control: the server's accounts as before the removal.
    accounts = install_former_accounts(name, sc['ppp_user']) if sc.get('accounts') == 'former' else None
    try:
        place_call(cfg, sc, rec)
    finally:
        if saved is not None:
            restore_login_config(name, saved)
        if accounts is not None:
            restore_current_accounts(name, accounts)


def place_call(cfg: dict, sc: dict, rec: dict) -> None:
    """One call of the scenario: `pon` in the caller, then what it must lead to."""
    name, peer, expect = sc['name'], sc['peer'], sc['expect']
    rec['t_start'] = time.time()
    # For the calls that must link: what line_status says during the call (issue 17's live states).
    watcher = threading.Thread(target=watch_callback, args=(rec, sc['timeout']), daemon=True)
    if expect == 'link':
        watcher.start()
    res = pon(peer)
    rec['pon_rc'] = res.returncode
    check(f'{name}: pon {peer} starts pppd', res.returncode == 0, res.stdout + res.stderr)
    want = (cfg['caller_ppp_ip'], cfg['server_ppp_ip'])

    def caller_link():
        for local, peer_ip in ppp_addrs('caller').values():
            if (local, (peer_ip or '').split('/')[0]) == want:
                return True
        return False

    # A call that must not link: the server's side is watched for a PPP interface with an address
    # (pppd's IPCP up) all along, not only at the end.
    server_seen: list = []

    def done():
        if expect == 'no-link-no-callback':
            found = ppp_addrs(None)
            if found:
                server_seen.append(found)
        return caller_link() or not caller_pppd(peer)

    time.sleep(1)
    wait_for(done, sc['timeout'], 0.2)
    rec['t_end_wait'] = time.time()
    linked = caller_link()
    rec['caller_ppp'] = ppp_addrs('caller')
    rec['server_ppp'] = ppp_addrs(None)
    if expect == 'link':
        rec['t_link_up'] = time.time() if linked else None
        check(f'{name}: caller ppp0 up with local {want[0]} and remote {want[1]}', linked,
              f'caller ppp interfaces: {rec["caller_ppp"]}; caller pppd running: {bool(caller_pppd(peer))}')
        if linked:
            srv = [v for v in ppp_addrs(None).values() if v[0] == want[1]]
            srv = wait_for(lambda: [v for v in ppp_addrs(None).values()
                                    if v[0] == want[1] and v[1].split('/')[0] == want[0]], 10)
            check(f'{name}: server ppp interface up with local {want[1]} and remote {want[0]}', bool(srv),
                  f'server ppp interfaces: {ppp_addrs(None)}')
            for target, what in ((cfg['server_ppp_ip'], "the server's PPP address"),
                                 (cfg['lan_host_ip'], "a host on the server's LAN (proxyarp + ip_forward)")):
                p = sh(['ip', 'netns', 'exec', 'caller', 'ping', '-c', '3', '-i', '0.5', '-W', '3', target],
                       timeout=30)
                check(f'{name}: caller pings {what} {target}', p.returncode == 0, p.stdout + p.stderr)
            if sc.get('forward_policy_checks'):
                forward_policy_checks(cfg, name, srv[0] if srv else None)
            neigh = sh(['ip', 'neigh', 'show', 'proxy']).stdout
            rec['proxy_arp'] = neigh
            report = f'line_status_{name}_ppp.json'
            rec['line_status_ppp'] = {'report': report, 'error': line_status_now(report)}
        if linked and sc.get('revoke_in_call'):
            revoke_in_call(cfg, sc, peer, want)
        else:
            res = poff(peer)
            gone = wait_for(lambda: not caller_pppd(peer) and not ppp_addrs('caller'), 20)
            check(f'{name}: poff {peer} stops the link', bool(gone) and res.returncode == 0,
                  res.stdout + res.stderr + f' pppd pids: {caller_pppd(peer)}')
    else:
        check(f'{name}: no PPP link comes up', not linked, f'caller ppp interfaces: {rec["caller_ppp"]}')
        if expect == 'no-link-no-callback':
            # Once more after the caller's pppd ended: a server link that came up late shows now.
            time.sleep(1)
            done()
            rec['server_ppp_seen'] = server_seen[:3]
            check(f"{name}: the server's pppd brings up no PPP interface (no ppp interface with an address "
                  'at any time during the call)', not server_seen and not linked,
                  f'server ppp interfaces seen: {server_seen[:3]}')
            ended = not caller_pppd(peer)
            rec['caller_pppd_ended_alone'] = ended
            check(f"{name}: the caller's pppd ends by itself, without a link, within {sc['timeout']} s "
                  '(no poff)', ended and not linked,
                  f'caller pppd pids {caller_pppd(peer)}, waited {rec["t_end_wait"] - rec["t_start"]:.1f} s')
        if caller_pppd(peer):
            note(f'{name}: caller pppd still running after {sc["timeout"]} s, stopping it')
            poff(peer)
            wait_for(lambda: not caller_pppd(peer), 20)
        check(f'{name}: caller pppd has exited', not caller_pppd(peer), '')
    if expect == 'link':
        watcher.join(timeout=60)
    rec['t_end'] = time.time()


def nft_counter(table: str, counter: str):
    """Packets counted so far by a named counter of the policy's table, None if it cannot be read."""
    res = sh(['nft', '-j', 'list', 'counter', 'inet', table, counter])
    try:
        for item in json.loads(res.stdout).get('nftables', []):
            if 'counter' in item:
                return int(item['counter']['packets'])
    except (ValueError, AttributeError, KeyError, TypeError):
        pass
    return None


# Sends UDP datagrams with a source address of its choosing (a raw socket with the IP header
# included: the kernel keeps a non-zero source and fills in the checksum and the id).
SPOOF_SENDER = r"""
import socket, struct, sys
src, dst, port, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
payload = b'dialin-e2e-spoof ' + src.encode()
udp = struct.pack('!HHHH', 40000, port, 8 + len(payload), 0) + payload
ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 0, 0, 64, socket.IPPROTO_UDP, 0,
                 socket.inet_aton(src), socket.inet_aton(dst))
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
for _ in range(count):
    s.sendto(ip + udp, (dst, 0))
"""


def udp_received(bind_ip: str, port: int, send, wait: float = 3.0) -> list:
    """The datagrams a UDP socket on the server at bind_ip:port receives while send() runs and wait
    seconds after it: (source address, payload)."""
    import socket
    got = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((bind_ip, port))
        s.settimeout(0.2)
        send()
        end = time.time() + wait
        while time.time() < end:
            try:
                data, addr = s.recvfrom(2048)
            except socket.timeout:
                continue
            got.append((addr[0], data.decode(errors='replace')))
    return got


def forward_policy_checks(cfg: dict, name: str, server_link) -> None:
    """With the link up: the policy of dialin.callback.ip_forward (nftables table, strict rp_filter).
    The caller reaches the LAN (checked before this), not the server's second network; a packet it
    sends with a LAN host's source address is dropped and counted. Each attack has its control: the
    same path works without the attack's trait (the rig can carry it)."""
    policy, other = cfg['forward_policy'], cfg['other_network']
    table = policy['table']
    iface = next((k for k, v in ppp_addrs(None).items() if server_link and v == server_link), None)

    # pppd runs ip-up after the link is up, without waiting for it. The kernel filters with the
    # higher of conf.all and the interface's value (2, loose, wins over 1): both are read.
    def rp_filter(conf):
        with open(f'/proc/sys/net/ipv4/conf/{conf}/rp_filter', encoding='ascii') as f:
            return int(f.read().strip())

    rp = wait_for(lambda: iface and max(rp_filter('all'), rp_filter(iface)) == 1, 10)
    check(f"{name}: strict reverse-path filter in force on the server's PPP interface {iface} (its rp_filter 1, "
          "set by ip-up; conf.all not above it)",
          bool(rp), f"rp_filter of {iface}: {rp_filter(iface) if iface else '?'}, of all: {rp_filter('all')}")

    # Another network of the server: the server itself reaches its host (control), the caller not.
    p = sh(['ping', '-c', '1', '-W', '3', other['host_ip']], timeout=15)
    check(f"{name}: control: the server reaches the host {other['host_ip']} on its second network", p.returncode == 0,
          p.stdout + p.stderr)
    refused_before = nft_counter(table, 'refused')
    p = sh(['ip', 'netns', 'exec', 'caller', 'ping', '-c', '3', '-i', '0.5', '-W', '2', other['host_ip']], timeout=30)
    refused_after = nft_counter(table, 'refused')
    check(f"{name}: the caller does not reach the host {other['host_ip']} on the server's second network "
          f"(not a LAN interface), refused and counted by table inet {table}",
          p.returncode != 0 and refused_before is not None and refused_after is not None
          and refused_after - refused_before >= 3,
          f'ping rc {p.returncode}: {p.stdout}{p.stderr}; counter refused {refused_before} -> {refused_after}')

    # A packet with a LAN host's source address, to the server's LAN address: dropped before routing.
    port, target = policy['spoof_port'], policy['spoof_target_ip']

    def send(src: str):
        return lambda: sh(['ip', 'netns', 'exec', 'caller', 'python3', '-c', SPOOF_SENDER, src, target, str(port), '3'],
                          timeout=20)

    got = udp_received(target, port, send(cfg['caller_ppp_ip']))
    check(f"{name}: control: 3 datagrams from the caller's own address {cfg['caller_ppp_ip']} reach "
          f'{target}:{port} on the server', len([g for g in got if g[0] == cfg['caller_ppp_ip']]) == 3, f'received {got}')
    spoofed_before = nft_counter(table, 'spoofed_source')
    got = udp_received(target, port, send(policy['spoof_source_ip']))
    spoofed_after = nft_counter(table, 'spoofed_source')
    check(f"{name}: 3 datagrams the caller sends with the LAN host's address {policy['spoof_source_ip']} as source "
          f'are dropped (none reaches {target}:{port}) and counted (counter spoofed_source of table inet {table})',
          not got and spoofed_before is not None and spoofed_after is not None and spoofed_after - spoofed_before >= 3,
          f'received {got}; counter spoofed_source {spoofed_before} -> {spoofed_after}')


def broken_login_config_controls(cfg: dict) -> None:
    """The positive control of each scenario that broke login.config: the next call that must link,
    with the collection's login.config put back, links (callback, then PPP)."""
    configured = {sc['name']: sc for sc in cfg.get('scenarios', [])}
    recs = RESULTS['scenarios']
    for i, rec in enumerate(recs):
        if not configured.get(rec['name'], {}).get('login_config') or 't_start' not in rec:
            continue
        nxt = next((r for r in recs[i + 1:] if r.get('expect') == 'link' and 't_start' in r), None)
        check(f"{rec['name']}: control: with the collection's login.config back, the next call that must link "
              f"({nxt['name'] if nxt else 'none'}) links after its callback",
              bool(nxt) and bool(nxt.get('t_link_up')),
              f'next link scenario: {nxt and {k: nxt.get(k) for k in ("name", "t_link_up", "caller_ppp")}}')


def revoke_in_call(cfg: dict, sc: dict, peer: str, want: tuple) -> None:
    """The PPP account is revoked while its link is up: dialin.callback.dialin_session, as
    ppp_server's revoke step runs it (the payload the host built), must hang up the call: pppd
    gets SIGHUP, ends the link (LCP terminate, so the caller's pppd ends too) and drops the line."""
    name, user = sc['name'], cfg['smoke_user']
    line = os.path.basename(cfg['server_line']['device'])
    res = sh(['python3', os.path.join(OUT, 'dialin_session_module.py')], timeout=120)
    with open(os.path.join(OUT, f'dialin_session_{name}.json'), 'w', encoding='utf-8') as f:
        f.write(res.stdout)
    try:
        out = json.loads(res.stdout)
    except ValueError:
        out = {}
    sessions = [(x.get('line'), x.get('user'), x.get('signals'), x.get('ended')) for x in out.get('sessions', [])]
    check(f'{name}: dialin_session ends the call of {user} on {line} with SIGHUP',
          res.returncode == 0 and out.get('changed') is True and sessions == [(line, user, ['SIGHUP'], True)],
          res.stdout[-1500:] + res.stderr[-800:])
    server_gone = wait_for(lambda: not [v for v in ppp_addrs(None).values() if v[0] == want[1]], 15)
    check(f'{name}: the server\'s PPP interface is gone', bool(server_gone), f'server ppp: {ppp_addrs(None)}')
    caller_gone = wait_for(lambda: not caller_pppd(peer) and not ppp_addrs('caller'), 30)
    check(f'{name}: the caller\'s pppd ends (the server terminated the link), without poff', bool(caller_gone),
          f'caller ppp: {ppp_addrs("caller")}, caller pppd: {caller_pppd(peer)}')
    p = sh(['ip', 'netns', 'exec', 'caller', 'ping', '-c', '1', '-W', '2', cfg['lan_host_ip']], timeout=15)
    check(f'{name}: the caller reaches nothing on the LAN any more', p.returncode != 0, p.stdout + p.stderr)
    if caller_pppd(peer):
        note(f'{name}: caller pppd still running, stopping it')
        poff(peer)
        wait_for(lambda: not caller_pppd(peer), 20)


def local_pppd(cfg: dict, sc: dict) -> None:
    """Local users start pppd themselves over a pty link to a root pppd (in the caller's namespace)
    that does not authenticate itself, asking for a LAN address: none gets a link. The member of dip
    calls the peer file the ppplogin shell used to start pppd with (it held noauth).

    The attackers: a member of Debian's dip group who is no PPP account (Debian's pppd is root:dip
    4754), and a PPP account. Root doing the same with `noauth` is the control: it must get a link,
    so the rig itself can link."""
    name = sc['name']
    note(f'==== attack {name}')
    sh(['useradd', '--create-home', '--groups', 'dip', sc['dip_user']], check_rc=True)
    # Options any user may give (nolock, for one, is root's).
    common = ['38400', 'local', 'nocrtscts', 'lcp-echo-interval', '0', 'noccp']
    server_ip, attacker_ip = cfg['server_ppp_ip'], sc['attacker_ip']
    attempts = [('root (control, noauth)', None, ['noauth']),
                (f'{sc["dip_user"]} (dip, no PPP account)', sc['dip_user'], sc['attack_args'][sc['dip_user']]),
                (f'{sc["ppp_user"]} (PPP account)', sc['ppp_user'], sc['attack_args'][sc['ppp_user']])]
    for label, user, extra in attempts:
        link = PtyLink()
        if user:
            os.chown(link.paths[0], pwd.getpwnam(user).pw_uid, -1)
        peer = subprocess.Popen(in_caller(['/usr/sbin/pppd', link.paths[1], *common, 'nolock', 'noauth', 'nodetach',
                                           'noipdefault'], 'caller'),
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        cmd = ['/usr/sbin/pppd', link.paths[0], 'nodetach', *common, *extra, f'{server_ip}:{attacker_ip}']
        if user:
            # runuser drops root's capabilities (setpriv would keep CAP_DAC_OVERRIDE).
            cmd = ['runuser', '-u', user, '--', *cmd]
        attacker = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

        def linked():
            return any(local == attacker_ip for local, _peer in ppp_addrs('caller').values())

        up = wait_for(lambda: linked() or attacker.poll() is not None, sc['timeout'])
        up = linked()
        outs = []
        for proc in (attacker, peer):
            proc.terminate()
            try:
                outs.append(proc.communicate(timeout=10)[0])
            except subprocess.TimeoutExpired:
                proc.kill()
                outs.append(proc.communicate()[0])
        link.close()
        wait_for(lambda: not ppp_addrs('caller'), 10)
        detail = f'exit {attacker.returncode}; pppd said:\n{outs[0][-800:]}\npeer said:\n{outs[1][-400:]}'
        RESULTS.setdefault('attacks', []).append({'name': name, 'who': label, 'link': up,
                                                  'rc': attacker.returncode, 'output': outs[0][-800:]})
        if user:
            check(f'{name}: {label} runs pppd to a peer that does not authenticate and gets no link', not up, detail)
            # And for the reason the defence gives: no pppd at all, or pppd demanding authentication.
            reason = sc['refusals'][user]
            check(f'{name}: {label} is refused by {reason!r}', reason in outs[0], detail)
        else:
            check(f'{name}: {label} gets a link over the same rig', up, detail)


def _tail(path: str, n: int = 30) -> str:
    try:
        with open(path, encoding='utf-8', errors='replace') as f:
            return '\n'.join(f.read().splitlines()[-n:])
    except OSError as exc:
        return str(exc)


# ---------------------------------------------------------------- main


def line_status_now(report: str) -> str:
    """Runs dialin.callback.line_status, as the payload the host built (tests/e2e/line_status_step.py),
    and writes its JSON result to out/<report>, checked on the host; returns what went wrong, or ''."""
    payload = os.path.join(OUT, 'line_status_module.py')
    if not os.path.exists(payload):
        return 'no payload built on the host'
    t0 = time.time()
    res = sh(['python3', payload], timeout=120)
    RESULTS['timings'][report] = time.time() - t0
    with open(os.path.join(OUT, report), 'w', encoding='utf-8') as f:
        f.write(res.stdout)
    return '' if res.returncode == 0 else f'rc {res.returncode}: {res.stderr[-800:]}'


def line_status_report() -> None:
    """line_status after the scenarios: every call they made, the line idle."""
    RESULTS['line_status'] = line_status_now('line_status.json') or 'rc 0'


def watch_callback(rec: dict, timeout: float) -> None:
    """While a scenario's call goes on: once the server's callback program waits to dial back,
    line_status is asked what the line is doing. callback (callback.c, detach_tty) forks; the parent,
    mgetty's process and session leader, exits, and the child, in mgetty's session but not its leader,
    sleeps callback_delay: that child is stopped (SIGSTOP) while the module runs, so that a slow VM
    cannot see the callback made meanwhile, and goes on (SIGCONT) afterwards."""
    def waiting():
        return [pid for pid in pids_matching(rb'^/usr/sbin/callback\0') if _stat_field(pid, 3) not in (pid, -1)]

    seen = wait_for(waiting, timeout)
    if not seen:
        rec['line_status_callback'] = {'error': f'no callback process waiting within {timeout} s'}
        return
    report = f'line_status_{rec["name"]}_callback.json'
    for pid in seen:
        os.kill(pid, signal.SIGSTOP)
    try:
        problem = line_status_now(report)
    finally:
        for pid in seen:
            os.kill(pid, signal.SIGCONT)
    rec['line_status_callback'] = {'report': report, 'error': problem, 'callback_pids': seen}


def collect_logs() -> None:
    os.makedirs(os.path.join(OUT, 'logs'), exist_ok=True)
    # utmp, wtmp and btmp too: the accounting parsers' unit tests read these files as fixtures
    # (tests/unit/fixtures/e2e, refreshed from this directory).
    for src in (MGETTY_LOG_DIR, '/var/log/callback.log', '/etc/inittab', '/var/run/utmp', '/var/log/wtmp',
                '/var/log/btmp', '/etc/mgetty/login.config'):
        if os.path.isdir(src):
            for f in os.listdir(src):
                _copy(os.path.join(src, f), os.path.join(OUT, 'logs', f))
        elif os.path.exists(src):
            _copy(src, os.path.join(OUT, 'logs', os.path.basename(src)))
    with open(os.path.join(OUT, 'logs', 'ps.txt'), 'w', encoding='utf-8') as f:
        f.write(sh(['ps', '-ef']).stdout)


def _copy(src: str, dst: str) -> None:
    try:
        with open(src, 'rb') as a, open(dst, 'wb') as b:
            b.write(a.read())
    except OSError:
        pass


def main() -> None:
    with open(os.path.join(OUT, 'config.json'), encoding='utf-8') as f:
        cfg = json.load(f)
    RESULTS['config'] = cfg
    # Per line (its number, as the emulator logs it): the numbers it may dial.
    RESULTS['registered_numbers'] = {
        cfg['server_line']['number']: [cfg['caller_line']['number']],
        cfg['caller_line']['number']: [cfg['server_line']['number']],
    }
    try:
        environment(cfg)
        setup_namespaces(cfg)
        if cfg.get('smoke', True):
            smoke(cfg)
        deadline = T_BOOT + cfg.get('budget_seconds', 300) - uptime()
        for sc in cfg.get('scenarios', []):
            if not os.path.exists(EMU_READY):
                check(f'{sc["name"]}: modem emulator running', False, 'no emulator: scenario skipped')
                continue
            if time.time() + sc['timeout'] + 30 > deadline:
                check(f'{sc["name"]}: scenario run within the VM time budget', False,
                      f'skipped: {deadline - time.time():.0f} s left of the budget')
                continue
            if sc.get('kind') == 'local-pppd':
                local_pppd(cfg, sc)
            else:
                scenario(cfg, sc)
        broken_login_config_controls(cfg)
        RESULTS['finished'] = True
    except Exception:  # pylint: disable=broad-except
        RESULTS['error'] = traceback.format_exc()
        note('error: ' + RESULTS['error'])
    finally:
        RESULTS['timings']['orchestrator_total'] = time.time() - T_BOOT
        finish()


def finish() -> None:
    """line_status after the calls, the logs, results.json; then the VM is powered off."""
    line_status_report()
    collect_logs()
    with open(os.path.join(OUT, 'results.json.tmp'), 'w', encoding='utf-8') as f:
        json.dump(RESULTS, f, indent=1)
    os.rename(os.path.join(OUT, 'results.json.tmp'), os.path.join(OUT, 'results.json'))
    note('done, powering off')
    os.sync()
    time.sleep(0.5)
    with open('/proc/sysrq-trigger', 'w', encoding='ascii') as f:
        f.write('o')


if __name__ == '__main__':
    main()
