"""Fault tests of the dialin.callback collection against real Debian 12 systemd containers.

Containers (``dialin-faults-<random>``, removed at the end even on failure; ``FAULTS_KEEP=1``
keeps them): one that stays fresh (only bad-input runs, which must change nothing, touch it), and
one that the converging tests use. Both have the project's modem emulator on /dev/ttyS1.
``ansible-playbook playbooks/site.yml`` runs against them with a generated inventory (group
``callback_servers``, the variables of molecule/shared/group_vars/callback_servers.yml).

Every test states the host state it needs (``Host.ensure``), so each test runs alone (``-k``) and in
any order. Every ansible-playbook runs in its own process group, which is killed and waited for
(even when the test fails), and its output is searched for the secrets of its own variables.

Environment:
  FAULTS_IMAGE      image (default localhost/dialin-callback/debian12-systemd:latest)
  FAULTS_MITOGEN    1 (default when ansible_mitogen imports): mitogen_linear + mitogen_podman,
                    about 6x faster on this machine; 0: the plain containers.podman.podman connection.
  FAULTS_KEEP       1: do not remove the containers at the end.
  FAULTS_SEED       seed of the random interruption points and of FAULTS_ORDER=shuffle (default: random,
                    printed in the summary).
  FAULTS_ORDER      shuffle: run the tests in a random order (they must not depend on it).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import secrets
import shlex
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
IMAGE = os.environ.get("FAULTS_IMAGE", "localhost/dialin-callback/debian12-systemd:latest")
TEST_LIB = "/usr/local/lib/dialin-test"
RUN_TIMEOUT = 900
SEED = int(os.environ.get("FAULTS_SEED", random.randrange(1 << 30)))

try:  # Mitogen is pinned in requirements-dev.txt; the suite falls back to the plain connection.
    import ansible_mitogen  # noqa: F401

    _MITOGEN_DIR = Path(ansible_mitogen.__file__).parent / "plugins"
except ImportError:  # pragma: no cover
    _MITOGEN_DIR = None
USE_MITOGEN = os.environ.get("FAULTS_MITOGEN", "1" if _MITOGEN_DIR else "0") == "1"

# Counters printed at the end of the session (pytest_terminal_summary).
STATS: dict = {
    "bad_input_tried": 0,
    "bad_input_rejected_cleanly": [],
    "bad_input_defects": [],
    "interruptions": [],
    "secret_scanned": [0, 0],  # outputs, bytes
    "notes": [],
}


# --------------------------------------------------------------------------- processes


def stop_group(proc: subprocess.Popen, grace: float = 0.0) -> None:
    """Kill the whole process group of ``proc`` (it was started with start_new_session) and wait
    until no process of it is left: an interrupted ansible-playbook leaves nothing behind."""
    pgid = proc.pid
    try:
        if grace:
            os.killpg(pgid, signal.SIGTERM)
            time.sleep(grace)
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=60)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    raise AssertionError(f"processes of group {pgid} still run 30 s after SIGKILL")


def podman(*args: str, check: bool = True, timeout: float = 120, input: str | None = None):
    return subprocess.run(
        ["podman", *args], capture_output=True, text=True, check=check, timeout=timeout, input=input
    )


# --------------------------------------------------------------------------- containers


class Container:
    def __init__(self, name: str):
        self.name = name

    def sh(self, script: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        proc = podman("exec", self.name, "bash", "-c", script, check=False, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(
                f"in {self.name}: {script!r} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
            )
        return proc

    def wait_running(self) -> None:
        self.sh("for i in $(seq 150); do s=$(systemctl is-system-running 2>/dev/null); "
                "case $s in running|degraded) exit 0;; esac; sleep 0.2; done; "
                "echo \"systemd is $s\"; exit 1", timeout=60)

    def start_modem(self) -> None:
        self.sh(
            "mkdir -p /run/modememu && "
            "start-stop-daemon --start --oknodo --background --make-pidfile --pidfile /run/modememu.pid "
            f"--exec /usr/bin/python3 -- {TEST_LIB}/modememu.py --line /dev/ttyS1=100 "
            "--line /run/modememu/caller=200 --log /run/modememu/events.jsonl "
            "--ready /run/modememu/ready"
        )
        self.sh("for i in $(seq 150); do test -e /run/modememu/ready && test -e /dev/ttyS1 && exit 0; "
                "sleep 0.2; done; exit 1")

    def stop_modem(self) -> None:
        self.sh("start-stop-daemon --stop --retry 10 --pidfile /run/modememu.pid --remove-pidfile; "
                "rm -f /run/modememu/ready", check=False)

    def busy(self) -> str:
        """The Ansible modules, Mitogen children and account/package tools running in the container."""
        pattern = "[A]nsiballZ|[a]nsible-tmp|[m]itogen|[a]pt-get|/usr/bin/[d]pkg|[u]seradd|[u]sermod|[c]hpasswd"
        return self.sh(f"pgrep -af '{pattern}'", check=False).stdout.strip()

    def wait_quiet(self, timeout: float = 60) -> bool:
        """Wait until nothing of Ansible runs in the container any more (a module started through
        podman exec can go on after its controller was killed)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.busy():
                return True
            time.sleep(0.5)
        return False


