"""The PPP accounts log in on the dial-in lines only, and nobody else logs in there.

Each test attacks the converged container with the real programs: OpenSSH's client and sshd,
su, login, cron's PAM stack (through pamtester), and mgetty, callback and login on the test
modem's line. Without the role's access.yml and sshd.yml each of the refusals below succeeds.
"""

import pathlib
import shlex

import pytest

import ssh_forward

PPP_USER, PPP_PASSWORD = "pppuser", "molecule secret #1"  # shared/group_vars
LOCAL_USER, LOCAL_PASSWORD = "localuser", "molecule local #3"  # shared/prepare.yml
ROOT_PASSWORD = "molecule root #2"  # shared/prepare.yml
PTYDRIVE = (pathlib.Path(__file__).parent / "ptydrive.py").read_text(encoding="utf-8")
CALLER = "/usr/local/lib/dialin-test/caller.py"
CALLER_LINE = "/run/modememu/caller"
SSH = ["ssh", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
       "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR"]
SSH_PASSWORD = ["-o", "PreferredAuthentications=password,keyboard-interactive",
                "-o", "PubkeyAuthentication=no", "-o", "NumberOfPasswordPrompts=1"]
# A service on the server's LAN side that a forwarding would reach.
LAN_PORT, FORWARDED_PORT, LAN_SECRET = 18080, 18081, "lan-service-reached"


def run(host, argv):
    return host.run(" ".join(shlex.quote(a) for a in argv))


def on_pty(host, password, argv, timeout=20):
    """Run argv on a new pseudo-terminal (a console's stand-in), typing password when asked."""
    return run(host, ["python3", "-c", PTYDRIVE, password, str(timeout)] + argv)


def test_ssh_with_the_ppp_password_is_refused(host):
    result = run(host, ["sshpass", "-p", PPP_PASSWORD] + SSH + SSH_PASSWORD
                 + [f"{PPP_USER}@127.0.0.1", "echo", "shell-reached"])
    output = result.stdout + result.stderr
    # 255: ssh's own failure; the account's shell (ppplogin) never ran.
    assert result.rc == 255, output
    assert "Permission denied" in output, output
    assert "shell-reached" not in output and "dial-in lines only" not in output, output


def test_ssh_still_lets_a_local_user_in(host):
    """The restriction is the PPP accounts', not everybody's."""
    result = run(host, ["sshpass", "-p", LOCAL_PASSWORD] + SSH + SSH_PASSWORD
                 + [f"{LOCAL_USER}@127.0.0.1", "echo", "shell-reached"])
    assert result.rc == 0, result.stdout + result.stderr
    assert "shell-reached" in result.stdout


def forwarding_attempt(host, ssh_argv):
    """Start ssh -N -L towards a LAN service; return (what came through the forward, ssh's output)."""
    return ssh_forward.forwarding_attempt(host, ssh_argv, LAN_PORT, FORWARDED_PORT, LAN_SECRET, "/tmp/forward.out")


def test_ssh_forwarding_with_the_ppp_password_forwards_nothing(host):
    through, ssh_output = forwarding_attempt(host, ["sshpass", "-p", PPP_PASSWORD] + SSH + SSH_PASSWORD + [
        "-N", "-L", f"127.0.0.1:{FORWARDED_PORT}:127.0.0.1:{LAN_PORT}", f"{PPP_USER}@127.0.0.1"])
    assert LAN_SECRET not in through, through + ssh_output
    assert ssh_output.split()[0] == "255" and "Permission denied" in ssh_output, ssh_output


def test_ssh_with_a_key_of_the_ppp_account_is_refused(host):
    """A key the account (or anybody who wrote its home) put in authorized_keys: refused too."""
    setup = f"""
        set -e
        rm -f /root/ppp-attack-key /root/ppp-attack-key.pub
        ssh-keygen -q -t ed25519 -N '' -f /root/ppp-attack-key
        install -d -o {PPP_USER} -m 0700 /home/{PPP_USER}/.ssh
        install -o {PPP_USER} -m 0600 /root/ppp-attack-key.pub /home/{PPP_USER}/.ssh/authorized_keys
    """
    assert host.run("bash -c " + shlex.quote(setup)).rc == 0
    try:
        key = ["-i", "/root/ppp-attack-key", "-o", "BatchMode=yes", "-o", "PreferredAuthentications=publickey"]
        result = run(host, SSH + key + [f"{PPP_USER}@127.0.0.1", "echo", "shell-reached"])
        output = result.stdout + result.stderr
        assert result.rc == 255 and "Permission denied" in output, output
        assert "shell-reached" not in output and "dial-in lines only" not in output, output
        through, ssh_output = forwarding_attempt(host, SSH + key + [
            "-N", "-L", f"127.0.0.1:{FORWARDED_PORT}:127.0.0.1:{LAN_PORT}", f"{PPP_USER}@127.0.0.1"])
        assert LAN_SECRET not in through, through + ssh_output
        assert ssh_output.split()[0] == "255" and "Permission denied" in ssh_output, ssh_output
    finally:
        host.run(f"rm -rf /home/{PPP_USER}/.ssh /root/ppp-attack-key /root/ppp-attack-key.pub")


