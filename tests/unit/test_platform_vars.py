"""The roles' platform variables: vars/main.yml holds each value for every supported platform, and a
platform file (os family, distribution or distribution_major, linux-system-roles' set_vars) holds
only the values that differ, read by a lookup in vars/main.yml (no task). The roles' Galaxy metadata
names the same releases."""
import functools
import os
from pathlib import Path

import pytest
import yaml

from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import init_plugin_loader
from ansible.template import Templar

try:
    from ansible.template import trust_as_template
except ImportError:  # pragma: no cover - ansible-core < 2.19 templates every string
    def trust_as_template(value):
        return value

TOP = Path(__file__).resolve().parents[2]
ROLES = TOP / 'roles'
# Debian's release names of the major versions in roles/common/vars/main.yml.
DEBIAN_CODENAMES = {'12': 'bookworm', '13': 'trixie'}
# The programs' paths each release's packages install (docs/platforms.md; Molecule's test_server.py
# checks them on the hosts).
MGETTY_OF_RELEASE = {
    '12': {'__mgetty_binary': '/sbin/mgetty', '__mgetty_login_program': '/bin/login',
           '__mgetty_telinit': '/sbin/telinit'},
    '13': {'__mgetty_binary': '/usr/sbin/mgetty', '__mgetty_login_program': '/usr/bin/login',
           '__mgetty_telinit': '/usr/sbin/telinit'},
}


def load(path):
    return yaml.safe_load(path.read_text()) or {}


def platforms():
    return load(ROLES / 'common' / 'vars' / 'main.yml')['__common_platforms']


def platform_files():
    """Every vars file of a role but main.yml, as (role, path)."""
    return sorted((path.parent.parent.name, path) for path in ROLES.glob('*/vars/*.yml') if path.name != 'main.yml')


def facts(platform):
    distribution, major = platform.split('_')
    return {'os_family': 'Debian', 'distribution': distribution, 'distribution_major_version': major}


def loaded_files(role, host_facts):
    """The files the role's set_vars expression names for a host with *host_facts*, as Ansible renders it."""
    expression = load(ROLES / role / 'vars' / 'main.yml')[f'__{role}_platform_files']
    templar = Templar(loader=DataLoader(), variables={'ansible_facts': host_facts, 'role_path': str(ROLES / role)})
    return [os.path.relpath(path, ROLES / role) for path in templar.template(trust_as_template(expression))]


@functools.cache
def plugins():
    """Ansible's plugins (the lookup that reads the platform files), loaded once."""
    init_plugin_loader()


def role_values(role, platform):
    """The role's platform values on *platform*, as Ansible renders vars/main.yml's names for them."""
    plugins()
    main = load(ROLES / role / 'vars' / 'main.yml')
    variables = dict(main, ansible_facts=facts(platform), role_path=str(ROLES / role))
    templar = Templar(loader=DataLoader(), variables={name: trust_as_template(value) if isinstance(value, str) else value
                                                      for name, value in variables.items()})
    return {name: templar.template(trust_as_template(main[name])) for name in main[f'__{role}_platform_defaults']}


def test_the_platforms_are_debian_12_and_13():
    assert platforms() == ['Debian_12', 'Debian_13']


def test_a_platform_file_is_named_for_an_os_family_a_distribution_or_a_supported_release():
    allowed = {'Debian'} | set(platforms())
    assert platform_files(), 'no role has a platform file'
    for role, path in platform_files():
        assert path.stem in allowed, (role, path.name)


@pytest.mark.parametrize('role, path', platform_files(), ids=lambda value: getattr(value, 'name', value))
def test_a_platform_file_only_overrides_values_of_vars_main_and_each_differs(role, path):
    defaults = load(ROLES / role / 'vars' / 'main.yml')[f'__{role}_platform_defaults']
    overrides = load(path)
    assert overrides, path
    for name, value in overrides.items():
        assert name.startswith(f'__{role}_'), (path, name)
        assert name in defaults, f'{path}: {name} has no value in vars/main.yml for the other platforms'
        assert value != defaults[name], f'{path}: {name} is the same as in vars/main.yml: the line is not needed'


def test_roles_with_platform_files_read_them_without_a_task_and_the_others_have_no_platform_values():
    with_files = {role for role, path in platform_files()}
    assert with_files == {'mgetty'}, 'only mgetty differs between Debian 12 and 13 (docs/platforms.md)'
    for tasks in sorted(ROLES.glob('*/tasks/*.yml')):
        assert not [task for task in load(tasks) if 'ansible.builtin.include_vars' in task], tasks
    for main in sorted(ROLES.glob('*/vars/main.yml')):
        role = main.parent.parent.name
        values = load(main)
        if role not in with_files:
            assert f'__{role}_platform_defaults' not in values, main
            continue
        assert 'combine' in values[f'__{role}_platform'] and f'__{role}_platform_files' in values[f'__{role}_platform']
        for name in values[f'__{role}_platform_defaults']:
            assert values[name] == '{{ __%s_platform.%s }}' % (role, name), (main, name)


@pytest.mark.parametrize('platform, expected', [
    ('Debian_12', ['vars/Debian_12.yml']),
    ('Debian_13', []),
    # A later release with Debian 13's paths needs no file, only its line in __common_platforms.
    ('Debian_14', []),
])
def test_the_set_vars_expression_names_the_files_that_exist(platform, expected):
    assert loaded_files('mgetty', facts(platform)) == expected


def test_a_distribution_file_comes_before_the_release_file(tmp_path):
    """Most specific last: the release's file overrides the distribution's and the family's."""
    role = tmp_path / 'mgetty'
    (role / 'vars').mkdir(parents=True)
    (role / 'vars' / 'main.yml').write_text((ROLES / 'mgetty' / 'vars' / 'main.yml').read_text())
    for name in ('Debian_12.yml', 'Debian.yml', 'Ubuntu.yml'):
        (role / 'vars' / name).write_text('---\n')
    expression = load(role / 'vars' / 'main.yml')['__mgetty_platform_files']
    templar = Templar(loader=DataLoader(), variables={'ansible_facts': facts('Debian_12'), 'role_path': str(role)})
    names = [Path(path).name for path in templar.template(trust_as_template(expression))]
    assert names == ['Debian.yml', 'Debian_12.yml']
    host = {'os_family': 'Debian', 'distribution': 'Ubuntu', 'distribution_major_version': '24'}
    templar = Templar(loader=DataLoader(), variables={'ansible_facts': host, 'role_path': str(role)})
    assert [Path(path).name for path in templar.template(trust_as_template(expression))] == ['Debian.yml', 'Ubuntu.yml']


@pytest.mark.parametrize('platform', ['Debian_12', 'Debian_13'])
def test_each_release_gets_its_programs_paths(platform):
    values = role_values('mgetty', platform)
    for name, value in MGETTY_OF_RELEASE[platform.split('_')[1]].items():
        assert values[name] == value, (platform, name)


def test_galaxy_metadata_names_the_supported_releases():
    expected = [DEBIAN_CODENAMES[platform.split('_')[1]] for platform in platforms()]
    for meta in sorted(ROLES.glob('*/meta/main.yml')):
        galaxy = yaml.safe_load(meta.read_text())['galaxy_info']
        assert galaxy['platforms'] == [{'name': 'Debian', 'versions': expected}], meta