def start_container(name: str) -> Container:
    # CAP_SYS_PTRACE, as root has on a real host: dialin_session reads which processes have the line
    # open (/proc/PID/fd of another user's process needs it).
    podman("run", "-d", "--name", name, "--hostname", name, "--systemd=always", "--stop-timeout=2",
           "--cap-add", "SYS_PTRACE", IMAGE, "/sbin/init", timeout=180)
    ctr = Container(name)
    ctr.wait_running()
    ctr.sh(f"mkdir -p {TEST_LIB}")
    for f in ("modememu.py", "caller.py"):
        podman("cp", str(ROOT / "tests/modem" / f), f"{name}:{TEST_LIB}/{f}")
    ctr.sh(f"chmod 0755 {TEST_LIB}/*.py")
    ctr.start_modem()
    return ctr


def remove_container(ctr: Container) -> None:
    if os.environ.get("FAULTS_KEEP") == "1":
        STATS["notes"].append(f"container {ctr.name} kept (FAULTS_KEEP=1)")
    else:
        podman("rm", "-f", "-t", "0", ctr.name, check=False, timeout=120)


# --------------------------------------------------------------------------- snapshots

# Everything the collection touches, as Molecule's snapshot (molecule/shared/snapshot.sh) does and
# more: every entry of /etc and /home (dotfiles included) with type, mode, owner, group, link
# target and content hash; the binaries it restricts (the real file's mode, through the link);
# the port and the /dev link (owner and mode of what they name, and the link's target); the
# dpkg-statoverride table.
SNAPSHOT_SCRIPT = r"""
set -o pipefail
find /etc /home -xdev -printf '%p\t%y %m %u %g %l\n' | sort > /tmp/.dialin-snap.meta
find /etc /home -xdev -type f -print0 | sort -z | xargs -0 -r sha256sum | sed 's/^\([0-9a-f]*\)  /\1\t/' \
  > /tmp/.dialin-snap.sha
awk -F'\t' 'NR == FNR { sha[$2] = $1; next } { print $1 "\t" $2 (($1 in sha) ? " " sha[$1] : "") }' \
  /tmp/.dialin-snap.sha /tmp/.dialin-snap.meta
rm -f /tmp/.dialin-snap.meta /tmp/.dialin-snap.sha
for f in /usr/sbin/pppd /usr/sbin/callback /usr/local/lib/dialin-callback/callback-gate /sbin/mgetty /dev/ttyS1 /dev/modem; do
  if [ -e "$f" ] || [ -L "$f" ]; then
    printf '%s\t%s -> %s\n' "$f" "$(stat -c '%F %a %U %G' "$f")" "$(stat -L -c '%F %a %U %G' "$f" 2>&1) $(readlink "$f")"
  fi
done
printf 'dpkg-statoverride\t%s\n' "$(dpkg-statoverride --list | sort | tr '\n' ';')"
"""

# Entries that change by themselves, whatever the collection does: podman writes /etc/hosts,
# /etc/hostname and /etc/resolv.conf at each container start.
VOLATILE = re.compile(r"^(/etc/ld\.so\.cache|/etc/\.pwd\.lock|/etc/machine-id|/etc/hosts|/etc/hostname|"
                      r"/etc/resolv\.conf)$")
# Ansible's backup copies (backup: true): <file>.<pid>.<date>@<time>~
BACKUP = re.compile(r"^(?P<base>/.+)\.\d+\.\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d~$")

