"""Every supported platform has its variables in every role that keeps per-platform variables, with
the same names as the other platforms, and the roles' Galaxy metadata names the same releases."""
from pathlib import Path

import yaml

TOP = Path(__file__).resolve().parents[2]
# Debian's release names of the major versions in roles/common/vars/main.yml.
DEBIAN_CODENAMES = {'12': 'bookworm', '13': 'trixie'}


def platforms():
    return yaml.safe_load((TOP / 'roles' / 'common' / 'vars' / 'main.yml').read_text())['__common_platforms']


def test_the_platforms_are_debian_12_and_13():
    assert platforms() == ['Debian_12', 'Debian_13']


def test_each_role_with_platform_vars_has_them_for_every_platform_with_the_same_names():
    roles = sorted({path.parent.parent.name for path in (TOP / 'roles').glob('*/vars/Debian_*.yml')})
    assert roles == ['callback', 'mgetty', 'modem', 'ppp_server']
    for role in roles:
        names = {}
        for platform in platforms():
            path = TOP / 'roles' / role / 'vars' / f'{platform}.yml'
            assert path.is_file(), path
            names[platform] = set(yaml.safe_load(path.read_text()))
            assert all(name.startswith(f'__{role}_') for name in names[platform]), (role, platform)
        assert len({frozenset(value) for value in names.values()}) == 1, (role, names)
        unsupported = sorted(
            path.stem for path in (TOP / 'roles' / role / 'vars').glob('*_*.yml') if path.stem not in platforms()
        )
        assert not unsupported, (role, unsupported)


def test_galaxy_metadata_names_the_supported_releases():
    expected = [DEBIAN_CODENAMES[platform.split('_')[1]] for platform in platforms()]
    for meta in sorted((TOP / 'roles').glob('*/meta/main.yml')):
        galaxy = yaml.safe_load(meta.read_text())['galaxy_info']
        assert galaxy['platforms'] == [{'name': 'Debian', 'versions': expected}], meta
