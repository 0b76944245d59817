"""A caller kit (playbooks/caller_kits.yml) used against the converged server, with the test modem.

The kit is written from the scenario's own inventory, as an operator would; its Windows Dial-Up
Scripting file is then run (dialup_script.py: its waitfor, transmit and delay commands as the test
modem's caller steps) after what Dial-Up Networking does before a script: the modem's extra
settings from the kit, the number from the kit, CONNECT.
"""

import glob
import json
import os
import re
import shlex
import subprocess

import pytest
import yaml

from dialup_script import caller_steps, parse

TOP = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
CALLER = "/usr/local/lib/dialin-test/caller.py"
CALLER_LINE = "/run/modememu/caller"
SERVER_NUMBER = "100"
# group_vars/callback_servers.yml: the kits' own pseudo-logins (the rate limit counts callbacks per
# pseudo-login), called back at the caller's line; the one PPP account.
KIT_LOGIN = "callkit"
TERMINAL_LOGIN = "callterm"
CALLER_NUMBER = "05551234"
with open(os.path.join(os.path.dirname(__file__), "..", "group_vars", "callback_servers.yml"), encoding="utf-8") as f:
    GROUP_VARS = yaml.safe_load(f)
(PPP_ACCOUNT,) = GROUP_VARS["server_ppp_users"]


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    """The kits of the scenario's server, written by the playbook from the scenario's inventory."""
    out = tmp_path_factory.mktemp("caller-kits")
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_STDOUT_CALLBACK="default")
    run = subprocess.run(
        ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], "dialin.callback.caller_kits",
         "-e", f"caller_kits_dir={out}", "-e", f"caller_kits_server_number={SERVER_NUMBER}"],
        capture_output=True, text=True, env=env, timeout=300, check=False, cwd=TOP)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    (folder,) = glob.glob(os.path.join(str(out), "*", KIT_LOGIN))
    (terminal,) = glob.glob(os.path.join(str(out), "*", TERMINAL_LOGIN))
    return {"root": str(out), "dir": folder, "terminal_dir": terminal, "stdout": run.stdout}


def test_the_kit_holds_no_password(kit):
    files = [p for p in glob.glob(os.path.join(kit["root"], "**"), recursive=True) if os.path.isfile(p)]
    assert len(files) == 4 * len(GROUP_VARS["server_callback_users"]), files
    for path in files:
        with open(path, "rb") as f:
            assert PPP_ACCOUNT["password"].encode() not in f.read(), path
    assert PPP_ACCOUNT["password"] not in kit["stdout"]


@pytest.mark.usefixtures("paced_line")
@pytest.mark.line_calls(callbacks=1)
def test_the_dial_up_script_is_called_back_and_starts_pppd(host, kit):
    """Dial-Up Networking's part (extra settings, dial, CONNECT), then the kit's script: it logs in
    as the pseudo-login, waits for the server's hang-up and RING, answers, logs in as the PPP account
    and reaches its password prompt; the password the user typed in the Connect To dialog then
    starts pppd, whose message (no /dev/ppp in the container) reaches the caller."""
    with open(os.path.join(kit["dir"], "windows-dial-up-networking.txt"), encoding="utf-8") as f:
        settings = re.search(r"(?m)^  Modem extra settings: (\S+)\r?$", f.read()).group(1)
    with open(os.path.join(kit["dir"], f"{KIT_LOGIN}.scp"), encoding="utf-8") as f:
        script, budget = caller_steps(parse(f.read()), PPP_ACCOUNT["name"], PPP_ACCOUNT["password"])
    # Dial-Up Networking prefixes the extra settings with AT and sends them after its own init.
    dial_up_networking = ["send", r"ATZ\r", "expect", "OK", "send", f"AT{settings}\\r", "expect", "OK",
                          "send", f"ATDT{SERVER_NUMBER}\\r", "timeout", "60", "expect", "CONNECT"]
    after = ["timeout", "30", "expect", "/usr/sbin/pppd: ", "expect", "NO CARRIER"]
    dials_before = len(server_dials(host))
    cmd = ["python3", CALLER, "--line", CALLER_LINE, "--timeout", str(budget + 120)] + dial_up_networking + script + after
    result = host.run(" ".join(shlex.quote(a) for a in cmd))
    assert result.rc == 0, result.stdout + result.stderr
    # In this order on the line: the first login prompt, the hang-up, the call back, its login prompt,
    # the PPP account's password prompt, pppd.
    received = "".join(re.findall(r"<<< (.*)", result.stdout))
    order = [received.find(text) for text in ("ogin:", "NO CARRIER", "RING", "assword:", "/usr/sbin/pppd: ")]
    assert -1 not in order and order == sorted(order), result.stdout
    # The server dialled the registered number, and nothing else.
    assert server_dials(host)[dials_before:] == [CALLER_NUMBER]


@pytest.mark.usefixtures("paced_line")
@pytest.mark.line_calls(callbacks=1)
def test_the_terminal_sheet_typed_row_by_row_is_called_back_and_starts_pppd(host, kit):
    """terminal.txt followed as a person at a terminal would: wait for what the left column shows,
    type what the right one says (with the HOWTO's S0=1 the modem answers the call back by itself),
    the PPP password at Password:. The sheet's last row (the server's PPP characters) cannot come in
    a container without PPP: pppd's message about the missing /dev/ppp does instead."""
    with open(os.path.join(kit["terminal_dir"], "terminal.txt"), encoding="utf-8") as f:
        rows = [(shown.strip(), typed.strip()) for shown, typed in
                re.findall(r"(?m)^  (\S.{19}) (\S.{0,18}?) {2,}", f.read())]
    assert rows[-1] == ("~}#...", "(nothing)"), rows
    steps = ["timeout", "200"]
    for shown, typed in rows[:-1]:
        if shown != "(modem ready)":
            steps += ["expect", shown.replace(" ...", "")]
        if typed == "your PPP password":
            steps += ["sleep", "1", "send", PPP_ACCOUNT["password"].replace("\\", "\\\\") + r"\r"]
        elif typed != "(nothing)":
            steps += ["send", typed + r"\r"]
    dials_before = len(server_dials(host))
    cmd = ["python3", CALLER, "--line", CALLER_LINE, "--timeout", "400"] + steps + [
        "timeout", "30", "expect", "/usr/sbin/pppd: ", "expect", "NO CARRIER"]
    result = host.run(" ".join(shlex.quote(a) for a in cmd))
    assert result.rc == 0, result.stdout + result.stderr
    # The sheet's own rows: the pseudo-login, the call back answered by the modem, the PPP account.
    assert [typed for shown, typed in rows if shown == "login:"] == [TERMINAL_LOGIN, PPP_ACCOUNT["name"]]
    assert ("OK", "AT&C0S0=1") in rows
    assert server_dials(host)[dials_before:] == [CALLER_NUMBER]


def server_dials(host):
    """The numbers the server's line (100) dialled, in order (the emulator's event log)."""
    events = [json.loads(line) for line in host.file("/run/modememu/events.jsonl").content_string.splitlines()]
    return [e["number"] for e in events if e["event"] == "dial" and e["line"] == SERVER_NUMBER]