# Account databases: changed one account per call (ansible.builtin.user loops over the accounts),
# compared line by line, not as whole files.
ACCOUNT_FILES = ("/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow",
                 "/etc/passwd-", "/etc/shadow-", "/etc/group-", "/etc/gshadow-", "/etc/subuid", "/etc/subgid",
                 "/etc/subuid-", "/etc/subgid-")


def snapshot(ctr: Container) -> dict[str, str]:
    return parse_snapshot(ctr.sh(SNAPSHOT_SCRIPT).stdout)


def parse_snapshot(out: str) -> dict[str, str]:
    snap = {}
    for line in out.splitlines():
        path, _tab, rest = line.partition("\t")
        if not VOLATILE.match(path):
            snap[path] = rest
    return snap


def account_lines(ctr: Container) -> dict[str, set[str]]:
    """The account databases' lines, shadow's last-change day blanked (it is today's date)."""
    files = ACCOUNT_FILES[:4]
    out = ctr.sh("for f in " + " ".join(files) + "; do sed \"s|^|$f\\t|\" $f; done").stdout
    lines: dict[str, set[str]] = {f: set() for f in files}
    for line in out.splitlines():
        path, _tab, rest = line.partition("\t")
        if path in ("/etc/shadow",):
            fields = rest.split(":")
            if len(fields) > 2:
                fields[2] = "*"
            rest = ":".join(fields)
        lines[path].add(rest)
    return lines


def diff_snapshots(before: dict, after: dict) -> list[str]:
    diffs = []
    for path in sorted(set(before) | set(after)):
        b, a = before.get(path, "<absent>"), after.get(path, "<absent>")
        if b != a:
            diffs.append(f"{path}: {b} -> {a}")
    return diffs


# --------------------------------------------------------------------------- secrets


def secrets_of(*objs) -> set[str]:
    """Every ``password`` value in the given variables, at any depth."""
    found: set[str] = set()

    def walk(o):
        if isinstance(o, dict):
            for k, v in o.items():
                if k == "password" and isinstance(v, str) and v:
                    found.add(v)
                else:
                    walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)

    for o in objs:
        walk(o)
    return found


def leaks(text: str, secret_values) -> list[str]:
    """Where a secret shows in ``text``: as is, JSON-escaped, shell-quoted, or (for secrets with
    spaces or quotes that an output may escape) by any of its words of 8 or more characters with
    letters and digits."""
    found = []
    for secret in secret_values:
        forms = {secret, json.dumps(secret)[1:-1], secret.replace('"', '\\"'), shlex.quote(secret),
                 secret.replace("'", "'\\''"), repr(secret)[1:-1]}
        forms |= {w for w in re.split(r"[\s\"'\\]+", secret)
                  if len(w) >= 8 and re.search(r"\d", w) and re.search(r"[A-Za-z]", w)}
        # Named by their first characters only: the report must not print the secret either.
        found += [f"{secret[:3]}... (as {len(f)} characters starting {f[:3]!r})" for f in sorted(forms)
                  if f and f in text]
    return sorted(set(found))


def where(text: str, secret_values) -> list[str]:
    """The task headers under which a secret's form appears."""
    tasks, current = set(), "?"
    for line in text.splitlines():
        if line.startswith(("TASK [", "RUNNING HANDLER [")):
            current = line.rstrip("* ")
        elif leaks(line, secret_values):
            tasks.add(current)
    return sorted(tasks)


def assert_no_secret(text: str, secret_values, what: str) -> None:
    STATS["secret_scanned"][0] += 1
    STATS["secret_scanned"][1] += len(text)
    found = leaks(text, secret_values)
    if found:  # pytest.fail without a traceback: an assert would print the secrets among the locals
        pytest.fail(f"secrets in {what}: {found}, under {where(text, secret_values)}", pytrace=False)


# --------------------------------------------------------------------------- ansible runs


