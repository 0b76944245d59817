"""playbooks/status.yml on the rollout fleet after its calls (Molecule scenario rollout, verify).

test_rollout.py made one call per converged server (mgetty answers, the caller hangs up at the login
prompt); this module adds one on dialin-rollout-1 whose name login.config refuses, then runs the status
playbook from the controller as an operator would, and opens its HTML page in headless Chromium:
a screenshot, the DOM as the browser built it, and the browser's console (no error).
"""

import datetime
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time

import pytest

TOP = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
from conftest import BAD, GOOD
# The page's tables read as the report's unit tests read them.
sys.path.insert(0, os.path.join(TOP, "tests", "unit"))
from status_page import Page  # noqa: E402  pylint: disable=wrong-import-position
# What each converged server's line must report: the calls of this scenario, in order.
EXPECTED_OUTCOMES = {"dialin-rollout-1": ["no_login", "refused"], "dialin-rollout-3": ["no_login"]}


def podman(container, *argv, timeout=90):
    return subprocess.run(["podman", "exec", container, *argv], capture_output=True, text=True,
                          timeout=timeout, check=False)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    # A caller whose name login.config refuses (mgetty runs its refusal and hangs up).
    script = ["send", r"ATZ\r", "expect", "OK", "send", r"ATD100\r", "expect", "CONNECT", "expect", "login:",
              "send", r"intruder\r", "expect", "NO CARRIER"]
    call = podman(GOOD[0], "sh", "-c", " ".join(shlex.quote(a) for a in [
        "python3", "/usr/local/lib/dialin-test/caller.py", "--line", "/run/modememu/caller", "--timeout", "60",
        *script]))
    assert call.returncode == 0, call.stdout + call.stderr
    # The report is taken once every line's respawned mgetty waits for a call again (its log's last
    # line); before that line_status rightly says "initializing".
    deadline = time.monotonic() + 60
    for host in GOOD:
        while podman(host, "sh", "-c", "tail -n 1 /var/log/mgetty/mg_ttyS1.log | grep -q 'waiting\\.\\.\\.$'").returncode:
            assert time.monotonic() < deadline, "%s: mgetty does not wait for a call again" % host
            time.sleep(1)
    out = tmp_path_factory.mktemp("status")
    run = status_run(out)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    return {"dir": out, "stdout": run.stdout, "json": json.loads((out / "status.json").read_text())}


def status_run(out, *args, inventories=()):
    """playbooks/status.yml from the controller, as an operator runs it, its report into ``out``."""
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_STDOUT_CALLBACK="default")
    inventory = [a for i in (os.environ["MOLECULE_INVENTORY_FILE"], *inventories) for a in ("-i", str(i))]
    return subprocess.run(
        ["ansible-playbook", *inventory, "--vault-password-file", os.path.join(TOP, "tests/fleet/vault-password"),
         "dialin.callback.status", "-e", "status_dir=%s" % out, "-e", "status_json=true", "-e", "status_since=1h",
         *args],
        capture_output=True, text=True, env=env, timeout=300, check=False)


def test_the_status_playbook_changes_no_server(report):
    recap = dict(re.findall(r"(?m)^(dialin-rollout-\d)\s*: ok=\d+\s+changed=(\d+)", report["stdout"]))
    assert recap == {h: "0" for h in GOOD + [BAD]}, report["stdout"][-2000:]


def test_each_server_reports_its_line_and_calls(report):
    servers = {s["host"]: s for s in report["json"]["servers"]}
    assert sorted(servers) == sorted(GOOD + [BAD])
    # No mgetty was ever installed on the server that failed pre-flight: no port to report.
    assert servers[BAD]["ok"] and servers[BAD]["result"]["lines"] == []
    for host in GOOD:
        (line,) = servers[host]["result"]["lines"]
        assert line["line"] == "ttyS1"
        assert (line["state"], line["health"], line["healthy"]) == ("idle", "OK", True), line
        assert "mgetty_log:/var/log/mgetty/mg_ttyS1.log" in line["sources"]
        assert [c["outcome"] for c in line["calls"]] == EXPECTED_OUTCOMES[host], line["calls"]
    refused = servers[GOOD[0]]["result"]["lines"][0]["calls"][-1]
    assert (refused["login"], refused["program"], refused["callback_result"]) == ("intruder", "/bin/false", None)
    summary = report["json"]["summary"]
    assert (summary["servers"], summary["lines"], summary["lines_up"], summary["lines_down"]) == (3, 2, 2, 0)
    assert summary["calls"] == 3 and summary["failures"] == 3 and summary["callbacks"] == 0


