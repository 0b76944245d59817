"""Security: PAP secrets never in the output, only the PPP accounts may run pppd, no sudo for them, and
what leaves the inventory is revoked.

The reference converges (conftest.references) run configuration A at -vvvv with --diff, then B at
-vvvv with --diff, which changes both passwords and adds an account (so pap-secrets and
/etc/shadow change and their diffs are shown), then A again with --diff. Every ansible-playbook
output of the session is searched for the secrets of its own variables and of every bad-input case
as it ends (conftest.Ansible.run); here the reference outputs are searched for the secrets of both
configurations.
"""

from __future__ import annotations

import pytest

from conftest import SECRETS_A, SECRETS_B, assert_no_secret, process_start

ALL_SECRETS = list(SECRETS_A.values()) + list(SECRETS_B.values())


def test_secrets_reach_the_host(references):
    """The scan below means something only if the secrets were really written, and changed."""
    ctr = references.ctr
    pap = ctr.sh("cat /etc/ppp/pap-secrets").stdout
    # After A, B, A: A's passwords for the two accounts A lists.
    for secret in (SECRETS_A["pppuser"], SECRETS_A["pppdeux"]):
        token = secret.split()[0]
        assert token in pap, f"{token} not in pap-secrets:\n(content withheld)"
    refs = references.refs
    assert refs["A"]["/etc/ppp/pap-secrets"] != refs["B"]["/etc/ppp/pap-secrets"], \
        "B did not change pap-secrets: the diff was never exercised"
    assert refs["A"]["/etc/shadow"] != refs["B"]["/etc/shadow"], "B did not change /etc/shadow"
    assert "-vvvv" in references.runs["B"].argv and "--diff" in references.runs["B"].argv


@pytest.mark.parametrize("label", ["A", "B", "A1"])
def test_no_secret_in_converge_output(references, label):
    run = references.runs[label]
    assert_no_secret(run.output, ALL_SECRETS, f"the output of converge {label} ({' '.join(run.argv[3:])})")


def test_only_the_listed_ppp_accounts_may_run_pppd(references):
    ctr = references.ctr
    group = ctr.sh("getent group dialin-ppp").stdout.strip().split(":")
    members = set(filter(None, group[3].split(",")))
    # ppptrois, listed in B only, left the group when A was applied again.
    expected = {"pppuser", "pppdeux"}
    assert members == expected, f"group dialin-ppp has {sorted(members)}, expected only {sorted(expected)}"
    # Nobody has it as primary group either.
    primary = [line.split(":")[0] for line in ctr.sh("getent passwd").stdout.splitlines()
               if line.split(":")[3] == group[2]]
    assert not primary, f"accounts with dialin-ppp as primary group: {primary}"
    assert ctr.sh("stat -c '%U %G %a' /usr/sbin/pppd").stdout.split() == ["root", "dialin-ppp", "4754"]


def test_a_removed_ppp_account_is_revoked(references):
    """B added ppptrois, A (applied again) no longer lists it: the account is locked, expired, without
    a shell or groups, and its PAP secret is gone; the record lists only A's accounts."""
    ctr = references.ctr
    # Before the revocation (state B) ppptrois was a working PPP account.
    assert "ppptrois:x:" in "".join(references.accounts["B"]["/etc/passwd"])
    shadow = ctr.sh("getent shadow ppptrois").stdout.strip().split(":")
    assert shadow[1].startswith("!"), "ppptrois's password is not locked"
    assert shadow[7] == "1", f"ppptrois does not expire on day 1 (expire field {shadow[7]!r})"
    entry = ctr.sh("getent passwd ppptrois").stdout.strip().split(":")
    assert entry[6] == "/usr/sbin/nologin", f"ppptrois's shell is {entry[6]}"
    assert ctr.sh("id -nG ppptrois").stdout.split() == ["ppptrois"]
    assert SECRETS_B["ppptrois"].split()[0] not in ctr.sh("cat /etc/ppp/pap-secrets").stdout, \
        "ppptrois's PAP secret is still in pap-secrets"
    # The account database itself refuses it (pam_unix's account stage: expired).
    check = ctr.sh("python3 -c \"import spwd, time; e = spwd.getspnam('ppptrois').sp_expire; "
                   "print('expired' if 0 <= e <= time.time() // 86400 else 'valid')\"").stdout.strip()
    assert check == "expired"
    record = ctr.sh("cat /etc/ansible/facts.d/dialin_callback_ppp_server.fact").stdout
    assert '"ppptrois"' not in record and '"pppdeux"' in record


