"""The lines' metrics on a converged host, read by Debian's node exporter, checked by Debian's promtool,
and the check command for Nagios/Icinga (extras/check_dialin_callback.py) in each of its states.

- The mgetty role installs the program and its systemd timer (enabled, active); its service writes
  /var/lib/prometheus/node-exporter/dialin_callback.prom (root, 0644, no temporary file left).
- Debian's prometheus-node-exporter (the package's own binary, unpacked with apt-get download and
  dpkg-deb so that nothing under /etc changes) serves it over HTTP with --collector.textfile.directory;
  the scrape has the dialin_callback_* series with the line's real state (idle: line_up 1, health 0,
  the same state and call counters as the module line_status reads) and no outcome="total";
  `promtool check metrics` (Debian's prometheus package) passes on the scrape.
- The check command against the scrape: OK on the idle line; WARNING and CRITICAL when the metrics
  are older than the thresholds; CRITICAL with the line's mgetty stopped (no_mgetty, after the timer's
  service ran again); CRITICAL for a port nothing listens on and a server that does not answer in
  time, UNKNOWN with --unreachable unknown; UNKNOWN for bad arguments. One status line each, perfdata.
- A second converge, in check mode with --diff and without, changes nothing; a first converge in
  check mode on a fresh host reports the metrics' files as changed and writes nothing.
- mgetty_metrics_enabled false removes the program, the units and the file; true brings them back.
"""

from __future__ import annotations

import re
import shlex
import time

import pytest

from conftest import CONFIGS, ROOT, TEST_LIB, podman

TEXTFILE_DIR = "/var/lib/prometheus/node-exporter"
PROM = f"{TEXTFILE_DIR}/dialin_callback.prom"
UNIT = "dialin-callback-metrics"
PROGRAM = "/usr/local/lib/dialin-callback/metrics/dialin_callback_metrics.py"
CHECK = f"{TEST_LIB}/check_dialin_callback.py"
OPT = "/opt/faults-prometheus"
EXPORTER = f"{OPT}/usr/bin/prometheus-node-exporter"
PROMTOOL = f"{OPT}/usr/bin/promtool"
URL = "http://127.0.0.1:9100/metrics"
SAMPLE = re.compile(r'^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>[^}]*)\})? (?P<value>\S+)$')
STATUS = re.compile(r"^DIALIN_CALLBACK (OK|WARNING|CRITICAL|UNKNOWN) - [^|\n]+( \| [^\n]+)?\n$")


def samples(text: str) -> dict:
    """{(name, ((label, value), ...)): value} of the dialin_callback_* samples of a scrape."""
    out = {}
    for line in text.splitlines():
        m = SAMPLE.match(line)
        if m and m.group("name").startswith("dialin_callback_"):
            labels = tuple(sorted(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group("labels") or "")))
            out[(m.group("name"), labels)] = float(m.group("value"))
    return out


def task_block(output: str, task: str) -> str:
    """The output of the mgetty role's task ``task``: from its header to the next task's (diffs included)."""
    m = re.search(rf"^TASK \[dialin\.callback\.mgetty : {re.escape(task)}\] \*+\n(.*?)(?=^TASK \[|^RUNNING HANDLER|^PLAY RECAP)",
                  output, re.M | re.S)
    assert m, f"no task {task!r} in the run"
    return m.group(1)


def wait_idle(host):
    deadline = time.monotonic() + 120
    while True:
        state = host.ansible.module("line_status", {"ports": ["ttyS1"], "since": "1m", "syslog_source": "none"})
        if state["lines"][0]["state"] == "idle":
            return state
        assert time.monotonic() < deadline, state["lines"]
        time.sleep(2)


def unpack(ctr, package: str) -> None:
    """Debian's package, unpacked under OPT (apt-get download + dpkg-deb -x: no service started,
    nothing written under /etc)."""
    script = (f"set -e; mkdir -p {OPT}/debs; cd {OPT}/debs; "
              f"apt-get download {package} >/dev/null 2>&1 || {{ apt-get update -qq && apt-get download {package}; }}; "
              f"dpkg-deb -x {package}_*.deb {OPT}")
    ctr.sh(script, timeout=600)


