"""A port found by its udev properties (`identify`, a USB modem) on a live host: the converge writes
the rule, port-settings and the per-identity pppd options, a second converge and a check-mode run
change nothing, mgetty answers on the port, and going back to a plain port leaves none of it.

The container runs no udev, so the identity's link (/dev/dialin-callback/ttyS1) never appears: the
port keeps its configured name, as on a host where the modem is unplugged at the time of the run.
The replug itself is tested where udev runs (tests/usb).
"""

from __future__ import annotations

from conftest import CONFIGS, base_vars, config_a
from test_5_inventory import dial, wait_active

SERIAL = "DIALINUSB01"


def config_identified() -> dict:
    port = dict(base_vars()["server_ports"][0], identify={"serial": SERIAL})
    return dict(config_a(), server_ports=[port])


CONFIGS["identified"] = config_identified


def test_an_identified_port_converges_idempotently_and_answers(host):
    host.ensure("A")
    ctr = host.ctr
    try:
        host.converge("identified")
        rule = ctr.sh("cat /etc/udev/rules.d/70-dialin-callback-modem.rules").stdout
        assert f'ENV{{ID_SERIAL_SHORT}}=="{SERIAL}"' in rule, rule
        assert 'SYMLINK+="dialin-callback/ttyS1"' in rule, rule
        assert 'KERNEL=="ttyS1"' not in rule, rule
        config = ctr.sh("cat /etc/mgetty/mgetty.config").stdout.splitlines()
        assert "port ttyS1" in config
        assert config[config.index("port ttyS1") - 1] == "# identified-port ttyS1", config
        link = ctr.sh("readlink /etc/ppp/options.ttyS1", check=False).stdout.strip()
        assert link == "options.identified.ttyS1", f"options.ttyS1 is not the identity's link: {link!r}"
        assert "192.168.1.1:192.168.1.2" in ctr.sh("cat /etc/ppp/options.identified.ttyS1").stdout
        assert ctr.sh("test -x /usr/local/lib/dialin-callback/port-settings", check=False).returncode == 0

        again = host.ansible.run(config_identified(), "--diff")
        assert again.rc == 0, again.tail(60)
        assert again.recap.get("changed") == 0, f"the second converge changed something:\n{again.tail(80)}"
        check = host.ansible.run(config_identified(), "--check", "--diff")
        assert check.rc == 0, check.tail(60)
        assert check.recap.get("changed") == 0, f"check mode after the converge reports changes:\n{check.tail(80)}"

        ctr.start_modem()
        assert wait_active(ctr) == "active", "mgetty does not run on the identified port"
        answered = dial(ctr)
        assert "CONNECT" in answered.stdout, f"the identified port does not answer:\n{answered.stdout}"
    finally:
        # Back to the plain port, for the other tests and to check nothing of the identity is left.
        host.converge("A")
    assert 'KERNEL=="ttyS1"' in ctr.sh("cat /etc/udev/rules.d/70-dialin-callback-modem.rules").stdout
    assert ctr.sh("test -L /etc/ppp/options.ttyS1", check=False).returncode == 1, "options.ttyS1 is still a link"
    assert ctr.sh("test -e /etc/ppp/options.identified.ttyS1", check=False).returncode == 1, \
        "options.identified.ttyS1 is left over"
    assert "# identified-port" not in ctr.sh("cat /etc/mgetty/mgetty.config").stdout
    assert ctr.sh("test -e /usr/local/lib/dialin-callback/port-settings", check=False).returncode == 1
