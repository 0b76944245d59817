"""No password hash in any process's command line while a converge sets a PPP account's password.

ansible.builtin.user's password option runs ``usermod -p HASH``, and every local user can read
/proc/PID/cmdline. A sampler in the container reads the command line of every process, sweep after
sweep, while the ppp_server role's accounts step (molecule/shared/ppp_accounts.yml, run from the
scenario's inventory) sets a new password for the PPP account and then puts the scenario's back. The
hashes it set (read from the shadow database) and any crypt(3) hash are in no command line seen,
and the sampler did see the short-lived program that set them.
"""

import json
import os
import re
import shlex
import subprocess
import time

import yaml

TOP = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
PLAYBOOK = os.path.join(TOP, "molecule", "shared", "ppp_accounts.yml")
with open(os.path.join(os.path.dirname(__file__), "..", "group_vars", "callback_servers.yml"), encoding="utf-8") as f:
    GROUP_VARS = yaml.safe_load(f)
(PPP_ACCOUNT,) = GROUP_VARS["server_ppp_users"]
# The prefixes of crypt(3)'s hashes: MD5, SHA-256, SHA-512, yescrypt, bcrypt.
CRYPT_HASH = re.compile(r"\$(1|5|6|y|2[aby]?)\$[^\x00\s]{8,}")

# Reads every /proc/*/cmdline until the stop file appears, then writes each distinct one seen.
SAMPLER = r"""
import json, os, sys
stop, out = sys.argv[1], sys.argv[2]
me = str(os.getpid())
seen = set()
sweeps = 0
while not os.path.exists(stop):
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or pid == me:
            continue
        try:
            with open("/proc/" + pid + "/cmdline", "rb") as f:
                seen.add(f.read())
        except OSError:
            pass
    sweeps += 1
with open(out + ".tmp", "w") as f:
    json.dump({"sweeps": sweeps, "cmdlines": sorted(c.decode("latin-1") for c in seen)}, f)
os.rename(out + ".tmp", out)
"""
STOP = "/run/dialin-test-sampler.stop"
OUT = "/run/dialin-test-sampler.json"


def password_field(host):
    return host.run("getent shadow %s", PPP_ACCOUNT["name"]).stdout.split(":")[1]


def converge_accounts(password):
    """The accounts step with the PPP account's password set to password; its recap line."""
    users = [dict(PPP_ACCOUNT, password=password)]
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_STDOUT_CALLBACK="default")
    run = subprocess.run(
        ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], PLAYBOOK,
         "-e", json.dumps({"ppp_server_users": users})],
        capture_output=True, text=True, env=env, timeout=600, check=False, cwd=TOP)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert password not in run.stdout + run.stderr
    return re.search(r"(?m)^\S+\s+:\s+ok=.*$", run.stdout).group(0)


def test_no_password_hash_in_any_command_line_during_a_converge(host):
    scenario_hash = password_field(host)
    host.run("rm -f %s %s", STOP, OUT)
    host.run("nohup python3 -c %s %s %s > /dev/null 2>&1 &", SAMPLER, STOP, OUT)
    try:
        set_recap = converge_accounts("molecule secret #2")
        set_hash = password_field(host)
        back_recap = converge_accounts(PPP_ACCOUNT["password"])
        back_hash = password_field(host)
    finally:
        host.run("touch %s", STOP)
        deadline = time.monotonic() + 30
        while not host.file(OUT).exists and time.monotonic() < deadline:
            time.sleep(0.5)
        seen = json.loads(host.file(OUT).content_string)
        host.run("rm -f %s %s", STOP, OUT)
    # The converges did set the passwords: a hash each, and the scenario's back again.
    assert "changed=0" not in set_recap and "changed=0" not in back_recap, (set_recap, back_recap)
    assert CRYPT_HASH.fullmatch(set_hash) and set_hash != scenario_hash and back_hash == scenario_hash
    # The sampler saw the program that set each password, a process that lives a few milliseconds.
    setters = [c for c in seen["cmdlines"] if os.path.basename(c.split("\x00")[0]) in ("chpasswd", "usermod")]
    assert setters, "the sampler saw no program setting a password in %d sweeps" % seen["sweeps"]
    leaks = [c.replace("\x00", " ") for c in seen["cmdlines"]
             if scenario_hash in c or set_hash in c or CRYPT_HASH.search(c)]
    assert not leaks, "a password hash in a command line: %s" % shlex.join(leaks)
    # Run again with the same password: nothing changes.
    assert "changed=0" in converge_accounts(PPP_ACCOUNT["password"])
