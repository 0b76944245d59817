# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""roles/<role>/README.md must say what meta/argument_specs.yml says: scripts/role_docs.py --check."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import contextlib
import importlib.util
import io
import os
import shutil
import subprocess
import sys

import yaml

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(REPO_ROOT, 'scripts', 'role_docs.py')


def load_script():
    spec = importlib.util.spec_from_file_location('role_docs', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ROLE_DOCS = load_script()


def role_docs(*args):
    """scripts/role_docs.py ARGS in this process (a subprocess per call would cost 0.3 s each)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        returncode = ROLE_DOCS.main(list(args))
    return subprocess.CompletedProcess(['role_docs.py'] + list(args), returncode, out.getvalue(), err.getvalue())


def spec_files(root):
    roles = os.path.join(root, 'roles')
    return sorted(os.path.join(roles, r, 'meta', 'argument_specs.yml') for r in os.listdir(roles)
                  if os.path.isfile(os.path.join(roles, r, 'meta', 'argument_specs.yml')))


def option_paths(options, prefix=''):
    for name, spec in (options or {}).items():
        spec = spec or {}
        yield prefix + name
        sep = '[].' if spec.get('type') == 'list' else '.'
        yield from option_paths(spec.get('options'), prefix + name + sep)


def copy_roles(tmp_path):
    """The roles' specs and READMEs and the port schema, nothing else, under tmp_path."""
    for spec in spec_files(REPO_ROOT):
        role_dir = os.path.dirname(os.path.dirname(spec))
        dest = tmp_path / 'roles' / os.path.basename(role_dir)
        (dest / 'meta').mkdir(parents=True)
        shutil.copy(spec, str(dest / 'meta' / 'argument_specs.yml'))
        readme = os.path.join(role_dir, 'README.md')
        if os.path.exists(readme):
            shutil.copy(readme, str(dest / 'README.md'))
    # The port schema that role_docs.py writes into the specs of the roles that take the port list.
    shutil.copy(os.path.join(REPO_ROOT, ROLE_DOCS.PORT_SCHEMA), str(tmp_path / ROLE_DOCS.PORT_SCHEMA))
    return tmp_path


def test_role_readmes_are_up_to_date():
    # The command itself, as a contributor runs it.
    result = subprocess.run([sys.executable, SCRIPT, '--check'], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, (
        'stale role READMEs; run python3 scripts/role_docs.py and commit them:\n' + result.stdout + result.stderr)


def test_every_role_with_specs_has_a_readme_naming_every_variable():
    specs = spec_files(REPO_ROOT)
    assert specs, 'no roles/*/meta/argument_specs.yml found'
    for spec in specs:
        readme = os.path.join(os.path.dirname(os.path.dirname(spec)), 'README.md')
        with open(readme) as f:
            text = f.read()
        with open(spec) as f:
            entries = yaml.safe_load(f)['argument_specs']
        for entry in entries.values():
            for path in option_paths((entry or {}).get('options')):
                assert '| `%s` |' % path in text, '%s does not document %s' % (readme, path)


def test_check_fails_on_a_changed_description_and_write_fixes_it(tmp_path):
    root = copy_roles(tmp_path)
    assert role_docs('--check', '--root', str(root)).returncode == 0
    spec = root / 'roles' / 'ip_forward' / 'meta' / 'argument_specs.yml'
    data = yaml.safe_load(spec.read_text())
    data['argument_specs']['main']['options']['ip_forward_enabled']['description'] = 'A changed description.'
    spec.write_text(yaml.safe_dump(data))

    stale = role_docs('--check', '--root', str(root))
    assert stale.returncode == 1
    assert 'roles/ip_forward/README.md' in stale.stdout
    assert 'roles/modem/README.md' not in stale.stdout

    assert role_docs('--root', str(root)).returncode == 0
    assert 'A changed description.' in (root / 'roles' / 'ip_forward' / 'README.md').read_text()
    assert role_docs('--check', '--root', str(root)).returncode == 0


def test_check_names_a_missing_readme_and_a_leftover_one(tmp_path):
    root = copy_roles(tmp_path)
    (root / 'roles' / 'modem' / 'README.md').unlink()
    (root / 'roles' / 'kernel_ppp' / 'meta' / 'argument_specs.yml').unlink()

    stale = role_docs('--check', '--root', str(root))
    assert stale.returncode == 1
    assert 'roles/modem/README.md: missing' in stale.stdout
    assert 'roles/kernel_ppp/README.md: its role has no meta/argument_specs.yml' in stale.stdout

    assert role_docs('--root', str(root)).returncode == 0
    assert (root / 'roles' / 'modem' / 'README.md').exists()
    assert not (root / 'roles' / 'kernel_ppp' / 'README.md').exists()
    assert role_docs('--check', '--root', str(root)).returncode == 0


def test_entry_points_with_other_options_get_their_own_table(tmp_path):
    role = tmp_path / 'roles' / 'sample' / 'meta'
    role.mkdir(parents=True)
    (role / 'argument_specs.yml').write_text(yaml.safe_dump({'argument_specs': {
        'main': {'short_description': 'Do the whole step.',
                 'options': {'sample_ports': {'type': 'list', 'elements': 'dict', 'default': [],
                                              'description': 'Ports, see C(a|b) and L(the HOWTO,https://example.org/h).',
                                              'options': {'device': {'type': 'str', 'required': True,
                                                                     'description': 'Name.'}}}}},
        'validate': {'short_description': 'Only check.', 'options': {}},
    }}))
    assert role_docs('--root', str(tmp_path)).returncode == 0
    text = (tmp_path / 'roles' / 'sample' / 'README.md').read_text()
    assert '| `validate` | Only check. |' in text
    assert '## Variables of `main`' in text
    assert '## Variables of `validate`\n\nThis entry point takes no variables.' in text
    assert '| `sample_ports[].device` | str | required | Name. |' in text
    # A pipe in a description would end the table cell.
    assert '| `sample_ports` | list of dict | `[]` | Ports, see `a\\|b` and [the HOWTO](https://example.org/h). |' in text


def test_a_broken_spec_is_an_error_naming_the_file(tmp_path):
    role = tmp_path / 'roles' / 'sample' / 'meta'
    role.mkdir(parents=True)
    (role / 'argument_specs.yml').write_text('argument_specs: [main]\n')
    result = role_docs('--check', '--root', str(tmp_path))
    assert result.returncode == 2
    assert 'roles/sample/meta/argument_specs.yml' in result.stderr
