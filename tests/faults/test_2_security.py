"""Security: PAP secrets never in the output, only the PPP accounts in group dip, no sudo for them.

The reference converges (conftest.reference_states) run configuration A at -vvvv with --diff, then
B at -vvvv with --diff, which changes both passwords and adds an account (so pap-secrets and
/etc/shadow change and their diffs are shown), then A again with --diff.
"""

from __future__ import annotations

import json
import re

import pytest

from conftest import SECRETS_A, SECRETS_B, SECRET_TOKENS, STATS


def leaks(text: str) -> list[str]:
    found = []
    for secret in list(SECRETS_A.values()) + list(SECRETS_B.values()):
        forms = {secret, json.dumps(secret)[1:-1], secret.replace('"', '\\"'), secret.replace("'", "'\\''")}
        found += [f"{secret!r} as {f!r}" for f in forms if f in text]
    found += [f"token {t!r}" for t in SECRET_TOKENS if t in text]
    return sorted(set(found))


def test_secrets_reach_the_host(reference_states, ansible):
    """The scan below means something only if the secrets were really written (and changed)."""
    pap = ansible.ctr.sh("cat /etc/ppp/pap-secrets").stdout
    # After A, B, A: A's passwords for the first two accounts, B's for the account only B has.
    for token in (SECRETS_A["pppuser"].split()[0], SECRETS_A["pppdeux"].split()[0],
                  SECRETS_B["ppptrois"].split()[0]):
        assert token in pap, f"{token} not in pap-secrets:\n(content withheld)"
    out_b = reference_states.runs["B"].output
    seg = out_b.split("TASK [dialin.callback.ppp_server : Write the PAP secrets", 1)[-1].split("\nTASK [", 1)[0]
    assert re.search(r"^changed: \[", seg, re.M), "B did not change pap-secrets: the diff was never exercised"
    assert "-vvvv" in reference_states.runs["B"].argv and "--diff" in reference_states.runs["B"].argv


def where(text: str) -> list[str]:
    """The task headers under which a secret token appears."""
    tasks, current = set(), "?"
    for line in text.splitlines():
        if line.startswith(("TASK [", "RUNNING HANDLER [")):
            current = line.rstrip("* ")
        elif any(t in line for t in SECRET_TOKENS):
            tasks.add(current)
    return sorted(tasks)


@pytest.mark.parametrize("label", ["A0", "B", "A1"])
def test_no_secret_in_converge_output(reference_states, label):
    run = reference_states.runs[label]
    STATS["secret_scanned_bytes"] += len(run.output)
    found = leaks(run.output)
    assert not found, (f"PAP secrets in the output of converge {label} ({' '.join(run.argv[3:])}): {found}, "
                       f"under {where(run.output)}")


def test_only_ppp_accounts_in_group_dip(reference_states, ansible):
    ctr = ansible.ctr
    dip = ctr.sh("getent group dip").stdout.strip().split(":")
    members = set(filter(None, dip[3].split(",")))
    expected = {"pppuser", "pppdeux", "ppptrois"}
    assert members == expected, f"group dip has {sorted(members)}, expected only the PPP accounts {sorted(expected)}"
    # Nobody has dip as primary group either.
    primary = [line.split(":")[0] for line in ctr.sh("getent passwd").stdout.splitlines()
               if line.split(":")[3] == dip[2]]
    assert not primary, f"accounts with dip as primary group: {primary}"


@pytest.mark.parametrize("user", ["pppuser", "pppdeux", "ppptrois"])
def test_ppp_account_has_no_sudo(reference_states, ansible, user):
    ctr = ansible.ctr
    ctr.sh("command -v sudo >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sudo", timeout=300)
    out = ctr.sh(f"sudo -l -U {user} 2>&1", check=False).stdout
    assert "is not allowed to run sudo" in out, f"sudo -l -U {user} says:\n{out}"
    groups = set(ctr.sh(f"id -nG {user}").stdout.split())
    assert not groups & {"sudo", "admin", "wheel", "root", "adm", "staff"}, f"{user} is in {sorted(groups)}"
    entry = ctr.sh(f"getent passwd {user}").stdout.strip().split(":")
    assert entry[6] == "/etc/ppp/ppplogin", f"{user}'s shell is {entry[6]}"
    assert entry[2] != "0" and entry[3] != "0", f"{user} has uid/gid 0: {entry}"
