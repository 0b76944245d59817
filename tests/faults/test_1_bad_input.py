"""Bad input: every role validates its variables before it changes anything.

Each case is a small override of the inventory variables, passed with ``-e @case.json``. The run
must fail, its failure message must name the variable (the server variable or the role variable
it feeds) and say what is wrong, and a snapshot of every file the collection manages (sha256,
mode, owner; dpkg-statoverride --list) must be identical before and after.

The first set runs on a container no converge ever touches, the second on the container converged
with the good configuration (conftest.config_a). The "after" snapshot is taken only once nothing of
Ansible runs in the container any more; every run's output is searched for the case's secrets.
"""

from __future__ import annotations

import copy
import os

import pytest

from conftest import CASE_SECRETS, STATS, base_vars, diff_snapshots, secrets_of, snapshot

BASE = base_vars()
PORT = BASE["server_ports"][0]
CALLBACK_NAMES = ["server_callback_users", "callback_users"]
PPP_USER_NAMES = ["server_ppp_users", "ppp_server_users"]
PORT_NAMES = ["server_ports", "modem_ports", "mgetty_ports", "ppp_server_ports"]


def port(**kw) -> dict:
    p = copy.deepcopy(PORT)
    p.update(kw)
    return p


def cb(*users) -> dict:
    return {"server_callback_users": [dict(zip(("name", "number"), u)) if isinstance(u, tuple) else u
                                      for u in users]}


def ppp(*users) -> dict:
    return {"server_ppp_users": list(users)}


# Setups run in the container before the case and are undone after it.
NOT_A_TTY = ("printf 'not a tty\\n' > /dev/ttyS8", "rm -f /dev/ttyS8")
OTHER_OS = (
    # An older Debian (bullseye), honestly: the role gathers the facts fresh from these files.
    "cp -a /etc/debian_version /root/debian_version.faults && cp -P /etc/os-release /root/os-release.faults && "
    "rm -f /etc/os-release && printf '%s\\n' 'PRETTY_NAME=\"Debian GNU/Linux 11 (bullseye)\"' "
    "'NAME=\"Debian GNU/Linux\"' 'VERSION_ID=\"11\"' 'VERSION=\"11 (bullseye)\"' 'VERSION_CODENAME=bullseye' "
    "'ID=debian' > /etc/os-release && echo 11.9 > /etc/debian_version",
    "rm -f /etc/os-release && cp -P /root/os-release.faults /etc/os-release && "
    "cp -a /root/debian_version.faults /etc/debian_version && rm -f /root/*.faults",
)

