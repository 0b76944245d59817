#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: login_config
short_description: Manage entries of mgetty's login.config
version_added: 0.1.0
description:
  - Adds, replaces or removes whole entries of mgetty's C(login.config), the table that maps the
    name typed at mgetty's C(login:) prompt (or C(/AutoPPP/) for a caller that starts PPP at once)
    to the program to run.
  - An entry is identified by its name key; in a version 2 file by its name key and its O(entries[].after_callback)
    value together, so a name may have one line for C(Y), one for C(N) and one for C(-) (for example a C(*)
    line that runs C(/bin/login) only after a callback and one that refuses every other caller).
    A present entry replaces the first line with that identity, keeping its position, and removes later
    lines with the same identity. A new entry is inserted before
    the first wildcard line (a key containing C(*)), because mgetty uses the first line that matches
    and a wildcard would shadow it; a new wildcard entry, or any entry when there is no wildcard
    line, is appended.
  - Lines the task does not name are kept byte for byte; fields of written lines are separated by a TAB.
  - Converts the file between format version 1 and format version 2 (a C(!version 2) line and an extra
    column after the name, C(Y) for "only right after a callback", C(N) for "never right after a callback",
    C(-) for either).
  - The file is always made owned by root with mode C(0600); mgetty ignores it otherwise and silently
    falls back to C(/bin/login).
  - mgetty switches the format as it reads (login.c) - a C(!version) line sets the format of the lines after it,
    and the lines above the first one are read in format version 1, where the second field is the user id.
    The module edits a file in one format throughout, so it refuses a file that mgetty would read in two - an
    entry line above the C(!version) line, or a second C(!version) line - and fails, in check mode too, with the
    path, the line number, the line, what mgetty does with it and how to fix it (move the line below the
    C(!version) line). Nothing is written then. It does not rewrite such a file - which format the author meant
    for a line is a guess, and a wrong guess is a login before any callback. Comments and blank lines may come
    before the C(!version) line.
author:
  - dialin.callback maintainers (@dialin)
extends_documentation_fragment:
  - dialin.callback.attributes
  - dialin.callback.attributes.writes
  - dialin.callback.backup