@pytest.fixture(scope="module")
def exporter(host):
    host.ensure("A")
    ctr = host.ctr
    unpack(ctr, "prometheus-node-exporter")
    unpack(ctr, "prometheus")
    podman("cp", str(ROOT / "extras/check_dialin_callback.py"), f"{ctr.name}:{CHECK}")
    ctr.sh(f"start-stop-daemon --start --background --make-pidfile --pidfile {OPT}/exporter.pid "
           f"--output {OPT}/exporter.log --exec {EXPORTER} -- --collector.disable-defaults --collector.textfile "
           f"--collector.textfile.directory={TEXTFILE_DIR} --web.listen-address=127.0.0.1:9100")
    # Until the exporter answers. The file is then written once more with the line idle: on the
    # shared host an earlier test's call may have left the timer's last file with the line between
    # two mgetty (CRITICAL until the next run of the timer).
    ctr.sh(f"for i in $(seq 100); do python3 -c 'import urllib.request; urllib.request.urlopen(\"{URL}\", timeout=1)' "
           f"2>/dev/null && exit 0; sleep 0.2; done; cat {OPT}/exporter.log; exit 1")
    wait_idle(host)
    run_timer_service(ctr)
    try:
        yield ctr
    finally:
        ctr.sh(f"start-stop-daemon --stop --retry 5 --pidfile {OPT}/exporter.pid; "
               f"start-stop-daemon --stop --retry 5 --pidfile {OPT}/silent.pid; rm -rf {OPT}", check=False)


def check_cmd(args: str = "") -> str:
    return f"python3 {CHECK} --url {URL} {args}"


def check(ctr, args: str = "") -> tuple[int, str]:
    proc = ctr.sh(check_cmd(args), check=False, timeout=60)
    assert STATUS.match(proc.stdout), f"not one status line: {proc.stdout!r} {proc.stderr!r}"
    assert proc.stderr == "", proc.stderr
    return proc.returncode, proc.stdout.rstrip("\n")


def run_timer_service(ctr) -> float:
    """The timer's service once, now; the container's time before it."""
    t0 = float(ctr.sh("date +%s.%N").stdout)
    ctr.sh(f"systemctl start {UNIT}.service", timeout=120)
    assert ctr.sh(f"systemctl show -P Result {UNIT}.service").stdout.strip() == "success"
    return t0


def scrape(ctr) -> str:
    return ctr.sh(f"python3 -c 'import urllib.request; print(urllib.request.urlopen(\"{URL}\", timeout=10)"
                  ".read().decode(), end=\"\")'").stdout


def test_the_timer_writes_the_file_node_exporter_serves_and_promtool_passes(host, exporter):
    ctr = exporter
    assert ctr.sh(f"systemctl is-enabled {UNIT}.timer").stdout.strip() == "enabled"
    assert ctr.sh(f"systemctl is-active {UNIT}.timer").stdout.strip() == "active"
    assert ctr.sh(f"stat -c '%U %a' {PROGRAM}").stdout.split() == ["root", "755"]
    wait_idle(host)
    t0 = run_timer_service(ctr)
    # The module with the timer's sources (syslog too: the gate's refusals of earlier tests' calls
    # are told from failed callbacks there).
    status = host.ansible.module("line_status", {"ports": ["ttyS1"]})
    assert ctr.sh(f"stat -c '%U %G %a' {PROM}").stdout.split() == ["root", "root", "644"]
    assert ctr.sh(f"ls -A {TEXTFILE_DIR}").stdout.split() == ["dialin_callback.prom"]

    text = scrape(ctr)
    got = samples(text)
    line = (("line", "ttyS1"),)
    assert got[("dialin_callback_line_up", line)] == 1, text
    assert got[("dialin_callback_line_health", line)] == 0, text
    states = {dict(k[1])["state"]: v for k, v in got.items() if k[0] == "dialin_callback_line_state"}
    assert states["idle"] == 1 and sum(states.values()) == 1, states
    assert {"no_mgetty", "modem_not_answering", "foreign_lock", "ppp_up"} <= set(states)
    calls = {dict(k[1])["outcome"]: v for k, v in got.items() if k[0] == "dialin_callback_calls_total"}
    assert "total" not in calls and {"ppp", "callback_failed", "callback_refused"} <= set(calls), calls
    assert 'outcome="total"' not in text
    # The same counters as the module reads (one implementation).
    assert calls == {o: float(n) for o, n in status["lines"][0]["calls_total"].items()}
    stamp = got[("dialin_callback_textfile_last_update_timestamp_seconds", ())]
    assert t0 <= stamp <= t0 + 60, (t0, stamp)
    assert "# TYPE dialin_callback_calls_total counter" in text
    # node exporter read the file without an error.
    assert re.search(r"^node_textfile_scrape_error 0$", text, re.M), text
    assert re.search(r'^node_textfile_mtime_seconds\{file="[^"]*dialin_callback\.prom"\} ', text, re.M), text

    proc = podman("exec", "-i", ctr.name, PROMTOOL, "check", "metrics", input=text, check=False)
    assert proc.returncode == 0 and proc.stdout.strip() == "", (proc.stdout, proc.stderr)


