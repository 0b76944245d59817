"""Faults: what writes is killed inside the write; every managed file stays old or new, byte for byte.

Two kinds of interruption, each one counted (conftest.STATS, printed at the end):

- **Module kills** (FAULTS_MODULE_KILLS, default 30). The reference converge to configuration B ran
  with the modules' files kept in the container; every kept module whose own process writes a file
  under /etc (found by what it does: its system calls under strace, not by a task name) is a
  writer. Each writer is traced once from A's state. Its kill points are sorted by what they must
  leave (strace kills at the entry of a call, so the call never runs): *before-rename*, the calls
  that create and write the temporary file (or the file, written in place): the file is old;
  *at-rename*, the rename onto the file: the file is old and the temporary file (or the copy
  module's uploaded source) holds the whole new content, so the kill landed between the write and
  the rename; *after-rename*, the first call after the rename and the calls that then set the
  file's owner, mode or times: the content is new (with owner and mode still the old ones, never
  wider than the new ones). The writers are killed in turn and each writer's kills go through the
  phases in turn, so that every writer is left both old and new in a run
  (``test_the_kills_leave_every_writer_both_old_and_new``). Each kill restores A's version of the
  file, replays the module under strace with SIGKILL injected at a random call of its phase, and
  requires: the process died of SIGKILL at exactly that call, after the rename only for
  after-rename; every other entry of the snapshot is A's; a temporary file left by the killed
  process (a SIGKILLed process cannot remove it) is in the file's directory and was created by
  that process, and is then removed by the test; the module run again succeeds, changed unless the
  file was already new, and writes B's version, and a third run reports no change.
- **Power cuts** (FAULTS_POWER_CUTS, default 2; A to B, then B to A). A full converge from one
  configuration to the other is started and the whole container is killed (``podman kill -s
  KILL``) after a random one of the changes the reference converge in that direction made, and a
  random fraction of a second; then the container is started again. Every managed entry must be
  one of the two versions (type, mode, owner, group and content; the account databases line by
  line, and their type, mode, owner and group) and some, not all, must have changed (the cut
  landed in the converge's writes); the next converge must end in exactly the target state, with
  no temporary file under /etc, and the one after it must report changed=0.

Every kill and cut is drawn from FAULTS_SEED (printed in the header and in each failure): the same
seed with ``-k kill-NN`` or ``-k cut-N`` repeats it.

A test fails on any interruption that did not land where chosen; none is skipped.
"""

from __future__ import annotations

import json
import os
import posixpath
import random
import re
import threading
import time

import pytest

from conftest import (ACCOUNT_FILES, BACKUP, CONFIGS, ROOT, SECRETS_A, SECRETS_B, SEED, SNAPSHOT_SCRIPT, STATS,
                      TEST_LIB, account_lines, assert_no_secret, parse_snapshot, podman, snapshot)

N_MODULE_KILLS = int(os.environ.get("FAULTS_MODULE_KILLS", "30"))
N_POWER_CUTS = int(os.environ.get("FAULTS_POWER_CUTS", "2"))
REPLAY = f"{TEST_LIB}/replay.py"
WRITING_MODULES = {"ansible.legacy.copy", "ansible.builtin.copy", "dialin.callback.login_config",
                   "dialin.callback.callback_user", "dialin.callback.ppp_secret"}
SECRETS = list(SECRETS_A.values()) + list(SECRETS_B.values())

LINE_RE = re.compile(r"^(\w+)\((.*)$")
QUOTED_PATH = re.compile(r'"(/[^"]*)"')
ANY_PATH = re.compile(r'"(/[^"]*)"|<(/[^>]*)>')
KILLED = "+++ killed by SIGKILL +++"
ATTRIBUTE_CALLS = {"fchmod", "fchown", "chmod", "chown", "lchown", "fchownat", "fchmodat", "utimensat"}
# Per writer, the kills go through these phases in turn: each writer is left old and new.
PHASES = ("at-rename", "after-rename", "before-rename")
# What each phase must leave the file as.
EXPECTED = {"before-rename": {"old"}, "at-rename": {"old"}, "after-rename": {"new", "new content, old attributes"}}