options:
  path:
    description:
      - Path of mgetty's C(login.config). Debian uses C(/etc/mgetty/login.config), upstream and Fedora
        C(/etc/mgetty+sendfax/login.config).
      - The file is created when it does not exist; its directory must exist.
    type: path
    default: /etc/mgetty/login.config
  version:
    description:
      - Format version the file must have afterwards. When omitted the file keeps its version
        (a new file gets version 1).
      - Converting 1 to 2 adds a C(!version 2) line before the first line that is not a comment or blank,
        and inserts C(-) after the name of every entry line.
      - Converting 2 to 1 removes the version line and the second column of every entry (with a warning
        when that column held C(Y) or C(N)).
    type: int
    choices: [1, 2]
  entries:
    description:
      - Entries to manage, in order.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description:
          - Login name key. May be C(/AutoPPP/), C(/FIDO/), C(*), or a name with a leading and/or trailing
            C(*) wildcard.
          - Must not contain whitespace or control characters and must not start with C(-), C(#) or C(!).
        type: str
        required: true
      userid:
        description: User to run the program as; C(-) keeps root.
        type: str
        default: '-'
      utmp:
        description: Entry written to utmp; C(-) writes none, C(@) writes the typed name.
        type: str
        default: '-'
      program:
        description:
          - Absolute path of the program to run. Required when O(entries[].state=present).
        type: path
      args:
        description:
          - Arguments of the program; C(@) is replaced by mgetty with the typed name.
          - At most 8, since mgetty passes at most 9 words (program included).
        type: list
        elements: str
        default: []
      after_callback:
        description:
          - Value of the format version 2 column. Only written when the file is version 2.
        type: str
        choices: ['-', 'Y', 'N']
        default: '-'
      state:
        description: Whether the entry must be present or absent.
        type: str
        choices: [present, absent]
        default: present
  others_after_callback_only:
    description:
      - Make every other entry line of the file (one whose name and column are not those of a present item of
        O(entries)) usable only right after a callback, by setting its column to C(Y). Lines the collection did
        not write are then no way around callback-only.
      - Lines that run one of O(others_exempt_programs) keep their column.
      - Needs a format version 2 file (O(version=2)).
    type: bool
    default: false
  others_exempt_programs:
    description:
      - Programs whose lines O(others_after_callback_only) leaves alone, for example mgetty's C(callback) program,
        whose pseudo-logins must work before a callback.
    type: list
    elements: path
    default: []
  callback:
    description:
      - The callback entries - pseudo-logins that run mgetty's C(callback) program with a fixed number, for
        example C(call - - /usr/sbin/callback -S 123456). A caller who logs in as C(call) is hung up on and
        called back at 123456.
      - A callback entry is a line whose program field is O(callback.program), or O(callback.gate) when it is set;
        other lines are never changed by this option, and a name that already belongs to another kind of entry
        is refused. New entries go before the first wildcard line; in a version 2 file the after-callback column
        is written too.
      - Applied after O(entries) and O(version); a name may not be in both O(entries) and O(callback.users).
      - Lines running O(callback.program) or O(callback.gate) are added to O(others_exempt_programs).
      - Left out, the callback entries of the file are not touched.
    type: dict
    suboptions:
      users:
        description:
          - The callback entries.
        type: list
        elements: dict
        default: []
        suboptions:
          name:
            description:
              - Pseudo-login name. No whitespace or control characters, no leading C(-), no C(*), C(@) or C(/).
            type: str
            required: true
          number:
            description:
              - Telephone number to call back. Digits and the dial modifiers comma, C(W), C(P), C(T), C(*) and
                C(#) only (upper or lower case letters). Required when O(callback.users[].state=present).
              - Quote it in YAML so that leading zeros stay.
            type: str
          lines:
            description:
              - TTY names C(callback) may dial out on, written as C(-l tty1:tty2).
              - An empty list writes C(-S), dial back on the line the call came in on.
              - Each matches C([A-Za-z0-9_./-]+); an absolute name must start with C(/dev/).
            type: list
            elements: str
            default: []
          after_callback:
            description: Version 2 column for this entry; defaults to O(callback.after_callback).
            type: str
            choices: ['-', 'Y', 'N']
          state:
            description: Whether the entry must be present or absent.
            type: str
            choices: [present, absent]
            default: present
      exclusive:
        description:
          - Remove every callback entry whose name is not a present item of O(callback.users).
        type: bool
        default: false
      program:
        description: Absolute path of mgetty's callback program.
        type: path
        default: /usr/sbin/callback
      gate:
        description:
          - Absolute path of a program login.config runs instead of O(callback.program). The entry's arguments are
            C(@) (mgetty replaces it with the login name), then the arguments of the callback program; the gate
            must run O(callback.program) itself with the arguments after the login name.
          - Lines whose program is O(callback.program) are callback entries too, and are rewritten to run the gate.
            Lines written through another gate are not recognised.
          - Unset, the entries run O(callback.program) directly.
        type: path
      program_args:
        description:
          - Extra options of C(callback) put before C(-S) or C(-l), for example C([-x, '3']).
          - Only the options C(-x LEVEL), C(-s SPEED), C(-m CHAT), C(-a), C(-d), C(-V); C(-S) and C(-l)
            come from O(callback.users[].lines).
        type: list
        elements: str
        default: []
      after_callback:
        description:
          - Value of the format version 2 column (C(Y) only right after a callback, C(N) never right after a
            callback, C(-) either). Only written in version 2 files. The default C(N) keeps a pseudo-login from
            being accepted right after a callback (else the caller would be called back again and again).
        type: str
        choices: ['-', 'Y', 'N']
        default: 'N'
  insecure_reason:
    description:
      - Why the resulting file lets a caller log in before any callback (format version 1, or entries whose
        callback column is not C(Y)), as the caller's own switch allowed it. When set and not empty, the module
        prints the path and this reason as a warning on every run, check mode included; it changes nothing
        in the file and does not make the task report a change.
      - The mgetty role sets it when its C(mgetty_insecure_logins_before_callback) allows logins before a callback.
    type: str
notes:
  - mgetty only honours C(!version 2) (and Y/N) if it is recent enough; Debian 12's mgetty 1.2.1 is.
  - C(/AutoPPP/) only works when mgetty was built with AUTO_PPP (Debian's is).
  - C(callback) only dials on a line an mgetty watches, and with C(-S) it finds that mgetty through the
    name of the line the call came in on; run mgetty on the real device name, not on C(/dev/modem).
seealso:
  - name: mgetty login.config
    description: The template with comments shipped by mgetty.
    link: https://manpages.debian.org/bookworm/mgetty/mgetty.8.en.html
'''

EXAMPLES = r'''
- name: Start pppd for callers that talk PPP at once, before the catch-all line
  dialin.callback.login_config:
    entries:
      - name: /AutoPPP/
        utmp: a_ppp
        program: /usr/sbin/pppd
        args: [auth, -chap, +pap, login]

- name: Use format version 2 and allow PPP logins only right after a callback
  dialin.callback.login_config:
    version: 2
    entries:
      - name: pppuser
        after_callback: 'Y'
        userid: pppuser
        utmp: '@'
        program: /etc/ppp/ppplogin
      - name: guest
        state: absent
    backup: true

- name: The complete list of callback users, through a rate-limiting gate, removing any other
  dialin.callback.login_config:
    callback:
      users:
        - name: call-alice
          number: '0W123456'
        - name: call-bob
          number: '654321'
          lines: [ttyS1, ttyS2]
      exclusive: true
      program_args: [-x, '3']
      gate: /usr/local/lib/dialin-callback/callback-gate
'''

RETURN = r'''
version:
  description: Format version of the file after the task.
  returned: success
  type: int
  sample: 2
entries:
  description: All entries of the resulting file, in file order.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: Login name key.
      type: str
    after_callback:
      description: Version 2 column (C(-) in a version 1 file).
      type: str
    userid:
      description: User id field.
      type: str
    utmp:
      description: utmp field.
      type: str
    program:
      description: Program path.
      type: str
    args:
      description: Program arguments.
      type: list
      elements: str
  sample:
    - name: /AutoPPP/
      after_callback: '-'
      userid: '-'
      utmp: a_ppp
      program: /usr/sbin/pppd
      args: [auth, -chap, +pap, login]
callback:
  description: The callback entries of the resulting file and what the task did to them.
  returned: when O(callback) is given
  type: dict
  contains:
    users:
      description: Callback entries of the resulting file, in file order.
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
    added:
      description: Names of the entries added.
      type: list
      elements: str
    removed:
      description: Names of the entries removed.
      type: list
      elements: str
    updated:
      description: Names of the entries whose line was rewritten.
      type: list
      elements: str
  sample:
    users:
      - name: call
        number: '123456'
        lines: []
    added: [call]
    removed: []
    updated: []
restricted:
  description: Names of the other lines whose column O(others_after_callback_only) set to C(Y).
  returned: success
  type: list
  elements: str
  sample: [fred]
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

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.dialin.callback.plugins.module_utils.atomic_file import write_file
from ansible_collections.dialin.callback.plugins.module_utils.callback_entries import (
    USER_SPEC, CallbackEntryError, apply_users, callback_programs, check_programs, check_users, users_of)
from ansible_collections.dialin.callback.plugins.module_utils.login_config import (
    MAX_ARGS, field_problem, name_problem, read_login_config)


def validate_entries(module, entries):
    seen = set()
    for i, e in enumerate(entries):
        label = 'entries[%d]' % i
        problem = name_problem(e['name'])
        if problem:
            module.fail_json(msg='%s.name %r %s' % (label, e['name'], problem))
        label = 'entries[%d] (name %s)' % (i, e['name'])
        identity = (e['name'], e['after_callback'])
        if identity in seen:
            module.fail_json(msg='%s: name is listed more than once in entries with after_callback=%s'
                                 % (label, e['after_callback']))
        seen.add(identity)
        if e['state'] == 'absent':
            continue
        if not e.get('program'):
            module.fail_json(msg='%s: program is required when state=present' % label)
        if not os.path.isabs(e['program']):
            module.fail_json(msg='%s: program %r must be an absolute path' % (label, e['program']))
        for field in ('userid', 'utmp', 'program'):
            problem = field_problem(e[field])
            if problem:
                module.fail_json(msg='%s: %s %r %s' % (label, field, e[field], problem))
        if len(e['args']) > MAX_ARGS:
            module.fail_json(msg='%s: args has %d items; mgetty passes at most %d arguments '
                                 '(9 words with the program)' % (label, len(e['args']), MAX_ARGS))
        for j, arg in enumerate(e['args']):
            problem = field_problem(arg)
            if problem:
                module.fail_json(msg='%s: args[%d] %r %s' % (label, j, arg, problem))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', default='/etc/mgetty/login.config'),
            version=dict(type='int', choices=[1, 2]),
            entries=dict(type='list', elements='dict', default=[], options=dict(
                name=dict(type='str', required=True),
                userid=dict(type='str', default='-'),
                utmp=dict(type='str', default='-'),
                program=dict(type='path'),
                args=dict(type='list', elements='str', default=[]),
                after_callback=dict(type='str', choices=['-', 'Y', 'N'], default='-'),
                state=dict(type='str', choices=['present', 'absent'], default='present'),
            )),
            callback=dict(type='dict', options=dict(
                users=dict(type='list', elements='dict', default=[], options=dict(
                    USER_SPEC, state=dict(type='str', choices=['present', 'absent'], default='present'))),
                exclusive=dict(type='bool', default=False),
                program=dict(type='path', default='/usr/sbin/callback'),
                gate=dict(type='path'),
                program_args=dict(type='list', elements='str', default=[]),
                after_callback=dict(type='str', choices=['-', 'Y', 'N'], default='N'),
            )),
            others_after_callback_only=dict(type='bool', default=False),
            others_exempt_programs=dict(type='list', elements='path', default=[]),
            insecure_reason=dict(type='str'),
            backup=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    path = module.params['path']
    if module.params['insecure_reason']:
        # First, so that it shows on every run, a failed one included.
        module.warn('%s: %s' % (path, module.params['insecure_reason']))
    entries = module.params['entries']
    validate_entries(module, entries)
    callback = module.params['callback']
    exempt_programs = list(module.params['others_exempt_programs'])
    if callback is not None:
        callback_users = [dict(u, lines=u['lines'] or [], after_callback=u['after_callback'] or callback['after_callback'])
                          for u in callback['users']]
        callback_labels = ['callback.users[%d]' % i for i in range(len(callback_users))]
        try:
            check_programs(callback['program'], callback['gate'], callback['program_args'], prefix='callback.')
            check_users(callback_users, callback_labels, callback['program_args'], callback['gate'])
        except CallbackEntryError as e:
            module.fail_json(msg=str(e))
        both = sorted(set(e['name'] for e in entries) & set(u['name'] for u in callback_users))
        if both:
            module.fail_json(msg='callback.users: %s also in entries; a name is either a callback entry or '
                                 'another entry' % ', '.join(both))
        exempt_programs.extend(callback_programs(callback['program'], callback['gate']))

    before, exists, doc = read_login_config(module, path)

    if module.params['version'] is not None:
        for warning in doc.convert(module.params['version']):
            module.warn(warning)

    if doc.version == 1 and len(set(e['name'] for e in entries)) < len(entries):
        module.fail_json(msg='entries: a name may be listed once per after_callback value only in a '
                             'version 2 file; %s is format version 1 (set version=2)' % path)

    for e in entries:
        if e['state'] == 'absent':
            doc.remove_entry(e['name'], e['after_callback'] if doc.version == 2 else None)
        else:
            if doc.version == 1 and e['after_callback'] != '-':
                module.warn('entry %s: after_callback=%s is not written: %s is format version 1 '
                            '(set version=2)' % (e['name'], e['after_callback'], path))
            doc.set_entry(e, by_column=True)

    callback_result = None
    if callback is not None:
        try:
            added, removed, updated = apply_users(doc, path, callback_users, callback_labels, callback['exclusive'],
                                                  callback['program'], callback['program_args'], callback['gate'])
        except CallbackEntryError as e:
            module.fail_json(msg=str(e))
        callback_result = dict(users=users_of(doc, callback['program'], callback['gate']),
                               added=added, removed=removed, updated=updated)

    restricted = []
    if module.params['others_after_callback_only']:
        if doc.version != 2:
            module.fail_json(msg='others_after_callback_only needs a format version 2 file; %s is format version %d'
                                 ' (set version=2)' % (path, doc.version))
        identities = set((e['name'], e['after_callback']) for e in entries if e['state'] == 'present')
        restricted = doc.restrict_others(identities, exempt_programs)

    after = doc.text()
    result = write_file(module, path, before, after, exists, backup=module.params['backup'],
                        private=True)
    result['version'] = doc.version
    result['entries'] = doc.entries()
    result['restricted'] = restricted
    if callback_result is not None:
        result['callback'] = callback_result
    module.exit_json(**result)


if __name__ == '__main__':
    main()