def test_the_check_command_is_ok_on_an_idle_line(host, exporter):
    ctr = exporter
    wait_idle(host)
    run_timer_service(ctr)
    rc, out = check(ctr)
    assert rc == 0, out
    assert re.match(r"^DIALIN_CALLBACK OK - ttyS1 idle; metrics \d+ s old \| lines=1;;;0 lines_up=1;;;0;1 "
                    r"metrics_age=\d+(\.\d)?s;180;600;0 ttyS1_health=0;1;2;0;2 ttyS1_calls=\d+c;;;0$", out), out


def test_old_metrics_are_a_warning_then_critical(host, exporter):
    ctr = exporter
    run_timer_service(ctr)
    time.sleep(3)
    rc, out = check(ctr, "--warning-age 2 --critical-age 3600")
    assert rc == 1, out
    assert re.match(r"^DIALIN_CALLBACK WARNING - ttyS1 idle; metrics \d+ s old \(warning at 2 s: is the metrics "
                    r"timer running\?\) \| .*metrics_age=\d+(\.\d)?s;2;3600;0 ", out), out
    rc, out = check(ctr, "--warning-age 1 --critical-age 2")
    assert rc == 2, out
    assert "(critical at 2 s: is the metrics timer running?)" in out and " | lines=1;;;0 " in out, out


def test_a_line_without_mgetty_is_critical(host, exporter):
    ctr = exporter
    wait_idle(host)
    host.state = None
    try:
        ctr.sh("systemctl stop mgetty@ttyS1.service")
        run_timer_service(ctr)
        got = samples(scrape(ctr))
        assert got[("dialin_callback_line_up", (("line", "ttyS1"),))] == 0
        assert got[("dialin_callback_line_health", (("line", "ttyS1"),))] == 2
        assert got[("dialin_callback_line_state", (("line", "ttyS1"), ("state", "no_mgetty")))] == 1
        rc, out = check(ctr)
        assert rc == 2, out
        assert re.match(r"^DIALIN_CALLBACK CRITICAL - ttyS1 no_mgetty \(CRITICAL\); metrics \d+ s old \| "
                        r"lines=1;;;0 lines_up=0;;;0;1 .* ttyS1_health=2;1;2;0;2 ", out), out
    finally:
        ctr.sh("systemctl start mgetty@ttyS1.service", check=False)
    wait_idle(host)
    host.state = "A"
    run_timer_service(ctr)
    assert check(ctr)[0] == 0


def test_an_unreachable_exporter_is_critical_or_unknown_as_asked(host, exporter):
    ctr = exporter
    # Nothing listens on port 9.
    proc = ctr.sh(f"python3 {CHECK} --url http://127.0.0.1:9/metrics", check=False)
    assert (proc.returncode, proc.stdout) == (
        2, "DIALIN_CALLBACK CRITICAL - cannot read the metrics: http://127.0.0.1:9/metrics: Connection refused\n")
    proc = ctr.sh(f"python3 {CHECK} --url http://127.0.0.1:9/metrics --unreachable unknown", check=False)
    assert (proc.returncode, proc.stdout) == (
        3, "DIALIN_CALLBACK UNKNOWN - cannot read the metrics: http://127.0.0.1:9/metrics: Connection refused\n")
    # A server that accepts the connection and never answers: the time-out.
    server = ("import socket, time; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); "
              "s.bind(('127.0.0.1', 9101)); s.listen(5); c = s.accept(); time.sleep(60)")
    ctr.sh(f"start-stop-daemon --start --background --make-pidfile --pidfile {OPT}/silent.pid "
           f"--exec /usr/bin/python3 -- -c {shlex.quote(server)}; sleep 1")
    t0 = time.monotonic()
    proc = ctr.sh(f"python3 {CHECK} --url http://127.0.0.1:9101/metrics --timeout 2", check=False)
    assert time.monotonic() - t0 < 20
    assert proc.returncode == 2, proc.stdout
    assert proc.stdout == "DIALIN_CALLBACK CRITICAL - cannot read the metrics: http://127.0.0.1:9101/metrics: " \
                          "no answer within 2 s\n", proc.stdout
    # Bad arguments.
    proc = ctr.sh(f"python3 {CHECK} --url {URL} --warning-age 10 --critical-age 5", check=False)
    assert proc.returncode == 3 and STATUS.match(proc.stdout) and proc.stdout.startswith("DIALIN_CALLBACK UNKNOWN - ")


