"""scripts/test's lanes, results, counts and floors, on fake jobs.

The runner's test hook (DIALIN_TEST_JOB_CMD, DIALIN_TEST_SKIP_SETUP; see scripts/test) runs a fake
job written here instead of each real one and skips the set-up: nothing real runs. Each fake job
prints what its entry in a JSON file says, exits with its code, or kills its lane's bash (its
parent) with SIGKILL, as the OOM killer would, so that the job never reports. Each run of the
runner has a time limit: a hang fails the test, and the runner's whole process group is killed.
"""
import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parents[2]
TIMEOUT = 120

_spec = importlib.util.spec_from_file_location('dialin_test_counts', TOP / 'scripts' / 'test_counts.py')
counts = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(counts)
FLOORS = counts.floors(TOP / 'tests' / 'floors.txt')

SUITES = ['faults', 'molecule']
# The jobs of SUITES in the runner's list order (DIALIN_TEST_JOBS=1 keeps it).
JOBS = ['faults'] + ['molecule ' + s for s in
                     re.search(r'^scenarios=\(([^)]*)\)', (TOP / 'scripts' / 'test').read_text(), re.M).group(1).split()]

FAKE_JOB = '''#!{python}
"""A fake job of tests/runner: prints, exits, or kills its lane."""
import json, os, signal, sys, time
name = sys.argv[1]
with open(os.environ['FAKE_JOBS'], encoding='utf-8') as f:
    spec = json.load(f)[name]
sys.stdout.write(spec.get('out', ''))
sys.stdout.flush()
if spec.get('kill_lane'):
    lane = os.getppid()
    with open('/proc/%d/cmdline' % lane, 'rb') as f:
        cmdline = f.read().replace(b'\\0', b' ').decode()
    with open(os.environ['FAKE_JOBS'] + '.killed', 'w', encoding='utf-8') as f:
        f.write('%d %s' % (lane, cmdline))
    if 'scripts/test' not in cmdline:
        sys.exit('my parent is not a lane of scripts/test: ' + cmdline)
    os.kill(lane, signal.SIGKILL)
    # A job outliving its lane, as a real one would: the runner must not wait for it.
    time.sleep(2)
sys.exit(spec.get('rc', 0))
'''


def closing(passed, deselected=0, quiet=False):
    """pytest's closing line: -v's bordered form, or -q's bare one."""
    text = '%d passed' % passed + (', %d deselected' % deselected if deselected else '') + ' in 1.23s'
    return text + '\n' if quiet else '=' * 20 + ' ' + text + ' ' + '=' * 20 + '\n'


def good_jobs():
    """Every job passes, a few tests above its floor."""
    jobs = {name: {'out': 'collected\n' + closing(FLOORS[name] + 3, deselected=2)} for name in JOBS}
    # -q's form, and two pytest runs in one job (summed).
    jobs['faults']['out'] = 'x\n' + closing(FLOORS['faults'] - 10, quiet=True) + closing(15, quiet=True)
    return jobs


def run_runner(tmp_path, jobs, lanes=2):
    """Runs scripts/test on SUITES with the fake jobs; returns (exit status, output, pid)."""
    fake = tmp_path / 'fake-job'
    fake.write_text(FAKE_JOB.format(python=sys.executable), encoding='utf-8')
    fake.chmod(0o755)
    spec = tmp_path / 'jobs.json'
    spec.write_text(json.dumps(jobs), encoding='utf-8')
    env = dict(os.environ, DIALIN_TEST_JOB_CMD=str(fake), DIALIN_TEST_SKIP_SETUP='1',
               DIALIN_TEST_JOBS=str(lanes), FAKE_JOBS=str(spec), TMPDIR=str(tmp_path))
    with subprocess.Popen(['bash', str(TOP / 'scripts' / 'test'), *SUITES], cwd=TOP, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True) as proc:
        try:
            out = proc.communicate(timeout=TIMEOUT)[0]
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out = proc.communicate()[0]
            pytest.fail('scripts/test did not end within %d s:\n%s' % (TIMEOUT, out))
        finally:
            # Whatever outlived the runner (a fake job whose lane it killed).
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    return proc.returncode, out, proc.pid


