#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: callback_user
short_description: Manage mgetty callback pseudo-logins in login.config (deprecated)
version_added: 0.1.0
deprecated:
  removed_in: 2.0.0
  why: >-
    login.config has one writer, M(dialin.callback.login_config); its O(dialin.callback.login_config#module:callback)
    option writes the same entries with the same code. This module is a thin wrapper around it.
  alternative: Use M(dialin.callback.login_config) with its O(dialin.callback.login_config#module:callback) option.
description:
  - Deprecated; use the O(dialin.callback.login_config#module:callback) option of M(dialin.callback.login_config),
    which writes the same entries (this module calls the same code).
  - Manages the lines of mgetty's C(login.config) that map a pseudo-login name to mgetty's C(callback)
    program and a fixed telephone number, for example C(call - - /usr/sbin/callback -S 123456).
    A caller who logs in as C(call) is hung up on and called back at 123456.
  - A callback entry is a line whose program field is O(program), or O(gate) when it is set. Other lines
    are never changed, and a name that already belongs to another kind of entry is refused.
  - With O(gate), login.config runs the gate instead of the callback program, with mgetty's C(@) (the
    login name) as its first argument, for example C(call - - /usr/local/lib/dialin-callback/callback-gate @ -S 123456);
    the gate decides (for example a rate limit) and then runs the callback program with the other
    arguments. Entries written earlier with O(program) directly are rewritten, never duplicated.
  - New entries are inserted before the first wildcard line (a key containing C(*)), which would
    otherwise shadow them; lines the task does not name are kept byte for byte.
  - In a format version 2 file (a C(!version 2) line above every entry) the after-callback column is written too;
    it defaults to C(N) so that a pseudo-login is never accepted right after a callback (else the
    caller would be called back again and again).
  - The file is always made owned by root with mode C(0600); mgetty ignores it otherwise.
  - mgetty switches the format as it reads (login.c) - a C(!version) line sets the format of the lines after it,
    and the lines above the first one are read in format version 1, where the second field is the user id.
    The module refuses a file that mgetty would read in two formats - an entry line above the C(!version) line,
    or a second C(!version) line - and fails, in check mode too, with the path, the line number, the line, what
    mgetty does with it and how to fix it (move the line below the C(!version) line); nothing is written. It does
    not rewrite such a file (see M(dialin.callback.login_config)). Comments and blank lines may come before the
    C(!version) line.
author:
  - dialin.callback maintainers (@dialin)
extends_documentation_fragment:
  - dialin.callback.attributes
  - dialin.callback.attributes.writes
  - dialin.callback.backup
options:
  path:
    description:
      - Path of mgetty's C(login.config). It is created when missing; its directory must exist.
    type: path
    default: /etc/mgetty/login.config
  name:
    description:
      - Pseudo-login name of one callback entry. Mutually exclusive with O(users).
      - No whitespace or control characters, no leading C(-), no C(*), C(@) or C(/).
    type: str
  number:
    description:
      - Telephone number to call back, for O(name). Digits and the dial modifiers comma, C(W), C(P), C(T), C(*) and C(#) only (upper or lower case letters).
      - Required when O(name) is given and O(state=present). Quote it in YAML so that leading zeros stay.
    type: str
  lines:
    description:
      - TTY names C(callback) may dial out on, for O(name), written as C(-l tty1:tty2).
      - An empty list writes C(-S), dial back on the line the call came in on.
      - Each matches C([A-Za-z0-9_./-]+); an absolute name must start with C(/dev/).
    type: list
    elements: str
    default: []
  users:
    description:
      - Several callback entries in one task. Mutually exclusive with O(name).
      - O(state) applies to every item.
    type: list
    elements: dict
    suboptions:
      name:
        description: Pseudo-login name, as O(name).
        type: str
        required: true
      number:
        description: Telephone number, as O(number). Required when O(state=present).
        type: str
      lines:
        description: TTY names, as O(lines).
        type: list
        elements: str
        default: []
      after_callback:
        description: Version 2 column for this entry; defaults to O(after_callback).
        type: str
        choices: ['-', 'Y', 'N']
  state:
    description: Whether the entries must be present or absent.
    type: str
    choices: [present, absent]
    default: present
  exclusive:
    description:
      - With O(users), remove every callback entry (a line whose program is O(program)) whose name is
        not in O(users). Ignored (with a warning) together with O(name).
    type: bool
    default: false
  program:
    description: Absolute path of mgetty's callback program.
    type: path
    default: /usr/sbin/callback
  gate:
    description:
      - Absolute path of a program login.config runs instead of O(program). The entry's arguments are
        C(@) (mgetty replaces it with the login name), then the arguments of the callback program.
      - The gate must run O(program) itself, with the arguments after the login name.
      - Lines whose program is O(program) are callback entries too, and are rewritten to run the gate.
        Lines written through another gate are not recognised; name that gate here, or remove them first.
      - Unset, the entries run O(program) directly.
    type: path
  program_args:
    description:
      - Extra options of C(callback) put before C(-S) or C(-l), for example C([-x, '3']).
      - Only the options C(-x LEVEL), C(-s SPEED), C(-m CHAT), C(-a), C(-d), C(-V); C(-S) and C(-l)
        come from O(lines).
    type: list
    elements: str
    default: []
  after_callback:
    description:
      - Value of the format version 2 column (C(Y) only right after a callback, C(N) never right after a
        callback, C(-) either). Only written in version 2 files.
    type: str
    choices: ['-', 'Y', 'N']
    default: 'N'
notes:
  - C(callback) only dials on a line an mgetty watches, and with C(-S) it finds that mgetty through the
    name of the line the call came in on; run mgetty on the real device name, not on C(/dev/modem).
seealso:
  - module: dialin.callback.login_config
'''

EXAMPLES = r'''
- name: Call back the caller who logs in as "call" at 123456, on the line the call came in on
  dialin.callback.callback_user:
    name: call
    number: '123456'

- name: The complete list of callback users, removing any other
  dialin.callback.callback_user:
    users:
      - name: call-alice
        number: '0W123456'
      - name: call-bob
        number: '654321'
        lines: [ttyS1, ttyS2]
    exclusive: true
    program_args: [-x, '3']
    backup: true

- name: Call back through a rate-limiting gate (login.config runs the gate with the login name)
  dialin.callback.callback_user:
    name: call
    number: '123456'
    gate: /usr/local/lib/dialin-callback/callback-gate

- name: Remove a callback user
  dialin.callback.callback_user:
    name: call-bob
    state: absent
'''

RETURN = r'''
users:
  description: Callback entries of the resulting file, in file order.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: Pseudo-login name.
      type: str
    number:
      description: Number called back (several numbers are separated by a space).
      type: str
    lines:
      description: TTY names given with C(-l); empty for C(-S).
      type: list
      elements: str
  sample:
    - name: call
      number: '123456'
      lines: []
added:
  description: Names of the entries added.
  returned: success
  type: list
  elements: str
  sample: [call]
removed:
  description: Names of the entries removed.
  returned: success
  type: list
  elements: str
  sample: []
updated:
  description: Names of the entries whose line was rewritten.
  returned: success
  type: list
  elements: str
  sample: []
backup_file:
  description: Name of the backup file that was created.
  returned: changed and O(backup=true)
  type: str
  sample: /etc/mgetty/login.config.2345.2026-01-01@10:00:00~
diff:
  description: Content of the file before and after (in diff mode).
  returned: always
  type: dict
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.dialin.callback.plugins.module_utils.atomic_file import write_file
from ansible_collections.dialin.callback.plugins.module_utils.callback_entries import (
    USER_SPEC, CallbackEntryError, apply_users, check_programs, check_users, users_of)
from ansible_collections.dialin.callback.plugins.module_utils.login_config import read_login_config


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', default='/etc/mgetty/login.config'),
            name=dict(type='str'),
            number=dict(type='str'),
            lines=dict(type='list', elements='str', default=[]),
            users=dict(type='list', elements='dict', options=USER_SPEC),
            state=dict(type='str', choices=['present', 'absent'], default='present'),
            exclusive=dict(type='bool', default=False),
            program=dict(type='path', default='/usr/sbin/callback'),
            program_args=dict(type='list', elements='str', default=[]),
            gate=dict(type='path'),
            after_callback=dict(type='str', choices=['-', 'Y', 'N'], default='N'),
            backup=dict(type='bool', default=False),
        ),
        mutually_exclusive=[('name', 'users')],
        required_one_of=[('name', 'users')],
        supports_check_mode=True,
    )
    p = module.params
    path = p['path']
    if p['users'] is not None:
        users = [dict(name=u['name'], number=u['number'], lines=u['lines'] or [], state=p['state'],
                      after_callback=u['after_callback'] or p['after_callback']) for u in p['users']]
        labels = ['users[%d]' % i for i in range(len(users))]
        exclusive = p['exclusive']
    else:
        users = [dict(name=p['name'], number=p['number'], lines=p['lines'] or [], state=p['state'],
                      after_callback=p['after_callback'])]
        labels = ['name']
        exclusive = False
        if p['exclusive']:
            module.warn('exclusive is only used together with users; ignored')
    try:
        check_programs(p['program'], p['gate'], p['program_args'])
        check_users(users, labels, p['program_args'], p['gate'])
    except CallbackEntryError as e:
        module.fail_json(msg=str(e))

    before, exists, doc = read_login_config(module, path)
    try:
        added, removed, updated = apply_users(doc, path, users, labels, exclusive, p['program'],
                                              p['program_args'], p['gate'])
    except CallbackEntryError as e:
        module.fail_json(msg=str(e))
    result = write_file(module, path, before, doc.text(), exists,
                        backup=p['backup'], private=True)
    result.update(users=users_of(doc, p['program'], p['gate']), added=added, removed=removed, updated=updated)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
