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
short_description: Manage mgetty callback pseudo-logins in login.config
version_added: 0.1.0
description:
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

import os
import re

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.dialin.callback.plugins.module_utils.atomic_file import write_file
from ansible_collections.dialin.callback.plugins.module_utils.login_config import (
    Line, MAX_ARGS, field_problem, name_problem, read_login_config)
from ansible_collections.dialin.callback.plugins.module_utils.validators import DIAL_NUMBER

LINE_RE = re.compile(r'^[A-Za-z0-9_./-]+\Z')
# options of callback that take a value (getopt string "x:s:am:l:SdV")
_OPTS_WITH_VALUE = ('-x', '-s', '-m', '-l')


def parse_callback_args(args):
    """Return (number, lines) from the arguments of a callback line."""
    numbers = []
    lines = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in _OPTS_WITH_VALUE:
            if arg == '-l' and i + 1 < len(args):
                lines = args[i + 1].split(':')
            i += 2
            continue
        if arg.startswith('-l') and len(arg) > 2:
            lines = arg[2:].split(':')
        elif arg == '-S':
            lines = []
        elif not (arg.startswith('-') and len(arg) > 1):
            numbers.append(arg)
        i += 1
    return ' '.join(numbers), lines


def program_args_problem(program_args):
    """Check *program_args* the way callback's getopt("x:s:am:l:SdV") reads them."""
    i = 0
    while i < len(program_args):
        arg = program_args[i]
        if not arg.startswith('-') or arg == '-' or arg == '--':
            return ('item %r is not an option: the number and the lines are written by the module'
                    % arg)
        j = 1
        while j < len(arg):
            opt = arg[j]
            if opt in 'Sl':
                return 'option -%s is written by the module (see lines)' % opt
            if opt in 'xsm':
                if j + 1 == len(arg):
                    if i + 1 == len(program_args):
                        return 'option -%s needs a value' % opt
                    i += 1
                break
            if opt not in 'adV':
                return 'callback has no option -%s' % opt
            j += 1
        i += 1
    return None


def user_args(program_args, user, gate=None):
    """The arguments of a callback entry: with a gate, mgetty's '@' (the login name) comes first."""
    args = ['@'] if gate else []
    args.extend(program_args)
    if user['lines']:
        args.extend(['-l', ':'.join(user['lines'])])
    else:
        args.append('-S')
    args.append(user['number'])
    return args