def summary(out):
    return out.rstrip('\n').splitlines()[-1]


def test_all_jobs_pass_and_their_counts_are_printed(tmp_path):
    jobs = good_jobs()
    status, out, _pid = run_runner(tmp_path, jobs)
    assert status == 0, out
    assert summary(out) == 'suites: %d passed, 0 failed, 0 missing' % len(JOBS), out
    for name in JOBS:
        if name == 'faults':
            want = '%d tests (%d passed), floor %d' % (FLOORS[name] + 5, FLOORS[name] + 5, FLOORS[name])
        else:
            want = '%d tests (%d passed, 2 deselected), floor %d' % (FLOORS[name] + 3, FLOORS[name] + 3, FLOORS[name])
        assert re.search(r'^=== %s: passed in \d+ s; %s$' % (re.escape(name), re.escape(want)), out, re.M), (name, out)
        assert '  %s: %s\n' % (name, want) in out
    # The logs' directory is gone.
    assert not list(tmp_path.glob('dialin-test.*'))


@pytest.mark.parametrize('lanes', [2, 1])
def test_a_job_whose_lane_is_killed_is_missing_and_fails_the_run(tmp_path, lanes):
    jobs = good_jobs()
    killed = 'molecule roles-alone'
    jobs[killed] = {'out': 'converging\n', 'kill_lane': True}
    status, out, pid = run_runner(tmp_path, jobs, lanes)
    assert status != 0, out
    lane = int((tmp_path / 'jobs.json.killed').read_text().split()[0])
    assert lane != pid, 'the fake job killed the runner itself, not a lane'
    # One lane: the jobs after the killed one never start. Two: the other lane runs them.
    missing = JOBS[JOBS.index(killed):] if lanes == 1 else [killed]
    assert summary(out) == 'suites: %d passed, 0 failed, %d missing (%s)' % (
        len(JOBS) - len(missing), len(missing), ','.join(missing)), out
    for name in missing:
        assert '=== %s: MISSING: it never reported a result' % name in out
    # What the killed job printed before its lane died.
    assert re.search(r'=== %s: the last 40 lines of its log:\n=== %s: .*\nconverging\n' % (killed, killed), out), out


def test_a_job_below_its_floor_fails_naming_both_numbers(tmp_path):
    jobs = good_jobs()
    floor = FLOORS['molecule rollout']
    jobs['molecule rollout']['out'] = closing(floor - 1)
    status, out, _pid = run_runner(tmp_path, jobs)
    assert status != 0, out
    want = '%d tests (%d passed): FEWER than its floor of %d (tests/floors.txt): %d < %d' % (
        floor - 1, floor - 1, floor, floor - 1, floor)
    assert re.search(r'^=== molecule rollout: FAILED in \d+ s; %s$' % re.escape(want), out, re.M), out
    assert summary(out) == 'suites: %d passed, 1 failed (molecule rollout), 0 missing' % (len(JOBS) - 1), out


def test_a_job_with_a_floor_and_no_count_fails(tmp_path):
    jobs = good_jobs()
    jobs['faults']['out'] = 'it printed no closing line\n'
    status, out, _pid = run_runner(tmp_path, jobs)
    assert status != 0, out
    assert 'faults: FAILED in' in out and 'no test count in its output, but a floor of %d' % FLOORS['faults'] in out
    assert summary(out) == 'suites: %d passed, 1 failed (faults), 0 missing' % (len(JOBS) - 1), out


def test_a_failing_job_fails_the_run(tmp_path):
    jobs = good_jobs()
    floor = FLOORS['molecule modules']
    jobs['molecule modules'] = {'out': closing(floor + 5).replace('passed', 'passed, 1 failed'), 'rc': 1}
    status, out, _pid = run_runner(tmp_path, jobs)
    assert status != 0, out
    assert re.search(r'^=== molecule modules: FAILED in \d+ s; %d tests \(%d passed, 1 failed\), floor %d$'
                     % (floor + 6, floor + 5, floor), out, re.M), out
    assert '=== molecule modules: FAILED (%d tests' % (floor + 6) in out
    assert summary(out) == 'suites: %d passed, 1 failed (molecule modules), 0 missing' % (len(JOBS) - 1), out
