"""The mutation score per file and overall, from a finished mutmut run; fails on unexplained survivors.

    python3 scripts/mutation_score.py WORK COLLECTION SURVIVORS FILE...

WORK is the directory mutmut ran in (its results are in WORK/mutants/**/*.py.meta), COLLECTION the
collection's path in it (ansible_collections/dialin/callback), SURVIVORS the list of mutants known
to change nothing observable (docs/mutation-survivors.md: table rows "| `FILE` | `MUTANT` | why |"),
FILE the files mutated (plugins/...). A mutant is killed when a test failed on it, timed out, or
the test process died; "no tests" (no unit test reaches its function) and "suspicious" count as
survivors. Prints one line per file and the total, then every survivor not in SURVIVORS. Exits 1
when a survivor is not listed, or a file or the total scores below DIALIN_MUTATION_MIN_SCORE
(default 90, in %). Standard library only.
"""
import json
import os
import re
import sys

KILLED = {1: 'killed', 3: 'killed', 36: 'timeout', -24: 'timeout', 24: 'timeout', 152: 'timeout',
          255: 'timeout', -11: 'died', -9: 'died'}
NOT_RUN = {None: 'not checked', 2: 'interrupted', 34: 'skipped'}
NAMED = {0: 'survived', 5: 'no tests', 33: 'no tests'}
LISTED = re.compile(r'^\|\s*`(plugins/[^`]+\.py)`\s*\|\s*`(x[^`]+__mutmut_\d+)`\s*\|')


def listed_survivors(path):
    """{(file, mutant)} of the survivors explained in PATH."""
    found = set()
    with open(path, encoding='utf-8') as f:
        for line in f:
            match = LISTED.match(line)
            if match:
                found.add((match.group(1), match.group(2)))
    return found


def results(work, collection, relative):
    """{mutant (the function's mangled name and number): exit code} of one file."""
    with open(os.path.join(work, 'mutants', collection, relative + '.meta'), encoding='utf-8') as f:
        meta = json.load(f)
    return {key.rpartition('.')[2]: code for key, code in meta['exit_code_by_key'].items()}


def main(argv):
    if len(argv) < 5:
        sys.stderr.write(__doc__)
        return 2
    work, collection, survivors_path = argv[1:4]
    files = argv[4:]
    minimum = float(os.environ.get('DIALIN_MUTATION_MIN_SCORE', '90'))
    listed = listed_survivors(survivors_path)
    ok = True
    total_killed = total = total_survivors = total_equivalent = 0
    unlisted = []
    print('%-40s %8s %7s %9s %11s %7s' % ('file', 'mutants', 'killed', 'survived', 'equivalent', 'score'))
    for relative in files:
        codes = results(work, collection, relative)
        killed = sum(1 for code in codes.values() if code in KILLED)
        not_run = [name for name, code in codes.items() if code in NOT_RUN]
        survivors = sorted(name for name, code in codes.items() if code not in KILLED and code not in NOT_RUN)
        equivalent = [name for name in survivors if (relative, name) in listed]
        unlisted += ['%s %s (%s)' % (relative, name, NAMED.get(codes[name], 'suspicious'))
                     for name in survivors if (relative, name) not in listed]
        if not_run:
            ok = False
            print('mutation: %s: %d mutants never ran, e.g. %s' % (relative, len(not_run), not_run[0]))
        score = 100.0 * killed / len(codes) if codes else 100.0
        if score < minimum:
            ok = False
        below = '' if score >= minimum else '  BELOW %g%%' % minimum
        print('%-40s %8d %7d %9d %11d %6.1f%%%s'
              % (relative, len(codes), killed, len(survivors), len(equivalent), score, below))
        total += len(codes)
        total_killed += killed
        total_survivors += len(survivors)
        total_equivalent += len(equivalent)
    score = 100.0 * total_killed / total if total else 100.0
    if score < minimum:
        ok = False
    print('%-40s %8d %7d %9d %11d %6.1f%%'
          % ('total', total, total_killed, total_survivors, total_equivalent, score))
    for line in unlisted:
        print('mutation: survivor not explained in %s: %s' % (os.path.basename(survivors_path), line))
    if unlisted:
        ok = False
    print('mutation: %s: %d of %d mutants killed (%.1f%%), %d survivors explained as equivalent, %d not'
          % ('PASS' if ok else 'FAIL', total_killed, total, score, total_equivalent, len(unlisted)))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))
