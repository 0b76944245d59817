"""A port found by its udev properties (`identify`, a USB modem) on a live host: the converge writes
the rule, port-settings and the per-identity pppd options, a second converge and a check-mode run
change nothing, the tty udev gives the modem after a replug is a dial-in line for PAM (root refused
there after a callback, the PPP account only after one), mgetty answers on the port, and going back
to a plain port leaves none of it.

The container runs no udev, so the identity's link (/dev/dialin-callback/ttyS1) never appears: the
port keeps its configured name, as on a host where the modem is unplugged at the time of the run.
The replug itself is tested where udev runs (tests/usb).
"""

from __future__ import annotations

from conftest import CONFIGS, base_vars, config_a
from test_5_inventory import dial, wait_active

SERIAL = "DIALINUSB01"


def pam_account(ctr, user: str, tty: str, called_back: bool):
    """login's PAM account stage for user on tty (pamtester). With called_back, the process asking is
    the one the line's callback record names, as the callback gate writes it after a callback."""
    records = "/run/dialin-callback/called-back"
    ask = f"exec pamtester -I tty={tty} login {user} acct_mgmt"
    if called_back:
        ask = (f'mkdir -p -m 0700 {records} && s=$(cat /proc/$$/stat) && set -- ${{s##*) }} && '
               f'echo "$$ ${{20}} test" > {records}/{tty} && ' + ask)
    try:
        return ctr.sh(f"rm -f {records}/{tty}; sh -c '{ask}'", check=False)
    finally:
        ctr.sh(f"rm -f {records}/{tty}")


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
        # After a replug udev gives the modem another tty: the link made here as udev would (the
        # container runs no udev), with mgetty stopped so that no start of it reads the link. PAM on
        # that tty, through pamtester: root is refused there even after a callback, the PPP account
        # is let in only after one.
        ctr.sh("systemctl stop mgetty@ttyS1 && mkdir -p /dev/dialin-callback && "
               "ln -sfn ../ttyUSB3 /dev/dialin-callback/ttyS1")
        try:
            for user, called_back, allowed in (("root", True, False), ("pppuser", True, True),
                                               ("pppuser", False, False)):
                result = pam_account(ctr, user, "ttyUSB3", called_back)
                assert (result.returncode == 0) == allowed, (
                    f"{user} on ttyUSB3, {'after' if called_back else 'without'} a callback: login's account "
                    f"stack {'refused' if allowed else 'let it in'}:\n{result.stdout}{result.stderr}")
        finally:
            ctr.sh("rm -f /dev/dialin-callback/ttyS1 && systemctl start mgetty@ttyS1")

    finally:
        # Back to the plain port, for the other tests and to check nothing of the identity is left.
        host.converge("A")
    assert 'KERNEL=="ttyS1"' in ctr.sh("cat /etc/udev/rules.d/70-dialin-callback-modem.rules").stdout
    assert ctr.sh("test -L /etc/ppp/options.ttyS1", check=False).returncode == 1, "options.ttyS1 is still a link"
    assert ctr.sh("test -e /etc/ppp/options.identified.ttyS1", check=False).returncode == 1, \
        "options.identified.ttyS1 is left over"
    assert "# identified-port" not in ctr.sh("cat /etc/mgetty/mgetty.config").stdout
    assert ctr.sh("test -e /usr/local/lib/dialin-callback/port-settings", check=False).returncode == 1
