"""State of a converged dial-in callback server, checked on the real container."""

import json
import os
import re
import shlex
import time

import pytest
import yaml

CALLER = "/usr/local/lib/dialin-test/caller.py"
CALLER_LINE = "/run/modememu/caller"
SERVER_NUMBER = "100"
LOGIN_CONFIG = "/etc/mgetty/login.config"
CALLBACK_GATE = "/usr/local/lib/dialin-callback/callback-gate"
# group_vars/callback_servers.yml: the rate limit and its own pseudo-login, called back on the
# caller's line.
RATE_LIMIT = 2
RATE_LIMITED_LOGIN = "calllimit"
CALLER_NUMBER = "05551234"


# The scenario's login.config: version 2 with logins only after a callback, or version 1.
CALLBACK_ONLY = os.environ.get("DIALIN_EXPECT_CALLBACK_ONLY") == "1"

# The programs' paths as the host's packages install them (the mgetty role's vars, docs/platforms.md):
# Debian 13 has merged /usr only, and util-linux's login.
PATHS_OF_RELEASE = {
    "12": {"mgetty": "/sbin/mgetty", "login": "/bin/login"},
    "13": {"mgetty": "/usr/sbin/mgetty", "login": "/usr/bin/login"},
}


def paths(host):
    """The expected program paths of the host's Debian release."""
    release = host.system_info.release.split(".")[0]
    assert release in PATHS_OF_RELEASE, f"no expected paths for Debian {release}"
    return PATHS_OF_RELEASE[release]