# id: (overrides, variable names (any of), words saying what is wrong (any of), setup)
CASES = {
    # The callback number: digits and dial modifiers only, quoted.
    "number-letters": (cb(("call", "12a456")), CALLBACK_NAMES, ["number"], None),
    "number-space": (cb(("call", "123 456")), CALLBACK_NAMES, ["number"], None),
    "number-semicolon": (cb(("call", "123456;ATH")), CALLBACK_NAMES, ["number"], None),
    "number-newline": (cb(("call", "123456\nATZ")), CALLBACK_NAMES, ["number"], None),
    "number-empty": (cb(("call", "")), CALLBACK_NAMES, ["number"], None),
    "number-unquoted-int": (cb({"name": "call", "number": 123456}), CALLBACK_NAMES, ["number", "string"], None),
    # The callback pseudo-login.
    "login-space": (cb(("ca ll", "123456")), CALLBACK_NAMES, ["name"], None),
    "login-tab": (cb(("call\t", "123456")), CALLBACK_NAMES, ["name"], None),
    "login-star": (cb(("*", "123456")), CALLBACK_NAMES, ["name"], None),
    "login-autoppp": (cb(("/AutoPPP/", "123456")), CALLBACK_NAMES, ["name"], None),
    "login-leading-dash": (cb(("-call", "123456")), CALLBACK_NAMES, ["name"], None),
    "login-twice": (cb(("call", "123456"), ("call", "654321")), CALLBACK_NAMES, ["once", "twice"], None),
    "login-also-ppp-account": (cb(("pppuser", "123456")), CALLBACK_NAMES + PPP_USER_NAMES,
                               ["shadow", "share", "also"], None),
    # A pseudo-login named like a local account would shadow its login at the dial-in prompt.
    "login-local-account": (cb(("root", "123456")), CALLBACK_NAMES, ["local account"], None),
    "callback-line-not-a-port": (cb({"name": "call", "number": "123456", "lines": ["ttyS7"]}),
                                 CALLBACK_NAMES, ["ttyS7"], None),
    # Addresses.
    "local-ip-not-ipv4": ({"server_ports": [port(local_ip="192.168.1.256")]}, PORT_NAMES + ["local_ip"],
                          ["IPv4"], None),
    "remote-ip-ipv6": ({"server_ports": [port(remote_ip="fe80::2")]}, PORT_NAMES + ["remote_ip"], ["IPv4"], None),
    "local-ip-hostname": ({"server_ports": [port(local_ip="gateway.example.org")]}, PORT_NAMES + ["local_ip"],
                          ["IPv4"], None),
    "local-equals-remote": ({"server_ports": [port(remote_ip="192.168.1.1")]}, PORT_NAMES + ["remote_ip"],
                            ["different"], None),
    "remote-outside-netmask": ({"server_ports": [port(remote_ip="192.168.2.2")]}, PORT_NAMES + ["remote_ip"],
                               ["netmask"], None),
    "netmask-not-ipv4": ({"server_netmask": "255.255.255.0/24"}, ["server_netmask", "ppp_server_netmask"],
                         ["IPv4", "netmask"], None),
    # Ports.
    "port-missing": ({"server_ports": [port(device="ttyS9")]}, PORT_NAMES, ["ttyS9"], None),
    "port-not-a-tty": ({"server_ports": [port(device="ttyS8")]}, PORT_NAMES, ["ttyS8"], NOT_A_TTY),
    "port-path-not-name": ({"server_ports": [port(device="/dev/ttyS1")]}, PORT_NAMES, ["device"], None),
    "port-link-path": ({"server_ports": [port(link="../modem")]}, PORT_NAMES, ["link"], None),
    "port-declared-twice": ({"server_ports": [port(), port(link="modem2", local_ip="192.168.1.5",
                                                           remote_ip="192.168.1.6")]},
                            PORT_NAMES, ["once"], None),
    "port-speed-not-number": ({"server_ports": [port(speed="fast")]}, PORT_NAMES + ["speed"], ["speed"], None),
    "port-init-chat-newline": ({"server_ports": [port(init_chat='"" ATZ OK\nATH')]}, PORT_NAMES + ["init_chat"],
                               ["single line", "init_chat"], None),
    "port-ppp-option-newline": ({"server_ports": [port(ppp_options=["mtu 1400\nnoauth"])]},
                                PORT_NAMES + ["ppp_options"], ["single-line", "ppp_options"], None),
    # Options that turn off authentication on a dial-in port or for every pppd.
    "port-ppp-option-noauth": ({"server_ports": [port(ppp_options=["noauth"])]}, PORT_NAMES + ["ppp_options"],
                               ["ppp_server_insecure_allow_noauth"], None),
    "ppp-extra-option-allow-ip": ({"ppp_server_extra_options": ["allow-ip 192.168.1.0/24"]},
                                  ["ppp_server_extra_options"], ["ppp_server_insecure_allow_noauth"], None),
    "autoppp-noauth": ({"mgetty_autoppp_args": ["noauth", "login"]}, ["mgetty_autoppp_args"],
                       ["authentication"], None),
    # Kernel and OS.
    "kernel-without-ppp": ({"server_kernel_ppp_required": True}, ["kernel_ppp_required"], ["PPP"], None),
    "unsupported-os": ({}, ["Debian_12"], ["Debian 11"], OTHER_OS),
    # PAP secrets and PPP accounts.
    "pap-secret-newline": (ppp({"name": "pppuser", "password": "Nl-7fQxw2secret\nnoauth"}), PPP_USER_NAMES,
                           ["password"], None),
    "pap-secret-cr": (ppp({"name": "pppuser", "password": "Cr-9kLmv4secret\r"}), PPP_USER_NAMES, ["password"], None),
    "pap-secret-empty": (ppp({"name": "pppuser", "password": ""}), PPP_USER_NAMES, ["password"], None),
    "ppp-user-bad-name": (ppp({"name": "PPP User", "password": "Bn-3hTyr8s3cret"}), PPP_USER_NAMES, ["name"], None),
    "ppp-user-twice": (ppp({"name": "pppuser", "password": "Tw-5pZke1s3cret"}, {"name": "pppuser", "password": "Tw-6qXjd2other"}),
                       PPP_USER_NAMES, ["once"], None),
    "ppp-address-not-ipv4": (ppp({"name": "pppuser", "password": "Ad-8wRgn5s3cret", "addresses": ["10.0.0.300"]}),
                             PPP_USER_NAMES, ["address"], None),
    # Other variables of the roles.
    "login-config-version-3": ({"server_login_config_version": 3},
                               ["server_login_config_version", "mgetty_login_config_version"], ["1 or 2", "choices"],
                               None),
    "respawn-unknown": ({"server_mgetty_respawn": "upstart"}, ["server_mgetty_respawn", "mgetty_respawn"],
                        ["choices", "systemd"], None),
    "mgetty-port-mode-others": ({"mgetty_port_mode": "0666"}, ["mgetty_port_mode"], ["others"], None),
    "modem-port-mode-others": ({"modem_port_mode": "0666"}, ["modem_port_mode"], ["others"], None),
    "pppd-mode-others-exec": ({"ppp_server_pppd_mode": "4755"}, ["ppp_server_pppd_mode"], ["others"], None),
    "callback-dial-prefix": ({"callback_dial_prefix": "ATD;ATH"}, ["callback_dial_prefix"], ["prefix"], None),
    "callback-rate-limit-negative": ({"callback_rate_limit_count": -1}, ["callback_rate_limit_count"],
                                     ["0 or more"], None),
    # The caller ID a callback user must call from, and the switch that makes it mandatory.
    "caller-id-letters": (cb({"name": "call", "number": "123456", "caller_id": "0555ab"}), CALLBACK_NAMES,
                          ["caller_id"], None),
    "caller-id-required-missing": ({"server_require_caller_id": True, **cb(("call", "123456"))}, CALLBACK_NAMES,
                                   ["caller_id"], None),
    # login.config format 1 accepts logins before a callback: only with the insecure switch.
    "login-config-version-1-not-insecure": ({"server_login_config_version": 1, "server_callback_only": False},
                                            ["server_login_config_version", "mgetty_login_config_version"],
                                            ["insecure"], None),
}

