"""State of a converged dial-in callback server, checked on the real container."""

import re
import shlex

import pytest

CALLER = "/usr/local/lib/dialin-test/caller.py"
CALLER_LINE = "/run/modememu/caller"
SERVER_NUMBER = "100"
LOGIN_CONFIG = "/etc/mgetty/login.config"


def entries(host):
    """login.config entry lines split into fields (comments and blank lines left out)."""
    content = host.file(LOGIN_CONFIG).content_string
    return [line.split() for line in content.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def test_login_config_is_root_0600(host):
    f = host.file(LOGIN_CONFIG)
    assert f.user == "root"
    assert f.mode == 0o600


def test_login_config_has_autoppp_line(host):
    autoppp = [e for e in entries(host) if e[0] == "/AutoPPP/"]
    assert len(autoppp) == 1
    assert autoppp[0][1:4] == ["-", "a_ppp", "/usr/sbin/pppd"]
    assert {"auth", "-chap", "+pap", "login", "nodetach"} <= set(autoppp[0][4:])
    assert "debug" not in autoppp[0]


def test_login_config_has_one_callback_line_per_user(host):
    callback = {e[0]: e[1:] for e in entries(host) if "/usr/sbin/callback" in e}
    assert callback == {
        "call": ["-", "-", "/usr/sbin/callback", "-S", "123456"],
        "callus": ["-", "-", "/usr/sbin/callback", "-l", "ttyS1", "0W5551234"],
    }


def test_callback_lines_come_before_the_catch_all(host):
    names = [e[0] for e in entries(host)]
    assert names.index("call") < names.index("*")
    assert names.index("callus") < names.index("*")
    assert names.index("/AutoPPP/") < names.index("*")


def test_callback_config(host):
    f = host.file("/etc/mgetty/callback.config")
    assert f.exists
    assert re.search(r"^delay 20$", f.content_string, re.M)
    assert re.search(r"^dial-prefix ATD$", f.content_string, re.M)


def test_callback_program_is_root_only(host):
    f = host.file("/usr/sbin/callback")
    assert (f.user, f.group, f.mode) == ("root", "root", 0o700)
    assert host.run("dpkg-statoverride --list /usr/sbin/callback").stdout.split() == [
        "root", "root", "0700", "/usr/sbin/callback"]


def test_mgetty_config_has_the_port_section(host):
    content = host.file("/etc/mgetty/mgetty.config").content_string
    section = content.split("\nport ttyS1\n", 1)[1]
    for line in ("speed 38400", "data-only yes", "toggle-dtr no", "rings 1",
                 "fido-send-emsi no", 'init-chat "" ATZ OK'):
        assert re.search("^" + re.escape(line) + "$", section, re.M), line
    assert re.search(r"^port-mode 0660$", content, re.M)


def test_udev_rule_names_the_port(host):
    rule = host.file("/etc/udev/rules.d/70-dialin-callback-modem.rules").content_string
    assert re.search(
        r'^SUBSYSTEM=="tty", KERNEL=="ttyS1", OWNER="root", GROUP="dialout", MODE="0660", '
        r'SYMLINK\+="modem", ENV\{ID_MM_DEVICE_IGNORE\}="1"$', rule, re.M)


def test_modem_link_points_at_the_port(host):
    link = host.file("/dev/modem")
    assert link.is_symlink
    assert link.linked_to == host.file("/dev/ttyS1").linked_to


def test_port_is_not_world_accessible(host):
    port = host.file(host.file("/dev/ttyS1").linked_to)
    assert port.group == "dialout"
    assert port.mode & 0o007 == 0


def test_pppd_is_setuid_for_dip_only(host):
    pppd = host.file("/usr/sbin/pppd")
    assert (pppd.user, pppd.group, pppd.mode) == ("root", "dip", 0o4754)
    assert host.run("dpkg-statoverride --list /usr/sbin/pppd").stdout.split() == [
        "root", "dip", "4754", "/usr/sbin/pppd"]


def test_pap_secrets_is_root_0600_with_the_entry(host):
    f = host.file("/etc/ppp/pap-secrets")
    assert (f.user, f.mode) == ("root", 0o600)
    lines = [line for line in f.content_string.splitlines() if line.startswith("pppuser")]
    assert lines == ['pppuser\t*\t"molecule secret #1"\t192.168.1.2']


def test_ppp_options(host):
    options = host.file("/etc/ppp/options").content_string.splitlines()
    for option in ("netmask 255.255.255.0", "proxyarp", "lock", "crtscts", "modem",
                   "lcp-echo-interval 30", "lcp-echo-failure 4"):
        assert option in options
    assert "debug" not in options
    assert "show-password" not in options
    assert "auth" not in options
    tty = host.file("/etc/ppp/options.ttyS1").content_string.splitlines()
    assert "192.168.1.1:192.168.1.2" in tty


def test_ppp_account(host):
    user = host.user("pppuser")
    assert user.shell == "/etc/ppp/ppplogin"
    assert "dip" in user.groups
    assert host.file(user.home).mode & 0o007 == 0
    shadow = host.run("getent shadow pppuser").stdout.split(":")
    assert shadow[1].startswith("$6$")
    ppplogin = host.file("/etc/ppp/ppplogin")
    assert (ppplogin.user, ppplogin.mode) == ("root", 0o755)
    assert "exec /usr/sbin/pppd call dialin-ppplogin" in ppplogin.content_string
    peer = host.file("/etc/ppp/peers/dialin-ppplogin").content_string.splitlines()
    assert "nodetach" in peer


def test_ip_forward_is_persisted(host):
    f = host.file("/etc/sysctl.d/60-dialin-callback.conf")
    assert "net.ipv4.ip_forward=1" in f.content_string.replace(" ", "")


def mgetty_pids(host):
    result = host.run("pgrep --exact --full '/sbin/mgetty ttyS1'")
    return result.stdout.split()


def test_mgetty_runs_on_the_real_port_name(host):
    assert len(mgetty_pids(host)) == 1
    # Never on the link: mgetty's callback -S finds its mgetty by the tty's real name.
    assert host.run("pgrep --full 'mgetty.*modem'").rc == 1


def test_mgetty_respawn_mechanism(host):
    if host.file("/run/systemd/system").is_directory:
        service = host.service("mgetty@ttyS1")
        assert service.is_running
        assert service.is_enabled
    else:
        inittab = host.file("/etc/inittab").content_string
        assert re.search(r"^S1:2345:respawn:/sbin/mgetty ttyS1$", inittab, re.M)


def call(host):
    """Dial the server's line from the test line and return the caller's result."""
    script = ["send", r"ATZ\r", "expect", "OK", "send", rf"ATD{SERVER_NUMBER}\r",
              "expect", "CONNECT", "expect", "login:", "send", r"+++", "expect", "OK",
              "send", r"ATH\r", "expect", "OK"]
    cmd = ["python3", CALLER, "--line", CALLER_LINE, "--timeout", "60"] + script
    return host.run(" ".join(shlex.quote(a) for a in cmd))


@pytest.mark.parametrize("attempt", [1, 2])
def test_a_call_gets_the_login_prompt(host, attempt):
    """The test plays the caller's modem; mgetty answers RING and prints login:.

    The second call proves mgetty was respawned after the first one hung up.
    """
    result = call(host)
    assert result.rc == 0, result.stdout + result.stderr
    assert "login:" in result.stdout