def paths_in(line: str) -> list[str]:
    return [a or b for a, b in ANY_PATH.findall(line)]


def is_write_call(line: str) -> bool:
    """A system call that creates, writes, renames, removes or changes the attributes of a file."""
    name = LINE_RE.match(line).group(1)
    if name == "openat":
        return bool(re.search(r"O_WRONLY|O_RDWR|O_CREAT|O_TRUNC", line))
    return name != "close"


class Writer:
    """A kept module file whose own process writes one file under /etc."""

    def __init__(self, info: dict, lines: list[str]):
        self.payload, self.module, self.args = info["payload"], info["module"], info["args"]
        calls = [(i, ln) for i, ln in enumerate(lines) if LINE_RE.match(ln)]
        renames = [QUOTED_PATH.findall(ln) for _i, ln in calls if LINE_RE.match(ln).group(1).startswith("rename")]
        targets = [p[-1] for p in renames if len(p) >= 2 and p[-1].startswith("/etc/")]
        if not targets:  # written in place (no rename): the files opened for writing under /etc
            targets = [QUOTED_PATH.findall(ln)[0] for _i, ln in calls
                       if ln.startswith("openat(") and is_write_call(ln) and '"/etc/' in ln]
        self.target = targets[-1] if targets else None
        if not self.target:
            self.window: list = []
            return
        related = {self.target} | {p[0] for p in renames if len(p) >= 2 and p[-1] == self.target}
        tdir = posixpath.dirname(self.target)
        related |= {QUOTED_PATH.findall(ln)[0] for _i, ln in calls
                    if ln.startswith("openat(") and "O_CREAT" in ln and posixpath.dirname(
                        (QUOTED_PATH.findall(ln) or ["/"])[0]) == tdir}
        self.related = related
        touching = [i for i, ln in calls if related & set(paths_in(ln))]
        start = next(i for i, ln in calls if i in touching and is_write_call(ln))
        end = touching[-1]
        counts: dict[str, int] = {}
        self.window = []
        # Kill points: the calls of the window that touch the file, its temporary file, its source or
        # its backup (a call on a pipe in between proves nothing about the write). Each is named by
        # its rank among all calls of its name, which is what strace's injection counts.
        touching_set = set(touching)
        ranked = []
        for i, ln in calls:
            name = LINE_RE.match(ln).group(1)
            counts[name] = counts.get(name, 0) + 1
            ranked.append((i, name, counts[name], ln))
            if start <= i <= end and i in touching_set:
                self.window.append((name, counts[name], ln))
        # The kill points by what they must leave, each checked after its kill:
        # - "before-rename": the file is still written to its temporary file (or in place): old;
        # - "at-rename": the rename onto the file, its temporary file fully written: old, and the
        #   temporary file holds the new content;
        # - "after-rename": the first call after the rename, and the calls after it that set the
        #   file's owner, mode or times: the new content (owner and mode may still be old ones).
        self.trace = [ln for _i, _name, _k, ln in ranked]
        onto = [i for i, name, _k, ln in ranked if name.startswith("rename") and QUOTED_PATH.findall(ln)[-1:]
                == [self.target] and start <= i <= end]
        self.phases: dict[str, list] = {"before-rename": [], "at-rename": [], "after-rename": []}
        if onto:
            pos = onto[-1]
            for i, name, k, ln in ranked:
                if i < pos and (name, k, ln) in self.window:
                    self.phases["before-rename"].append((name, k, ln))
                elif i == pos:
                    self.phases["at-rename"].append((name, k, ln))
                elif i > pos and (not self.phases["after-rename"] or (
                        self.target in paths_in(ln) and name in ATTRIBUTE_CALLS)):
                    self.phases["after-rename"].append((name, k, ln))
        else:  # written in place: inside the window, and the first call after it (the file whole)
            self.phases["before-rename"] = list(self.window)
            self.phases["after-rename"] = [(name, k, ln) for i, name, k, ln in ranked if i > end][:1]

    def __repr__(self) -> str:
        return f"{self.module} -> {self.target}"