# Every case the issue lists, on the fresh host.
FRESH = [
    "number-letters", "number-space", "number-semicolon", "number-newline", "number-empty",
    "login-space", "login-tab", "login-star", "login-autoppp", "login-leading-dash", "login-twice",
    "local-ip-not-ipv4", "remote-ip-ipv6", "local-equals-remote", "remote-outside-netmask",
    "port-missing", "port-not-a-tty", "kernel-without-ppp", "unsupported-os", "pap-secret-newline",
    "login-local-account", "port-ppp-option-noauth",
]
# On the converged host: the other variables, and listed cases where a file now exists. With
# FAULTS_ALL_CASES=1 every case runs in both states (100 runs; the default is 51, every kind at least once).
CONVERGED = [
    "number-unquoted-int", "login-also-ppp-account", "callback-line-not-a-port", "port-declared-twice",
    "port-ppp-option-newline", "pap-secret-empty", "login-config-version-3", "pppd-mode-others-exec",
    "login-local-account", "ppp-extra-option-allow-ip", "autoppp-noauth", "callback-rate-limit-negative",
    "caller-id-letters", "caller-id-required-missing", "login-config-version-1-not-insecure",
    # The other kinds, once each: every kind of bad input runs in every run.
    "local-ip-hostname", "netmask-not-ipv4", "port-path-not-name", "port-link-path", "port-speed-not-number",
    "port-init-chat-newline", "pap-secret-cr", "ppp-user-bad-name", "ppp-user-twice", "ppp-address-not-ipv4",
    "respawn-unknown", "mgetty-port-mode-others", "modem-port-mode-others", "callback-dial-prefix",
]
if os.environ.get("FAULTS_ALL_CASES") == "1":
    FRESH = list(CASES)
    CONVERGED = list(CASES)


