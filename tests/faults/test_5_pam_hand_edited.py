"""A hand-edited /etc/pam.d/common-account: the run stops with a message, and writes nothing there.

pam-auth-update, which enables the PPP accounts' login restrictions for every PAM service,
leaves common-account alone when the block it manages lost its markers, and still exits 0: without
the role's check the restrictions would silently not apply.
"""

from __future__ import annotations

from conftest import CONFIGS

COMMON_ACCOUNT = "/etc/pam.d/common-account"
PROFILE = "dialin-callback"


def test_hand_edited_common_account_stops_the_run(host):
    host.ensure("A")
    ctr = host.ctr
    # An administrator disabled the profile and removed the block's end marker.
    ctr.sh(f"cp -p {COMMON_ACCOUNT} /root/common-account.before-edit && "
           f"DEBIAN_FRONTEND=noninteractive pam-auth-update --remove {PROFILE} && "
           f"sed -i '/end of pam-auth-update config/d' {COMMON_ACCOUNT} && "
           f"cp -p {COMMON_ACCOUNT} /root/common-account.edited")
    assert "pam_access.so" not in ctr.sh(f"cat {COMMON_ACCOUNT}").stdout
    try:
        host.state = None
        run = host.ansible.run(CONFIGS["A"](), "--diff")
        assert run.rc != 0, f"the converge did not stop:\n{run.tail(40)}"
        failure = run.failure_text
        assert "pam-auth-update did not add the PPP accounts' login restrictions" in failure, run.tail(40)
        assert "end of pam-auth-update config" in failure, failure
        # pam-auth-update wrote nothing: the administrator's file is as they left it.
        assert ctr.sh(f"cmp {COMMON_ACCOUNT} /root/common-account.edited", check=False).returncode == 0
    finally:
        # pam-auth-update remembers what it last wrote (the profile removed): a copy put back by hand
        # would look like a local edit to it, and it would leave the file alone whenever the profile
        # changes later. --force writes the file anew from the profiles, as after an upgrade.
        ctr.sh(f"cp -p /root/common-account.before-edit {COMMON_ACCOUNT} && "
               f"DEBIAN_FRONTEND=noninteractive pam-auth-update --force --enable {PROFILE} && "
               "rm -f /root/common-account.before-edit /root/common-account.edited")
    host.converge("A")
    assert "pam_access.so accessfile=" in ctr.sh(f"cat {COMMON_ACCOUNT}").stdout
