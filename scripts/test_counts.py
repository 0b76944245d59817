"""How many tests one job of scripts/test ran, read from its log, checked against its floor.

    python3 scripts/test_counts.py NAME LOG FLOORS

NAME is the job's name as scripts/test reports it ("unit", "sanity", "molecule rollout", ...), LOG
its whole output, FLOORS the floors file (tests/floors.txt: one "NAME MINIMUM" a line). Prints one
line, e.g. "556 tests (556 passed), floor 500", and exits 1 when the count is below the job's floor,
or when the job has a floor and its output states no count; 0 otherwise. Standard library only:
scripts/test runs it before and without the development venv's packages.

What a count is, job by job:
  pytest jobs (unit, faults, the Molecule scenarios' testinfra runs, anything else): the tests that
      ran, from pytest's closing lines ("24 passed, 3 deselected in 93.75s", with or without the
      "=====" border), summed over every pytest run in the log: passed, failed, errors, xfailed
      and xpassed; skipped and deselected tests are shown, not counted (a suite skipping all its
      tests must not pass its floor).
  molecule modules: no testinfra; its converge playbook asserts every outcome itself, so the
      count is its "Assert ..." tasks run (their TASK headers), when the log has no pytest line.
  sanity (scripts/sanity): the ansible-test sanity tests run, one 'Running sanity test "NAME"'
      line each.
  lint: the files ansible-lint processed ("... in 260 files processed of 326 encountered", or
      "... on 260 files" in older releases); its summary line always states it, and an output
      without one counts as 1 check (the run itself), which the floor then flags.
  e2e (tests/e2e/e2e.py): the checks of every combination, from its "e2e: NAME: PASS (N checks;"
      lines, summed.
  usb (tests/usb/replug.py): the N of its "usb-replug: PASS: N checks;" line.
  install (tests/install/run): its "install: ok N - ..." lines, one per check passed.
"""
import re
import sys

ANSI = re.compile(r'\x1b\[[0-9;]*[A-Za-z]')
PYTEST_WORDS = ('passed', 'failed', 'skipped', 'deselected', 'xfailed', 'xpassed', 'errors', 'warnings', 'rerun')
PYTEST_PART = r'\d+ (?:passed|failed|skipped|deselected|xfailed|xpassed|errors?|warnings?|rerun)'
# A closing line: "N word, N word ... in 1.23s" (an optional " (0:01:33)" after it, a "====" border
# around it with -v, nothing with -q), or "no tests ran in 0.01s".
PYTEST_CLOSING = re.compile(r'(?:^|[\s=])(%s(?:, %s)*|no tests ran) in \d+(?:\.\d+)?s\b(?: \(\d+:\d\d:\d\d\))?\s*=*\s*$'
                            % (PYTEST_PART, PYTEST_PART))
PYTEST_RAN = ('passed', 'failed', 'errors', 'xfailed', 'xpassed')
ASSERT_TASK = re.compile(r'TASK \[Assert\b')
SANITY_TEST = re.compile(r'^Running sanity test ["\'][^"\']+["\']')
LINT_FILES = re.compile(r'\b(?:in|on) (\d+) files?\b')
E2E_COMBINATION = re.compile(r'^e2e: \S+: (?:PASS|FAIL) \((\d+) checks?\b')
USB_CHECKS = re.compile(r'^usb-replug: (?:PASS|FAIL): (\d+) checks?\b')
INSTALL_CHECK = re.compile(r'^install: ok \d+ - ')


def pytest_count(lines):
    """(tests run, {word: number} summed over every closing line), or (None, {}) without one."""
    totals = {}
    found = False
    for line in lines:
        match = PYTEST_CLOSING.search(line)
        if not match:
            continue
        found = True
        for number, word in re.findall(r'(\d+) (\w+)', match.group(1)):
            word = {'error': 'errors', 'warning': 'warnings'}.get(word, word)
            totals[word] = totals.get(word, 0) + int(number)
    if not found:
        return None, {}
    return sum(totals.get(word, 0) for word in PYTEST_RAN), totals


def count(name, text):
    """(count, what it counts) for job NAME's output TEXT; count is None when the output has none."""
    lines = [ANSI.sub('', line) for line in text.splitlines()]
    if name == 'sanity':
        found = sum(1 for line in lines if SANITY_TEST.search(line))
        return (found or None), 'sanity tests'
    if name == 'lint':
        numbers = [int(m.group(1)) for line in lines if 'failure(s)' in line for m in [LINT_FILES.search(line)] if m]
        if numbers:
            return numbers[-1], 'files linted'
        # No file count in its output: the run counts as 1 check (its floor, above 1, then flags it).
        return 1, 'check (ansible-lint stated no file count)'
    if name == 'e2e':
        numbers = [int(m.group(1)) for line in lines for m in [E2E_COMBINATION.search(line)] if m]
        return (sum(numbers) if numbers else None), 'checks'
    if name == 'usb':
        numbers = [int(m.group(1)) for line in lines for m in [USB_CHECKS.search(line)] if m]
        return (numbers[-1] if numbers else None), 'checks'
    if name == 'install':
        found = sum(1 for line in lines if INSTALL_CHECK.search(line))
        return (found or None), 'checks'
    ran, totals = pytest_count(lines)
    if ran is not None:
        detail = ', '.join('%d %s' % (totals[w], w[:-1] if totals[w] == 1 and w in ('errors', 'warnings') else w)
                           for w in PYTEST_WORDS if totals.get(w))
        return ran, 'tests' + (' (%s)' % detail if detail else '')
    if name.startswith('molecule '):
        found = sum(1 for line in lines if ASSERT_TASK.search(line))
        return (found or None), 'assert tasks'
    return None, 'tests'


def floors(path):
    """{job name: minimum} from the floors file; '#' starts a comment."""
    result = {}
    with open(path, encoding='utf-8') as f:
        for number, line in enumerate(f, 1):
            line = line.split('#', 1)[0].strip()
            if not line:
                continue
            job, _sep, minimum = line.rpartition(' ')
            if not job.strip() or not minimum.isdigit():
                raise ValueError('%s:%d: not "JOB MINIMUM": %r' % (path, number, line))
            result[job.strip()] = int(minimum)
    return result


def check(name, text, floor):
    """(ok, the line to print) for job NAME's output TEXT against FLOOR (None: no floor)."""
    found, what = count(name, text)
    if found is None:
        if floor is None:
            return True, 'no test count in its output, no floor'
        return False, 'no test count in its output, but a floor of %d in tests/floors.txt' % floor
    line = '%d %s' % (found, what)
    if floor is None:
        return True, line + ', no floor'
    if found < floor:
        return False, '%s: FEWER than its floor of %d (tests/floors.txt): %d < %d' % (line, floor, found, floor)
    return True, '%s, floor %d' % (line, floor)


def main(argv):
    if len(argv) != 4:
        sys.stderr.write('usage: test_counts.py NAME LOG FLOORS\n')
        return 2
    name, log, floors_path = argv[1:]
    with open(log, encoding='utf-8', errors='replace') as f:
        text = f.read()
    ok, line = check(name, text, floors(floors_path).get(name))
    print(line)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))