class Replay:
    def __init__(self, host):
        self.host, self.ctr = host, host.ctr
        self.a, self.b = host.refs["A1"], host.refs["B"]
        self.writers: list[Writer] = []

    def run(self, payload: str, syscall: str | None = None, k: int | None = None) -> dict:
        out = self.ctr.sh(f"python3 {REPLAY} run {payload}" + (f" {syscall} {k}" if syscall else ""),
                          timeout=120).stdout
        assert_no_secret(out, SECRETS, f"the replay of {payload}")
        return json.loads(out)

    def replay(self, w: Writer, syscall: str | None = None, k: int | None = None) -> dict:
        self.restore_src(w)
        return self.run(w.payload, syscall, k)

    def restore(self, w: Writer) -> None:
        """Put A's version of the file back (the test's own reset, not a converge)."""
        if w.target in self.a:
            self.ctr.sh(f"rm -f {w.target}; tar -xpf /root/faults-ref/A1.tar -C / {w.target.lstrip('/')}")
        else:
            self.ctr.sh(f"rm -f {w.target}")

    def restore_src(self, w) -> None:
        """A copy module renames its uploaded source onto the file: put the source back (B's content)."""
        src = w.args.get("src", "")
        if src.startswith("/root/.ansible/tmp/") and getattr(w, "target", None):
            self.ctr.sh(f"tar -xOf /root/faults-ref/B.tar {w.target.lstrip('/')} > {src}")


@pytest.fixture(scope="module")
def replay(references) -> Replay:
    host = references
    host.ensure("A")
    ctr = host.ctr
    ctr.sh("command -v strace >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq strace "
           "|| (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq strace)", timeout=300)
    podman("cp", str(ROOT / "tests/faults/replay.py"), f"{ctr.name}:{REPLAY}")
    ctr.sh(f"cat > {TEST_LIB}/snapshot.sh <<'SNAPSHOT_EOF'\n{SNAPSHOT_SCRIPT}\nSNAPSHOT_EOF")
    rp = Replay(host)
    infos = json.loads(ctr.sh(f"python3 {REPLAY} list /root/faults-tmp-before").stdout)
    assert infos, "no module file was kept by the converge to B"
    # What writes files: copy (and template, which runs copy) and the collection's file modules.
    # The others (packages, accounts, services, facts) are not replayed.
    rp.kept = infos
    infos = [i for i in infos if i["module"] in WRITING_MODULES]
    for info in infos:
        # The dry trace runs from A's state: the writer's target is found by what it writes. A copy
        # module's source was renamed away by the converge: traced once without it to find the
        # target, then with it.
        dry = rp.run(info["payload"])
        w = Writer(info, dry["lines"])
        if w.target is None and info["args"].get("src", "").startswith("/root/.ansible/tmp/"):
            dest = info["args"].get("dest", "")
            if dest.startswith("/etc/") and dest in rp.b:
                w.target = dest
                rp.restore_src(w)
                dry = rp.run(info["payload"])
                w = Writer(info, dry["lines"])
        assert dry["rc"] == 0, f"{w}: the replay from A's state failed: rc {dry['rc']}"
        if w.target:
            assert dry["changed"] is True, f"{w}: wrote without reporting a change"
            now = snapshot(ctr)
            # A loop's item writes its own step towards B: that step is the "new" version.
            w.new = now.get(w.target, "<absent>")
            assert w.new != rp.a.get(w.target), f"{w}: wrote A's version again"
            rp.restore(w)
            rp.writers.append(w)
    assert rp.writers, "no kept module writes a file under /etc"
    replayed = "; ".join(f"{w} ({len(w.window)} calls in its write window)" for w in rp.writers)
    STATS["notes"].append("writers replayed: " + replayed)
    return rp