def test_su_to_the_ppp_account_with_its_password_is_refused(host):
    """A local user who knows the PPP password types it to su."""
    result = on_pty(host, PPP_PASSWORD, ["runuser", "-u", LOCAL_USER, "--", "su", "-c", "echo shell-reached", PPP_USER])
    assert "su: Permission denied" in result.stdout, result.stdout
    # Without the restriction su accepts it and runs the ppplogin shell, which refuses a pty itself.
    assert "shell-reached" not in result.stdout and "dial-in lines only" not in result.stdout, result.stdout
    assert result.rc == 1


def test_su_by_root_to_the_ppp_account_with_another_shell_is_refused(host):
    """root needs no password for su, but su still asks PAM's account stack."""
    result = run(host, ["su", "-s", "/bin/sh", "-c", "echo shell-reached-as-$(id -un)", PPP_USER])
    output = result.stdout + result.stderr
    assert result.rc == 1 and "su: Permission denied" in output, output
    assert "shell-reached" not in output, output


def test_console_login_of_the_ppp_account_is_refused(host):
    """login on a terminal that is not a dial-in line (a pseudo-terminal here)."""
    result = on_pty(host, PPP_PASSWORD, ["login", PPP_USER])
    assert "Permission denied" in result.stdout, result.stdout
    assert "dial-in lines only" not in result.stdout, result.stdout
    assert result.rc == 1


def test_cron_refuses_the_ppp_account(host):
    """cron's own PAM stack (/etc/pam.d/cron), as cron calls it (PAM_TTY "cron"), through pamtester."""
    ppp = run(host, ["pamtester", "-I", "tty=cron", "cron", PPP_USER, "acct_mgmt"])
    assert ppp.rc == 1 and "Permission denied" in ppp.stderr, ppp.stdout + ppp.stderr
    local = run(host, ["pamtester", "-I", "tty=cron", "cron", LOCAL_USER, "acct_mgmt"])
    assert local.rc == 0, local.stdout + local.stderr


CALLBACK_RECORDS = "/run/dialin-callback/called-back"


def pppd_account_check(host, user, tty, called_back=True):
    """PAM's account stack of pppd's PAP login (service ppp), with the items pppd 2.4.9 sets
    (session.c): PAM_TTY the line's device, PAM_RHOST the PPP interface.

    With ``called_back``, the process asking PAM is the one the callback record of the line names
    (a record written here as the callback gate writes it: PID and start time of the process that
    then execs pamtester), as pppd is after a callback."""
    argv = ["pamtester", "-I", f"tty={tty}", "-I", "rhost=ppp0", "ppp", user, "acct_mgmt"]
    line = tty.replace("/dev/", "")
    if not called_back or "/" in line:
        host.run(f"rm -f {CALLBACK_RECORDS}/{line}")
        return run(host, argv)
    script = (f'mkdir -p -m 0700 {CALLBACK_RECORDS} && s=$(cat /proc/$$/stat) && set -- ${{s##*) }} && '
              f'echo "$$ ${{20}} test" > {CALLBACK_RECORDS}/{line} && exec ' + " ".join(shlex.quote(a) for a in argv))
    try:
        return host.run("sh -c " + shlex.quote(script))
    finally:
        host.run(f"rm -f {CALLBACK_RECORDS}/{line}")


def test_pppd_pap_login_admits_only_ppp_accounts_on_the_dial_in_lines(host):
    """The /AutoPPP/ path: pppd checks the PAP user's account (pppd itself needs kernel PPP)."""
    allowed = pppd_account_check(host, PPP_USER, "/dev/ttyS1")
    assert allowed.rc == 0, allowed.stdout + allowed.stderr
    for user, tty in ((PPP_USER, "/dev/pts/0"), ("root", "/dev/ttyS1"), (LOCAL_USER, "/dev/ttyS1")):
        refused = pppd_account_check(host, user, tty)
        assert refused.rc == 1, (user, tty, refused.stdout + refused.stderr)
        assert "Authentication failure" in refused.stderr or "Permission denied" in refused.stderr, refused.stderr


