"""Benchmark of the collection on a fleet of podman containers (not a timed test).

For each fleet size N (default 1, 10, 30) and each connection mode (plain: the podman connection
with the linear strategy; mitogen: Mitogen's mitogen_linear strategy, which runs the same podman
transport through its own connection), on N fresh containers of the test image:

  (a) converge   first run of the collection's playbook (dialin.callback.site) on fresh hosts
  (b) no-op      the same playbook again: nothing to change
  (c) floor      a trivial 5-task playbook on the same hosts (ping, command, stat, file, slurp),
                 with become: true like the collection's plays: the same connection and the same
                 privilege escalation (with Mitogen, become starts a second interpreter on each
                 host, through sudo, and every task goes through it)
  (d) floor0     the same floor without become, for comparison
  (e) status     the status playbook (dialin.callback.status, playbooks/status.yml: read-only,
                 dialin.callback.line_status on each host, then the report written once on the
                 controller), with -e status_dir=<a folder under the logs' folder>, so nothing is
                 written into the checkout; its figure is set against the floor with become

(b) to (e) are run --repeat times (default 3), interleaved (no-op, floor, floor0, status, no-op, ...),
and each figure is the median of its runs, shown with its range: on a shared 2-core machine one
run of the same playbook on the same fleet varies by 10 % or more.

It records the wall time and the task executions per host (ok + failed, and skipped, from the
PLAY RECAP), prints a table and writes it to bench/results.md. The floor is measured in the same
run as the rest, so the figures hold as ratios on a noisy machine. Targets (2-core machine):
the 30-host no-op run with Mitogen within 4x the floor; the 30-host status run with Mitogen within
2x the floor; from 10 to 30 hosts no worse than linear.

  python3 bench/bench.py [--sizes 1 10 30] [--modes plain mitogen] [--plain-max 10] [--repeat 3]
                 [--timeout 1200] [--budget 3600] [--image IMAGE] [--out bench/results.md]
                 [--baseline DIR] [--status-playbook NAME]

--status-playbook NAME sets the status playbook (default dialin.callback.status); an empty NAME
leaves the status runs out.

--baseline DIR compares this checkout with another revision of the collection on the same fleet,
in the same run: DIR is a checkout of that revision (e.g. `git worktree add /tmp/old REV`). Each
repetition then also runs that revision's no-op (noop-baseline), interleaved with the others; both
revisions write the same files, so neither changes anything after the other's converge.

Settings of the runs (README, "Speed and Mitogen"): the project's ansible.cfg (facts not injected
as variables, vars plugins run at inventory load), forks = N (at most 30), and a collections path
with only this collection, its dependencies (galaxy.yml) and containers.podman (the plain mode's
connection), not every collection of the ansible package: Mitogen lists the installed collections
again for every task of a collection module.

Containers are named dialin-bench-<mode>-<i> and are always removed at the end (also on Ctrl-C,
SIGTERM, a timeout or an error). Each ansible-playbook run is bounded by --timeout; the whole
benchmark by --budget (sizes not started in time are reported as skipped).
Needs root, podman, the test image (tests/images/build) and, for the mitogen mode, mitogen.
"""

import argparse
import concurrent.futures
import datetime
import json
import os
import pathlib
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

import yaml

TOP = pathlib.Path(__file__).resolve().parents[1]
IMAGE = "localhost/dialin-callback/debian12-systemd:latest"
PREFIX = "dialin-bench"
TEST_LIB = "/usr/local/lib/dialin-test"
RECAP = re.compile(r"^(\S+)\s*: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)"
                   r"\s+skipped=(\d+)(?:\s+rescued=\d+\s+ignored=(\d+))?", re.M)
STATUS = "dialin.callback.status"

FLOOR = textwrap.dedent("""\
    ---
    # The floor: five trivial tasks, each a module run on every host, as root like the
    # collection's plays (become: true).
    - name: Floor
      hosts: callback_servers
      gather_facts: false
      become: true
      tasks:
        - name: Ping
          ansible.builtin.ping:
        - name: Run a command
          ansible.builtin.command: "true"
          changed_when: false
        - name: Stat a file
          ansible.builtin.stat:
            path: /etc/hostname
        - name: Ensure a directory
          ansible.builtin.file:
            path: /tmp
            state: directory
        - name: Read a file
          ansible.builtin.slurp:
            src: /etc/hostname
    """)