def entries(host):
    """login.config entries as (name, callback column, the other fields)."""
    content = host.file(LOGIN_CONFIG).content_string
    lines = [line.split() for line in content.splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    version = 2 if ["!version", "2"] in lines else 1
    return [(f[0], f[1], f[2:]) if version == 2 else (f[0], "-", f[1:])
            for f in lines if f[0] != "!version"]


def test_login_config_version(host):
    content = host.file(LOGIN_CONFIG).content_string
    assert ("!version 2" in content.splitlines()) == CALLBACK_ONLY


def test_login_config_is_root_0600(host):
    f = host.file(LOGIN_CONFIG)
    assert f.user == "root"
    assert f.mode == 0o600


def test_login_config_has_autoppp_line(host):
    autoppp = [(column, rest) for name, column, rest in entries(host) if name == "/AutoPPP/"]
    assert len(autoppp) == 1
    column, rest = autoppp[0]
    assert column == ("Y" if CALLBACK_ONLY else "-")
    assert rest[:3] == ["-", "a_ppp", "/usr/sbin/pppd"]
    assert {"auth", "-chap", "+pap", "login", "nodetach"} <= set(rest[3:])
    assert "debug" not in rest


def test_login_config_has_one_callback_line_per_user(host):
    # Each runs the rate limit's gate with the pseudo-login (mgetty's @); none runs callback directly.
    callback = {name: (column, rest) for name, column, rest in entries(host)
                if CALLBACK_GATE in rest or "/usr/sbin/callback" in rest}
    column = "N" if CALLBACK_ONLY else "-"
    assert callback == {
        "call": (column, ["-", "-", CALLBACK_GATE, "@", "-S", "123456"]),
        "callus": (column, ["-", "-", CALLBACK_GATE, "@", "-l", "ttyS1", "0W5551234"]),
        RATE_LIMITED_LOGIN: (column, ["-", "-", CALLBACK_GATE, "@", "-l", "ttyS1", "0W5551234"]),
        # test_access.py's, one per login attempt after a callback; test_caller_kit.py's, one per kit file
        # used; server-systemd's test_login_layers.py's.
        **{name: (column, ["-", "-", CALLBACK_GATE, "@", "-l", "ttyS1", "0W5551234"])
           for name in ("callroot", "calllocal", "callppp", "callkit", "callterm",
                        "calllayerroot", "calllayerlocal", "calllayerctl")},
    }


def test_login_config_fallback_lines(host):
    fallback = sorted((column, rest) for name, column, rest in entries(host) if name == "*")
    login = paths(host)["login"]
    if CALLBACK_ONLY:
        # login only after a callback; before one, every other name is refused.
        assert fallback == [("N", ["-", "-", "/bin/false"]), ("Y", ["-", "-", login, "@"])]
    else:
        assert fallback == [("-", ["-", "-", login, "@"])]
    assert host.file(login).is_file


def test_callback_lines_come_before_the_catch_all(host):
    names = [entry[0] for entry in entries(host)]
    first_wildcard = names.index("*")
    assert names.index("call") < first_wildcard
    assert names.index("callus") < first_wildcard
    assert names.index("/AutoPPP/") < first_wildcard


def test_callback_config(host):
    f = host.file("/etc/mgetty/callback.config")
    assert f.exists
    # The scenarios set callback_delay 1 and callback_delay_randomize 0.
    assert re.search(r"^delay 1$", f.content_string, re.M)
    assert re.search(r"^delay-randomize 0$", f.content_string, re.M)
    assert re.search(r"^dial-prefix ATD$", f.content_string, re.M)
    # The port's speed (server_ports), one for all lines.
    assert re.search(r"^speed 38400$", f.content_string, re.M)
    # Not callback's 600 s: a call holds the line at most about this long.
    assert re.search(r"^max-time 120$", f.content_string, re.M)


def test_callback_program_is_root_only(host):
    f = host.file("/usr/sbin/callback")
    assert (f.user, f.group, f.mode) == ("root", "root", 0o700)
    owner, group, mode, path = host.run("dpkg-statoverride --list /usr/sbin/callback").stdout.split()
    assert (owner, group, int(mode, 8), path) == ("root", "root", 0o700, "/usr/sbin/callback")


def default_init_chat():
    """The mgetty role's init chat for modem_type hayes (the scenarios set no init_chat)."""
    role_vars = os.path.join(os.path.dirname(__file__), "..", "..", "..", "roles", "mgetty", "vars", "main.yml")
    with open(role_vars) as f:
        return yaml.safe_load(f)["__mgetty_init_chats"]["hayes"]


def test_callback_gate_is_root_only(host):
    gate = host.file(CALLBACK_GATE)
    assert (gate.user, gate.group, gate.mode) == ("root", "root", 0o700)
    assert re.search(r"^LOGIN_LIMIT=2$", gate.content_string, re.M)
    assert re.search(r"^LOGIN_WINDOW=3600$", gate.content_string, re.M)
    # The budgets of a number, a line and the server: the counts the scenarios set (shared/group_vars:
    # one verify's callbacks all go to one number on one line), the default windows.
    for budget, count, window in (("NUMBER", 100, 86400), ("LINE", 100, 3600), ("SERVER", 100, 3600)):
        assert re.search(rf"^{budget}_LIMIT={count}$", gate.content_string, re.M), budget
        assert re.search(rf"^{budget}_WINDOW={window}$", gate.content_string, re.M), budget
    state = host.file("/var/lib/dialin-callback")
    assert (state.is_directory, state.user, state.mode) == (True, "root", 0o700)


def test_mgetty_config_has_the_port_section(host):
    content = host.file("/etc/mgetty/mgetty.config").content_string
    section = content.split("\nport ttyS1\n", 1)[1]
    chat = default_init_chat()
    # Hardware flow control set explicitly (&K3), DTR drop keeps the settings (&D2).
    assert "&K3" in chat and "&D2" in chat
    for line in ("speed 38400", "data-only yes", "toggle-dtr no", "rings 1",
                 "fido-send-emsi no", "init-chat " + chat):
        assert re.search("^" + re.escape(line) + "$", section, re.M), line
    assert re.search(r"^port-mode 0660$", content, re.M)


def test_udev_rule_names_the_port(host):
    rule = host.file("/etc/udev/rules.d/70-dialin-callback-modem.rules").content_string
    assert re.search(
        r'^SUBSYSTEM=="tty", KERNEL=="ttyS1", OWNER="root", GROUP="dialout", MODE="0660", '
        r'SYMLINK\+="modem", ENV\{ID_MM_DEVICE_IGNORE\}="1", '
        # udev has systemd start the port's mgetty each time the port appears (a USB replug).
        r'TAG\+="systemd", ENV\{SYSTEMD_WANTS\}\+="mgetty@%k\.service"$', rule, re.M)


def test_modem_link_points_at_the_port(host):
    link = host.file("/dev/modem")
    assert link.is_symlink
    assert link.linked_to == host.file("/dev/ttyS1").linked_to


@pytest.mark.usefixtures("paced_line")
@pytest.mark.line_calls(calls=0)
def test_port_is_not_world_accessible(host):
    # Read once the line's mgetty waits for a call: it sets the port as mgetty.config says when it
    # starts, and the tests before this one end calls after which init may still be starting it.
    port = host.file(host.file("/dev/ttyS1").linked_to)
    assert port.group == "dialout"
    assert port.mode & 0o007 == 0


def test_pppd_is_setuid_for_the_ppp_accounts_only(host):
    pppd = host.file("/usr/sbin/pppd")
    assert (pppd.user, pppd.group, pppd.mode) == ("root", "dialin-ppp", 0o4754)
    owner, group, mode, path = host.run("dpkg-statoverride --list /usr/sbin/pppd").stdout.split()
    assert (owner, group, int(mode, 8), path) == ("root", "dialin-ppp", 0o4754, "/usr/sbin/pppd")


def test_pap_secrets_is_root_0600_with_the_entry(host):
    f = host.file("/etc/ppp/pap-secrets")
    assert (f.user, f.mode) == ("root", 0o600)
    lines = [line for line in f.content_string.splitlines() if line.startswith("pppuser")]
    assert len(lines) == 1
    # The secret has spaces and a '#': quoted, as pppd reads it.
    assert re.fullmatch(r'pppuser\s+\*\s+"molecule secret #1"\s+192\.168\.1\.2', lines[0])


def test_ppp_options(host):
    options = host.file("/etc/ppp/options").content_string.splitlines()
    for option in ("netmask 255.255.255.0", "proxyarp", "lock", "crtscts", "modem",
                   "lcp-echo-interval 30", "lcp-echo-failure 4"):
        assert option in options
    assert "debug" not in options
    assert "show-password" not in options
    # Every peer authenticates, whoever starts pppd.
    assert "auth" in options
    assert not {"noauth", "allow-ip"} & {line.split()[0] for line in options if line.strip()}
    tty = host.file("/etc/ppp/options.ttyS1").content_string.splitlines()
    assert "192.168.1.1:192.168.1.2" in tty
    # The port's speed, the same as mgetty's.
    assert "38400" in tty


def test_ppp_account(host):
    user = host.user("pppuser")
    assert user.shell == "/etc/ppp/ppplogin"
    assert "dialin-ppp" in user.groups
    assert host.file(user.home).mode & 0o007 == 0
    # Only the PPP accounts may run pppd (group dialin-ppp), and they have no sudo.
    assert host.run("getent group dialin-ppp").stdout.strip().split(":")[3].split(",") == ["pppuser"]
    assert not {"sudo", "admin", "wheel"} & set(user.groups)
    shadow = host.run("getent shadow pppuser").stdout.split(":")
    assert shadow[1].startswith("$6$")
    ppplogin = host.file("/etc/ppp/ppplogin")
    assert (ppplogin.user, ppplogin.mode) == ("root", 0o755)
    # The login is not enough: PAP again.
    assert "exec /usr/sbin/pppd auth require-pap refuse-chap nodetach" in ppplogin.content_string
    # Anywhere but a dial-in line the shell ends at once: no console login.
    console = host.run("setsid /etc/ppp/ppplogin < /dev/null")
    assert console.rc == 1
    assert "dial-in lines only" in console.stderr
    # No peer file of the collection holds noauth: the former ppplogin peer file is gone.
    assert not host.file("/etc/ppp/peers/dialin-ppplogin").exists


def test_ip_forward_is_persisted(host):
    f = host.file("/etc/sysctl.d/60-dialin-callback.conf")
    assert "net.ipv4.ip_forward=1" in f.content_string.replace(" ", "")


def mgetty_command_lines(host, timeout=30):
    """Command lines of the processes named mgetty, once one runs (it may be respawning)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = host.run("pgrep --exact --list-full mgetty").stdout.splitlines()
        if lines or time.monotonic() > deadline:
            return [line.split(None, 1)[1] for line in lines]
        time.sleep(1)


def test_mgetty_runs_on_the_real_port_name(host):
    # Never on the link: mgetty's callback -S finds its mgetty by the tty's real name.
    assert mgetty_command_lines(host) == [f"{paths(host)['mgetty']} ttyS1"]


def test_mgetty_respawn_mechanism(host):
    if host.file("/run/systemd/system").is_directory:
        service = host.service("mgetty@ttyS1")
        assert service.is_running
        assert service.is_enabled
        # The callback program forks and dials later: respawning mgetty must not kill it.
        assert host.run("systemctl show -p KillMode mgetty@ttyS1").stdout.strip() == "KillMode=process"
    else:
        inittab = host.file("/etc/inittab").content_string
        assert re.search(rf"^S1:2345:respawn:{re.escape(paths(host)['mgetty'])} ttyS1$", inittab, re.M)


def call(host):
    """Dial the server's line from the test line and return the caller's result."""
    # Closing the line at the end hangs up: the server's mgetty sees the call end and is respawned.
    script = ["send", r"ATZ\r", "expect", "OK", "send", rf"ATD{SERVER_NUMBER}\r",
              "expect", "CONNECT", "expect", "login:"]
    cmd = ["python3", CALLER, "--line", CALLER_LINE, "--timeout", "60"] + script
    return host.run(" ".join(shlex.quote(a) for a in cmd))


@pytest.mark.usefixtures("paced_line")
@pytest.mark.line_calls(calls=1)
@pytest.mark.parametrize("attempt", [1, 2])
def test_a_call_gets_the_login_prompt(host, attempt):
    """The test plays the caller's modem; mgetty answers RING and prints login:.

    The second call proves mgetty was respawned after the first one hung up.
    """
    result = call(host)
    assert result.rc == 0, result.stdout + result.stderr
    assert "login:" in result.stdout


@pytest.mark.usefixtures("paced_line")
@pytest.mark.line_calls(callbacks=1)
def test_a_callback_user_is_called_back(host):
    """The whole callback, short of PPP, with the real mgetty and callback programs.

    The caller's line has the number of the callback user "callus" (0W5551234 dials 05551234),
    whose entry dials out with -l ttyS1. The caller logs in as callus, is hung up on, and must
    then be called back: RING, ATA, CONNECT and a new login prompt.
    """
    script = ["send", r"ATZ\r", "expect", "OK", "send", rf"ATD{SERVER_NUMBER}\r",
              "expect", "CONNECT", "expect", "login:", "send", r"callus\r",
              "expect", "NO CARRIER", "expect", "RING", "send", r"ATA\r",
              "expect", "CONNECT", "expect", "login:"]
    cmd = ["python3", CALLER, "--line", CALLER_LINE, "--timeout", "90"] + script
    result = host.run(" ".join(shlex.quote(a) for a in cmd))
    assert result.rc == 0, result.stdout + result.stderr
    dials = server_dials(host)
    # The server's line dialled the registered number, and only that one.
    assert CALLER_NUMBER in dials
    assert set(dials) == {CALLER_NUMBER}


def server_dials(host):
    """The numbers the server's line (100) dialled, in order (the emulator's event log)."""
    events = [json.loads(line) for line in
              host.file("/run/modememu/events.jsonl").content_string.splitlines()]
    return [e["number"] for e in events if e["event"] == "dial" and e["line"] == SERVER_NUMBER]


def rate_limit_refusals(host, login):
    """The gate's syslog lines refusing login's callback: the journal (systemd), or auth.log, where
    the syslog daemon of a sysvinit host (inetutils-syslogd, see prepare.yml) writes facility auth."""
    logs = host.run("journalctl -q -o cat -t dialin-callback 2>/dev/null; "
                    "grep -h dialin-callback /var/log/auth.log 2>/dev/null").stdout
    return [line for line in logs.splitlines() if f"callback refused: login={login} " in line]


@pytest.mark.usefixtures("paced_line")
# RATE_LIMIT callbacks, the refused call and the call after it.
@pytest.mark.line_calls(callbacks=RATE_LIMIT, calls=2)
def test_a_call_past_the_rate_limit_gets_no_callback(host):
    """Anyone may type a pseudo-login: past callback_rate_limit_count callbacks in the window the
    server dials nothing, the caller is told nothing (as for an unknown name), the line is free again
    at once, and syslog says who and where.

    With the real mgetty, callback and gate: RATE_LIMIT calls of the pseudo-login are called back;
    the next one is hung up on, the server's line dials nothing for it (the
    emulator's event log, watched for longer than callback's delay before dialling), a new call is
    answered at once, and the refusal is logged with the pseudo-login and the line (ttyS1).
    """
    # A fresh count for this pseudo-login: the scenario's verify may run again within the window.
    host.run(f"rm -f /var/lib/dialin-callback/login/{RATE_LIMITED_LOGIN}")
    login = ["send", r"ATZ\r", "expect", "OK", "send", rf"ATD{SERVER_NUMBER}\r",
             "expect", "CONNECT", "expect", "login:", "send", rf"{RATE_LIMITED_LOGIN}\r"]
    called_back = login + ["expect", "NO CARRIER", "expect", "RING", "send", r"ATA\r",
                           "expect", "CONNECT", "expect", "login:"]
    for attempt in range(1, RATE_LIMIT + 1):
        before = len(server_dials(host))
        result = host.run(caller_command(called_back, 90))
        assert result.rc == 0, f"call {attempt} of {RATE_LIMIT}: " + result.stdout + result.stderr
        assert server_dials(host)[before:] == [CALLER_NUMBER], f"call {attempt} of {RATE_LIMIT}"
    before = len(server_dials(host))
    refused_before = len(rate_limit_refusals(host, RATE_LIMITED_LOGIN))
    result = host.run(caller_command(login + ["expect", "NO CARRIER"], 20))
    refused_at = time.monotonic()
    assert result.rc == 0, result.stdout + result.stderr
    # The caller is told nothing: a pseudo-login past its budget looks like any other refused name.
    assert "Dialing continues" not in result.stdout and "refused" not in result.stdout.lower(), result.stdout
    # The line is free again soon: mgetty answers the next call.
    result = host.run(caller_command(["send", r"ATZ\r", "expect", "OK", "send", rf"ATD{SERVER_NUMBER}\r",
                                      "expect", "CONNECT", "expect", "login:"], 20))
    assert result.rc == 0, "the line did not answer after the refusal: " + result.stdout + result.stderr
    # callback dials at least 4 s after it starts (callback_delay is 1 here): watch for 10 s.
    time.sleep(max(0.0, refused_at + 10 - time.monotonic()))
    assert server_dials(host)[before:] == [], "the server called back past the rate limit"
    refusals = rate_limit_refusals(host, RATE_LIMITED_LOGIN)[refused_before:]
    assert len(refusals) == 1, refusals
    # The line as mgetty names it (here mgetty's ttyS1 is a link to a pseudo-terminal: its tty too).
    assert re.search(rf"login={RATE_LIMITED_LOGIN} line=ttyS1( \(tty pts/[0-9]+\))?: {RATE_LIMIT} callbacks",
                     refusals[0]), refusals[0]


def caller_command(script, timeout):
    cmd = ["python3", CALLER, "--line", CALLER_LINE, "--timeout", str(timeout)] + script
    return " ".join(shlex.quote(a) for a in cmd)


def refusals(host, login):
    """mgetty's audit lines (its log file and the journal) saying it ran the refusal for ``login``."""
    logs = host.run("cat /var/log/mgetty/mg_ttyS1.log 2>/dev/null; journalctl -q -o cat 2>/dev/null").stdout
    return [line for line in logs.splitlines() if f"user='{login}'" in line and "cmd='/bin/false'" in line]


