#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: ppp_secret
short_description: Manage entries of pppd secrets files (pap-secrets, chap-secrets)
version_added: 0.1.0
description:
  - Adds, replaces or removes C(client server secret [addresses...]) entries of a pppd secrets file
    such as C(/etc/ppp/pap-secrets) or C(/etc/ppp/chap-secrets).
  - An entry is identified by its (client, server) pair. A present entry replaces the first entry with
    that pair, keeping its position, and removes later entries with the same pair; a new entry is
    appended. Comments and the lines of other entries are kept byte for byte.
  - Words are written the way pppd's C(getword()) reads them back; a word with whitespace, quotes,
    a backslash or C(#) is put in double quotes, with backslashes and double quotes escaped by a
    backslash. Existing entries are compared by their parsed value, so a re-run changes nothing.
  - Secrets never appear in messages, and the diff shows every secret as C(********).
  - The file is always made owned by root with mode C(0600).
author:
  - dialin.callback maintainers (@dialin)
extends_documentation_fragment:
  - dialin.callback.attributes
  - dialin.callback.attributes.writes
  - dialin.callback.backup
options:
  path:
    description: Secrets file. It is created when missing; its directory must exist.
    type: path
    default: /etc/ppp/pap-secrets
  client:
    description:
      - Client name of one entry (the peer's name for secrets the server checks). Mutually exclusive
        with O(entries).
    type: str
  server:
    description: Server name of the entry; C(*) matches any.
    type: str
    default: '*'
  secret:
    description:
      - The secret (password). Required with O(client) when O(state=present). May be empty.
      - Must not contain a newline, a carriage return or a NUL byte.
      - pppd reads a secret of the form C(@/path) from that file.
    type: str
  addresses:
    description:
      - IP addresses the client may use. An empty list writes C(*) (any address).
    type: list
    elements: str
    default: []
  state:
    description: Whether the entry (or every entry of O(entries) without its own state) must be present or absent.
    type: str
    choices: [present, absent]
    default: present
  entries:
    description:
      - Several entries in one task. Mutually exclusive with O(client).
    type: list
    elements: dict
    suboptions:
      client:
        description:
          - Client name.
          - The alias O(entries[].name) lets a list of accounts with C(name) and C(password) keys be passed as is.
        type: str
        required: true
        aliases: [name]
      server:
        description: Server name.
        type: str
        default: '*'
      secret:
        description: The secret; required when the entry's state is C(present).
        type: str
        aliases: [password]
      addresses:
        description: Allowed addresses; an empty list writes C(*).
        type: list
        elements: str
        default: []
      state:
        description: Whether this entry must be present or absent; defaults to O(state).
        type: str
        choices: [present, absent]
  exclusive:
    description:
      - Remove every entry whose (client, server) pair is not listed in the task (O(client)/O(server) or
        O(entries)). Comments are kept.
    type: bool
    default: false
notes:
  - Comment lines are shown unchanged in the diff; do not keep old secrets in comments.
seealso:
  - name: pppd(8)
    description: AUTHENTICATION and the secrets file format.
    link: https://manpages.debian.org/bookworm/ppp/pppd.8.en.html
'''

EXAMPLES = r'''
- name: PAP secret of the dial-in user, any address
  dialin.callback.ppp_secret:
    client: pppuser
    secret: "{{ vault_pppuser_secret }}"

- name: The complete list of PAP secrets of the server
  dialin.callback.ppp_secret:
    path: /etc/ppp/pap-secrets
    entries:
      - client: alice
        secret: "{{ vault_alice }}"
        addresses: [192.168.1.2]
      - client: bob
        secret: "{{ vault_bob }}"
    exclusive: true
    backup: true

- name: Remove an entry
  dialin.callback.ppp_secret:
    path: /etc/ppp/chap-secrets
    client: carol
    server: gateway
    state: absent
'''

RETURN = r'''
clients:
  description: Client names of all entries of the resulting file, in file order (no secrets).
  returned: success
  type: list
  elements: str
  sample: [alice, bob]
backup_file:
  description: Name of the backup file that was created.
  returned: changed and O(backup=true)
  type: str
  sample: /etc/ppp/pap-secrets.2345.2026-01-01@10:00:00~
diff:
  description: Content before and after, with every secret shown as C(********).
  returned: always
  type: dict
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.dialin.callback.plugins.module_utils.atomic_file import (
    read_text, write_file)
from ansible_collections.dialin.callback.plugins.module_utils.ppp_secrets import (
    MASK, Segment, render, segments)
from ansible_collections.dialin.callback.plugins.module_utils.validators import line_break_or_nul


def validate(module, item, label):
    for field in ('client', 'server', 'secret'):
        value = item[field]
        if value is None:
            continue
        bad = line_break_or_nul(value)
        if bad:
            # never echo the value: it may be a secret
            module.fail_json(msg='%s%s contains %s, which pppd cannot read in a secrets file'
                                 % (label, field, bad))
        if value == '' and field != 'secret':
            module.fail_json(msg='%s%s must not be empty' % (label, field))
    for j, addr in enumerate(item['addresses']):
        bad = line_break_or_nul(addr)
        if bad:
            module.fail_json(msg='%saddresses[%d] contains %s' % (label, j, bad))
        if addr == '':
            module.fail_json(msg='%saddresses[%d] must not be empty' % (label, j))
    if item['state'] == 'present':
        if item['secret'] is None:
            module.fail_json(msg='%ssecret is required when state=present' % label)
        if item['secret'].startswith('@/'):
            module.warn('%ssecret starts with "@/": pppd reads the secret from that file' % label)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', default='/etc/ppp/pap-secrets'),
            client=dict(type='str'),
            server=dict(type='str', default='*'),
            secret=dict(type='str', no_log=True),
            addresses=dict(type='list', elements='str', default=[]),
            state=dict(type='str', choices=['present', 'absent'], default='present'),
            entries=dict(type='list', elements='dict', options=dict(
                client=dict(type='str', required=True, aliases=['name']),
                server=dict(type='str', default='*'),
                secret=dict(type='str', no_log=True, aliases=['password']),
                addresses=dict(type='list', elements='str', default=[]),
                state=dict(type='str', choices=['present', 'absent']),
            )),
            exclusive=dict(type='bool', default=False),
            backup=dict(type='bool', default=False),
        ),
        mutually_exclusive=[('client', 'entries')],
        required_one_of=[('client', 'entries')],
        supports_check_mode=True,
    )
    p = module.params
    path = p['path']

    if p['entries'] is not None:
        items = []
        for i, e in enumerate(p['entries']):
            items.append(dict(client=e['client'], server=e['server'], secret=e['secret'],
                              addresses=e['addresses'] or [], state=e['state'] or p['state'],
                              label='entries[%d].' % i))
    else:
        items = [dict(client=p['client'], server=p['server'], secret=p['secret'],
                      addresses=p['addresses'] or [], state=p['state'], label='')]

    seen = set()
    for item in items:
        validate(module, item, item['label'])
        key = (item['client'], item['server'])
        if key in seen:
            module.fail_json(msg='%sclient %s with server %s is listed more than once'
                                 % (item['label'], item['client'], item['server']))
        seen.add(key)

    before, exists = read_text(module, path)
    segs = segments(before)
    diff_before = ''.join(s.masked for s in segs)
    secrets_changed = []

    for item in items:
        key = (item['client'], item['server'])
        matches = [i for i, s in enumerate(segs) if s.entry is not None and s.entry.key() == key]
        if item['state'] == 'absent':
            for i in reversed(matches):
                del segs[i]
            continue
        addresses = item['addresses'] or ['*']
        wanted = [item['client'], item['server'], item['secret']] + addresses
        line = render(item['client'], item['server'], item['secret'], addresses)
        masked = render(item['client'], item['server'], MASK, addresses)
        if matches:
            first = matches[0]
            old = segs[first].entry
            if old.values != wanted:
                if old.secret != item['secret']:
                    secrets_changed.append(item['client'])
                new = Segment(line, None, masked)
                new.key = key
                segs[first] = new
            for i in reversed(matches[1:]):
                del segs[i]
        else:
            if segs and not segs[-1].text.endswith('\n'):
                segs[-1].text += '\n'
                segs[-1].masked += '\n'
            new = Segment(line, None, masked)
            new.key = key
            segs.append(new)
            secrets_changed.append(item['client'])

    if p['exclusive']:
        segs = [s for s in segs
                if not (s.entry is not None and s.entry.key() not in seen)]

    after = ''.join(s.text for s in segs)
    diff_after = ''.join(s.masked for s in segs)
    result = write_file(module, path, before, after, exists, backup=p['backup'], private=True,
                        diff_before=diff_before, diff_after=diff_after)
    if secrets_changed and result['changed']:
        result['diff']['after_header'] += ' (secret set for: %s)' % ', '.join(secrets_changed)

    result['clients'] = [s.key[0] for s in segs if s.key is not None]
    module.exit_json(**result)


if __name__ == '__main__':
    main()