def test_every_written_file_differs_between_the_configurations(references, replay):
    """A kill can only tear a file whose two versions differ: every file the converge's modules
    write differs between A and B."""
    a, b = references.refs["A1"], references.refs["B"]
    managed = {w.target for w in replay.writers}
    same = sorted(p for p in managed if a.get(p) == b.get(p))
    assert not same, f"files with the same content in A and B: {same}"
    targets = {w.target for w in replay.writers}
    # A loop's items share one kept module file (the last item's): mgetty.config, written by the
    # same template loop as the unit, is interrupted by the power cuts only.
    for expected in ("/etc/mgetty/login.config", "/etc/mgetty/callback.config", "/etc/ppp/pap-secrets",
                     "/etc/ppp/options.ttyS1", "/etc/udev/rules.d/70-dialin-callback-modem.rules"):
        assert expected in targets, (f"no writer of {expected} among {sorted(targets)}; A: {a.get(expected)}, "
                                     f"B: {b.get(expected)}; kept modules: "
                                     + "; ".join(f"{i['module']} {i['args']}" for i in replay.kept))


def backup_of_a_version(path: str, desc: str, refs) -> bool:
    """An Ansible backup copy (backup: true) of a file, holding one of its reference versions."""
    m = BACKUP.match(path)
    return bool(m) and any(r.get(m.group("base"), "").split(" ")[-1] == desc.split(" ")[-1] for r in refs)


def whole_problems(now: dict, before: dict, after: dict, target: str, allowed_new: set) -> list[str]:
    problems = []
    for path in sorted(set(now) | set(before)):
        if path in allowed_new:
            continue
        got = now.get(path, "<absent>")
        ok = {before.get(path, "<absent>")}
        if path == target:
            ok.add(after.get(path, "<absent>"))
        if got not in ok:
            problems.append(f"{path}: {got!r} is none of {sorted(ok)}")
    return problems


def test_the_collection_s_writers_sync_the_new_content_before_the_rename(replay):
    """A crash of the whole host after the rename must not leave an empty or short file: the
    collection's own writers fsync the temporary file before renaming it onto the file (the
    container kills above cannot tell, as the host's page cache survives them)."""
    ours = [w for w in replay.writers if w.module.startswith("dialin.callback.")]
    assert ours, "no writer of the collection's own modules was replayed"
    for w in ours:
        rename = next(i for i, ln in enumerate(w.trace) if ln.startswith("rename")
                      and QUOTED_PATH.findall(ln)[-1:] == [w.target])
        temp = QUOTED_PATH.findall(w.trace[rename])[0]
        synced = [ln for ln in w.trace[:rename] if ln.startswith(("fsync(", "fdatasync(")) and f"<{temp}>" in ln]
        assert synced, f"{w}: no fsync of {temp} before the rename:\n  " + "\n  ".join(w.trace[max(0, rename - 8):rename + 1])


def kill_plan(writers: list, n: int) -> tuple:
    """Kill n's writer and phase: the writers in turn, and each writer's kills through PHASES (a
    phase a writer does not have is passed over)."""
    w = writers[(n - 1) % len(writers)]
    turn = (n - 1) // len(writers)
    phases = [p for p in PHASES if w.phases[p]]
    return w, phases[turn % len(phases)]


def test_the_kills_leave_every_writer_both_old_and_new(replay):
    """The plan gives each writer a kill that must leave the file old and one that must leave it new."""
    outcomes: dict = {}
    for n in range(1, N_MODULE_KILLS + 1):
        w, phase = kill_plan(replay.writers, n)
        outcomes.setdefault(repr(w), set()).update("new" if "new" in o else "old" for o in EXPECTED[phase])
    short = {w: o for w, o in outcomes.items() if o != {"old", "new"}}
    assert len(outcomes) == len(replay.writers) and not short, (
        f"FAULTS_MODULE_KILLS={N_MODULE_KILLS} leaves writers without both outcomes: {short or 'some never killed'} "
        f"({len(replay.writers)} writers)")
    for w in replay.writers:
        assert w.phases["after-rename"], f"{w}: no call after its write to kill at"


