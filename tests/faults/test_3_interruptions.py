"""Faults: a converge killed at different tasks leaves every managed file old or new, never partial.

From the converged state (A after B after A, conftest.reference_states), converges alternate between
configuration B and A; each is killed (SIGKILL of ansible-playbook's whole process group, every third
one SIGTERM first) a random fraction of a second after a given task's header appears. After each
kill, once nothing of Ansible runs in the container any more, every managed file must be
byte-identical (content, mode, owner) to its version after one of the full converges A, B or A
again, or absent where one of them had it absent. The account databases (passwd, shadow, group,
gshadow) are changed one account per call, so they are compared entry by entry: every line must be
a line of one of those versions. Then a converge of B must succeed and end exactly in B's state,
and the next one must report changed=0.
"""

from __future__ import annotations

import os
import random
import signal

import pytest

from conftest import ACCOUNT_FILES, STATS, account_lines, config_a, config_b, snapshot

SEED = int(os.environ.get("FAULTS_SEED", random.randrange(1 << 30)))
RNG = random.Random(SEED)

# (header substring, target configuration): different tasks, the targets alternating.
KILL_POINTS = [
    ("Write the udev rule for the modem ports", "B"),
    ("Write /etc/ppp/options, the ppplogin peer file, the ppplogin shell and each port's", "A"),
    ("Set net.ipv4.ip_forward now and at every boot", "B"),
    ("Create the PPP accounts with the ppplogin shell", "A"),
    ("Write the PAP secrets", "B"),
    ("Write mgetty.config", "A"),
    ("Write the /AutoPPP/ and fallback entries", "B"),
    ("Restrict the callback program to root", "A"),
    ("Write callback.config", "B"),
    ("Write one callback entry per user", "A"),
    ("RUNNING HANDLER [dialin.callback.mgetty : Restart idle mgetty]", "B"),
]


def _meta(desc: str) -> str:
    """'file\t644 root root\t<sha>' -> 'file\t644 root root' (account files: lines compared apart)."""
    return "\t".join(desc.split("\t")[:2])


def check_old_or_new(ctr, refs: dict) -> list[str]:
    snaps = [refs["snaps"][k] for k in ("A0", "B", "A1")]
    accounts = [refs["accounts"][k] for k in ("A0", "B", "A1")]
    now = snapshot(ctr)
    problems = []
    for path in sorted(set(now).union(*snaps)):
        allowed = {s.get(path, "<absent>") for s in snaps}
        got = now.get(path, "<absent>")
        if path in ACCOUNT_FILES:
            allowed, got = {_meta(a) for a in allowed}, _meta(got)
        if got not in allowed:
            problems.append(f"{path}: {got!r} is none of the full-converge versions {sorted(allowed)}")
    lines_now = account_lines(ctr)
    for f in ACCOUNT_FILES:
        known = set().union(*(a[f] for a in accounts))
        for line in sorted(lines_now[f] - known):
            problems.append(f"{f}: entry {line.split(':')[0]!r} is in no full-converge version"
                            + ("" if f.endswith("shadow") else f": {line!r}"))
    return problems


@pytest.fixture(scope="module")
def interrupted(reference_states, ansible):
    return {"snaps": reference_states.snaps, "accounts": reference_states.accounts, "done": []}


@pytest.mark.parametrize("n", range(len(KILL_POINTS)))
def test_killed_converge_leaves_old_or_new(interrupted, ansible, n):
    task, target = KILL_POINTS[n]
    sig = signal.SIGTERM if n % 3 == 2 else signal.SIGKILL
    # The last task and the handler can end before a late signal: such a run is checked like the
    # others, then the point is tried once more, towards the other configuration (so there is
    # again something to write) and with an earlier signal.
    for attempt, (delay, goal) in enumerate(((round(RNG.uniform(0.0, 0.8), 2), target),
                                            (round(RNG.uniform(0.0, 0.2), 2), "A" if target == "B" else "B"))):
        overrides = config_b() if goal == "B" else config_a()
        run = ansible.run_and_kill(overrides, task, delay, "--diff", sig_first=sig)
        quiet = ansible.ctr.wait_quiet(90)
        entry = (f"#{n + 1}{'b' if attempt else ''} to {goal}: {sig.name} {delay}s after "
                 f"{run.killed_at or 'NOT KILLED (header never appeared)'}; rc {run.rc}; {run.seconds:.0f}s")
        STATS["interruptions"].append(entry)
        _check_killed_run(interrupted, ansible, n, task, run, quiet)
        if run.rc != 0:
            STATS["interruptions_survived"] += 1
            interrupted["done"].append(n)
            return
        # the run ended (the handler, the last task) before the signal: not an interruption
        STATS["interruptions"][-1] += " (completed before the kill: not counted)"


def _check_killed_run(interrupted, ansible, n, task, run, quiet):
    assert run.killed_at, f"the run ended before {task!r} appeared:\n{run.tail(30)}"
    assert quiet, "Ansible processes still run in the container 90 s after the kill"
    junk = ansible.ctr.sh(
        "find /etc/mgetty /etc/ppp /etc/udev/rules.d /etc/sysctl.d /etc/systemd/system /etc -maxdepth 1 "
        "-newer /etc/hostname \\( -name '.ansible_tmp*' -o -name '*.tmp' -o -name 'tmp*' \\) 2>/dev/null | sort -u",
        check=False).stdout.split()
    if junk:
        STATS["notes"].append(f"kill #{n + 1}: temporary files left behind: {junk}")
    problems = check_old_or_new(ansible.ctr, interrupted)
    assert not problems, "partial state after the kill:\n  " + "\n  ".join(problems)


def test_next_converge_succeeds_and_then_changes_nothing(interrupted, ansible):
    assert len(interrupted["done"]) >= 10, f"only {len(interrupted['done'])} interruptions survived"
    run = ansible.run(config_b(), "--diff")
    assert run.rc == 0, f"the converge after the interruptions failed:\n{run.tail(60)}"
    now = snapshot(ansible.ctr)
    ref = interrupted["snaps"]["B"]
    differ = [p for p in sorted(set(now) | set(ref)) if p not in ACCOUNT_FILES and now.get(p) != ref.get(p)]
    assert not differ, "not B's state after the converge: " + "; ".join(
        f"{p}: {ref.get(p)} != {now.get(p)}" for p in differ)
    lines = account_lines(ansible.ctr)
    for f in ACCOUNT_FILES:
        assert lines[f] == interrupted["accounts"]["B"][f], f"{f} differs from B's"
    again = ansible.run(config_b(), "--diff")
    assert again.rc == 0, again.tail(60)
    assert again.recap.get("changed") == 0, (
        f"second converge after the interruptions: {again.recap}\n"
        + "\n".join(line for line in again.output.splitlines() if line.startswith(("changed:", "TASK ["))))
    STATS["notes"].append(f"interruption kill delays seeded with FAULTS_SEED={SEED}")