GROUP_VARS = textwrap.dedent("""\
    ---
    ansible_connection: podman
    ansible_python_interpreter: /usr/bin/python3
    server_ports:
      - device: ttyS1
        link: modem
        local_ip: 192.168.1.1
        remote_ip: 192.168.1.2
        toggle_dtr: false
        init_chat: '"" ATZ OK'
    server_callback_users:
      - name: call
        number: "123456"
      - name: call2
        number: "5551234"
      - name: call3
        number: "0W5550100"
        lines: [ttyS1]
    server_ppp_users:
      - name: pppuser
        password: bench-only-secret
    server_kernel_ppp_required: false
    server_mgetty_bind_device: false
    server_ip_forward_apply: false
    server_lan_interfaces: [eth0]
    """)

# The floor without privilege escalation.
FLOOR_NO_BECOME = FLOOR.replace(", as root like the\n# collection's plays (become: true).\n", ", without become.\n").replace(
    "  become: true\n", "  become: false\n")

_containers = []  # names of the containers this process started
_running = []  # the ansible-playbook process being timed


def lean_collections(workdir, checkout=TOP, name="collections"):
    """A collections path with the collection of checkout, the dependencies galaxy.yml names and the
    podman connection of the plain mode (containers.podman), nothing else."""
    root = workdir / name / "ansible_collections"
    deps = list(yaml.safe_load((TOP / "galaxy.yml").read_text()).get("dependencies") or {})
    deps.append("containers.podman")
    links = {"dialin.callback": checkout}
    for fqcn in deps:
        out = run(["ansible-galaxy", "collection", "list", fqcn, "--format", "json"], timeout=120).stdout
        found = [pathlib.Path(base) / fqcn.replace(".", "/") for base, colls in json.loads(out).items()
                 if fqcn in colls]
        if not found:
            raise RuntimeError(f"{fqcn} is not installed")
        links[fqcn] = found[0]
    for fqcn, target in links.items():
        ns, name = fqcn.split(".")
        (root / ns).mkdir(parents=True, exist_ok=True)
        link = root / ns / name
        if not link.exists():
            link.symlink_to(target)
    return str(root.parent)


def raise_inotify_limit(n):
    """Each systemd container takes several inotify instances: the default 128 stalls a 30-host fleet."""
    path = pathlib.Path("/proc/sys/fs/inotify/max_user_instances")
    want = 128 + 16 * n
    have = int(path.read_text())
    if have < want:
        path.write_text(f"{want}\n")
        log(f"fs.inotify.max_user_instances raised from {have} to {want} for {n} containers")


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def run(cmd, timeout=120, check=True, **kw):
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False, **kw)
    if check and res.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: rc {res.returncode}: {res.stderr.strip()[-500:]}")
    return res


def remove_containers():
    names = list(_containers)
    _containers.clear()
    for i in range(0, len(names), 20):
        subprocess.run(["podman", "rm", "--force", "--time", "0", *names[i:i + 20]],
                       capture_output=True, timeout=300, check=False)


