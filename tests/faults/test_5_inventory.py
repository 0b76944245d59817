"""Only the inventory gets in: a removed port stops answering, a hand-written login.config line
is refused before a callback.

The converged host (configuration A) answers calls on ttyS1 through mgetty@ttyS1; the same
inventory without the port must leave no mgetty on the line, no options.ttyS1 and no mgetty.config
section, and a call to the line must ring unanswered. (The removed PPP account's revocation is in
test_2_security; its PAP login is attacked in the end-to-end test.)
"""

from __future__ import annotations

import shlex
import time

from conftest import TEST_LIB

UNIT = "mgetty@ttyS1.service"


def dial(ctr, timeout: int = 60):
    """Dial the server's line (100) from the test line and read what the caller's modem says."""
    steps = ["send", r"ATZ\r", "expect", "OK", "send", r"ATD100\r", "expect-re", "CONNECT|NO ANSWER|NO CARRIER|BUSY"]
    cmd = ["python3", f"{TEST_LIB}/caller.py", "--line", "/run/modememu/caller", "--timeout", str(timeout)] + steps
    return ctr.sh(" ".join(shlex.quote(a) for a in cmd), check=False, timeout=timeout + 30)


def wait_active(ctr, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    state = ""
    while time.monotonic() < deadline:
        state = ctr.sh(f"systemctl is-active {UNIT}", check=False).stdout.strip()
        if state == "active":
            break
        time.sleep(0.5)
    return state


PENDING_CALLBACK = "import ctypes, time; ctypes.CDLL(None).prctl(15, b'callback', 0, 0, 0); time.sleep(3600)"


def start_pending_callback(ctr, lines: str) -> int:
    """A process named callback whose command line has ``-l lines`` and a number; its PID."""
    out = ctr.sh(f"setsid -f python3 -c {shlex.quote(PENDING_CALLBACK)} -l {lines} 0W5551234 </dev/null >/dev/null 2>&1; "
                 f"sleep 0.5; pgrep -n -x callback").stdout.split()
    assert out and out[-1].isdigit(), out
    assert f"-l\0{lines}\0" in ctr.sh(f"cat /proc/{out[-1]}/cmdline").stdout
    return int(out[-1])


def test_a_removed_port_stops_answering(host):
    host.ensure("A")
    ctr = host.ctr
    ctr.start_modem()
    assert wait_active(ctr) == "active", "mgetty does not run on ttyS1 before the port is removed"
    before = dial(ctr)
    assert "CONNECT" in before.stdout, f"the line does not answer before the port is removed:\n{before.stdout}"
    # The caller hung up: let mgetty respawn before the converge.
    assert wait_active(ctr) == "active"
    # mgetty writes its PID file when it starts, and a signal that ends it leaves the file.
    pid_file = ctr.sh("cat /run/mgetty.pid.ttyS1", check=False).stdout.strip()
    assert pid_file.isdigit(), "the mgetty on ttyS1 wrote no PID file"
    # Two pending callbacks (processes named callback, waiting as callback -d does, with callback's
    # -l list): one that can dial back only on ttyS1, one that may also dial on another line.
    only_here = start_pending_callback(ctr, "ttyS1")
    also_elsewhere = start_pending_callback(ctr, "ttyS1:ttyS2")

    host.converge("no-port")
    assert ctr.sh(f"test -d /proc/{only_here}", check=False).returncode == 1, (
        "the pending callback that could dial back only on the removed port still runs")
    assert ctr.sh(f"test -d /proc/{also_elsewhere}", check=False).returncode == 0, (
        "a pending callback that may dial on another line was ended")
    ctr.sh(f"kill {also_elsewhere}", check=False)
    assert ctr.sh(f"systemctl is-enabled {UNIT}", check=False).stdout.strip() == "disabled"
    assert ctr.sh(f"systemctl is-active {UNIT}", check=False).stdout.strip() == "inactive"
    assert ctr.sh("pgrep -f 'mgetty ttyS1'", check=False).returncode == 1, "an mgetty still runs on ttyS1"
    assert ctr.sh("test -e /run/mgetty.pid.ttyS1", check=False).returncode == 1, (
        f"the stopped mgetty's PID file (PID {pid_file}) is still there")
    assert ctr.sh("test -e /etc/ppp/options.ttyS1", check=False).returncode == 1, "options.ttyS1 is still there"
    assert "port ttyS1" not in ctr.sh("cat /etc/mgetty/mgetty.config").stdout
    for record in ("dialin_callback_mgetty", "dialin_callback_ppp_server"):
        assert '"ttyS1"' not in ctr.sh(f"cat /etc/ansible/facts.d/{record}.fact").stdout

    after = dial(ctr)
    assert after.returncode == 0, f"the caller's modem said nothing:\n{after.stdout}\n{after.stderr}"
    assert "CONNECT" not in after.stdout, f"the removed port still answered:\n{after.stdout}"
    assert "NO ANSWER" in after.stdout or "NO CARRIER" in after.stdout, after.stdout


def mgetty_ran(ctr, login: str, program: str) -> bool:
    """mgetty's audit line (its log file) saying it ran *program* for the name *login*."""
    log = ctr.sh("cat /var/log/mgetty/mg_ttyS1.log", check=False).stdout
    return any(f"user='{login}'" in line and f"cmd='{program}'" in line for line in log.splitlines())


def test_a_hand_written_login_config_line_is_refused_before_a_callback(host):
    """A line somebody else wrote (fred, column -: usable before any callback) becomes Y on the
    next converge, and a caller typing fred before any callback gets login.config's refusal."""
    host.ensure("A")
    ctr = host.ctr
    ctr.sh("sed -i '/^!version 2/a fred\\t-\\t-\\t-\\t/bin/login fred' /etc/mgetty/login.config")
    assert "fred\t-\t-\t-\t/bin/login fred" in ctr.sh("cat /etc/mgetty/login.config").stdout
    try:
        host.converge("A")
        lines = [ln for ln in ctr.sh("cat /etc/mgetty/login.config").stdout.splitlines() if ln.startswith("fred")]
        assert lines == ["fred\tY\t-\t-\t/bin/login fred"], lines
        ctr.start_modem()
        assert wait_active(ctr) == "active"
        steps = ["send", r"ATZ\r", "expect", "OK", "send", r"ATD100\r", "expect", "CONNECT", "expect", "login:",
                 "send", r"fred\r", "expect", "NO CARRIER"]
        cmd = ["python3", f"{TEST_LIB}/caller.py", "--line", "/run/modememu/caller", "--timeout", "30"] + steps
        call = ctr.sh(" ".join(shlex.quote(a) for a in cmd), check=False, timeout=60)
        assert call.returncode == 0, call.stdout + call.stderr
        assert "assword:" not in call.stdout, f"fred got a password prompt:\n{call.stdout}"
        deadline = time.monotonic() + 10
        while not mgetty_ran(ctr, "fred", "/bin/false") and time.monotonic() < deadline:
            time.sleep(0.5)
        assert mgetty_ran(ctr, "fred", "/bin/false"), "no mgetty line saying it refused fred with /bin/false"
        assert not mgetty_ran(ctr, "fred", "/bin/login"), "mgetty ran /bin/login for fred"
    finally:
        ctr.sh("sed -i '/^fred/d' /etc/mgetty/login.config")
        # The next test that needs A converges again.
        host.state = None