@pytest.mark.usefixtures("paced_line")
@pytest.mark.line_calls(calls=1)
def test_a_login_before_a_callback(host):
    """A PPP account's name typed before any callback: refused with version 2, else login runs.

    The refusal is proven by mgetty's own audit line (login.config's catch-all ran /bin/false for
    that name) and by its speed: the line hangs up within 20 s, where login's timeout is 60 s.
    """
    before = len(refusals(host, "pppuser"))
    script = ["send", r"ATZ\r", "expect", "OK", "send", rf"ATD{SERVER_NUMBER}\r",
              "expect", "CONNECT", "expect", "login:", "send", r"pppuser\r"]
    script += ["expect", "NO CARRIER"] if CALLBACK_ONLY else ["expect", "assword:"]
    cmd = ["python3", CALLER, "--line", CALLER_LINE, "--timeout", "20" if CALLBACK_ONLY else "60"] + script
    result = host.run(" ".join(shlex.quote(a) for a in cmd))
    assert result.rc == 0, result.stdout + result.stderr
    if CALLBACK_ONLY:
        assert "assword:" not in result.stdout, result.stdout
        deadline = time.monotonic() + 10
        while len(refusals(host, "pppuser")) <= before and time.monotonic() < deadline:
            time.sleep(0.5)
        assert len(refusals(host, "pppuser")) > before, (
            "no mgetty line saying it ran login.config's refusal (/bin/false) for pppuser")