def validate_user(module, user, label, state, program_args, gate):
    name = user['name']
    problem = name_problem(name, allow_wildcard=False, allow_special=False)
    if not problem and '@' in name:
        problem = 'must not contain "@"'
    if problem:
        module.fail_json(msg='%s name %r %s' % (label, name, problem))
    if state == 'absent':
        return
    number = user.get('number')
    if number is None or number == '':
        module.fail_json(msg='%s (user %s): number is required when state=present' % (label, name))
    if not DIAL_NUMBER.match(number):
        module.fail_json(msg='%s (user %s): number must consist of digits and the dial modifiers '
                             ', W P T * # only (no spaces, letters or ";"); got %r' % (label, name, number))
    for line in user['lines']:
        bad = not LINE_RE.match(line or '')
        if not bad and line.startswith('/') and not line.startswith('/dev/'):
            bad = True
        if not bad and line.rstrip('/') in ('/dev', ''):
            bad = True
        if bad:
            module.fail_json(msg='%s (user %s): lines item %r must match [A-Za-z0-9_./-]+ and an '
                                 'absolute name must start with /dev/' % (label, name, line))
    if len(user_args(program_args, user, gate)) > MAX_ARGS:
        module.fail_json(msg='%s (user %s): program_args leave no room: mgetty passes at most %d '
                             'arguments to the program' % (label, name, MAX_ARGS))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', default='/etc/mgetty/login.config'),
            name=dict(type='str'),
            number=dict(type='str'),
            lines=dict(type='list', elements='str', default=[]),
            users=dict(type='list', elements='dict', options=dict(
                name=dict(type='str', required=True),
                number=dict(type='str'),
                lines=dict(type='list', elements='str', default=[]),
                after_callback=dict(type='str', choices=['-', 'Y', 'N']),
            )),
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
    state = p['state']
    program = p['program']

    if not os.path.isabs(program):
        module.fail_json(msg='program %r must be an absolute path' % program)
    problem = field_problem(program)
    if problem:
        module.fail_json(msg='program %r %s' % (program, problem))
    gate = p['gate']
    if gate is not None:
        problem = field_problem(gate)
        if not problem and not os.path.isabs(gate):
            problem = 'must be an absolute path'
        if not problem and gate == program:
            problem = 'must not be the callback program itself'
        if problem:
            module.fail_json(msg='gate %r %s' % (gate, problem))
    # Entries that run the callback program directly are ours too: with a gate they are rewritten.
    callback_programs = (program, gate) if gate else (program,)
    for j, arg in enumerate(p['program_args']):
        problem = field_problem(arg)
        if problem:
            module.fail_json(msg='program_args[%d] %r %s' % (j, arg, problem))
    problem = program_args_problem(p['program_args'])
    if problem:
        module.fail_json(msg='program_args: %s' % problem)

    if p['users'] is not None:
        users = []
        for u in p['users']:
            users.append(dict(name=u['name'], number=u['number'], lines=u['lines'] or [],
                              after_callback=u['after_callback'] or p['after_callback']))
        labels = ['users[%d]' % i for i in range(len(users))]
    else:
        users = [dict(name=p['name'], number=p['number'], lines=p['lines'] or [],
                      after_callback=p['after_callback'])]
        labels = ['name']
        if p['exclusive']:
            module.warn('exclusive is only used together with users; ignored')

    seen = set()
    for user, label in zip(users, labels):
        validate_user(module, user, label, state, p['program_args'], gate)
        if user['name'] in seen:
            module.fail_json(msg='%s: name %s is declared twice in users' % (label, user['name']))
        seen.add(user['name'])

    before, exists, doc = read_login_config(module, path)

    def is_callback(line):
        entry = doc.entry_dict(line)
        return entry['program'] in callback_programs

    # refuse names that belong to other kinds of entries
    for user, label in zip(users, labels):
        for line in doc.entry_lines():
            if line.key == user['name'] and not is_callback(line):
                if state == 'present':
                    module.fail_json(msg='%s: name %s collides with an existing entry of %s that is '
                                         'not a callback entry (program %s); refusing to replace it'
                                         % (label, user['name'], path, doc.entry_dict(line)['program']))

    added, removed, updated = [], [], []
    for user in users:
        if state == 'absent':
            kept = [line for line in doc.lines
                    if not (line.kind == Line.ENTRY and line.key == user['name'] and is_callback(line))]
            if len(kept) != len(doc.lines):
                doc.lines = kept
                removed.append(user['name'])
            continue
        entry = dict(name=user['name'], after_callback=user['after_callback'], userid='-', utmp='-',
                     program=gate or program, args=user_args(p['program_args'], user, gate))
        what = doc.set_entry(entry)
        if what == 'added':
            added.append(user['name'])
        elif what == 'updated':
            updated.append(user['name'])

    if p['users'] is not None and p['exclusive']:
        wanted = set(u['name'] for u in users) if state == 'present' else set()
        kept = []
        for line in doc.lines:
            if line.kind == Line.ENTRY and is_callback(line) and line.key not in wanted:
                if line.key not in removed:
                    removed.append(line.key)
                continue
            kept.append(line)
        doc.lines = kept

    after = doc.text()
    result = write_file(module, path, before, after, exists, backup=p['backup'], private=True)
    result_users = []
    for line in doc.entry_lines():
        if is_callback(line):
            entry = doc.entry_dict(line)
            args = entry['args']
            if gate and entry['program'] == gate and args[:1] == ['@']:
                args = args[1:]
            number, lines = parse_callback_args(args)
            result_users.append(dict(name=line.key, number=number, lines=lines))
    result.update(users=result_users, added=added, removed=removed, updated=updated)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