def test_pppd_pap_login_without_a_callback_is_refused(host):
    """The same PPP account on the same line, from a process that was not called back: the callback
    check (pam_exec) refuses it, whatever login.config would have started."""
    refused = pppd_account_check(host, PPP_USER, "/dev/ttyS1", called_back=False)
    assert refused.rc == 1 and "done" not in refused.stdout, refused.stdout + refused.stderr


def call_back_and_log_in(host, pseudo_login, user, password, then):
    """The caller logs in as ``pseudo_login``, is called back on ttyS1, and types user and password at
    the new login:. Each test has its own pseudo-login: the rate limit counts callbacks per pseudo-login.
    Its tests take ``paced_line`` (conftest.py): init's respawn limit.

    ``then`` are the caller's further steps.
    """
    script = ["send", r"ATZ\r", "expect", "OK", "send", r"ATD100\r",
              "expect", "CONNECT", "expect", "login:", "send", pseudo_login + r"\r",
              "expect", "NO CARRIER", "expect", "RING", "send", r"ATA\r",
              "expect", "CONNECT", "expect", "login:", "send", user + r"\r",
              "expect", "assword:", "send", password.replace("\\", "\\\\") + r"\r"] + then
    return run(host, ["python3", CALLER, "--line", CALLER_LINE, "--timeout", "90"] + script)


@pytest.mark.usefixtures("paced_line")
@pytest.mark.line_calls(callbacks=1)
def test_root_password_after_a_callback_gets_no_shell(host):
    result = call_back_and_log_in(host, "callroot", "root", ROOT_PASSWORD, ["expect", "Permission denied", "expect", "NO CARRIER"])
    assert result.rc == 0, result.stdout + result.stderr


@pytest.mark.usefixtures("paced_line")
@pytest.mark.line_calls(callbacks=1)
def test_local_user_password_after_a_callback_gets_no_shell(host):
    result = call_back_and_log_in(host, "calllocal", LOCAL_USER, LOCAL_PASSWORD,
                                  ["expect", "Permission denied", "expect", "NO CARRIER"])
    assert result.rc == 0, result.stdout + result.stderr


@pytest.mark.usefixtures("paced_line")
@pytest.mark.line_calls(callbacks=1)
def test_ppp_account_after_a_callback_still_starts_pppd(host):
    """login accepts the PPP account on the dial-in line and its shell starts pppd there.

    The container's kernel has no PPP: pppd, on the line, tells the caller it found no /dev/ppp and exits.
    """
    result = call_back_and_log_in(host, "callppp", PPP_USER, PPP_PASSWORD,
                                  ["expect", "/usr/sbin/pppd: ", "expect", "NO CARRIER"])
    assert result.rc == 0, result.stdout + result.stderr
    assert "Permission denied" not in result.stdout and "dial-in lines only" not in result.stdout


LOGIN_CONFIG = "/etc/mgetty/login.config"
# The active lines of the login.config Debian's mgetty package ships (restored by a conffile prompt
# answered "install the package maintainer's version"): no callback column, /bin/login for everyone.
DEBIAN_LOGIN_CONFIG = "/AutoPPP/ -\ta_ppp\t/usr/sbin/pppd auth -chap +pap login debug\n*\t-\t-\t/bin/login @\n"
# Each damage as a shell command; {user} is the name the caller then types at mgetty's prompt.
BROKEN_LOGIN_CONFIG = {
    "debian": f"printf '{DEBIAN_LOGIN_CONFIG}' > {LOGIN_CONFIG}",
    "mode-0644": f"chmod 0644 {LOGIN_CONFIG}",
    "removed": f"rm {LOGIN_CONFIG}",
    # Read in format 1 (mgetty switches format at the version line): a login before any callback.
    "line-above-the-version": f"sed -i '1i {{user}} - - /bin/login @' {LOGIN_CONFIG}",
}
# Typed after the password: only a shell prints its answer (the modem's command mode echoes the line).
SHELL_PROBE, SHELL_ANSWER = r"echo shell-$((6*7))\r", "shell-42"
# Who types a password at the login prompt mgetty should not have shown, what the refusal looks
# like: the PPP account's shell is ppplogin (pppd); root's is a shell.
INTRUDERS = {
    "ppp-account": (PPP_USER, PPP_PASSWORD),
    "root": ("root", ROOT_PASSWORD),
}


