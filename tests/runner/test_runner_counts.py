"""scripts/test_counts.py: each job's count read from its output as the suites print it, and
tests/floors.txt naming every job scripts/test can run."""
import importlib.util
import re
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location('dialin_test_counts', TOP / 'scripts' / 'test_counts.py')
counts = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(counts)


def test_pytest_closing_lines_verbose_quiet_and_summed():
    text = '\n'.join([
        'tests/test_a.py::test_one PASSED',
        '=========== 24 passed, 3 deselected in 93.75s (0:01:33) ===========',
        'something else 12 passed in the middle of a sentence',
        '24 passed in 3.2s',
        '\x1b[32m1 failed, 2 passed, 1 skipped, 2 errors, 1 warning in 0.50s\x1b[0m',
        '============ no tests ran in 0.01s ============',
    ])
    assert counts.count('unit', text) == (
        53, 'tests (50 passed, 1 failed, 1 skipped, 3 deselected, 2 errors, 1 warning)')


def test_skipped_and_deselected_tests_are_not_counted():
    assert counts.count('faults', '== 10 skipped, 4 deselected in 1.00s ==')[0] == 0


def test_no_closing_line_is_no_count():
    assert counts.count('unit', 'Traceback (most recent call last):\n')[0] is None


def test_molecule_without_testinfra_counts_its_assert_tasks():
    text = ('TASK [Check modem_port] ****\nTASK [Assert the port facts] ****\nok: [dialin-modules]\n'
            'TASK [Assert the timeout message] ****\nPLAY RECAP ****\n')
    assert counts.count('molecule modules', text) == (2, 'assert tasks')
    # A testinfra run, when there is one, is the count.
    assert counts.count('molecule modules', text + '==== 5 passed in 2.00s ====\n')[0] == 5


def test_sanity_counts_the_tests_ansible_test_ran():
    text = ('Running sanity test "action-plugin-docs"\nRunning sanity test "compile" on Python 3.11\n'
            'Processing /opt/pypi/files/jinja2-3.1.6-py3-none-any.whl\nRunning sanity test "yamllint"\n')
    assert counts.count('sanity', text) == (3, 'sanity tests')


def test_lint_counts_the_files_it_processed_or_one_check():
    text = ("Passed: 0 failure(s), 18 warning(s) in 260 files processed of 326 encountered. "
            "Profile 'production' was required, and it passed.")
    assert counts.count('lint', text) == (260, 'files linted')
    assert counts.count('lint', 'Failed: 2 failure(s), 0 warning(s) on 12 files.')[0] == 12
    assert counts.count('lint', 'nothing')[0] == 1


def test_e2e_usb_and_install_checks():
    e2e = ('PASS  configure: caller: check mode\n'
           'e2e: trixie-server-bookworm-client: PASS (99 checks; logs in /var/tmp/x)\n'
           'e2e: bookworm-server-trixie-client: FAIL (97 checks; logs in /var/tmp/y)\n'
           'e2e: FAIL (trixie-server-bookworm-client, bookworm-server-trixie-client)\n')
    assert counts.count('e2e', e2e) == (196, 'checks')
    assert counts.count('usb', 'usb-replug: PASS: 26 checks; preparation 1.0 s, VM 2.0 s\n') == (26, 'checks')
    install = ('install: [0 s] building the tarball\ninstall: ok 1 - tarball x\n'
               'install: ok 2 - fresh venv\ninstall: 2 checks passed in 300 s\n')
    assert counts.count('install', install) == (2, 'checks')


def test_check_against_a_floor():
    line = '==== 24 passed in 1.00s ===='
    assert counts.check('unit', line, None) == (True, '24 tests (24 passed), no floor')
    assert counts.check('unit', line, 20) == (True, '24 tests (24 passed), floor 20')
    assert counts.check('unit', line, 30) == (
        False, '24 tests (24 passed): FEWER than its floor of 30 (tests/floors.txt): 24 < 30')
    assert counts.check('unit', '', 30) == (False, 'no test count in its output, but a floor of 30 in tests/floors.txt')
    assert counts.check('unit', '', None) == (True, 'no test count in its output, no floor')


def test_the_floors_file_names_every_job_of_the_runner():
    runner = (TOP / 'scripts' / 'test').read_text()
    scenarios = re.search(r'^scenarios=\(([^)]*)\)', runner, re.M).group(1).split()
    names = {'unit', 'unit (modem emulator)', 'sanity', 'lint', 'e2e', 'usb', 'faults', 'install', 'rehearse'}
    names |= {'molecule ' + s for s in scenarios}
    floors = counts.floors(TOP / 'tests' / 'floors.txt')
    assert set(floors) == names
    assert all(floor > 0 for floor in floors.values())
