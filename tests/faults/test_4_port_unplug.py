"""Faults: a port that disappears (a USB modem unplugged) must not leave mgetty respawning forever.

In the container (systemd, no udev, so BindsTo is off) the start limit is what stops the loop: the
modem emulator is stopped, /dev/ttyS1 vanishes, and mgetty@ttyS1 must end "failed" once
StartLimitBurst (mgetty_start_limit_burst) starts fell within StartLimitIntervalSec, and stay there. Whether the unit stops with
its device under udev (BindsTo) cannot be seen in a container without udev: only the template's
rendering is checked here, and named so.
"""

from __future__ import annotations

import re
import time

import jinja2
import pytest
import yaml

from conftest import ROOT, STATS

UNIT = "mgetty@ttyS1.service"


def props(ctr) -> dict:
    out = ctr.sh(f"systemctl show {UNIT} -p ActiveState -p SubState -p Result -p NRestarts "
                 "-p StartLimitBurst -p StartLimitIntervalUSec -p RestartUSec -p BindsTo").stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def seconds(span: str) -> int:
    """A systemd time span as systemctl shows it ("1min", "1min 30s", "45s") in seconds."""
    units = {"h": 3600, "min": 60, "s": 1}
    total = sum(int(n) * units[u] for n, u in re.findall(r"(\d+)(h|min|s)\b", span))
    assert total > 0, f"cannot read the time span {span!r}"
    return total


@pytest.fixture
def unplugged(host):
    host.ensure("A")
    ctr = host.ctr
    yield ctr
    ctr.start_modem()
    ctr.sh(f"systemctl reset-failed {UNIT}; systemctl restart {UNIT}", check=False)


def test_unplugged_port_stops_respawning(unplugged):
    ctr = unplugged
    # A converge may just have restarted mgetty: wait for it to run before unplugging.
    deadline = time.monotonic() + 30
    while props(ctr)["ActiveState"] != "active" and time.monotonic() < deadline:
        time.sleep(0.5)
    before = props(ctr)
    assert before["ActiveState"] == "active", f"mgetty is not running before the unplug: {before}"
    burst = int(before["StartLimitBurst"])
    defaults = yaml.safe_load((ROOT / "roles/mgetty/defaults/main.yml").read_text())
    assert burst == defaults["mgetty_start_limit_burst"], f"unit StartLimitBurst {burst}"
    start_restarts = int(before["NRestarts"])
    since = ctr.sh("date '+%Y-%m-%d %H:%M:%S'").stdout.strip()
    ctr.stop_modem()
    assert ctr.sh("test -e /dev/ttyS1", check=False).returncode != 0, "/dev/ttyS1 is still there"
    deadline, seen = time.monotonic() + 120, []
    while time.monotonic() < deadline:
        p = props(ctr)
        seen.append((p["ActiveState"], p["NRestarts"]))
        if p["ActiveState"] == "failed":
            break
        time.sleep(1)
    p = props(ctr)
    restarts = int(p["NRestarts"]) - start_restarts
    journal = ctr.sh(f"journalctl -q -o short-unix -u {UNIT} --since '{since}'", check=False).stdout
    events = [(float(line.split(None, 1)[0]), line) for line in journal.splitlines() if line[:1].isdigit()]
    start_times = [t for t, line in events if "Started mgetty@ttyS1" in line]
    refusals = [t for t, line in events if "repeated too quickly" in line]
    assert refusals, f"the start limit did not stop mgetty:\n{journal[-2000:]}"
    # systemd refuses a start when StartLimitBurst starts already happened within
    # StartLimitIntervalSec: that window, before the refusal, holds at most burst starts. On a
    # loaded machine the starts are slower and more of them may happen in all before the refusal.
    interval = seconds(before["StartLimitIntervalUSec"])
    window = [t for t in start_times if refusals[0] - interval <= t <= refusals[0]]
    starts = len(start_times)
    assert len(window) <= burst, (
        f"mgetty started {len(window)} times in the {interval} s before the start limit refused it,"
        f" more than StartLimitBurst={burst}")
    # The restart that systemd schedules and then refuses counts in NRestarts too.
    assert restarts <= starts + 1, f"{restarts} restarts scheduled for {starts} starts"
    time.sleep(8)
    later = props(ctr)
    assert later["ActiveState"] == "failed" and later["NRestarts"] == p["NRestarts"], (
        f"mgetty restarted again after the start limit: {later}")
    STATS["notes"].append(f"port unplugged: mgetty started {starts} times ({restarts} restarts scheduled), "
                          f"then failed (StartLimitBurst={burst}, RestartSec {p['RestartUSec']})")


def test_unit_template_renders_bindsto_only_when_bound():
    """The rendered unit has BindsTo=dev-%i.device with mgetty_systemd_bind_device (the default)
    and not without it, and the restart limits in both. A rendering check, not udev's behaviour."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    src = (ROOT / "roles/mgetty/templates/mgetty@.service.j2").read_text()
    defaults = yaml.safe_load((ROOT / "roles/mgetty/defaults/main.yml").read_text())
    common = {k: defaults[k] for k in ("mgetty_start_limit_burst", "mgetty_restart_sec")}
    common.update({"ansible_managed": "x", "__mgetty_binary": "/sbin/mgetty"})
    bound = env.from_string(src).render(mgetty_systemd_bind_device=True, **common)
    loose = env.from_string(src).render(mgetty_systemd_bind_device=False, **common)
    assert "BindsTo=dev-%i.device" in bound
    assert "BindsTo=" not in loose
    for text in (bound, loose):
        assert f"StartLimitBurst={defaults['mgetty_start_limit_burst']}" in text
        assert f"RestartSec={defaults['mgetty_restart_sec']}" in text
        assert "StartLimitIntervalSec=" in text
    assert defaults["mgetty_systemd_bind_device"] is True
