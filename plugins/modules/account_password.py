#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: account_password
short_description: Set an account's password hash without showing it on a command line
version_added: 0.1.0
description:
  - "Sets the password field of an existing account in C(/etc/shadow) to O(password_hash) with
    C(chpasswd --encrypted), which reads C(NAME:HASH) on its standard input.
    M(ansible.builtin.user) runs C(usermod -p HASH): the hash is then in that process's command line,
    which every local user can read in C(/proc/PID/cmdline) while it runs."
  - The current field is read with C(getent shadow NAME) and changed only when it differs. A locked
    account (its field C(!) followed by the hash) is unlocked, as its field differs.
author:
  - dialin.callback maintainers (@dialin)
extends_documentation_fragment:
  - dialin.callback.attributes
attributes:
  check_mode:
    details: In check mode nothing is written; an account that does not exist yet (created by the run) reports C(changed).
  diff_mode:
    support: none
    details: The password field is never shown.
  platform:
    platforms: debian
requirements:
  - C(getent) and C(chpasswd) (Debian's libc-bin and passwd).
options:
  name:
    description: The account's login name. It must exist (create it first, for example with M(ansible.builtin.user)).
    type: str
    required: true
  password_hash:
    description:
      - The password field as crypt(3) writes it, for example C($6$salt$...) (the C(password_hash) filter's output).
      - It must not hold C(:) or a line break, and not start with C(!) or C(*) (a locked or disabled field).
    type: str
    required: true
seealso:
  - module: ansible.builtin.user
    description: Creates the account; its C(password) option puts the hash on usermod's command line.
'''

EXAMPLES = r'''
- name: Set pppuser's password
  dialin.callback.account_password:
    name: pppuser
    password_hash: "{{ 'secret' | password_hash('sha512') }}"
  no_log: true
'''

RETURN = r'''
name:
  description: The account.
  returned: always
  type: str
  sample: pppuser
'''

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native


def password_field(module, getent, name):
    """The account's password field in the shadow database, None when the account has no entry."""
    rc, out, err = module.run_command([getent, 'shadow', name])
    if rc == 2:
        return None
    if rc != 0:
        module.fail_json(msg='name: getent shadow %s failed (%d): %s' % (name, rc, to_native(err).strip()), name=name)
    fields = out.rstrip('\n').split(':')
    if len(fields) < 2 or fields[0] != name:
        module.fail_json(msg='name: getent shadow %s gave no entry of that name' % name, name=name)
    return fields[1]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type='str', required=True),
            password_hash=dict(type='str', required=True, no_log=True),
        ),
        supports_check_mode=True,
    )
    name, wanted = module.params['name'], module.params['password_hash']
    if not name or any(c in name for c in ':\n\r') or name.startswith('-'):
        module.fail_json(msg='name: %r is not a login name' % name, name=name)
    if not wanted or any(c in wanted for c in ':\n\r') or wanted[0] in '!*':
        module.fail_json(msg='password_hash: not a crypt(3) hash (empty, a ":" or line break, or a locked field)',
                         name=name)
    getent = module.get_bin_path('getent', required=True)
    current = password_field(module, getent, name)
    if current == wanted:
        module.exit_json(changed=False, name=name)
    if current is None and not module.check_mode:
        module.fail_json(msg='name: no account %s in the shadow database' % name, name=name)
    if not module.check_mode:
        chpasswd = module.get_bin_path('chpasswd', required=True)
        # On the standard input: no process's command line holds the hash.
        rc, out, err = module.run_command([chpasswd, '--encrypted'], data='%s:%s' % (name, wanted))
        if rc != 0:
            module.fail_json(msg='chpasswd failed for %s (%d): %s' % (name, rc, to_native(err).strip()), name=name)
        if password_field(module, getent, name) != wanted:
            module.fail_json(msg='chpasswd left the password field of %s unchanged' % name, name=name)
    module.exit_json(changed=True, name=name)


if __name__ == '__main__':
    main()
