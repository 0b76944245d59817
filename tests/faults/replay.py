"""Runs inside the fault tests' container (copied there by test_3_interruptions.py): replays the
modules a converge ran, from the AnsiballZ files Ansible kept (ANSIBLE_KEEP_REMOTE_FILES=1), under
strace, and kills them with SIGKILL at a chosen system call.

  replay.py list BEFORE           the kept module files not listed in BEFORE, with module and paths
  replay.py run PAYLOAD [SYSCALL K]
                                  run it (under strace; with SYSCALL K, SIGKILL at the K-th call of
                                  SYSCALL); print JSON: rc, changed, failed, the strace lines
  replay.py kill PAYLOAD TARGET SRC SYSCALL K
                                  the same kill, after putting back the copy module's source SRC
                                  ("-": none), then the snapshot of the container
  replay.py recover PAYLOAD TARGET SRC [TEMP...]
                                  remove the killed process's temporary files that are not the
                                  collection's own (those the module must remove), run the module
                                  twice (changed, then not) and describe TARGET after the first
                                  run, then put A's version of TARGET back

Output never holds the modules' arguments or results beyond their paths, changed and failed: the
arguments of ppp_secret hold passwords.
"""

import ast
import glob
import hashlib
import json
import os
import re
import subprocess
import sys

TMP = "/root/.ansible/tmp"
TRACED = ("openat,write,fsync,fdatasync,fchmod,fchown,chmod,chown,lchown,fchownat,fchmodat,rename,renameat,"
          "renameat2,unlink,unlinkat,close,utimensat,truncate,ftruncate,link,linkat,symlink,symlinkat,mkdir")


def params_of(payload):
    with open(payload, encoding="utf-8") as f:
        text = f.read()
    module = re.search(r"^ansible_module='([^']+)'", text, re.M).group(1)
    raw = re.search(r"^params=('.*'),$", text, re.M).group(1)
    args = json.loads(ast.literal_eval(raw))["ANSIBLE_MODULE_ARGS"]
    return module, args


def cmd_list(before):
    with open(before, encoding="utf-8") as f:
        old = set(f.read().split())
    out = []
    for d in sorted(glob.glob(TMP + "/ansible-tmp-*"), key=os.path.getmtime):
        if os.path.basename(d) in old:
            continue
        for payload in glob.glob(d + "/AnsiballZ_*.py"):
            module, args = params_of(payload)
            keep = {k: args[k] for k in ("path", "dest", "src", "name", "state", "remote_src")
                    if k in args and not isinstance(args[k], (dict, list))}
            out.append({"payload": payload, "module": module, "args": keep})
    print(json.dumps(out))


REF = "/root/faults-ref"
SNAPSHOT = "/usr/local/lib/dialin-test/snapshot.sh"


def restore_src(target, src):
    """A copy module renames its uploaded source onto the file: put the source back (B's content)."""
    if src != "-":
        with open(src, "wb") as f:
            f.write(subprocess.run(["tar", "-xOf", REF + "/B.tar", target.lstrip("/")], stdout=subprocess.PIPE,
                                   check=True).stdout)


def describe(path):
    out = subprocess.run(["find", path, "-printf", "%y %m %u %g %l"], stdout=subprocess.PIPE, check=False)
    text = out.stdout.decode()
    if os.path.isfile(path):
        with open(path, "rb") as f:
            text += " " + hashlib.sha256(f.read()).hexdigest()
    return text


def run(payload, syscall=None, k=None):
    log = "/root/faults-strace.log"
    argv = ["strace", "-qq", "-s", "1", "-y", "-e", "trace=" + TRACED, "-o", log]
    if syscall:
        argv += ["-e", "inject=%s:signal=KILL:when=%s" % (syscall, k)]
    proc = subprocess.run(argv + ["/usr/bin/python3", payload], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, check=False)
    try:
        result = json.loads(proc.stdout.decode() or "{}")
    except ValueError:
        result = {}
    with open(log, encoding="utf-8", errors="replace") as f:
        lines = f.read().splitlines()
    return {"rc": proc.returncode, "changed": result.get("changed"), "failed": result.get("failed"), "lines": lines}


def cmd_kill(payload, target, src, syscall, k):
    restore_src(target, src)
    res = run(payload, syscall, k)
    res["snapshot"] = subprocess.run(["bash", SNAPSHOT], stdout=subprocess.PIPE, check=True).stdout.decode()
    print(json.dumps(res))


def cmd_recover(payload, target, src, *temps):
    # The collection's modules remove what an earlier killed run of theirs left
    # (.<file>.<random>.tmp); ansible.builtin.copy's leftovers are Ansible's, removed here.
    ours = "." + os.path.basename(target) + "."
    for t in temps:
        if not (os.path.basename(t).startswith(ours) and t.endswith(".tmp")):
            os.unlink(t)
    restore_src(target, src)
    second = run(payload)
    second["described"] = describe(target)
    second["temps_left"] = sorted(t for t in temps if os.path.exists(t))
    restore_src(target, src)
    third = run(payload)
    for r in (second, third):
        del r["lines"]
    subprocess.run(["rm", "-f", target], check=True)
    subprocess.run(["tar", "-xpf", REF + "/A1.tar", "-C", "/", target.lstrip("/")], check=False)
    print(json.dumps({"second": second, "third": third, "restored": describe(target)}))


if __name__ == "__main__":
    COMMANDS = {"list": cmd_list, "run": lambda *a: print(json.dumps(run(*a))), "kill": cmd_kill,
                "recover": cmd_recover}
    COMMANDS[sys.argv[1]](*sys.argv[2:])