class Run:
    def __init__(self, rc: int, output: str, argv: list[str], seconds: float):
        self.rc, self.output, self.argv, self.seconds = rc, output, argv, seconds

    @property
    def recap(self) -> dict[str, int]:
        m = re.findall(r"^\S+\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)"
                       r"\s+skipped=(\d+)\s+rescued=(\d+)\s+ignored=(\d+)", self.output, re.M)
        if not m:
            return {}
        keys = ("ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored")
        return dict(zip(keys, map(int, m[-1])))

    @property
    def failure_text(self) -> str:
        """The failure results of the run: from each fatal:/failed: line to the next TASK or RECAP."""
        chunks, grab = [], False
        for line in self.output.splitlines():
            if re.match(r"^(fatal|failed): \[", line) or line.startswith("ERROR!") or line.startswith("[ERROR]"):
                grab = True
            elif re.match(r"^(TASK|PLAY|RUNNING HANDLER|NO MORE HOSTS) ", line) or line.startswith("PLAY RECAP"):
                grab = False
            if grab:
                chunks.append(line)
        return "\n".join(chunks)

    def tail(self, n: int = 60) -> str:
        return "\n".join(self.output.splitlines()[-n:])


class Ansible:
    """ansible-playbook playbooks/site.yml against one container."""

    def __init__(self, ctr: Container, workdir: Path, base_vars: dict):
        self.ctr, self.workdir, self.base_vars = ctr, workdir / ctr.name, base_vars
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.runs = 0

    def _inventory(self, plain: bool) -> Path:
        mitogen = USE_MITOGEN and not plain
        host = {
            "ansible_connection": "mitogen_podman" if mitogen else "containers.podman.podman",
            "ansible_python_interpreter": "/usr/bin/python3",
        }
        if mitogen:
            host["ansible_host"] = self.ctr.name
        f = self.workdir / ("inventory-plain.yml" if plain else "inventory.yml")
        f.write_text(yaml.safe_dump(
            {"callback_servers": {"hosts": {self.ctr.name: host}, "vars": self.base_vars}}, sort_keys=False))
        return f

    def _env(self, plain: bool, keep_remote: bool) -> dict:
        env = dict(os.environ)
        env.update({
            "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".cache" / "collections"),
            "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_DEPRECATION_WARNINGS": "0",
            "ANSIBLE_STDOUT_CALLBACK": "default",
            "ANSIBLE_LOCAL_TEMP": str(self.workdir / "ansible-local"),
            "PYTHONUNBUFFERED": "1",
        })
        if USE_MITOGEN and not plain:
            env.update({
                "ANSIBLE_STRATEGY": "mitogen_linear",
                "ANSIBLE_STRATEGY_PLUGINS": str(_MITOGEN_DIR / "strategy"),
                "ANSIBLE_CONNECTION_PLUGINS": str(_MITOGEN_DIR / "connection"),
            })
        else:
            env["ANSIBLE_STRATEGY"] = "linear"
        if keep_remote:
            env["ANSIBLE_KEEP_REMOTE_FILES"] = "1"
        return env

    def module(self, name: str, args: dict, timeout: float = 300) -> dict:
        """One module of the collection run ad hoc on the container; its result."""
        argv = ["ansible", "-i", str(self._inventory(False)), self.ctr.name, "-m", f"dialin.callback.{name}",
                "-a", json.dumps(args), "-o"]
        proc = subprocess.run(argv, check=False, cwd=ROOT, env=self._env(False, False), capture_output=True, text=True,
                              timeout=timeout)
        head, sep, result = proc.stdout.partition(" => ")
        assert sep and proc.returncode == 0, f"{' '.join(argv)} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}"
        return json.loads(result)

    def run(self, overrides: dict | None = None, *extra: str, plain: bool = False, keep_remote: bool = False,
            on_line=None, timeout: float = RUN_TIMEOUT, playbook: str = "playbooks/site.yml") -> Run:
        """One ansible-playbook run in its own process group. ``on_line(line)`` is called for each
        output line and may act (a power cut); whatever happens, the group is killed and waited
        for at the end, and the output is searched for the secrets of these variables."""
        self.runs += 1
        argv = ["ansible-playbook", "-i", str(self._inventory(plain)), playbook]
        if overrides is not None:
            f = self.workdir / f"vars-{self.runs:03d}.json"
            f.write_text(json.dumps(overrides, indent=1))
            argv += ["-e", f"@{f}"]
        argv += list(extra)
        t0 = time.monotonic()
        proc = subprocess.Popen(argv, cwd=ROOT, env=self._env(plain, keep_remote), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, bufsize=1, start_new_session=True)
        lines: list[str] = []
        timer = threading.Timer(timeout, lambda: os.killpg(proc.pid, signal.SIGKILL))
        timer.start()
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                lines.append(line)
                if on_line is not None:
                    on_line(line)
            proc.wait()
        finally:
            timer.cancel()
            stop_group(proc)
        output = "".join(lines)
        assert_no_secret(output, secrets_of(self.base_vars, overrides, CASE_SECRETS),
                         f"the output of ansible-playbook {' '.join(argv[3:])}")
        return Run(proc.returncode, output, argv, time.monotonic() - t0)


