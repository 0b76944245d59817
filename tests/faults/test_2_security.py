"""Security: PAP secrets never in the output, only the PPP accounts in group dip, no sudo for them.

The reference converges (conftest.references) run configuration A at -vvvv with --diff, then B at
-vvvv with --diff, which changes both passwords and adds an account (so pap-secrets and
/etc/shadow change and their diffs are shown), then A again with --diff. Every ansible-playbook
output of the session is searched for the secrets of its own variables and of every bad-input case
as it ends (conftest.Ansible.run); here the reference outputs are searched for the secrets of both
configurations.
"""

from __future__ import annotations

import pytest

from conftest import SECRETS_A, SECRETS_B, assert_no_secret

ALL_SECRETS = list(SECRETS_A.values()) + list(SECRETS_B.values())


def test_secrets_reach_the_host(references):
    """The scan below means something only if the secrets were really written, and changed."""
    ctr = references.ctr
    pap = ctr.sh("cat /etc/ppp/pap-secrets").stdout
    # After A, B, A: A's passwords for the first two accounts, B's for the account only B has.
    for secret in (SECRETS_A["pppuser"], SECRETS_A["pppdeux"], SECRETS_B["ppptrois"]):
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


def test_only_ppp_accounts_in_group_dip(references):
    ctr = references.ctr
    dip = ctr.sh("getent group dip").stdout.strip().split(":")
    members = set(filter(None, dip[3].split(",")))
    expected = {"pppuser", "pppdeux", "ppptrois"}
    assert members == expected, f"group dip has {sorted(members)}, expected only the PPP accounts {sorted(expected)}"
    # Nobody has dip as primary group either.
    primary = [line.split(":")[0] for line in ctr.sh("getent passwd").stdout.splitlines()
               if line.split(":")[3] == dip[2]]
    assert not primary, f"accounts with dip as primary group: {primary}"


@pytest.mark.parametrize("user", ["pppuser", "pppdeux", "ppptrois"])
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
