"""The dial-in port list is one schema, roles/common/meta/port_options.yml, written by
scripts/role_docs.py into the argument specs of every role that takes the list (modem_ports,
mgetty_ports, ppp_server_ports, server_ports), and checked by one function, input_errors' port_errors.

A new port key takes two edits: its entry in port_options.yml and its check in port_errors (or its
name in PORT_KEYS_TYPED_ONLY); running scripts/role_docs.py writes it into every role's specs and README.
"""
import contextlib
import importlib.util
import inspect
import io
import shutil
from pathlib import Path

import pytest
import yaml

from ansible_collections.dialin.callback.plugins.filter import input_errors

TOP = Path(__file__).resolve().parents[2]
ROLES = TOP / 'roles'
PORT_LISTS = {'modem': 'modem_ports', 'mgetty': 'mgetty_ports', 'ppp_server': 'ppp_server_ports',
              'server': 'server_ports'}


def load_role_docs():
    spec = importlib.util.spec_from_file_location('role_docs_port_schema', TOP / 'scripts' / 'role_docs.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ROLE_DOCS = load_role_docs()
SCHEMA = yaml.safe_load((TOP / ROLE_DOCS.PORT_SCHEMA).read_text())


def role_docs(*args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        returncode = ROLE_DOCS.main(list(args))
    return returncode, out.getvalue() + err.getvalue()


def entry_points(root, role):
    spec = yaml.safe_load((root / 'roles' / role / 'meta' / 'argument_specs.yml').read_text())
    return spec['argument_specs']


def test_the_schema_lists_the_roles_that_take_the_port_list():
    assert {role: entry['variable'] for role, entry in SCHEMA['roles'].items()} == PORT_LISTS


@pytest.mark.parametrize('role', sorted(PORT_LISTS))
def test_each_role_has_the_schema_in_every_entry_point(role):
    for entry, spec in entry_points(TOP, role).items():
        ports = (spec.get('options') or {}).get(PORT_LISTS[role])
        assert ports is not None, 'roles/%s: entry point %s has no %s' % (role, entry, PORT_LISTS[role])
        assert ports['options'] == SCHEMA['options'], (
            'roles/%s/meta/argument_specs.yml: %s differs from %s: run python3 scripts/role_docs.py'
            % (role, PORT_LISTS[role], ROLE_DOCS.PORT_SCHEMA))
        assert (ports['type'], ports['elements'], ports['default']) == ('list', 'dict', [])
        assert ports['description'] == SCHEMA['roles'][role]['description']


def test_the_specs_on_disk_are_what_the_schema_writes():
    for path, content in ROLE_DOCS.expected_specs(TOP).items():
        assert path.read_text() == content, '%s: run python3 scripts/role_docs.py' % path.relative_to(TOP)


def test_server_hands_each_role_its_ports():
    mapping = yaml.safe_load((ROLES / 'server' / 'vars' / 'main.yml').read_text())
    for role, variable in PORT_LISTS.items():
        if role != 'server':
            assert mapping[variable] == '{{ server_ports }}'


def copy_collection(tmp_path):
    """The roles' specs and READMEs and the port schema, under tmp_path."""
    for spec in sorted(ROLES.glob('*/meta/argument_specs.yml')):
        dest = tmp_path / 'roles' / spec.parent.parent.name
        (dest / 'meta').mkdir(parents=True)
        shutil.copy(str(spec), str(dest / 'meta' / 'argument_specs.yml'))
        readme = spec.parent.parent / 'README.md'
        if readme.exists():
            shutil.copy(str(readme), str(dest / 'README.md'))
    shutil.copy(str(TOP / ROLE_DOCS.PORT_SCHEMA), str(tmp_path / ROLE_DOCS.PORT_SCHEMA))
    return tmp_path


def test_a_key_added_to_the_schema_reaches_every_role(tmp_path):
    root = copy_collection(tmp_path)
    assert role_docs('--check', '--root', str(root))[0] == 0
    schema = root / ROLE_DOCS.PORT_SCHEMA
    schema.write_text(schema.read_text().rstrip('\n') + '\n'
                      '  hangup_delay:\n'
                      '    type: int\n'
                      '    default: 3\n'
                      '    description: Seconds to wait after a hang-up (a C(test) key).\n')

    returncode, said = role_docs('--check', '--root', str(root))
    assert returncode == 1
    for role in PORT_LISTS:
        assert 'roles/%s/meta/argument_specs.yml: its port options differ' % role in said
        assert 'roles/%s/README.md' % role in said
    assert 'roles/callback/' not in said

    assert role_docs('--root', str(root))[0] == 0
    assert role_docs('--check', '--root', str(root))[0] == 0
    for role, variable in PORT_LISTS.items():
        for spec in entry_points(root, role).values():
            assert spec['options'][variable]['options']['hangup_delay'] == {
                'type': 'int', 'default': 3, 'description': 'Seconds to wait after a hang-up (a C(test) key).'}
        readme = (root / 'roles' / role / 'README.md').read_text()
        assert '| `%s[].hangup_delay` | int | `3` | Seconds to wait after a hang-up (a `test` key). |' % variable in readme


def test_a_hand_edit_of_a_role_copy_is_stale_and_a_write_undoes_it(tmp_path):
    root = copy_collection(tmp_path)
    spec = root / 'roles' / 'mgetty' / 'meta' / 'argument_specs.yml'
    original = spec.read_text()
    spec.write_text(original.replace('description: Number of RINGs mgetty waits for before it answers.',
                                     'description: Number of RINGs.', 1))
    returncode, said = role_docs('--check', '--root', str(root))
    assert returncode == 1
    assert 'roles/mgetty/meta/argument_specs.yml: its port options differ' in said
    assert 'roles/modem/' not in said
    assert role_docs('--root', str(root))[0] == 0
    assert spec.read_text() == original


def test_a_role_without_its_markers_is_an_error_naming_it(tmp_path):
    root = copy_collection(tmp_path)
    spec = root / 'roles' / 'modem' / 'meta' / 'argument_specs.yml'
    spec.write_text(spec.read_text().replace(ROLE_DOCS.PORT_END, '', 1))
    returncode, said = role_docs('--check', '--root', str(root))
    assert returncode == 2
    assert 'roles/modem/meta/argument_specs.yml: needs one pair of port options markers' in said


def test_every_port_key_is_checked_by_port_errors_or_needs_only_its_type():
    # port_errors and the helpers it calls for some keys.
    source = ''.join(inspect.getsource(function) for function in (
        input_errors.port_errors, input_errors._port_address_errors, input_errors._identify_errors))
    unchecked = [key for key in SCHEMA['options']
                 if key not in input_errors.PORT_KEYS_TYPED_ONLY and "'%s'" % key not in source]
    assert unchecked == [], 'port keys without a check in input_errors.port_errors: %s' % unchecked
    assert set(input_errors.PORT_KEYS_TYPED_ONLY) <= set(SCHEMA['options'])
