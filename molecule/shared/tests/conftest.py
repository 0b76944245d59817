"""The pace of the calls on the test modem's line, under init's respawn limit.

Every call on the line ends at least one session of mgetty, and the respawn mechanism starts a new
one. sysvinit's init disables an inittab line started more than 10 times within 2 minutes, for
5 minutes (init.c: MAXSPAWN 10, TESTTIME 120 s, SLEEPTIME 300 s); systemd stops restarting
mgetty@ttyS1 past StartLimitBurst starts within StartLimitIntervalSec (10 in 60 s,
roles/mgetty/templates/mgetty@.service.j2), for good. The verify's calls, one after the other, pass
that pace. So every test that calls on the line takes the ``paced_line`` fixture and says with its
``line_calls`` marker what it does there (plain calls, callbacks). Before the test the fixture
waits until the line's mgetty is idle (started and waiting for a call) and was started few enough
times in the last window that the test's own starts keep the count within the limit.

The starts are read from mgetty's own log, /var/log/mgetty/mg_ttyS1.log: each mgetty process
begins with a line "MM/DD HH:MM:SS yS1  mgetty: stable release 1.2.1". A count over the last
window (sliding) is never below what init or systemd counts (both count from the first start of
a fixed window), so waiting on it is safe for both.

The fixture only waits, before the test: it neither retries a test nor changes what the test
asserts, so a refusal that did not happen still fails the test.
"""

import json
import logging
import re
import shlex
import time

import pytest

LINE = "ttyS1"
MGETTY_LOG = f"/var/log/mgetty/mg_{LINE}.log"
# sysvinit's init.c: more than MAXSPAWN (10) starts within TESTTIME (120 s) disable the line.
SYSVINIT_LIMIT, SYSVINIT_WINDOW = 10, 120
# The mgetty starts a test causes. A plain call: its session ends, one start. A callback: the
# pseudo-login's session ends when the gate hangs up (one start), the respawned mgetty takes the
# line over from callback and runs the called-back session, whose end is another start (two in
# every measured run); one more in case that mgetty starts while callback holds the line's lock
# (mgetty.c: it then waits for the lock to go and exits, to be respawned).
STARTS_PER_CALL, STARTS_PER_CALLBACK = 1, 3
# A session's mgetty may still be hanging up when the next test starts: wait this long for the
# respawned one to be idle. sysvinit's init keeps a line it disabled down for 300 s: no wait ends that.
IDLE_TIMEOUT = 150
# Once a line stayed busy that long (a shell a test got on it that the hang-up did not end, say),
# the next tests wait this long only, and fail naming the test that found it busy.
STUCK_TIMEOUT = 15
# Log timestamps have 1 s resolution: a start is counted this much longer.
MARGIN = 2

log = logging.getLogger("paced_line")

# Run in the container: the ages (s) of the mgetty starts in its log, the log's last line, and
# whether an mgetty process runs.
STATE = r'''
import datetime, json, re, subprocess, sys, time
now = time.time()
today = datetime.datetime.now()
try:
    with open(sys.argv[1], errors="replace") as f:
        lines = f.read().splitlines()
except FileNotFoundError:
    lines = []
ages = []
for line in lines:
    m = re.match(r"(\d\d)/(\d\d) (\d\d):(\d\d):(\d\d) \S+\s+mgetty: ", line)
    if m:
        mo, d, hh, mm, ss = map(int, m.groups())
        t = datetime.datetime(today.year, mo, d, hh, mm, ss)
        if t > today + datetime.timedelta(days=1):
            t = t.replace(year=today.year - 1)
        ages.append(now - t.timestamp())
last = next((l for l in reversed(lines) if l.strip()), "")
running = subprocess.run(["pgrep", "-x", "mgetty"], stdout=subprocess.DEVNULL).returncode == 0
print(json.dumps({"ages": ages, "last": last, "running": running}))
'''


# (test, seconds waited) of each test that took paced_line: the run's summary line.
WAITS = pytest.StashKey[list]()
# The first test that found the line busy for IDLE_TIMEOUT, while it stays so.
STUCK = pytest.StashKey[str]()


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "line_calls(calls=0, callbacks=0): what a test using paced_line does on the test modem's line")
    config.stash[WAITS] = []


def systemd_timespan(text):
    """Seconds of a systemd time span as systemctl show prints it ("1min", "1min 30s", "500ms")."""
    units = {"us": 1e-6, "ms": 1e-3, "s": 1, "min": 60, "h": 3600, "d": 86400}
    seconds = 0.0
    for number, unit in re.findall(r"([0-9.]+)\s*([a-z]+)", text):
        seconds += float(number) * units[unit]
    return seconds