@pytest.mark.parametrize("n", range(1, N_MODULE_KILLS + 1), ids=lambda n: f"kill-{n:02d}")
def test_module_killed_inside_its_write(replay, n):
    # Another test (a power cut) may have left the host in B: the kills start from A's files.
    replay.host.ensure("A")
    rng = random.Random(SEED * 1000 + n)
    w, phase = kill_plan(replay.writers, n)
    name, k, dry_line = rng.choice(w.phases[phase])
    entry = {"landed": False, "survived": False,
             "text": f"kill-{n:02d} {w.module} -> {w.target}: {phase}, SIGKILL at {name} #{k} ({_short(dry_line)}); "
                     f"again with FAULTS_SEED={SEED} -k kill-{n:02d}"}
    STATS["interruptions"].append(entry)
    try:
        ctr = replay.ctr
        src = w.args.get("src", "") if w.args.get("src", "").startswith("/root/.ansible/tmp/") else "-"
        out = ctr.sh(f"python3 {REPLAY} kill {w.payload} {w.target} {src} {name} {k}", timeout=120).stdout
        assert_no_secret(out, SECRETS, f"the replay of {w.payload}")
        killed = json.loads(out)
        lines = killed["lines"]
        assert killed["rc"] == -9 and lines and lines[-1] == KILLED, (
            f"the module was not killed by the injected SIGKILL: rc {killed['rc']}, last lines {lines[-3:]}")
        at = lines[-2]
        # strace stops the process at the entry of the call and kills it there: the call never ran.
        assert at.startswith(name + "(") and at.endswith("= ?"), (
            f"the kill landed at {at!r}, not at {name} #{k} ({dry_line!r})")
        renamed = [ln for ln in lines[:-2] if LINE_RE.match(ln) and LINE_RE.match(ln).group(1).startswith("rename")
                   and QUOTED_PATH.findall(ln)[-1:] == [w.target] and ln.endswith("= 0")]
        if phase == "after-rename":
            assert renamed, f"the kill at {at!r} came before the rename onto {w.target}"
        else:
            assert not renamed and (w.related | _new_in(lines, w)) & set(paths_in(at)), (
                f"the kill landed at {at!r}, not at {name} #{k} of the write window ({dry_line!r})")
        entry["landed"] = True
        entry["text"] += f"; killed at {_short(at)}"
        now = parse_snapshot(killed["snapshot"])
        new = {p for p in now if p not in replay.a}
        temps = {p for p in new if posixpath.dirname(p) == posixpath.dirname(w.target)
                 and posixpath.basename(p).startswith(".") and p in _new_in(lines, w)}
        backups = {p for p in new if backup_of_a_version(p, now[p], list(replay.host.refs.values()))}
        old_desc, got = replay.a.get(w.target, "<absent>"), now.get(w.target, "<absent>")
        torn = _content(got) == _content(w.new) and _attributes(got) == _attributes(old_desc) and got != w.new
        problems = whole_problems(now, replay.a, {w.target: got if torn else w.new}, w.target, temps | backups)
        assert not problems, "not old or new after the kill:\n  " + "\n  ".join(problems)
        state = "new" if got == w.new else "new content, old attributes" if torn else "old"
        assert state in EXPECTED[phase], f"{phase}: the file is {state}, expected {EXPECTED[phase]}"
        if torn:
            # Never more open than the version being written: a secret gets its mode before its content.
            assert not _mode(got) & ~_mode(w.new), f"new content with the old, wider mode: {got} (new: {w.new})"
        if phase == "at-rename":
            # What was about to be renamed onto the file holds the new content: a temporary file
            # the module wrote next to it, or the copy module's uploaded source.
            written = [t for t in temps if _content(now[t]) == _content(w.new)]
            if not written and src != "-":
                src_sha = ctr.sh(f"sha256sum {src}", check=False).stdout.split(" ")[0]
                written = [src] if src_sha and src_sha == _content(w.new) else []
            assert written, (f"killed at the rename, but no temporary file holds the new content: "
                             f"{ {t: now[t] for t in temps} }, source {src}")
        entry["text"] += f"; {state}" + (f"; the killed process's temporary file was left: {sorted(temps)}"
                                         if temps else "")
        # The next run converges, then reports no change (then the test puts A's version back).
        out = ctr.sh(f"python3 {REPLAY} recover {w.payload} {w.target} {src} " + " ".join(sorted(temps)),
                     timeout=120).stdout
        assert_no_secret(out, SECRETS, f"the replay of {w.payload}")
        rec = json.loads(out)
        again, third = rec["second"], rec["third"]
        assert again["rc"] == 0 and again["changed"] is (state != "new"), (
            f"the run after the kill: rc {again['rc']}, changed {again['changed']} (file was {state})")
        assert again["described"] == w.new, "the run after the kill did not write the new version"
        assert again["temps_left"] == [], f"the run after the kill left the killed one's temporary files: {again['temps_left']}"
        assert third["rc"] == 0 and third["changed"] is False, f"the third run changed something: {third['changed']}"
        assert rec["restored"] == replay.a.get(w.target), "A's version could not be put back"
        entry["survived"] = True
    finally:
        if not entry["survived"]:
            # A failed kill leaves its file as it is: put A's version back for the next one.
            replay.restore(w)
            replay.ctr.sh(f"find {posixpath.dirname(w.target)} -maxdepth 1 -newer /root/faults-ref/A1.tar "
                          f"-name '.{posixpath.basename(w.target)}.*.tmp' -delete", check=False)