AUTH_LOG = "/var/log/auth.log"  # sysvinit: a syslog daemon's; systemd: the journal


def log_mark(host):
    """Where the logs of PAM's refusals end now: the journal's cursor, auth.log's size."""
    cursor = host.run("journalctl -q -n 1 -o cat --show-cursor 2>/dev/null").stdout.rpartition("cursor: ")[2].strip()
    size = host.run(f"stat -c %s {AUTH_LOG} 2>/dev/null").stdout.strip()
    return cursor, int(size or 0)


def logs_since(host, mark):
    """The refusals of PAM's account modules logged after ``mark`` (log_mark)."""
    cursor, size = mark
    journal = (f"journalctl -q -o cat --after-cursor={shlex.quote(cursor)} -t dialin-callback -t login 2>/dev/null"
               if cursor else "true")
    return host.run(f"{journal}; tail -c +{size + 1} {AUTH_LOG} 2>/dev/null | grep -e dialin-callback -e pam_access").stdout


@pytest.mark.usefixtures("paced_line")
# A second call only when the first was hung up before any password prompt (see below).
@pytest.mark.line_calls(calls=2)
@pytest.mark.parametrize("intruder", sorted(INTRUDERS))
@pytest.mark.parametrize("damage", sorted(BROKEN_LOGIN_CONFIG))
def test_a_broken_login_config_gives_no_session_before_a_callback(host, damage, intruder):
    """login.config damaged as a careless admin or a package upgrade would: mgetty then runs login for
    the name the caller types before any callback. The PPP account's password gets no pppd, root's no
    shell: PAM refuses, independent of login.config (the callback check; for root also pam_access).
    The controls, on the undamaged file after a real callback: test_ppp_account_after_a_callback_still_starts_pppd
    (the same login starts pppd) and test_root_password_after_a_callback_gets_no_shell."""
    user, password = INTRUDERS[intruder]
    backup = host.run(f"cp -p {LOGIN_CONFIG} /root/login.config.saved")
    assert backup.rc == 0, backup.stderr
    try:
        damaged = host.run(BROKEN_LOGIN_CONFIG[damage].format(user=user))
        assert damaged.rc == 0, damaged.stderr
        mark = log_mark(host)
        script = ["send", r"ATZ\r", "expect", "OK", "send", r"ATD100\r",
                  "expect", "CONNECT", "expect", "login:", "send", user + r"\r",
                  # mgetty ran login for the name: the first layer is gone.
                  "expect", "assword:", "send", password.replace("\\", "\\\\") + r"\r",
                  "send", SHELL_PROBE, "expect", "NO CARRIER"]
        result = run(host, ["python3", CALLER, "--line", CALLER_LINE, "--timeout", "60"] + script)
        if result.rc != 0 and "assword:" not in result.stdout and "NO CARRIER" in result.stdout:
            # Seen once in about 40 cases on a loaded machine: the line hung up right after the name,
            # before login asked for a password, so the attack was not made. It is made once more
            # (the line idle again first); a second such hang-up fails the test.
            print(f"the first call was hung up before a password prompt, calling again:\n{result.stdout}")
            wait_idle = host.run("for i in $(seq 120); do tail -n 1 /var/log/mgetty/mg_ttyS1.log | grep -q 'waiting\\.\\.\\.$' "
                                 "&& exit 0; sleep 1; done; exit 1")
            assert wait_idle.rc == 0, "the line's mgetty is not waiting for a call again"
            result = run(host, ["python3", CALLER, "--line", CALLER_LINE, "--timeout", "60"] + script)
        assert result.rc == 0, result.stdout + result.stderr
        # The password was right: the refusal is PAM's account stack, not a mistyped password.
        assert "Login incorrect" not in result.stdout, result.stdout
        # ppplogin's pppd never ran (it would say it found no /dev/ppp: the container has no PPP),
        # and no shell answered.
        assert "/usr/sbin/pppd" not in result.stdout and "dial-in lines only" not in result.stdout, result.stdout
        assert SHELL_ANSWER not in result.stdout, result.stdout
        logs = logs_since(host, mark)
        if intruder == "root":
            # Both layers refuse root on a dial-in line; either one's line names it.
            assert ("login refused: service=login user=root line=ttyS1: not a PPP account" in logs
                    or "access denied for user `root' from `ttyS1'" in logs), logs
        else:
            assert f"login refused: service=login user={PPP_USER} line=ttyS1: not called back in this session" in logs, logs
    finally:
        host.run(f"mv -f /root/login.config.saved {LOGIN_CONFIG}")