def respawn_limit(host):
    """(starts allowed, window in s, who counts) of the line's respawn mechanism on this host."""
    if host.file("/run/systemd/system").is_directory:
        shown = dict(line.split("=", 1) for line in host.run(
            f"systemctl show -p StartLimitBurst -p StartLimitIntervalUSec mgetty@{LINE}").stdout.split("\n") if "=" in line)
        return int(shown["StartLimitBurst"]), systemd_timespan(shown["StartLimitIntervalUSec"]), "systemd"
    return SYSVINIT_LIMIT, SYSVINIT_WINDOW, "sysvinit's init"


def line_state(host):
    result = host.run(f"python3 -c {shlex.quote(STATE)} {MGETTY_LOG}")
    assert result.rc == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def _announce(request, message):
    """A line in pytest's own output, at once (outside the captured output), and in the test's log."""
    log.warning(message)
    capture = request.config.pluginmanager.getplugin("capturemanager")
    reporter = request.config.pluginmanager.getplugin("terminalreporter")
    if capture is not None and reporter is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(message)


@pytest.fixture
def paced_line(host, request):
    """Wait until the test modem's line is idle and its mgetty's starts leave room for this test's."""
    marker = request.node.get_closest_marker("line_calls")
    if marker is None or marker.args:
        pytest.fail("a test using paced_line needs @pytest.mark.line_calls(calls=N, callbacks=N)")
    cost = (marker.kwargs.get("calls", 0) * STARTS_PER_CALL
            + marker.kwargs.get("callbacks", 0) * STARTS_PER_CALLBACK)
    limit, window, counter = respawn_limit(host)
    allowed = limit - cost
    assert allowed >= 0, f"the test alone starts mgetty {cost} times, {counter} allows {limit} in {window:.0f} s"
    began = time.monotonic()
    idle_wait = 0.0
    stuck_since = request.config.stash.get(STUCK, None)
    idle_timeout = STUCK_TIMEOUT if stuck_since else IDLE_TIMEOUT
    while True:
        # Idle: the newest mgetty logged that it waits for a call, and runs.
        idle_began = time.monotonic()
        while True:
            state = line_state(host)
            if state["running"] and state["last"].rstrip().endswith("waiting..."):
                break
            if time.monotonic() - idle_began > idle_timeout:
                request.config.stash[STUCK] = stuck_since or request.node.name
                # What holds the line: the processes that have a terminal (the line is the only one
                # a session gets in the container).
                sessions = host.run("ps -eo pid,etimes,tty,args --no-headers | awk '$3 != \"?\"'").stdout
                pytest.fail(f"the line's mgetty is not waiting for a call after {idle_timeout} s "
                            f"(running: {state['running']}; last line of {MGETTY_LOG}: {state['last']!r}); "
                            + (f"busy since the test {stuck_since}; " if stuck_since else "")
                            + f"processes on a terminal (pid, seconds, tty, command):\n{sessions or '(none)'}\n"
                            f"(or {counter} stopped respawning mgetty)")
            time.sleep(1)
        idle_wait += time.monotonic() - idle_began
        if STUCK in request.config.stash:
            del request.config.stash[STUCK]
        recent = sorted((age for age in state["ages"] if age <= window + MARGIN), reverse=True)
        if len(recent) <= allowed:
            break
        # The oldest starts that must leave the window first.
        time.sleep(window + MARGIN - recent[len(recent) - allowed - 1] + 0.5)
    waited = time.monotonic() - began
    request.config.stash[WAITS].append((request.node.nodeid, waited))
    if waited >= 1:
        _announce(request, (
            f"paced_line: waited {waited:.0f} s before {request.node.name} ({idle_wait:.0f} s for an idle "
            f"mgetty): now {len(recent)} mgetty starts in the last {window:.0f} s, the test adds up to "
            f"{cost}, {counter} allows {limit}"))


def pytest_terminal_summary(terminalreporter, config):
    waits = config.stash.get(WAITS, [])
    if waits:
        total = sum(seconds for test, seconds in waits)
        longest = max(waits, key=lambda w: w[1])
        terminalreporter.write_line(
            f"paced_line: {len(waits)} tests on the test modem's line waited {total:.0f} s in all "
            f"(longest {longest[1]:.0f} s, {longest[0].split('::')[-1]})")
