"""The release's metadata against the code: every version_added names a version that exists (one
released in changelogs/changelog.yaml, or galaxy.yml's, the one in the making), each plugin of a
release is in that release's changelog, and README.md's module table states check mode, diff mode
and backup as each module's documentation (ansible-doc, its doc fragments merged) does."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

TOP = Path(__file__).resolve().parents[2]
COLLECTION = 'dialin.callback'
VERSION_ADDED = re.compile(r'''^\s*version_added:\s*['"]?([^'"\s#]+)''', re.M)


def version_key(version):
    return tuple(int(part) for part in version.split('.'))


def galaxy_version():
    return yaml.safe_load((TOP / 'galaxy.yml').read_text())['version']


def releases():
    return yaml.safe_load((TOP / 'changelogs' / 'changelog.yaml').read_text()).get('releases') or {}


def plugin_names(kind):
    return sorted(path.stem for path in (TOP / 'plugins' / kind).glob('*.py') if path.stem != '__init__')


def documented_files():
    """The files that may carry version_added: plugins and doc fragments, the roles' argument specs."""
    return sorted(TOP.glob('plugins/*/*.py')) + sorted(TOP.glob('roles/*/meta/argument_specs.yml'))


def collections_path():
    """The folder above ansible_collections/dialin/callback on sys.path (tests/unit/conftest.py)."""
    for entry in sys.path:
        if os.path.isdir(os.path.join(entry, 'ansible_collections', 'dialin', 'callback', 'plugins')):
            return entry
    raise AssertionError('the collection is not on sys.path')


@pytest.fixture(scope='module')
def module_docs():
    """Each module's documentation as ansible-doc shows it, its fragments merged."""
    names = ['%s.%s' % (COLLECTION, name) for name in plugin_names('modules')]
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path(), ANSIBLE_NOCOLOR='1')
    ansible_doc = os.path.join(os.path.dirname(sys.executable), 'ansible-doc')
    run = subprocess.run([ansible_doc, '-t', 'module', '--json'] + names, capture_output=True, text=True,
                         env=env, timeout=300, check=False)
    assert run.returncode == 0, run.stderr
    docs = json.loads(run.stdout)
    assert sorted(docs) == names, run.stderr
    return dict((name.rsplit('.', 1)[1], value['doc']) for name, value in docs.items())


def readme_modules():
    """README.md's module table: {module: (check mode, diff mode, backup)}."""
    text = (TOP / 'README.md').read_text()
    header = re.search(r'^\| module \| what it does \| check mode \| diff mode \| backup \|$', text, re.M)
    assert header, 'README.md has no module table with check mode, diff mode and backup columns'
    rows = {}
    for line in text[header.end():].splitlines()[2:]:
        if not line.startswith('|'):
            break
        cells = [cell.strip() for cell in line.strip('|').split('|')]
        name = re.fullmatch(r'`%s\.(\w+)`' % re.escape(COLLECTION), cells[0])
        assert name, line
        rows[name.group(1)] = tuple(cells[-3:])
    return rows


def test_every_version_added_is_a_released_version_or_the_one_in_the_making():
    known = set(releases()) | {galaxy_version()}
    found = []
    for path in documented_files():
        for value in VERSION_ADDED.findall(path.read_text()):
            found.append((path.relative_to(TOP).as_posix(), value))
            assert value in known, '%s: version_added %s is neither released nor galaxy.yml\'s %s' % (
                path.relative_to(TOP), value, galaxy_version())
            assert version_key(value) <= version_key(galaxy_version()), (path, value)
    assert len(found) >= len(plugin_names('modules')), found


def test_every_module_and_filter_says_when_it_was_added():
    for kind in ('modules', 'filter'):
        for name in plugin_names(kind):
            text = (TOP / 'plugins' / kind / (name + '.py')).read_text()
            assert VERSION_ADDED.search(text), 'plugins/%s/%s.py has no version_added' % (kind, name)


def test_no_release_is_newer_than_galaxy_yml():
    for version in releases():
        assert version_key(version) <= version_key(galaxy_version()), version


def test_each_released_plugin_is_in_its_release_s_changelog():
    for version, release in releases().items():
        listed = {'modules': {entry['name'] for entry in release.get('modules', [])},
                  'filter': {entry['name'] for entry in release.get('plugins', {}).get('filter', [])}}
        for kind in ('modules', 'filter'):
            for name in plugin_names(kind):
                added = VERSION_ADDED.search((TOP / 'plugins' / kind / (name + '.py')).read_text())
                if added and added.group(1) == version:
                    assert name in listed[kind], '%s %s is not in the changelog of %s' % (kind, name, version)


def test_the_readme_lists_every_module(module_docs):
    assert sorted(readme_modules()) == sorted(module_docs)


def test_the_readme_states_check_mode_diff_mode_and_backup_as_each_module_documents_them(module_docs):
    for name, (check_mode, diff_mode, backup) in sorted(readme_modules().items()):
        attributes = module_docs[name].get('attributes', {})
        assert check_mode == attributes['check_mode']['support'], (name, 'check mode')
        assert diff_mode == attributes['diff_mode']['support'], (name, 'diff mode')
        assert backup == ('yes' if 'backup' in module_docs[name]['options'] else 'no'), (name, 'backup')