def test_the_markdown_report_has_a_row_per_line_and_call(report):
    md = (report["dir"] / "status.md").read_text()
    for host in GOOD:
        assert len(re.findall(r"(?m)^\| %s \| ttyS1 \| idle \| OK \|" % host, md)) == 1
    # Each call's start in ISO 8601 with its UTC offset.
    iso = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d"
    assert len(re.findall(r"(?m)^\| %s \|" % iso, md)) == 3


def test_the_html_page_renders_in_chromium_without_errors(report):
    chromium = shutil.which("chromium")
    assert chromium, "chromium (Debian package) is not installed: scripts/setup installs it"
    page = report["dir"] / "status.html"
    html = page.read_text()
    # Self-contained: nothing loaded from elsewhere, and nothing run.
    assert not re.search(r"""(src|href)\s*=""", html)
    assert "<script" not in html
    shot = report["dir"] / "status.png"
    profile = report["dir"] / "chromium-profile"
    common = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=%s" % profile,
              "--enable-logging=stderr", "--v=0", "--window-size=1280,1600"]
    dom = subprocess.run(common + ["--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120,
                         check=False)
    assert dom.returncode == 0, dom.stderr[-2000:]
    shot_run = subprocess.run(common + ["--screenshot=%s" % shot, page.as_uri()], capture_output=True, text=True,
                              timeout=120, check=False)
    assert shot_run.returncode == 0, shot_run.stderr[-2000:]
    # The console: Chromium logs page errors as CONSOLE lines ("Uncaught ...") on stderr.
    errors = [ln for ln in (dom.stderr + shot_run.stderr).splitlines()
              if "CONSOLE" in ln or "Uncaught" in ln or "SyntaxError" in ln]
    assert not errors, errors
    # The DOM as Chromium built it: the lines, each server's calls, the fleet's figures and the timeline.
    built = Page(dom.stdout)
    lines = built.rows("Lines")
    # All OK: by server (the one that failed pre-flight has no dial-in port).
    assert [(r["server"], r["line"], r["state"], r["health"]) for r in lines] == [
        (GOOD[0], "ttyS1", "idle", "OK"), (BAD, "", "no dial-in port", "OK"), (GOOD[1], "ttyS1", "idle", "OK")], lines
    servers = {s["host"]: s for s in report["json"]["servers"]}
    for host in GOOD:
        calls = built.rows("%s ttyS1" % host)
        assert [c["outcome"] for c in calls] == EXPECTED_OUTCOMES[host]
        want = servers[host]["result"]["lines"][0]["calls"]
        for row, call in zip(calls, want):
            # The same moment as line_status's seconds since the epoch, in ISO 8601 with the offset.
            assert datetime.datetime.fromisoformat(row["start"]).timestamp() == call["start"]
            assert (row["login"], row["callback leg"], row["PPP session"]) == (call["login"] or "", "", "")
    (fleet,) = built.rows("Fleet")
    assert (fleet["servers"], fleet["lines"], fleet["calls"], fleet["unknown logins"], fleet["callbacks dialled"]) == \
        ("3", "2", "3", "1", "0")
    assert len(re.findall(r"<rect class=\"(?:no_login|refused)\"", dom.stdout)) == 3
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10000
    # Kept for a look after the run: Molecule's ephemeral directory (until destroy prunes it), and
    # DIALIN_STATUS_KEEP_DIR when set (where docs/status.md's screenshot is taken from).
    for keep in (os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY"), os.environ.get("DIALIN_STATUS_KEEP_DIR")):
        if keep:
            os.makedirs(keep, exist_ok=True)
            for name in ("status.html", "status.md", "status.json", "status.png"):
                shutil.copy(report["dir"] / name, os.path.join(keep, name))


# Log rotation (the mgetty role's logrotate.yml): the package's file, checked and not duplicated.

def test_mgetty_and_callback_logs_are_rotated_by_one_logrotate_file(good):
    host = good
    assert host.package("logrotate").is_installed
    naming = host.run("grep -l -E '^[[:space:]]*/var/log/mgetty/' /etc/logrotate.d/*").stdout.split()
    assert naming == ["/etc/logrotate.d/mgetty"]
    # logrotate itself, in debug mode (nothing rotated): it takes mgetty's log of the line, and
    # callback's log falls under the same pattern; no duplicate entry error.
    debug = host.run("logrotate --debug /etc/logrotate.conf")
    said = debug.stdout + debug.stderr
    assert debug.rc == 0, said[-2000:]
    assert "considering log /var/log/mgetty/mg_ttyS1.log" in said
    assert "rotating pattern: /var/log/mgetty/*.log" in said
    assert "duplicate" not in said


def test_under_limit_the_report_covers_the_limited_servers_only(report, tmp_path):
    """The report is written on the controller under --limit too (the controller is not among the
    limited hosts), and lists only the servers of the run."""
    run = status_run(tmp_path, "--limit", GOOD[0])
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    limited = json.loads((tmp_path / "status.json").read_text())
    assert [s["host"] for s in limited["servers"]] == [GOOD[0]]
    assert limited["summary"]["servers"] == 1 and limited["summary"]["servers_unreachable"] == 0
    assert (tmp_path / "status.html").is_file() and (tmp_path / "status.md").is_file()
    recap = dict(re.findall(r"(?m)^(\S+)\s*: ok=\d+\s+changed=(\d+)", run.stdout))
    assert recap == {GOOD[0]: "0"}, run.stdout[-2000:]


def test_an_unreachable_server_is_reported_and_fails_the_run_only_when_asked(report, tmp_path):
    """A server that cannot be reached (a container that does not exist) stays in the report as
    unreachable; the run still writes the report and exits 0, or fails after writing it with
    status_fail_on_critical=true."""
    gone = tmp_path / "gone.ini"
    gone.write_text("[callback_servers]\ndialin-rollout-gone ansible_connection=containers.podman.podman "
                    "ansible_python_interpreter=/usr/bin/python3\n")
    for fail, rc in ((False, 0), (True, 2)):
        out = tmp_path / ("fail" if fail else "report")
        run = status_run(out, "--limit", "%s,dialin-rollout-gone" % GOOD[0], "-e",
                         "status_fail_on_critical=%s" % fail, inventories=[gone])
        assert run.returncode == rc, run.stdout[-3000:] + run.stderr[-2000:]
        result = json.loads((out / "status.json").read_text())
        servers = {s["host"]: s for s in result["servers"]}
        assert sorted(servers) == sorted([GOOD[0], "dialin-rollout-gone"])
        assert servers["dialin-rollout-gone"]["ok"] is False and servers[GOOD[0]]["ok"] is True
        assert result["summary"]["servers_unreachable"] == 1 and result["summary"]["lines_down"] == 0
        failed = "server(s) unreachable or failed" in run.stdout + run.stderr
        assert failed is fail, run.stdout[-2000:] + run.stderr[-2000:]


def test_unknown_logins_above_their_threshold_make_the_line_a_warning_listed_first(report, tmp_path):
    """dialin-rollout-1 had one unknown login (the caller above): with status_warn_unknown_logins=0
    its line is WARNING in the report, named with the variable, and comes before the OK line."""
    run = status_run(tmp_path, "-e", "status_warn_unknown_logins=0")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    result = json.loads((tmp_path / "status.json").read_text())
    assert result["summary"]["lines_warning"] == 1 and result["summary"]["unknown_logins"] == 1
    assert result["summary"]["warnings"] == [
        "%s ttyS1: 1 unknown login(s), more than status_warn_unknown_logins=0" % GOOD[0]]
    lines = Page((tmp_path / "status.html").read_text()).rows("Lines")
    assert [(r["server"], r["health"]) for r in lines] == [(GOOD[0], "WARNING"), (BAD, "OK"), (GOOD[1], "OK")]
    assert lines[0]["reason"] == "1 unknown login(s), more than status_warn_unknown_logins=0"
    # A bad value stops the run naming the variable, before a report is written.
    bad = status_run(tmp_path / "bad", "-e", "status_warn_unknown_logins=some")
    assert bad.returncode == 2 and "status_warn_unknown_logins: 'some' is not a whole number" in bad.stdout + bad.stderr
    assert not (tmp_path / "bad").exists()