def _content(desc: str) -> str:
    """A snapshot entry's content hash (type, mode, owner, group, link target, hash)."""
    return desc.rsplit(" ", 1)[-1] if desc.startswith("f ") else desc


def _attributes(desc: str) -> str:
    return desc.rsplit(" ", 1)[0] if desc.startswith("f ") else desc


def _mode(desc: str) -> int:
    return int(desc.split(" ")[1], 8) if desc.startswith("f ") else 0


def _new_in(lines: list[str], w: Writer) -> set[str]:
    """Files the traced process created in the target's directory."""
    tdir = posixpath.dirname(w.target)
    return {QUOTED_PATH.findall(ln)[0] for ln in lines
            if ln.startswith("openat(") and "O_CREAT" in ln and QUOTED_PATH.findall(ln)
            and posixpath.dirname(QUOTED_PATH.findall(ln)[0]) == tdir}


def _short(line: str) -> str:
    line = re.sub(r", \[\{tv_sec.*?\]", ", ...", line)
    return line if len(line) < 140 else line[:137] + "..."


# --------------------------------------------------------------------------- power cuts


def power_cut(host, target: str, after: int, delay: float):
    """A converge to ``target`` whose container is killed ``delay`` s after its ``after``-th change."""
    cut = threading.Event()
    seen = [0]

    def on_line(line: str) -> None:
        if not cut.is_set() and line.startswith("changed: ["):
            seen[0] += 1
            if seen[0] >= after:
                cut.set()
                time.sleep(delay)
                podman("kill", "-s", "KILL", host.ctr.name, check=False, timeout=60)

    host.state = None
    run = host.ansible.run(CONFIGS[target](), on_line=on_line)
    assert cut.is_set() or run.rc == 0, f"the converge made no change to cut power in:\n{run.tail(30)}"
    if cut.is_set():
        power_on(host.ctr)
    return run


def power_on(ctr) -> None:
    podman("start", ctr.name, timeout=120)
    ctr.wait_running()
    ctr.start_modem()
    # As at a boot with the port present: the emulator came up after mgetty's first tries.
    ctr.sh("systemctl reset-failed 'mgetty@*' 2>/dev/null; systemctl restart 'mgetty@ttyS1' 2>/dev/null; true",
           check=False)


