"""Faults: another getty on the dial-in port, and a kernel console on it.

A serial-getty@ttyS1 enabled and running (as an administrator, or systemd-getty-generator for a
console=ttyS1, would leave it) must be stopped and masked by the converge, reported as changed,
with mgetty alone on the line and the next converge at changed=0. A console=ttyS1 on the kernel
command line must stop the run before anything is written, naming the port and the variable: the
container sees the host's /proc/cmdline, so the test binds a file of its own over it, in the
container's mount namespace only (nsenter from the host), and removes it after.
"""

from __future__ import annotations

import subprocess
import time

import pytest

from conftest import config_a, diff_snapshots, podman, snapshot

UNIT = "serial-getty@ttyS1.service"
# No udev in the container: dev-ttyS1.device never appears, so the stock template's BindsTo on it
# would keep the getty from starting (a drop-in cannot empty a dependency list). This copy of the
# template without it lets the getty run on the test modem's pty as it would on a real port; the
# converge must stop and mask the instance all the same.
TEMPLATE = "/etc/systemd/system/serial-getty@.service"


def agettys_on_the_port(ctr) -> str:
    """PIDs of the agettys whose terminal is the port (serial-getty's agetty names it by TTYPath, not argv)."""
    return ctr.sh("port=$(readlink -f /dev/ttyS1); for p in $(pgrep -x agetty); do "
                  "[ \"$(readlink /proc/$p/fd/0)\" = \"$port\" ] && echo $p; done; true").stdout.strip()


def changed_tasks(run) -> list[str]:
    """The TASK lines of a run followed by a changed result, with that result line."""
    found, task = [], ""
    for line in run.output.splitlines():
        if line.startswith(("TASK [", "RUNNING HANDLER [")):
            task = line
        elif line.startswith("changed:"):
            found.append(f"{task} {line}")
    return found


@pytest.fixture
def other_getty(host):
    host.ensure("A")
    ctr = host.ctr
    ctr.sh(f"sed '/^BindsTo=/d; s/^After=dev-%i\\.device /After=/' /lib/systemd/system/serial-getty@.service "
           f"> {TEMPLATE} && systemctl daemon-reload && systemctl enable --now {UNIT}")
    yield ctr
    ctr.sh(f"systemctl unmask {UNIT}; systemctl disable --now {UNIT}; rm -f {TEMPLATE}; systemctl daemon-reload",
           check=False)


def test_a_serial_getty_on_the_port_is_stopped_and_masked(host, other_getty):
    ctr = other_getty
    deadline = time.monotonic() + 30
    while not agettys_on_the_port(ctr) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert agettys_on_the_port(ctr), f"{UNIT} did not start agetty:\n" + ctr.sh(
        f"systemctl status {UNIT}", check=False).stdout
    assert ctr.sh(f"systemctl is-enabled {UNIT}", check=False).stdout.strip() == "enabled"

    run = host.converge("A")
    changed = [line for line in run.output.splitlines() if line.startswith("changed:") and UNIT in line]
    assert changed, f"the converge did not report {UNIT} as changed:\n{run.tail(80)}"
    assert ctr.sh(f"systemctl is-enabled {UNIT}", check=False).stdout.strip() == "masked"
    assert ctr.sh(f"systemctl is-active {UNIT}", check=False).stdout.strip() in ("inactive", "failed")
    assert agettys_on_the_port(ctr) == "", "agetty still runs on ttyS1"
    deadline = time.monotonic() + 30
    while ctr.sh("pgrep -x -f '/sbin/mgetty ttyS1'", check=False).returncode != 0 and time.monotonic() < deadline:
        time.sleep(0.5)
    on_line = ctr.sh("for p in /proc/[0-9]*; do "
                     "ls -l $p/fd 2>/dev/null | grep -q \"$(readlink -f /dev/ttyS1)\\$\" && cat $p/comm; done; true"
                     ).stdout.split()
    assert sorted(set(on_line) - {"python3"}) == ["mgetty"], f"programs with the port open: {on_line}"
    # As the modem role and mgetty.config set it, not as agetty left it (root:tty 0620).
    assert ctr.sh("stat -L -c '%U %G %a' /dev/ttyS1").stdout.split() == ["root", "dialout", "660"]

    again = host.converge("A")
    assert again.recap["changed"] == 0, f"second converge changed: {changed_tasks(again)}\n{again.tail(30)}"


@pytest.fixture
def console_on_the_port(host):
    host.ensure("A")
    ctr = host.ctr
    pid = podman("inspect", "-f", "{{.State.Pid}}", ctr.name).stdout.strip()
    ctr.sh("sed 's/$/ console=ttyS1,115200n8/' /proc/cmdline > /run/dialin-fake-cmdline")
    # The container's mount and PID namespaces (its /proc is its PID namespace's), root and directory.
    enter = ["nsenter", "-t", pid, "-m", "-p", "-r", "-w"]
    subprocess.run(enter + ["mount", "--bind", "/run/dialin-fake-cmdline", "/proc/cmdline"], check=True, timeout=30)
    assert "console=ttyS1," in ctr.sh("cat /proc/cmdline").stdout
    yield ctr
    subprocess.run(enter + ["umount", "/proc/cmdline"], check=False, timeout=30)
    ctr.sh("rm -f /run/dialin-fake-cmdline", check=False)
    assert "console=ttyS1," not in ctr.sh("cat /proc/cmdline").stdout


def test_a_console_on_the_port_stops_the_run(host, console_on_the_port):
    ctr = console_on_the_port
    before = snapshot(ctr)
    run = host.ansible.run(config_a(), "--diff")
    assert run.rc != 0, f"the run went on with a console on ttyS1:\n{run.tail(40)}"
    text = run.failure_text
    assert "ttyS1 is a kernel console (console=ttyS1 on /proc/cmdline)" in text, text
    # Named by the server role's variable the user set, not the mgetty role's.
    assert 'server_ports[0] ("ttyS1")' in text and "mgetty_ports" not in text, text
    assert ctr.wait_quiet(), ctr.busy()
    assert diff_snapshots(before, snapshot(ctr)) == [], "the failed run changed the host"
