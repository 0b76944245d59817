"""Fault tests of the dialin.callback collection against one real Debian 12 systemd container.

One session-scoped podman container (``dialin-faults-<random>``) with the project's modem emulator
on /dev/ttyS1; ``ansible-playbook playbooks/site.yml`` runs against it with a generated inventory
(group ``callback_servers``, the variables of molecule/shared/group_vars/callback_servers.yml).
The container is removed at the end, even on failure (``FAULTS_KEEP=1`` keeps it for debugging).

Environment:
  FAULTS_IMAGE      image (default localhost/dialin-callback/debian12-systemd:latest)
  FAULTS_MITOGEN    1 (default when ansible_mitogen imports): mitogen_linear + mitogen_podman,
                    about 6x faster on this machine; 0: the plain containers.podman.podman connection.
  FAULTS_KEEP       1: do not remove the container at the end.
  FAULTS_SEED       seed of the random kill delays (default: random, printed in the summary).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
IMAGE = os.environ.get("FAULTS_IMAGE", "localhost/dialin-callback/debian12-systemd:latest")
TEST_LIB = "/usr/local/lib/dialin-test"
RUN_TIMEOUT = 900

try:  # Mitogen is pinned in requirements.txt; the suite falls back to the plain connection.
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
    "interruptions_survived": 0,
    "secret_scanned_bytes": 0,
    "notes": [],
}


# --------------------------------------------------------------------------- container helpers


def podman(*args: str, check: bool = True, timeout: float = 120, input: str | None = None):
    return subprocess.run(
        ["podman", *args], capture_output=True, text=True, check=check, timeout=timeout, input=input
    )


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

    def start_modem(self) -> None:
        self.sh(
            "start-stop-daemon --start --background --make-pidfile --pidfile /run/modememu.pid "
            f"--exec /usr/bin/python3 -- {TEST_LIB}/modememu.py --line /dev/ttyS1=100 "
            "--line /run/modememu/caller=200 --log /run/modememu/events.jsonl "
            "--ready /run/modememu/ready"
        )
        self.sh("for i in $(seq 150); do test -e /run/modememu/ready && test -e /dev/ttyS1 && exit 0; "
                "sleep 0.2; done; exit 1")

    def stop_modem(self) -> None:
        self.sh("start-stop-daemon --stop --retry 10 --pidfile /run/modememu.pid --remove-pidfile; "
                "rm -f /run/modememu/ready", check=False)

    def wait_quiet(self, timeout: float = 60) -> bool:
        """Wait until no Ansible module or Mitogen child runs in the container any more.

        Killing ansible-playbook on the controller does not always stop the process it started in
        the container (podman exec): a module may go on writing after the kill.
        """
        deadline = time.monotonic() + timeout
        pattern = "[A]nsiballZ|[a]nsible-tmp|[m]itogen|[a]pt-get|/usr/bin/[d]pkg|[u]seradd|[u]sermod|[c]hpasswd"
        while time.monotonic() < deadline:
            if self.sh(f"pgrep -f '{pattern}'", check=False).returncode != 0:
                return True
            time.sleep(0.5)
        return False


# --------------------------------------------------------------------------- snapshots

SNAPSHOT_SCRIPT = r"""
shopt -s nullglob
emit() {
  f=$1
  if [ -L "$f" ]; then printf '%s\tlink\t%s\n' "$f" "$(readlink "$f")"
  elif [ -f "$f" ]; then printf '%s\tfile\t%s\t%s\n' "$f" "$(stat -c '%a %U %G' "$f")" "$(sha256sum < "$f" | cut -d' ' -f1)"
  elif [ -d "$f" ]; then printf '%s\tdir\t%s\n' "$f" "$(stat -c '%a %U %G' "$f")"
  elif [ -e "$f" ]; then printf '%s\tother\t%s\n' "$f" "$(stat -c '%F %a %U %G' "$f")"
  fi
}
for f in /etc/mgetty /etc/mgetty/* /etc/ppp /etc/ppp/options /etc/ppp/options.* /etc/ppp/pap-secrets \
         /etc/ppp/chap-secrets /etc/ppp/peers /etc/ppp/peers/* /etc/ppp/ppplogin \
         /etc/udev/rules.d /etc/udev/rules.d/* /etc/sysctl.d/* /etc/inittab /etc/modules-load.d/* \
         /etc/systemd/system/mgetty@.service /etc/systemd/system/*.wants/mgetty@* \
         /etc/passwd /etc/shadow /etc/group /etc/gshadow /etc/issue.mgetty /home/*; do
  emit "$f"
done
printf 'dpkg-statoverride\tlist\t%s\n' "$(dpkg-statoverride --list 2>/dev/null | sort | tr '\n' ';')"
"""

# Files whose entries are changed one account per call (ansible.builtin.user loops over the
# accounts): compared line by line, not as whole files.
ACCOUNT_FILES = ("/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow")


def snapshot(ctr: Container) -> dict[str, str]:
    out = ctr.sh(SNAPSHOT_SCRIPT).stdout
    snap = {}
    for line in out.splitlines():
        path, rest = line.partition("\t")[::2]
        snap[path] = rest
    return snap


def account_lines(ctr: Container) -> dict[str, set[str]]:
    """The account databases' lines, shadow's last-change day blanked (it is today's date)."""
    out = ctr.sh("for f in " + " ".join(ACCOUNT_FILES) + "; do sed \"s|^|$f\\t|\" $f; done").stdout
    lines: dict[str, set[str]] = {f: set() for f in ACCOUNT_FILES}
    for line in out.splitlines():
        path, rest = line.partition("\t")[::2]
        if path.endswith("shadow") and path == "/etc/shadow":
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


# --------------------------------------------------------------------------- ansible runs


class Run:
    def __init__(self, rc: int, output: str, argv: list[str], seconds: float, killed_at: str | None = None):
        self.rc, self.output, self.argv, self.seconds, self.killed_at = rc, output, argv, seconds, killed_at

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
    """ansible-playbook playbooks/site.yml against the session container."""

    def __init__(self, ctr: Container, workdir: Path, base_vars: dict):
        self.ctr, self.workdir, self.base_vars = ctr, workdir, base_vars
        self.outputs: list[str] = []  # every run's whole output, for the secret scan
        self.inventory = workdir / "inventory.yml"
        host = {
            "ansible_connection": "mitogen_podman" if USE_MITOGEN else "containers.podman.podman",
            "ansible_python_interpreter": "/usr/bin/python3",
        }
        if USE_MITOGEN:
            host["ansible_host"] = ctr.name
        self.inventory.write_text(yaml.safe_dump(
            {"callback_servers": {"hosts": {ctr.name: host}, "vars": base_vars}}, sort_keys=False))
        self.env = dict(os.environ)
        self.env.update({
            "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".cache" / "collections"),
            "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_DEPRECATION_WARNINGS": "0",
            "ANSIBLE_STDOUT_CALLBACK": "default",
            "ANSIBLE_LOCAL_TEMP": str(workdir / "ansible-local"),
            "PYTHONUNBUFFERED": "1",
        })
        if USE_MITOGEN:
            self.env.update({
                "ANSIBLE_STRATEGY": "mitogen_linear",
                "ANSIBLE_STRATEGY_PLUGINS": str(_MITOGEN_DIR / "strategy"),
                "ANSIBLE_CONNECTION_PLUGINS": str(_MITOGEN_DIR / "connection"),
            })
        self._n = 0

    def argv(self, overrides: dict | None, extra: list[str]) -> list[str]:
        argv = ["ansible-playbook", "-i", str(self.inventory), "playbooks/site.yml"]
        if overrides is not None:
            self._n += 1
            f = self.workdir / f"vars-{self._n:03d}.json"
            f.write_text(json.dumps(overrides, indent=1))
            argv += ["-e", f"@{f}"]
        return argv + list(extra)

    def run(self, overrides: dict | None = None, *extra: str, timeout: float = RUN_TIMEOUT) -> Run:
        argv = self.argv(overrides, list(extra))
        t0 = time.monotonic()
        proc = subprocess.run(argv, cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=timeout, start_new_session=True, check=False)
        self.outputs.append(proc.stdout)
        return Run(proc.returncode, proc.stdout, argv, time.monotonic() - t0)

    def run_and_kill(self, overrides: dict, task_substring: str, delay: float, *extra: str,
                     sig_first: int = signal.SIGKILL) -> Run:
        """Start a converge and kill the whole ansible-playbook process group ``delay`` seconds after the
        first header line containing ``task_substring`` appears (not killed when it never appears)."""
        argv = self.argv(overrides, list(extra))
        t0 = time.monotonic()
        proc = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, bufsize=1, start_new_session=True)
        lines, killed_at = [], None
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if killed_at is None and (line.startswith("TASK [") or line.startswith("RUNNING HANDLER [")) \
                    and task_substring in line:
                killed_at = line.strip().rstrip("*").strip()
                time.sleep(delay)
                try:
                    if sig_first != signal.SIGKILL:
                        os.killpg(proc.pid, sig_first)
                        time.sleep(0.3)
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                break
            if time.monotonic() - t0 > RUN_TIMEOUT:
                os.killpg(proc.pid, signal.SIGKILL)
                break
        try:
            rest = proc.communicate(timeout=60)[0]
            lines.append(rest or "")
        except subprocess.TimeoutExpired:
            proc.kill()
        output = "".join(lines)
        self.outputs.append(output)
        return Run(proc.returncode, output, argv, time.monotonic() - t0, killed_at)


# --------------------------------------------------------------------------- fixtures


def _base_vars() -> dict:
    return yaml.safe_load((ROOT / "molecule/shared/group_vars/callback_servers.yml").read_text())


@pytest.fixture(scope="session")
def container():
    name = f"dialin-faults-{secrets.token_hex(3)}"
    podman("run", "-d", "--name", name, "--hostname", name, "--systemd=always", "--stop-timeout=2",
           IMAGE, "/sbin/init", timeout=180)
    ctr = Container(name)
    try:
        ctr.sh("for i in $(seq 100); do s=$(systemctl is-system-running 2>/dev/null); "
               "case $s in running|degraded) exit 0;; esac; sleep 0.3; done; exit 0", timeout=60)
        ctr.sh(f"mkdir -p {TEST_LIB}")
        for f in ("modememu.py", "caller.py"):
            podman("cp", str(ROOT / "tests/modem" / f), f"{name}:{TEST_LIB}/{f}")
        ctr.sh(f"chmod 0755 {TEST_LIB}/*.py")
        ctr.start_modem()
        yield ctr
    finally:
        if os.environ.get("FAULTS_KEEP") != "1":
            podman("rm", "-f", "-t", "0", name, check=False, timeout=120)
        else:
            STATS["notes"].append(f"container {name} kept (FAULTS_KEEP=1)")


@pytest.fixture(scope="session")
def workdir():
    with tempfile.TemporaryDirectory(prefix="dialin-faults-") as d:
        yield Path(d)


@pytest.fixture(scope="session")
def ansible(container, workdir):
    return Ansible(container, workdir, _base_vars())


# The two configurations the fault tests switch between. A is the molecule variables with two PPP
# accounts; B changes the callback users (two of them share one number, which is allowed), the port
# options, the PPP passwords, adds a PPP account, and changes callback.config and the mgetty unit.
SECRETS_A = {"pppuser": 'A-zq7Kp1 "quoted" secret #1', "pppdeux": "A-vm3Rt8 it's a secret with spaces"}
SECRETS_B = {"pppuser": 'B-hx5Wd2 "other" secret #1', "pppdeux": "B-ty9Lc4 it's another one",
             "ppptrois": "B-qq2Jn6 third \"one\" here"}
# Unique tokens of each secret, found even when the output escapes the quotes or spaces.
SECRET_TOKENS = [s.split()[0] for s in list(SECRETS_A.values()) + list(SECRETS_B.values())]


def config_a() -> dict:
    return {
        "server_ppp_users": [
            {"name": "pppuser", "password": SECRETS_A["pppuser"], "addresses": ["192.168.1.2"]},
            {"name": "pppdeux", "password": SECRETS_A["pppdeux"]},
        ],
    }


def config_b() -> dict:
    base = _base_vars()
    port = dict(base["server_ports"][0])
    port.update({"rings": 2, "login_time": 300, "ppp_options": ["mtu 1400", "mru 1400"],
                 "local_ip": "192.168.1.1", "remote_ip": "192.168.1.3"})
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
        "callback_delay": 25,
        "mgetty_restart_sec": 1,
    }


class States:
    """Reference snapshots of full converges: A (first, from a fresh host), B, then A again."""

    def __init__(self):
        self.snaps: dict[str, dict] = {}
        self.accounts: dict[str, dict] = {}
        self.runs: dict[str, Run] = {}
        self.converged = False


@pytest.fixture(scope="session")
def states() -> States:
    return States()


def converge(ansible: Ansible, states: States, label: str, overrides: dict, *extra: str) -> Run:
    run = ansible.run(overrides, "--diff", *extra)
    states.runs[label] = run
    assert run.rc == 0, f"converge {label} failed (rc {run.rc}):\n{run.tail(80)}"
    states.snaps[label] = snapshot(ansible.ctr)
    states.accounts[label] = account_lines(ansible.ctr)
    states.converged = True
    return run


@pytest.fixture(scope="session")
def converged_a(ansible, states) -> States:
    """The good converge: configuration A, at -vvvv with --diff (its output is scanned for secrets)."""
    if "A0" not in states.snaps:
        converge(ansible, states, "A0", config_a(), "-vvvv")
    return states


@pytest.fixture(scope="session")
def reference_states(converged_a, ansible) -> States:
    """A0, then B (new passwords, at -vvvv with --diff), then A again: every full-converge version."""
    states = converged_a
    if "B" not in states.snaps:
        converge(ansible, states, "B", config_b(), "-vvvv")
        converge(ansible, states, "A1", config_a())
    return states


# --------------------------------------------------------------------------- summary


def pytest_terminal_summary(terminalreporter):
    tr = terminalreporter
    tr.section("dialin.callback fault tests")
    mode = "mitogen_linear + mitogen_podman" if USE_MITOGEN else "containers.podman.podman"
    tr.write_line(f"connection: {mode}")
    tr.write_line(f"bad inputs tried: {STATS['bad_input_tried']}, rejected cleanly (failed run, variable "
                  f"named, files unchanged): {len(STATS['bad_input_rejected_cleanly'])}")
    for d in STATS["bad_input_defects"]:
        tr.write_line(f"  NOT rejected cleanly: {d}")
    kills = STATS["interruptions"]
    tr.write_line(f"interruptions: {len(kills)} killed runs, survived (every managed file old or new): "
                  f"{STATS['interruptions_survived']}")
    for k in kills:
        tr.write_line(f"  {k}")
    if STATS["secret_scanned_bytes"]:
        tr.write_line(f"secret scan: {STATS['secret_scanned_bytes']} bytes of ansible-playbook output searched")
    for n in STATS["notes"]:
        tr.write_line(f"note: {n}")
