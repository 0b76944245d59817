"""docs/modems.md documents the init chats the mgetty role writes, and every command in them.

The table of modems must hold, for each modem_type, the very string of roles/mgetty/vars/main.yml,
and every AT command of those strings must have a line in the table of commands.
"""
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / 'docs' / 'modems.md').read_text()
CHATS = yaml.safe_load((ROOT / 'roles' / 'mgetty' / 'vars' / 'main.yml').read_text())['__mgetty_init_chats']


def table_rows(header):
    """The cells of each row of the Markdown table that starts with *header*."""
    block = DOC.split(header, 1)[1].split('\n\n', 1)[0]
    rows = []
    for line in block.splitlines()[1:]:
        if line.startswith('|') and not line.startswith('| ---'):
            rows.append([cell.strip() for cell in line.strip('|').split('|')])
    return rows


def commands(chat):
    """The AT commands of an init chat, e.g. Q0, &K3, S0=0."""
    found = []
    for word in chat.split():
        if word.startswith('\\d'):
            word = word[2:]
        if word.startswith('AT'):
            found.extend(re.findall(r'&?[A-Z][0-9]*(?:=[0-9]+)?', word[2:]))
    return found


def test_the_modem_table_holds_the_roles_init_chats():
    documented = {}
    for row in table_rows('| modem | `modem_type` |'):
        documented.setdefault(row[1].strip('`'), set()).add(row[2].strip('`'))
    assert set(documented) == set(CHATS)
    for modem_type, chat in CHATS.items():
        assert documented[modem_type] == {chat}, modem_type


def test_every_command_is_explained():
    explained = set(row[0].strip('`') for row in table_rows('| command | meaning |'))
    used = set()
    for chat in CHATS.values():
        used.update(commands(chat))
    assert used, 'no command found in %r' % CHATS
    assert used - explained == set()


def test_every_init_chat_sets_hardware_flow_control():
    assert '&K3' in commands(CHATS['hayes'])
    assert {'&H1', '&R2'} <= set(commands(CHATS['usrobotics']))