def test_a_second_converge_changes_nothing_in_check_mode_or_not(host, exporter):
    host.ensure("A")
    for extra in (("--check", "--diff"), ()):
        run = host.ansible.run(CONFIGS["A"](), *extra)
        assert run.rc == 0, run.failure_text or run.tail(60)
        assert run.recap["changed"] == 0, run.tail(80)
        for task in ("Install the metrics program and its systemd timer", "Enable and start the metrics timer"):
            block = task_block(run.output, task)
            assert "ok: [" in block and "changed: [" not in block and "skipping" not in block, block
        recap = run.recap
        print(f"no-op {' '.join(extra) or 'run'}: {recap['ok'] + recap['skipped']} task rounds "
              f"({recap['ok']} ok + {recap['skipped']} skipped)")


def test_a_first_converge_in_check_mode_reports_the_metrics_and_writes_nothing(fresh_ansible):
    ctr = fresh_ansible.ctr
    run = fresh_ansible.run(CONFIGS["A"](), "--check", "--diff")
    assert run.rc == 0, run.failure_text or run.tail(60)
    block = task_block(run.output, "Install the metrics program and its systemd timer")
    assert "changed: [" in block and "OnUnitActiveSec=60s" in block, block  # the timer's diff
    assert "skipping: [" in task_block(run.output, "Enable and start the metrics timer")
    gone = ctr.sh(f"ls -d /usr/local/lib/dialin-callback/metrics /etc/systemd/system/{UNIT}.timer {PROM} 2>&1",
                  check=False)
    assert gone.returncode != 0 and "No such file" in gone.stdout, gone.stdout


def test_disabled_metrics_are_removed_and_come_back(host, exporter):
    ctr = exporter
    host.ensure("A")
    host.state = None
    run = host.ansible.run(dict(CONFIGS["A"](), mgetty_metrics_enabled=False), "--diff")
    assert run.rc == 0, run.failure_text or run.tail(60)
    assert "changed: [" in task_block(run.output, "Stop and disable the metrics timer and any run of it")
    assert "changed: [" in task_block(run.output, "Remove the metrics program and its timer or cron entry")
    assert "changed: [" in task_block(run.output, "Remove the metrics file and the run lock")
    left = ctr.sh(f"ls -d /usr/local/lib/dialin-callback/metrics /etc/systemd/system/{UNIT}.service "
                  f"/etc/systemd/system/{UNIT}.timer /etc/systemd/system/timers.target.wants/{UNIT}.timer {PROM} "
                  f"/run/dialin-callback-metrics.lock 2>/dev/null",
                  check=False).stdout.split()
    assert left == [], left
    assert ctr.sh(f"systemctl is-active {UNIT}.timer", check=False).stdout.strip() != "active"
    rc, out = check(ctr)
    assert rc == 2 and "no dialin_callback metrics in the scrape" in out, out
    again = host.ansible.run(dict(CONFIGS["A"](), mgetty_metrics_enabled=False))
    assert again.rc == 0 and again.recap["changed"] == 0, again.tail(60)
    host.converge("A")
    assert ctr.sh(f"systemctl is-active {UNIT}.timer").stdout.strip() == "active"
    # The timer ran the program when it started: the file is back without a manual run.
    ctr.sh(f"for i in $(seq 50); do test -s {PROM} && exit 0; sleep 0.2; done; exit 1")
    assert check(ctr)[0] == 0