def test_a_revoked_account_in_a_call_is_hung_up(references):
    """ppptrois was in a call (a process of its own on ttyS1) when A1 revoked it: the run hung the
    line up (ppp_server_revoke_ends_calls), reported as changed, and nothing else on the line."""
    ctr, pid = references.ctr, references.session_pid
    assert pid, "no session was started before A1"
    out = references.runs["A1"].output
    start = out.find("TASK [dialin.callback.ppp_server : Hang up the calls in progress")
    assert start >= 0, "A1 ran no hang-up task:\n" + references.runs["A1"].tail(80)
    task = out[start:out.index("\nTASK [", start + 1)]
    assert ctr.sh(f"test -d /proc/{pid}", check=False).returncode != 0, \
        f"the revoked account's process {pid} on ttyS1 still runs:\n{ctr.sh('ps -ef').stdout}\n{task}"
    assert "changed: [" in task and "ppptrois" in task, task
    # Nothing else was ended: the callback program's process on the same line (not part of the
    # call), and the revoked account's process on a line that is not a dial-in line, are the same
    # processes as before.
    assert references.bystanders, "no bystander was started before A1"
    try:
        for name, (bpid, started) in references.bystanders.items():
            assert started and process_start(ctr, bpid) == started, (
                f"{name} (PID {bpid}) was ended by the hang-up:\n{ctr.sh('ps -ef').stdout}\n{task}")
    finally:
        # They hold lines open: not left for the other tests.
        ctr.sh("kill " + " ".join(str(p) for p, _s in references.bystanders.values()) + " 2>/dev/null", check=False)
    # The line's mgetty is not part of the call: it is the same process, or (a restart the run asked
    # for, not a signal of the hang-up) one whose end the mgetty_restart task reported.
    kept = [pid for pid, started in references.line_mgetty.items() if process_start(ctr, pid) == started]
    handler = out.find("RUNNING HANDLER [dialin.callback.mgetty : Restart idle mgetty]")
    restart = handler >= 0 and "changed: [" in out[handler:out.find("\nRUNNING HANDLER [", handler + 1)]
    assert references.line_mgetty and (kept or restart), (
        f"the line's mgetty {references.line_mgetty} is gone and no restart was asked for:\n{task}")
    assert ctr.sh("for i in $(seq 30); do pgrep -x mgetty && exit 0; sleep 1; done; exit 1",
                  check=False).returncode == 0, "no mgetty on the line after the hang-up"


@pytest.mark.parametrize("user", ["pppuser", "pppdeux"])
def test_ppp_account_has_no_sudo(references, user):
    ctr = references.ctr
    ctr.sh("command -v sudo >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sudo", timeout=300)
    out = ctr.sh(f"sudo -l -U {user} 2>&1", check=False).stdout
    assert "is not allowed to run sudo" in out, f"sudo -l -U {user} says:\n{out}"
    groups = set(ctr.sh(f"id -nG {user}").stdout.split())
    assert not groups & {"sudo", "admin", "wheel", "root", "adm", "staff"}, f"{user} is in {sorted(groups)}"
    entry = ctr.sh(f"getent passwd {user}").stdout.strip().split(":")
    assert entry[6] == "/etc/ppp/ppplogin", f"{user}'s shell is {entry[6]}"
    assert entry[2] != "0" and entry[3] != "0", f"{user} has uid/gid 0: {entry}"