def start_fleet(mode, n, image):
    names = [f"{PREFIX}-{mode}-{i}" for i in range(1, n + 1)]
    # Left over by an interrupted earlier run of this benchmark (these names only).
    subprocess.run(["podman", "rm", "--force", "--time", "0", *names], capture_output=True, check=False)
    for name in names:
        _containers.append(name)
        run(["podman", "run", "--detach", "--name", name, "--hostname", name, "--systemd=always",
             image, "/sbin/init"])

    def boot(name):
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            res = run(["podman", "exec", name, "systemctl", "is-system-running", "--wait"],
                      timeout=130, check=False)
            if res.stdout.strip():
                break
            time.sleep(1)
        else:
            raise RuntimeError(f"{name}: systemd did not finish booting")
        # The pseudo serial port: the test modem emulator owns /dev/ttyS1 (as molecule/shared/prepare.yml).
        run(["podman", "exec", name, "mkdir", "-p", TEST_LIB])
        run(["podman", "cp", str(TOP / "tests/modem/modememu.py"), f"{name}:{TEST_LIB}/modememu.py"])
        for attempt in range(3):
            run(["podman", "exec", name, "start-stop-daemon", "--start", "--oknodo", "--background",
                 "--make-pidfile", "--pidfile", "/run/modememu.pid", "--exec", "/usr/bin/python3", "--",
                 f"{TEST_LIB}/modememu.py", "--line", "/dev/ttyS1=100", "--line", "/run/modememu/caller=200",
                 "--ready", "/run/modememu/ready"], check=attempt == 2)
            if run(["podman", "exec", name, "sh", "-c",
                    "i=0; while [ ! -e /run/modememu/ready ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done;"
                    " test -e /run/modememu/ready"], check=False).returncode == 0:
                break
        else:
            raise RuntimeError(f"{name}: the modem emulator did not start")

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(boot, names))
    return names


def write_inventory(workdir, names):
    inv = workdir / "inventory"
    (inv / "group_vars").mkdir(parents=True, exist_ok=True)
    (inv / "group_vars" / "callback_servers.yml").write_text(GROUP_VARS)
    hosts = "".join(f"    {n}:\n" for n in names)
    (inv / "hosts.yml").write_text(f"---\ncallback_servers:\n  hosts:\n{hosts}callback_clients:\n  hosts: {{}}\n")
    return inv


def mitogen_strategy_dir():
    import ansible_mitogen  # pylint: disable=import-outside-toplevel
    return str(pathlib.Path(ansible_mitogen.__file__).parent / "plugins" / "strategy")


def playbook(mode, inv, play, forks, timeout, logfile, collections, extra=()):  # pylint: disable=too-many-arguments,too-many-positional-arguments
    env = dict(os.environ)
    env.update({
        "ANSIBLE_CONFIG": str(TOP / "ansible.cfg"),
        "ANSIBLE_COLLECTIONS_PATH": collections,
        "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "0",
        "ANSIBLE_FORKS": str(forks),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_DEPRECATION_WARNINGS": "0",
        "ANSIBLE_STDOUT_CALLBACK": "default",
        # A loaded 2-core machine can take more than the default 10 s to start Python in a container.
        "ANSIBLE_TIMEOUT": "120",
    })
    if mode == "mitogen":
        env["ANSIBLE_STRATEGY_PLUGINS"] = mitogen_strategy_dir()
        env["ANSIBLE_STRATEGY"] = "mitogen_linear"
    else:
        env["ANSIBLE_STRATEGY"] = "linear"
    cmd = ["ansible-playbook", "-i", str(inv), *extra, play]
    start = time.monotonic()
    with open(logfile, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=TOP,
                                start_new_session=True)
        _running.append(proc)
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            rc = "timeout"
        finally:
            _running.remove(proc)
    wall = time.monotonic() - start
    text = pathlib.Path(logfile).read_text(encoding="utf-8", errors="replace")
    rows = RECAP.findall(text)
    hosts = len(rows) or 1
    ok = sum(int(r[1]) for r in rows) / hosts
    changed = sum(int(r[2]) for r in rows) / hosts
    failed = sum(int(r[4]) + int(r[3]) for r in rows) / hosts
    skipped = sum(int(r[5]) for r in rows) / hosts
    # Failures a play ignores (ignore_errors: the status playbook's line_status) count as failed here.
    ignored = sum(int(r[6] or 0) for r in rows) / hosts
    return {"rc": rc, "wall": wall, "tasks": ok + failed, "skipped": skipped, "changed": changed,
            "failed": failed + ignored, "hosts": len(rows), "log": logfile}


def combine(runs):
    """The runs of one step as one record: the median wall time with the range, the most tasks,
    changes and failures any run had, the first bad return code."""
    walls = sorted(r["wall"] for r in runs)
    bad = [r["rc"] for r in runs if r["rc"] != 0]
    return {"rc": bad[0] if bad else 0, "wall": statistics.median(walls), "walls": walls,
            "tasks": max(r["tasks"] for r in runs), "skipped": max(r["skipped"] for r in runs),
            "changed": max(r["changed"] for r in runs), "failed": max(r["failed"] for r in runs),
            "hosts": min(r["hosts"] for r in runs), "log": runs[-1]["log"]}


