#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: dpkg_statoverride
short_description: Manage dpkg's ownership and mode overrides (dpkg-statoverride)
version_added: 0.1.0
description:
  - Adds, changes or removes an override of the owner, group and mode dpkg gives a file when it
    installs or upgrades a package, with C(dpkg-statoverride). Use it for a mode that must survive
    package upgrades, for example pppd's C(4754 root:dip).
  - Reads the current override with C(dpkg-statoverride --list PATH) and changes it only when it
    differs; check mode runs nothing that writes.
author:
  - dialin.callback maintainers (@dialin)
extends_documentation_fragment:
  - dialin.callback.attributes
  - dialin.callback.attributes.writes
attributes:
  platform:
    platforms: debian
requirements:
  - dpkg-statoverride (Debian and derivatives)
options:
  path:
    description: Absolute path of the file the override is for.
    type: path
    required: true
  owner:
    description: Owner user name (or C(#UID)). Required when O(state=present).
    type: str
  group:
    description: Group name (or C(#GID)). Required when O(state=present).
    type: str
  mode:
    description:
      - Octal mode with 3 or 4 digits, as a string, for example C('4754'). Quote it in YAML.
      - Required when O(state=present).
    type: str
  state:
    description: Whether the override must be present or absent.
    type: str
    choices: [present, absent]
    default: present
  update:
    description:
      - When adding or changing an override, also apply it to the file now (C(--update)).
    type: bool
    default: true
notes:
  - Removing an override does not change the file's current owner or mode.
'''

EXAMPLES = r'''
- name: Keep pppd setuid root, runnable by group dip, across upgrades
  dialin.callback.dpkg_statoverride:
    path: /usr/sbin/pppd
    owner: root
    group: dip
    mode: '4754'

- name: Drop the override
  dialin.callback.dpkg_statoverride:
    path: /usr/sbin/pppd
    state: absent
'''

RETURN = r'''
override:
  description: The override after the task (null when there is none).
  returned: success
  type: dict
  contains:
    owner:
      description: Owner.
      type: str
    group:
      description: Group.
      type: str
    mode:
      description: Mode as listed by dpkg-statoverride.
      type: str
    path:
      description: Path.
      type: str
  sample: {owner: root, group: dip, mode: '4754', path: /usr/sbin/pppd}
diff:
  description: C(owner group mode path) before and after.
  returned: always
  type: dict
'''

import os
import re

from ansible.module_utils.basic import AnsibleModule

NAME_RE = re.compile(r'^(#[0-9]+|[A-Za-z_][A-Za-z0-9_.-]*\$?)\Z')
MODE_RE = re.compile(r'^[0-7]{3,4}\Z')


def get_override(module, binary, path):
    rc, out, err = module.run_command([binary, '--list', path])
    if rc not in (0, 1):
        module.fail_json(msg='dpkg-statoverride --list failed: %s' % err.strip(), rc=rc,
                         stdout=out, stderr=err)
    for line in out.splitlines():
        fields = line.split(None, 3)
        # --list takes a glob pattern: keep only the exact path
        if len(fields) == 4 and fields[3] == path:
            return dict(owner=fields[0], group=fields[1], mode=fields[2], path=fields[3])
    return None


def describe(override):
    if override is None:
        return ''
    return '%(owner)s %(group)s %(mode)s %(path)s\n' % override


def run(module, cmd):
    rc, out, err = module.run_command(cmd)
    if rc != 0:
        module.fail_json(msg='%s failed: %s' % (' '.join(cmd), err.strip() or out.strip()),
                         rc=rc, stdout=out, stderr=err)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', required=True),
            owner=dict(type='str'),
            group=dict(type='str'),
            mode=dict(type='str'),
            state=dict(type='str', choices=['present', 'absent'], default='present'),
            update=dict(type='bool', default=True),
        ),
        required_if=[('state', 'present', ('owner', 'group', 'mode'))],
        supports_check_mode=True,
    )
    p = module.params
    path = p['path']
    if not os.path.isabs(path):
        module.fail_json(msg='path %r must be absolute' % path)
    if p['state'] == 'present':
        for field in ('owner', 'group'):
            if not NAME_RE.match(p[field]):
                module.fail_json(msg='%s %r is not a valid user or group name (or #ID)' % (field, p[field]))
        if not MODE_RE.match(p['mode']):
            module.fail_json(msg='mode %r must be an octal mode of 3 or 4 digits, like "4754"' % p['mode'])

    binary = module.get_bin_path('dpkg-statoverride', required=True)
    before = get_override(module, binary, path)

    if p['state'] == 'present':
        wanted = dict(owner=p['owner'], group=p['group'], mode=p['mode'], path=path)
        same = (before is not None and before['owner'] == wanted['owner']
                and before['group'] == wanted['group']
                and int(before['mode'], 8) == int(wanted['mode'], 8))
        after = before if same else wanted
    else:
        same = before is None
        after = None

    result = dict(changed=not same, override=after,
                  diff=dict(before=describe(before), after=describe(after),
                            before_header='dpkg-statoverride %s' % path,
                            after_header='dpkg-statoverride %s' % path))

    if not same and not module.check_mode:
        if after is None:
            run(module, [binary, '--remove', path])
        else:
            cmd = [binary]
            if before is not None:
                # replace in one step: the old override stays if the new one is refused
                cmd.append('--force-statoverride-add')
            if p['update']:
                cmd.append('--update')
            cmd.extend(['--add', after['owner'], after['group'], after['mode'], path])
            run(module, cmd)
        result['override'] = get_override(module, binary, path)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