# --------------------------------------------------------------------------- configurations


def base_vars() -> dict:
    return yaml.safe_load((ROOT / "molecule/shared/group_vars/callback_servers.yml").read_text())


# The two configurations the fault tests switch between; every file the converge writes differs
# between them (test_3_interruptions checks it). A: the molecule variables with two PPP accounts.
# B: other callback users, port options, addresses and PPP passwords, one more PPP account, and
# other mgetty, callback and ppp settings.
SECRETS_A = {"pppuser": 'A-zq7Kp1yy "quoted" secret #1', "pppdeux": "A-vm3Rt8yy it's a secret with spaces"}
SECRETS_B = {"pppuser": 'B-hx5Wd2yy "other" secret #1', "pppdeux": "B-ty9Lc4yy it's another one",
             "ppptrois": "B-qq2Jn6yy third \"one\" here"}
# Secrets of other cases (bad input): searched for in every output too.
CASE_SECRETS: list[dict] = []


def config_a() -> dict:
    return {
        "server_ppp_users": [
            {"name": "pppuser", "password": SECRETS_A["pppuser"], "addresses": ["192.168.1.2"]},
            {"name": "pppdeux", "password": SECRETS_A["pppdeux"]},
        ],
    }


def config_b() -> dict:
    port = dict(base_vars()["server_ports"][0])
    port.update({"match": 'ATTRS{serial}=="DIALIN-B"', "rings": 2, "login_time": 300,
                 "ppp_options": ["mtu 1400", "mru 1400"], "local_ip": "192.168.1.1", "remote_ip": "192.168.1.3"})
    return {
        "server_ports": [port],
        "server_callback_users": [
            {"name": "call", "number": "654321"},
            {"name": "callmom", "number": "0W5550000"},
            {"name": "callmom2", "number": "0W5550000"},
        ],
        "server_ppp_users": [
            {"name": "pppuser", "password": SECRETS_B["pppuser"], "addresses": ["192.168.1.3"]},
            {"name": "pppdeux", "password": SECRETS_B["pppdeux"]},
            {"name": "ppptrois", "password": SECRETS_B["ppptrois"]},
        ],
        "server_netmask": "255.255.255.128",
        "callback_delay": 25,
        "mgetty_restart_sec": 1,
        "mgetty_start_limit_burst": 4,
    }


def config_no_port() -> dict:
    """A without its dial-in port (the callback users then dial back on the line they called on)."""
    return dict(config_a(), server_ports=[], server_callback_users=[{"name": "call", "number": "123456"}])


CONFIGS = {"A": config_a, "B": config_b, "no-port": config_no_port}


# --------------------------------------------------------------------------- the converged host


def process_start(ctr: Container, pid) -> str:
    """A process's start time (/proc/PID/stat field 22): with the PID, it names one process."""
    out = ctr.sh(f"cat /proc/{pid}/stat 2>/dev/null", check=False).stdout
    return out.rsplit(")", 1)[-1].split()[19] if out else ""


def start_session(ctr: Container, user: str, line: str, program: str = "sleep") -> int:
    """A process running as user with line open, in the background; returns its PID. ``program``:
    a path whose name the process gets (a link to sleep), else sleep itself."""
    if program != "sleep":
        ctr.sh(f"mkdir -p {shlex.quote(os.path.dirname(program))} && ln -sfn /bin/sleep {shlex.quote(program)}")
    name = os.path.basename(program)
    script = ("import os, pwd; u = pwd.getpwnam(%r); fd = os.open(%r, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK); "
              "os.dup2(fd, 0); os.setgroups([]); os.setgid(u.pw_gid); os.setuid(u.pw_uid); "
              "os.execvp(%r, [%r, '3600'])" % (user, line, program, name))
    before = set(ctr.sh(f"pgrep -u {user} -x {name}", check=False).stdout.split())
    pid = ctr.sh(f"setsid -f python3 -c {shlex.quote(script)} </dev/null >/dev/null 2>&1; sleep 1; "
                 f"pgrep -u {user} -x {name}", check=False).stdout.split()
    pid = [p for p in pid if p not in before]
    assert len(pid) == 1, f"no session process of {user}: {pid}"
    return int(pid[0])