def check_bad_input(ansible, case_id: str, state: str) -> None:
    overrides, names, why, setup = CASES[case_id]
    ctr = ansible.ctr
    STATS["bad_input_tried"] += 1
    label = f"{state}/{case_id}"
    if setup:
        ctr.sh(setup[0])
    try:
        assert ctr.wait_quiet(), f"Ansible still runs in the container before the case: {ctr.busy()}"
        before = snapshot(ctr)
        run = ansible.run(overrides)
        # The "after" snapshot only once no module can write any more.
        assert ctr.wait_quiet(), f"Ansible still runs in the container 60 s after the run: {ctr.busy()}"
        after = snapshot(ctr)
    finally:
        if setup:
            ctr.sh(setup[1])
    problems = []
    if run.rc == 0:
        problems.append("the run succeeded")
    text = run.failure_text
    if not any(n in text for n in names):
        problems.append(f"the failure message names none of {names}")
    if not any(w.lower() in text.lower() for w in why):
        problems.append(f"the failure message says none of {why}")
    changed = diff_snapshots(before, after)
    if changed:
        problems.append("managed files changed: " + "; ".join(changed))
    if problems:
        STATS["bad_input_defects"].append(f"{label}: " + ", ".join(problems))
        pytest.fail(f"{label}: " + "\n  ".join(problems) + f"\n--- failure message:\n{text or run.tail(40)}",
                    pytrace=False)
    STATS["bad_input_rejected_cleanly"].append(label)


# Every case's secrets are searched for in every output of the session, not only its own.
CASE_SECRETS[:] = [{"password": v} for v in sorted(secrets_of(*(c[0] for c in CASES.values())))]


@pytest.mark.parametrize("case_id", FRESH)
def test_bad_input_on_fresh_host(fresh_ansible, case_id):
    check_bad_input(fresh_ansible, case_id, "fresh")


@pytest.mark.parametrize("case_id", CONVERGED)
def test_bad_input_on_converged_host(host, case_id):
    host.ensure("A")
    check_bad_input(host.ansible, case_id, "converged")


def test_every_kind_of_bad_input_runs():
    """No kind of bad input is left to an optional run: each is in the fresh or the converged set."""
    assert sorted(set(CASES) - set(FRESH) - set(CONVERGED)) == []


def test_case_list_covers_the_issue():
    """Every case the issue names is in the fresh set, and there are at least 25 runs."""
    assert len(FRESH) + len(CONVERGED) >= 25
    for needed in ("number-letters", "number-space", "number-semicolon", "number-newline", "number-empty",
                   "login-space", "login-star", "login-autoppp", "login-leading-dash", "login-twice",
                   "local-ip-not-ipv4", "local-equals-remote", "remote-outside-netmask", "port-missing",
                   "port-not-a-tty", "kernel-without-ppp", "unsupported-os", "pap-secret-newline"):
        assert needed in FRESH
