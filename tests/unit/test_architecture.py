"""docs/architecture.md's table stays true: its task files and modules exist, and every task file
of the roles (but the entry points the page describes in prose) is in it."""
import re
from pathlib import Path

import yaml

TOP = Path(__file__).resolve().parents[2]
# Entry points, described under "How a role is laid out" (inputs.yml: what a role's check reads).
ENTRY_POINTS = {'main.yml', 'validate.yml', 'apply.yml', 'postcheck.yml', 'inputs.yml'}


def table_rows():
    text = (TOP / 'docs' / 'architecture.md').read_text()
    rows = []
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip('|').split('|')]
        if line.startswith('|') and len(cells) == 5 and not set(cells[0]) <= set('- '):
            rows.append(cells)
    return rows[1:]  # the header


def roles_of(cell):
    return re.findall(r'`([a-z_]+)`', cell)


def test_every_task_file_named_in_the_table_exists():
    rows = table_rows()
    assert rows
    for _step, role_cell, files_cell, _modules, _managed in rows:
        for role in roles_of(role_cell):
            for name in re.findall(r'`([a-z_]+\.yml)`', files_cell):
                assert (TOP / 'roles' / role / 'tasks' / name).is_file(), (role, name)


def test_every_task_file_of_the_roles_is_in_the_table():
    named = set()
    for _step, role_cell, files_cell, _modules, _managed in table_rows():
        for role in roles_of(role_cell):
            named.update((role, name) for name in re.findall(r'`([a-z_]+\.yml)`', files_cell))
    missing = sorted(
        (path.parent.parent.name, path.name) for path in (TOP / 'roles').glob('*/tasks/*.yml')
        if path.name not in ENTRY_POINTS and (path.parent.parent.name, path.name) not in named)
    assert missing == []


def deprecated_modules():
    runtime = yaml.safe_load((TOP / 'meta' / 'runtime.yml').read_text())
    routing = (runtime.get('plugin_routing') or {}).get('modules') or {}
    return {name for name, route in routing.items() if 'deprecation' in route}


def test_the_table_names_every_module_but_the_deprecated_and_only_real_ones():
    modules = set()
    for row in table_rows():
        modules.update(re.findall(r'`dialin\.callback\.([a-z_]+)`', row[3]))
    on_disk = {path.stem for path in (TOP / 'plugins' / 'modules').glob('*.py') if path.stem != '__init__'}
    assert deprecated_modules() == {'callback_user'}
    assert modules == on_disk - deprecated_modules()


def test_no_role_or_playbook_calls_a_deprecated_module():
    """login.config has one writer: the roles hand their lines to login_config, none calls callback_user."""
    files = list((TOP / 'roles').rglob('*.yml')) + list((TOP / 'playbooks').rglob('*.yml'))
    files.append(TOP / 'site.yml')
    assert len(files) > 50
    calls = sorted((str(path.relative_to(TOP)), name) for path in files for name in deprecated_modules()
                   if re.search(r'^\s*(- )?dialin\.callback\.%s:' % name, path.read_text(), re.M))
    assert calls == []


def test_no_role_variable_reads_a_task_s_register():
    """A register is read where it is used (the task's own vars, a handler's loop), not through a
    role variable whose value depends on which task ran before it is read. The one exception: what a
    role's check reads from the host (its tasks/inputs.yml, which every check imports first) feeds
    the role's list of problems and warnings in vars/main.yml."""
    registered = set()
    inputs = set()
    for path in TOP.glob('roles/*/*/*.yml'):
        if path.parent.name in ('tasks', 'handlers'):
            names = set(re.findall(r'^\s*register:\s*(\w+)', path.read_text(), re.M))
            (inputs if path.name == 'inputs.yml' else registered).update(names)
    assert inputs == {'__mgetty_consoles', '__ip_forward_proc'}, inputs
    assert not inputs & registered
    assert len(registered) > 20, registered
    found = []
    for path in sorted(TOP.glob('roles/*/vars/*.yml')):
        text = path.read_text()
        found += ['%s: %s' % (path.relative_to(TOP), name) for name in sorted(registered)
                  if re.search(r'\b%s\b' % name, text)]
    assert not found