class Host:
    """The converging tests' container, with the state it is in: None (fresh or unknown), or the
    label of the configuration its last complete converge applied."""

    def __init__(self, ctr: Container, ansible: Ansible):
        self.ctr, self.ansible = ctr, ansible
        self.state: str | None = None
        self.refs: dict[str, dict] = {}     # label -> snapshot after a full converge
        self.accounts: dict[str, dict] = {}
        self.runs: dict[str, Run] = {}
        self.session_pid: int | None = None  # the revoked account's call during converge A1
        self.bystanders: dict[str, tuple] = {}  # name -> (PID, start time): processes A1 must not end
        self.line_mgetty: dict = {}  # PID -> start time of each mgetty before A1

    def converge(self, label: str, *extra: str, plain: bool = False, keep_remote: bool = False) -> Run:
        run = self.ansible.run(CONFIGS[label](), "--diff", *extra, plain=plain, keep_remote=keep_remote)
        self.state = None
        assert run.rc == 0, f"converge {label} failed (rc {run.rc}):\n{run.tail(80)}"
        assert self.ctr.wait_quiet(), f"Ansible still runs after the converge: {self.ctr.busy()}"
        self.state = label
        return run

    def ensure(self, label: str) -> None:
        if self.state != label:
            self.converge(label)


@pytest.fixture(scope="session")
def workdir():
    with tempfile.TemporaryDirectory(prefix="dialin-faults-") as d:
        yield Path(d)


@pytest.fixture(scope="session")
def fresh_ansible(workdir):
    """A container no converge touches: the bad-input cases of a fresh host run here."""
    ctr = start_container(f"dialin-faults-{secrets.token_hex(3)}")
    try:
        yield Ansible(ctr, workdir, base_vars())
    finally:
        remove_container(ctr)


@contextlib.contextmanager
def new_host(workdir):
    """A container of its own, never converged yet, removed after."""
    ctr = start_container(f"dialin-faults-{secrets.token_hex(3)}")
    try:
        yield Host(ctr, Ansible(ctr, workdir, base_vars()))
    finally:
        remove_container(ctr)


@pytest.fixture(scope="session")
def host(workdir):
    with new_host(workdir) as shared:
        yield shared


@pytest.fixture(scope="session")
def ansible(host):
    return host.ansible


@pytest.fixture(scope="session")
def references(host) -> Host:
    """Full converges A (-vvvv --diff), B (-vvvv --diff, the plain connection with the modules'
    files kept in the container: test_3_interruptions replays them), then A again; each state's
    snapshot and a copy of /etc and the statoverride table in /root/faults-ref/<label>.tar."""
    if "B" not in host.refs:
        for label, extra in (("A", ("-vvvv",)), ("B", ("-vvvv",)), ("A1", ())):
            conf = label[0]
            if label == "B":
                host.ctr.sh("mkdir -p /root/.ansible/tmp && ls /root/.ansible/tmp > /root/faults-tmp-before")
            if label == "A1":
                # ppptrois, which A1 revokes, is in a call: a process of the account holds ttyS1 (as pppd
                # started by the ppplogin shell does: its real user ID is the account's).
                host.session_pid = start_session(host.ctr, "ppptrois", "/dev/ttyS1")
                # Bystanders the hang-up must leave alone: what is on the line but not the call (a
                # process named callback, as the callback program waiting to dial back), and the
                # revoked account on a line that is not a dial-in line.
                host.bystanders = {
                    "a callback program on ttyS1": start_session(host.ctr, "root", "/dev/ttyS1",
                                                                 "/run/faults-bin/callback"),
                    "ppptrois on the test modem's caller line": start_session(host.ctr, "ppptrois",
                                                                              "/run/modememu/caller")}
                host.bystanders = {k: (pid, process_start(host.ctr, pid)) for k, pid in host.bystanders.items()}
                host.line_mgetty = {pid: process_start(host.ctr, pid) for pid in
                                    host.ctr.sh("pgrep -x mgetty", check=False).stdout.split()}
            host.runs[label] = host.converge(conf, *extra, plain=label == "B", keep_remote=label == "B")
            host.refs[label] = snapshot(host.ctr)
            host.accounts[label] = account_lines(host.ctr)
            host.ctr.sh(f"mkdir -p /root/faults-ref && tar -cpf /root/faults-ref/{label}.tar "
                        "/etc /home /var/lib/dpkg/statoverride 2>/dev/null")
    host.ensure("A")
    return host