@pytest.mark.parametrize("n", range(1, N_POWER_CUTS + 1), ids=lambda n: f"cut-{n}")
def test_power_cut_during_a_converge(references, n):
    host = references
    ctr = host.ctr
    source, target = ("A", "B") if n % 2 else ("B", "A")
    refs = {"A": host.refs["A1"], "B": host.refs["B"]}
    accounts = {"A": host.accounts["A1"], "B": host.accounts["B"]}
    rng = random.Random(SEED * 1000 + 500 + n)
    # Anywhere in the converge's writes: after a random one of the changes the reference converge in
    # the same direction reported (B's from A, A1's from B), and a random fraction of a second.
    reference = host.runs["B" if target == "B" else "A1"]
    changes = reference.recap.get("changed", 0)
    assert changes >= 2, f"the reference converge to {target} changed {changes} tasks"
    entry = {"landed": False, "survived": False,
             "text": f"cut-{n} {source}->{target} (again with FAULTS_SEED={SEED} -k cut-{n}): "}
    STATS["interruptions"].append(entry)
    # A1 also hung up a call, so a converge from B alone makes fewer changes: a cut drawn after its
    # last change finds the converge ended. It is drawn again from the changes that converge made.
    for attempt in range(3):
        host.ensure(source)
        after = rng.randint(1, max(1, changes - 2))
        delay = round(rng.uniform(0.0, 0.5), 2)
        run = power_cut(host, target, after, delay)
        if run.rc != 0:
            break
        assert attempt < 2, f"three converges to {target} finished before their power cut"
        entry["text"] += (f"the converge made its {run.recap.get('changed')} changes before the cut after "
                          f"change {after}, drawn again; ")
        host.state = target  # the kill, if any, came after the converge's end
        changes = run.recap.get("changed", 0)
        assert changes >= 2, f"the converge to {target} changed {changes} tasks"
    entry["text"] += (f"container killed {delay} s after change {after} of the {changes} a converge in that direction "
                      f"made, {run.seconds:.0f} s into the run; ")
    now = snapshot(ctr)
    problems, changed, unchanged = [], [], []
    all_refs = list(host.refs.values())
    for path in sorted(set(now) | set(refs[source]) | set(refs[target])):
        if path.startswith("/dev/"):
            continue  # /dev is a new tmpfs after the restart; the converge below recreates the link
        if path not in refs[source] and path not in refs[target] and backup_of_a_version(path, now[path], all_refs):
            continue
        got = now.get(path, "<absent>")
        old, new = refs[source].get(path, "<absent>"), refs[target].get(path, "<absent>")
        if path in ACCOUNT_FILES:
            # Their lines are compared one by one below; here type, mode, owner and group.
            got, old, new = (_attributes(x) for x in (got, old, new))
        if old == new:
            if got != old:
                problems.append(f"{path}: {got!r}, expected {old!r}")
        elif got == old:
            unchanged.append(path)
        elif got == new:
            changed.append(path)
        else:
            problems.append(f"{path}: {got!r} is neither {old!r} nor {new!r}")
    lines = account_lines(ctr)
    for f in lines:
        for line in sorted(lines[f] - accounts[source][f] - accounts[target][f]):
            problems.append(f"{f}: entry {line.split(':')[0]!r} is in neither version")
    assert not problems, "not old or new after the power cut:\n  " + "\n  ".join(problems)
    assert changed and unchanged, (f"the cut did not land inside the converge's writes: changed {changed}, "
                                   f"unchanged {unchanged}")
    entry["landed"] = True
    entry["text"] += f"{len(changed)} entries new, {len(unchanged)} old"
    host.converge(target)
    now = snapshot(ctr)
    differ = [f"{p}: {refs[target].get(p)} != {now.get(p)}" for p in sorted(set(now) | set(refs[target]))
              if p not in ACCOUNT_FILES and now.get(p) != refs[target].get(p)
              and not (p not in refs[target] and backup_of_a_version(p, now[p], all_refs))]
    assert not differ, "not the target state after the converge: " + "; ".join(differ)
    assert account_lines(ctr) == accounts[target], "the account databases differ from the target's"
    junk = ctr.sh(r"find /etc \( -name '.*.tmp' -o -name '.ansible_tmp*' -o -name '*.dpkg-tmp' \) -print",
                  check=False).stdout.split()
    assert not junk, f"temporary files under /etc after the converge: {junk}"
    again = host.ansible.run(CONFIGS[target]())
    assert again.rc == 0 and again.recap.get("changed") == 0, (
        f"the converge after the recovery: {again.recap}\n"
        + "\n".join(line for line in again.output.splitlines() if line.startswith(("changed:", "TASK ["))))
    entry["survived"] = True
