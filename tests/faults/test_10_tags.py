"""Tags on a converged host: ``--tags users``, ``ports``, ``ppp`` and ``status`` (README, Tags).

- ``--tags users`` after adding a callback user writes that user's login.config entry and nothing
  else (every file under /etc and /home compared before and after), in a fraction of the task rounds
  of a full run; a second run changes nothing.
- The checks run whatever the tags: ``--tags users`` with a callback number that has a letter stops
  before anything is written.
- ``--tags ports`` and ``--tags ppp`` on the converged host change nothing; ``--tags status`` runs
  the checks and reads each port's state (the post-check), and writes nothing.
"""

from __future__ import annotations

import re

from conftest import BACKUP, CONFIGS, base_vars, snapshot

NEW_USER = {"name": "calltags", "number": "7654321"}
USERS_TASK = "dialin.callback.callback : Write one callback entry per user in login.config"
POSTCHECK_TASK = "dialin.callback.mgetty : Wait until each port's mgetty waits for calls (or a call is in progress)"


def with_new_user(number: str = NEW_USER["number"]) -> dict:
    overrides = CONFIGS["A"]()
    overrides["server_callback_users"] = base_vars()["server_callback_users"] + [dict(NEW_USER, number=number)]
    return overrides


def rounds(run) -> int:
    """Task rounds of a one-host run: every task that ran or was skipped."""
    recap = run.recap
    return recap["ok"] + recap["skipped"] + recap["failed"]


def task_results(run, result: str) -> list[str]:
    """The names of the tasks with a ``result`` line (changed, ok, skipping, fatal)."""
    names, task = [], None
    for line in run.output.splitlines():
        m = re.match(r"^(?:TASK|RUNNING HANDLER) \[(.*)\] \*+$", line)
        if m:
            task = m.group(1)
        elif line.startswith(f"{result}: [") and task is not None and (not names or names[-1] != task):
            names.append(task)
    return names


def differences(before: dict, after: dict) -> list[str]:
    return sorted(p for p in set(before) | set(after)
                  if before.get(p) != after.get(p) and not (p not in before and BACKUP.match(p)))


def test_tags_users_writes_only_the_new_callback_entry(host):
    host.ensure("A")
    full = host.ansible.run(CONFIGS["A"]())
    assert full.rc == 0 and full.recap["changed"] == 0, full.tail(40)
    before = snapshot(host.ctr)

    host.state = None
    run = host.ansible.run(with_new_user(), "--tags", "users", "--diff")
    assert run.rc == 0, run.failure_text or run.tail(60)
    assert task_results(run, "changed") == [USERS_TASK], run.tail(80)
    after = snapshot(host.ctr)
    assert differences(before, after) == ["/etc/mgetty/login.config"]
    login_config = host.ctr.sh("cat /etc/mgetty/login.config").stdout
    assert re.search(r"(?m)^calltags\s", login_config), login_config
    share = rounds(run) / rounds(full)
    print(f"--tags users: {rounds(run)} task rounds, a full no-op run {rounds(full)} ({share:.0%})")
    assert share <= 0.5, (rounds(run), rounds(full))

    again = host.ansible.run(with_new_user(), "--tags", "users")
    assert again.rc == 0 and again.recap["changed"] == 0, task_results(again, "changed")

    # The full converge of A takes the new user's entry out again.
    host.converge("A")
    assert differences(before, snapshot(host.ctr)) == []


def test_the_checks_run_whatever_the_tags(host):
    host.ensure("A")
    before = snapshot(host.ctr)
    host.state = None
    run = host.ansible.run(with_new_user(number="76543x1"), "--tags", "users")
    assert run.rc != 0
    assert "76543x1" in run.failure_text, run.failure_text
    # Stopped by the checks: the task that writes the entries never started (its module would refuse
    # the number too).
    assert f"TASK [{USERS_TASK}]" not in run.output, run.failure_text
    assert differences(before, snapshot(host.ctr)) == []
    host.state = "A"


def test_tags_ports_ppp_and_status_change_nothing_on_a_converged_host(host):
    host.ensure("A")
    before = snapshot(host.ctr)
    for tag in ("ports", "ppp"):
        run = host.ansible.run(CONFIGS["A"](), "--tags", tag)
        assert run.rc == 0 and run.recap["changed"] == 0, (tag, task_results(run, "changed"), run.failure_text)
        assert USERS_TASK not in task_results(run, "ok"), tag
    status = host.ansible.run(CONFIGS["A"](), "--tags", "status")
    assert status.rc == 0 and status.recap["changed"] == 0, status.failure_text or status.tail(40)
    # The post-check read the port's state; nothing else but the checks ran.
    assert POSTCHECK_TASK in task_results(status, "ok"), status.tail(60)
    assert USERS_TASK not in task_results(status, "ok") + task_results(status, "skipping")
    assert differences(before, snapshot(host.ctr)) == []