# --------------------------------------------------------------------------- order


def pytest_collection_modifyitems(items):
    if os.environ.get("FAULTS_ORDER") == "shuffle":
        random.Random(SEED).shuffle(items)


# --------------------------------------------------------------------------- summary


def pytest_report_header(config):
    # First, so that a run cut short still says how to repeat its kills and cuts.
    return f"FAULTS_SEED={SEED} (the same seed repeats every random kill, cut and order)"


def pytest_terminal_summary(terminalreporter):
    tr = terminalreporter
    tr.section("dialin.callback fault tests")
    mode = "mitogen_linear + mitogen_podman" if USE_MITOGEN else "containers.podman.podman"
    tr.write_line(f"connection: {mode}; FAULTS_SEED={SEED}")
    if STATS["bad_input_tried"]:
        tr.write_line(f"bad inputs tried: {STATS['bad_input_tried']}, rejected cleanly (failed run, variable "
                      f"named, nothing changed): {len(STATS['bad_input_rejected_cleanly'])}")
    for d in STATS["bad_input_defects"]:
        tr.write_line(f"  NOT rejected cleanly: {d}")
    kills = STATS["interruptions"]
    if kills:
        landed = sum(1 for k in kills if k["landed"])
        survived = sum(1 for k in kills if k["survived"])
        tr.write_line(f"interruptions: {len(kills)} tried, {landed} landed inside a write, {survived} survived "
                      "(every managed file old or new, then converged and changed=0)")
        for k in kills:
            tr.write_line(f"  {k['text']}")
    if STATS["secret_scanned"][0]:
        tr.write_line(f"secret scan: {STATS['secret_scanned'][0]} outputs, {STATS['secret_scanned'][1]} bytes "
                      "searched for the secrets of their own variables")
    for n in STATS["notes"]:
        tr.write_line(f"note: {n}")


# --------------------------------------------------------------------------- more lines on the test modem


def start_modem_with(ctr: Container, lines: list[str], *options: str) -> None:
    """The test modem restarted with these lines (``PATH=NUMBER``) and emulator options (see
    tests/modem/modememu.py: ``--calling-party-clear``, ``--caller-id``...), same pid, log and ready
    files as ``Container.start_modem``; ``ctr.stop_modem(); ctr.start_modem()`` puts the usual two
    lines back. The mgetty on a line whose pty went away exits and is respawned on the new one."""
    ctr.stop_modem()
    args = " ".join(f"--line {shlex.quote(spec)}" for spec in lines)
    args += "".join(f" {shlex.quote(o)}" for o in options)
    ctr.sh(
        "mkdir -p /run/modememu && "
        "start-stop-daemon --start --background --make-pidfile --pidfile /run/modememu.pid "
        f"--exec /usr/bin/python3 -- {TEST_LIB}/modememu.py {args} --log /run/modememu/events.jsonl "
        "--ready /run/modememu/ready"
    )
    paths = " ".join(f"test -e {shlex.quote(spec.rpartition('=')[0])} &&" for spec in lines)
    ctr.sh(f"for i in $(seq 150); do test -e /run/modememu/ready && {paths} exit 0; sleep 0.2; done; exit 1")


@contextlib.contextmanager
def modem_lines(host: Host, lines: list[str], cleanup: str | None = None):
    """The test modem with these lines for a block of tests (``start_modem_with``); afterwards
    ``cleanup`` (a shell command) runs, the usual two lines come back and the host's state is unknown."""
    ctr = host.ctr
    start_modem_with(ctr, lines)
    try:
        yield ctr
    finally:
        if cleanup:
            ctr.sh(cleanup, check=False)
        ctr.stop_modem()
        ctr.start_modem()
        host.state = None


def modem_events(ctr: Container, since: float = 0.0) -> list[dict]:
    """The test modem's events (/run/modememu/events.jsonl) from time ``since`` (time.time()) on."""
    out = ctr.sh("cat /run/modememu/events.jsonl 2>/dev/null", check=False).stdout
    events = [json.loads(row) for row in out.splitlines() if row.strip()]
    return [e for e in events if e["t"] >= since]