def fmt(r):
    if r is None:
        return "-", "-", "-"
    bad = "" if r["rc"] == 0 and r["failed"] == 0 else f" (rc {r['rc']}, failed {r['failed']:.0f})"
    walls = r.get("walls") or [r["wall"]]
    spread = f" ({walls[0]:.1f}-{walls[-1]:.1f})" if len(walls) > 1 else ""
    return (f"{r['wall']:.1f}{spread}{bad}", f"{r['tasks']:.0f} + {r['skipped']:.0f}", f"{r['changed']:.0f}")


def table(results, sizes, modes, meta):
    lines = [
        "# Benchmark: the collection on a fleet of podman containers",
        "",
        f"Measured {meta['date']} by `bench/bench.py {meta['args']}` on {meta['host']}"
        f" ({meta['cpus']} CPUs, load average {meta['load']} at the start), ansible-core {meta['ansible']},"
        f" mitogen {meta['mitogen']}.{meta['baseline_note']} Image `{meta['image']}`. Collections path: dialin.callback, its"
        " dependencies and containers.podman only; the project's ansible.cfg (inject_facts_as_vars = False, run_vars_plugins = start);"
        " forks = hosts (at most 30).",
        "",
        "Wall times in seconds. tasks/host: task executions per host, ok (changed included) + failed,"
        " then + skipped, from the PLAY RECAP. converge: dialin.callback.site on fresh containers;"
        " no-op: the same again; floor: a trivial 5-task playbook on the same hosts, same run, with"
        " become: true like the collection's plays; floor0: the same without become;"
        " status: the status playbook (dialin.callback.status: line_status on each host, the report"
        " written once on the controller, into a temporary folder), tasks/host averaged over the hosts."
        f" no-op, floor, floor0 and status: the median of {meta['repeat']} interleaved runs, (lowest-highest);"
        " changed/host: the most in any run; ratios: of the medians."
        " plain: the podman connection, linear strategy; mitogen: `strategy: mitogen_linear`.",
        "",
        "| hosts | mode | converge s | converge tasks/host | changed/host | no-op s | no-op tasks/host"
        " | no-op changed/host | floor s | no-op / floor | floor0 s | no-op / floor0"
        " | status s | status tasks/host | status / floor |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for n in sizes:
        for mode in modes:
            r = results.get((n, mode))
            if r is None:
                continue
            if r.get("skipped"):
                lines.append(f"| {n} | {mode} | skipped: {r['skipped']} | | | | | | | | | | | | |")
                continue
            cw, ct, cc = fmt(r.get("converge"))
            nw, nt, nc = fmt(r.get("noop"))
            if r.get("noop-baseline"):
                bw, bt, bc = fmt(r["noop-baseline"])
                nw, nt, nc = f"{nw}; baseline {bw}", f"{nt}; baseline {bt}", f"{nc}; baseline {bc}"
            cells = []
            for floor in ("floor", "floor0"):
                ratio = "-"
                if r.get("noop") and r.get(floor) and r[floor]["wall"] > 0:
                    ratio = f"{r['noop']['wall'] / r[floor]['wall']:.1f}x"
                if r.get("noop-baseline") and r.get(floor) and r[floor]["wall"] > 0:
                    ratio += f"; baseline {r['noop-baseline']['wall'] / r[floor]['wall']:.1f}x"
                cells += [fmt(r.get(floor))[0], ratio]
            sw, st = fmt(r.get("status"))[:2]
            ratio = "-"
            if r.get("status") and r.get("floor") and r["floor"]["wall"] > 0:
                ratio = f"{r['status']['wall'] / r['floor']['wall']:.1f}x"
            cells += [sw, st, ratio]
            lines.append(f"| {n} | {mode} | {cw} | {ct} | {cc} | {nw} | {nt} | {nc} | " + " | ".join(cells) + " |")
    lines += ["", "## Targets", ""]
    checks = []
    for mode in modes:
        r30, r10 = results.get((30, mode)), results.get((10, mode))
        if r30 and r30.get("noop") and r30.get("floor") and mode == "mitogen":
            q = r30["noop"]["wall"] / r30["floor"]["wall"]
            checks.append(f"- 30-host no-op re-run with Mitogen within 4x the floor: {q:.1f}x,"
                          f" {'met' if q <= 4 else 'NOT met'}.")
            if r30.get("noop-baseline"):
                qb = r30["noop-baseline"]["wall"] / r30["floor"]["wall"]
                checks.append(f"- The baseline's no-op on the same fleet: {qb:.1f}x the floor;"
                              f" this checkout's no-op / the baseline's: {r30['noop']['wall'] / r30['noop-baseline']['wall']:.2f}.")
            if r30.get("floor0") and r30["floor0"]["wall"] > 0:
                q0 = r30["noop"]["wall"] / r30["floor0"]["wall"]
                checks.append(f"- The same against the floor without become (floor0): {q0:.1f}x,"
                              f" {'within' if q0 <= 4 else 'NOT within'} 4x.")
        if r30 and r30.get("status") and r30.get("floor") and r30["floor"]["wall"] > 0 and mode == "mitogen":
            q = r30["status"]["wall"] / r30["floor"]["wall"]
            checks.append(f"- 30-host status run with Mitogen within 2x the floor: {q:.1f}x,"
                          f" {'met' if q <= 2 else 'NOT met'}.")
        if r30 and r10:
            for step in ("converge", "noop", "floor", "floor0", "status"):
                a, b = r10.get(step), r30.get(step)
                if a and b and a["wall"] > 0:
                    q = b["wall"] / a["wall"]
                    checks.append(f"- {mode} {step}: 30 hosts / 10 hosts = {q:.2f}"
                                  f" (linear would be 3.00): {'no worse than linear' if q <= 3 else 'WORSE than linear'}.")
    lines += checks or ["- Not measured (needs the 10- and 30-host runs)."]
    lines += ["", "Logs of each run: " + meta["logs"], ""]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 30])
    ap.add_argument("--modes", nargs="+", default=["plain", "mitogen"], choices=["plain", "mitogen"])
    ap.add_argument("--plain-max", type=int, default=10,
                    help="largest fleet measured with the plain connection (slow: about 0.8 s of"
                         " controller CPU per task per host); 0 for no limit (default 10)")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs of the no-op and of each floor, interleaved; the table gives their median (default 3)")
    ap.add_argument("--timeout", type=int, default=1200, help="seconds per ansible-playbook run")
    ap.add_argument("--budget", type=int, default=3600, help="seconds for the whole benchmark")
    ap.add_argument("--image", default=IMAGE)
    ap.add_argument("--playbook", default="dialin.callback.site")
    ap.add_argument("--status-playbook", default=STATUS,
                    help=f"the status playbook, run with each repetition (default {STATUS}); '' for none")
    ap.add_argument("--out", default=str(TOP / "bench" / "results.md"))
    ap.add_argument("--logs", default=None, help="folder for the logs (default: a temporary folder)")
    ap.add_argument("--baseline", default=None,
                    help="a checkout of another revision whose no-op runs on the same fleet, interleaved")
    args = ap.parse_args()

    def on_signal(signum, _frame):
        log(f"signal {signum}: removing the containers")
        for proc in list(_running):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        remove_containers()
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    logs = pathlib.Path(args.logs or tempfile.mkdtemp(prefix="dialin-bench-"))
    logs.mkdir(parents=True, exist_ok=True)
    try:
        import mitogen  # pylint: disable=import-outside-toplevel
        mitogen_version = ".".join(map(str, mitogen.__version__))
    except ImportError:
        mitogen_version = "not installed"
    ansible_version = run(["ansible-playbook", "--version"]).stdout.split("\n", 1)[0]
    meta = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "args": " ".join(sys.argv[1:]) or "(defaults)",
        "host": platform.node(), "cpus": os.cpu_count(), "load": " ".join(f"{x:.1f}" for x in os.getloadavg()),
        "ansible": re.sub(r".*\[core ([^\]]+)\].*", r"\1", ansible_version), "mitogen": mitogen_version,
        "image": args.image, "logs": str(logs), "repeat": max(1, args.repeat),
        "baseline_note": "",
    }
    if args.baseline:
        base = pathlib.Path(args.baseline).resolve()
        rev = run(["git", "-C", str(base), "log", "-1", "--format=%h %s"]).stdout.strip()
        here = run(["git", "-C", str(TOP), "log", "-1", "--format=%h %s"]).stdout.strip()
        meta["baseline_note"] = (f" This checkout: {here}. Baseline (noop-baseline, its no-op on the same"
                                 f" fleet after this checkout's converge): {rev}.")
    results = {}
    collections = lean_collections(logs)
    baseline = lean_collections(logs, pathlib.Path(args.baseline).resolve(), "baseline") if args.baseline else None
    raise_inotify_limit(max(args.sizes))
    deadline = time.monotonic() + args.budget
    try:
        # Mode by mode, in the order given, each for every size; the sizes beyond --plain-max last
        # (mitogen only), so a tight --budget cuts the largest fleet first.
        pairs = [(m, n) for m in args.modes for n in args.sizes]
        pairs.sort(key=lambda p: args.plain_max > 0 and p[1] > args.plain_max)
        for mode, n in pairs:
            key = (n, mode)
            if mode == "plain" and args.plain_max and n > args.plain_max:
                results[key] = {"skipped": f"plain connection measured up to {args.plain_max} hosts (--plain-max)"}
                continue
            if time.monotonic() > deadline:
                results[key] = {"skipped": "--budget exhausted"}
                continue
            log(f"{n} hosts, {mode}: starting {n} containers")
            t0 = time.monotonic()
            names = start_fleet(mode, n, args.image)
            log(f"{n} hosts, {mode}: containers ready in {time.monotonic() - t0:.1f} s")
            work = logs / f"{n}-{mode}"
            inv = write_inventory(work, names)
            floor, floor0 = work / "floor.yml", work / "floor0.yml"
            floor.write_text(FLOOR)
            floor0.write_text(FLOOR_NO_BECOME)
            forks = max(1, min(n, 30))
            runs = {}
            each = [("noop", args.playbook), ("floor", str(floor)), ("floor0", str(floor0))]
            if baseline:
                each.insert(1, ("noop-baseline", args.playbook))
            if args.status_playbook:
                each.append(("status", args.status_playbook))
            steps = [("converge", args.playbook, "")] + [
                (step, play, f"-{k}") for k in range(1, meta["repeat"] + 1) for step, play in each]
            for step, play, suffix in steps:
                left = deadline - time.monotonic()
                if left < 30:
                    log(f"{n} hosts, {mode}: budget exhausted before {step}{suffix}")
                    break
                extra = ()
                if step == "status":
                    # The report goes into the logs' folder, one per run: nothing lands in the checkout.
                    out = work / f"status{suffix}"
                    out.mkdir(parents=True, exist_ok=True)
                    extra = ("-e", f"status_dir={out}")
                r = playbook(mode, inv, play, forks, min(args.timeout, left), work / f"{step}{suffix}.log",
                             baseline if step == "noop-baseline" else collections, extra)
                runs.setdefault(step, []).append(r)
                log(f"{n} hosts, {mode}, {step}{suffix}: {r['wall']:.1f} s, rc {r['rc']},"
                    f" {r['tasks']:.0f} tasks/host (+{r['skipped']:.0f} skipped), {r['changed']:.0f} changed/host")
            results[key] = {step: combine(rs) for step, rs in runs.items()}
            remove_containers()
            pathlib.Path(args.out).write_text(table(results, args.sizes, args.modes, meta) + "\n")
    finally:
        remove_containers()
    text = table(results, args.sizes, args.modes, meta)
    pathlib.Path(args.out).write_text(text + "\n")
    print(text)
    failed = [k for k, r in results.items() for s in ("converge", "noop", "noop-baseline", "floor", "floor0", "status")
              if isinstance(r.get(s), dict) and r[s]["rc"] != 0]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
