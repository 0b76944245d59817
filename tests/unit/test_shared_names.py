"""The names and paths several roles and modules use are defined once (module_utils/shared_names.py):
the roles' variables resolve to them, the modules' documented defaults are them, and no role file
writes one out again."""
import os
import re
from pathlib import Path

import pytest
import yaml

from ansible.errors import AnsibleFilterError
from ansible_collections.dialin.callback.plugins.filter.shared_name import shared_name
from ansible_collections.dialin.callback.plugins.module_utils import call_accounting
from ansible_collections.dialin.callback.plugins.module_utils import shared_names
from ansible_collections.dialin.callback.plugins.module_utils.shared_names import SHARED_NAMES
from ansible_collections.dialin.callback.tests.unit.role_vars import load_role_vars

ROOT = Path(__file__).resolve().parents[2]

# Each role variable that holds a shared name, and the name.
ROLE_VARIABLES = {
    'roles/mgetty/vars/main.yml': {
        '__mgetty_record_dir': 'facts_dir', '__mgetty_record': 'mgetty_facts_file',
        '__mgetty_identified_link_dir': 'identified_link_dir',
        '__mgetty_ppp_identified_prefix': 'identified_options_prefix',
    },
    'roles/ppp_server/vars/main.yml': {
        '__ppp_server_record_dir': 'facts_dir', '__ppp_server_record': 'ppp_server_facts_file',
        '__ppp_server_identified_prefix': 'identified_options_prefix',
        '__ppp_server_identified_link_dir': 'identified_link_dir',
        '__ppp_server_called_back': 'called_back', '__ppp_server_callback_record_dir': 'called_back_record_dir',
    },
    'roles/callback/vars/main.yml': {
        '__callback_gate': 'callback_gate', '__callback_record_dir': 'called_back_record_dir',
    },
}


@pytest.mark.parametrize('path', sorted(ROLE_VARIABLES))
def test_the_roles_variables_are_the_shared_names(path):
    values = load_role_vars(path)
    for variable, name in ROLE_VARIABLES[path].items():
        assert values[variable] == SHARED_NAMES[name], (path, variable)
        assert 'dialin.callback.shared_name' in yaml.safe_load((ROOT / path).read_text())[variable], variable


def test_udev_links_under_the_directory_the_other_roles_read():
    link_dir = load_role_vars('roles/modem/vars/main.yml')['__modem_identified_link_dir']
    assert '/dev/' + link_dir == SHARED_NAMES['identified_link_dir']


def test_the_mgetty_role_knows_the_gate_as_a_callback_program():
    defaults = yaml.safe_load((ROOT / 'roles/mgetty/defaults/main.yml').read_text())
    assert SHARED_NAMES['callback_gate'] in defaults['mgetty_callback_programs']
    assert os.path.basename(SHARED_NAMES['callback_gate']) in call_accounting.CALLBACK_PROGRAMS


def test_line_status_defaults_are_the_shared_names():
    text = (ROOT / 'plugins/modules/line_status.py').read_text()
    doc = yaml.safe_load(re.search(r"DOCUMENTATION = r'''(.*?)'''", text, re.S).group(1))
    assert doc['options']['facts_file']['default'] == SHARED_NAMES['mgetty_facts_file']
    assert doc['options']['identified_link_dir']['default'] == SHARED_NAMES['identified_link_dir']


def test_the_facts_files_are_in_the_facts_directory():
    for name in ('mgetty_facts_file', 'ppp_server_facts_file'):
        assert os.path.dirname(SHARED_NAMES[name]) == SHARED_NAMES['facts_dir']
    for name in ('callback_gate', 'called_back'):
        assert os.path.dirname(SHARED_NAMES[name]) == SHARED_NAMES['lib_dir']


def test_no_role_file_writes_a_shared_path_out_again():
    """Tasks, variables and templates read the shared names; only comments, documentation and the
    public default checked above may spell one out."""
    values = [v for v in SHARED_NAMES.values() if v.startswith('/')]
    found = []
    for path in sorted(ROOT.glob('roles/*/*/*')):
        if path.suffix not in ('.yml', '.j2') or path.parent.name == 'meta':
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split('#', 1)[0] if path.suffix == '.yml' else line
            if line.lstrip().startswith('#') or path.match('roles/mgetty/defaults/main.yml'):
                continue
            found += [f'{path.relative_to(ROOT)}:{number}: {v}' for v in values if v in code]
    assert not found


def test_an_unknown_name_is_refused_with_the_known_ones():
    with pytest.raises(AnsibleFilterError, match=r"'lock_dir' is not a shared name .*known: callback_gate"):
        shared_name('lock_dir')


def test_an_unknown_name_is_refused_with_the_whole_list_of_known_ones():
    with pytest.raises(KeyError) as refused:
        shared_names.shared_name('lock_dir')
    assert refused.value.args == ("'lock_dir' is not a shared name of dialin.callback (known: %s)"
                                  % ', '.join(sorted(SHARED_NAMES)),)
    assert shared_names.shared_name('facts_dir') == '/etc/ansible/facts.d'
