#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: kernel_ppp_facts
short_description: Facts about the kernel's PPP support
version_added: 0.1.0
description:
  - Finds out whether the running kernel can do PPP over a serial line, that is whether
    C(ppp_generic) and C(ppp_async) are built in, available as modules, or absent, which PPP
    modules are loaded, and whether C(/dev/ppp) exists.
  - Reads, when they exist, C(/proc/config.gz) or else C(/boot/config-RELEASE) (C(CONFIG_PPP) and
    C(CONFIG_PPP_ASYNC), C(=y) built in, C(=m) module), C(/lib/modules/RELEASE/modules.builtin)
    and C(modules.dep), C(/proc/modules), C(/sys/module/ppp_generic) and C(/dev/ppp) (character
    device 108,0). The strongest evidence wins (built in, then module, then absent).
  - Never fails because a file is missing or unreadable, and never changes anything. With
    O(on_unsupported=fail) it fails on a kernel without PPP support, with O(on_unsupported=warn) it
    warns, so a role needs no further task to stop or warn.
author:
  - dialin.callback maintainers (@dialin)
extends_documentation_fragment:
  - dialin.callback.attributes
  - dialin.callback.attributes.read_only
  - dialin.callback.attributes.facts
options:
  kernel_release:
    description: Kernel release to look up; defaults to the running kernel's (C(uname -r)).
    type: str
  root:
    description: Directory prefixed to every path read (for tests, or a system mounted elsewhere).
    type: path
    default: /
  on_unsupported:
    description:
      - What to do when the kernel has no PPP support (RV(ansible_facts.kernel_ppp.supported) is false).
      - V(ignore) only returns the facts, V(warn) also issues a warning, V(fail) fails the task.
    type: str
    choices: [ignore, warn, fail]
    default: ignore
  hint:
    description:
      - Text appended to the warning or failure message on a kernel without PPP support, for
        example what to change to go on.
    type: str
    default: ''
'''

EXAMPLES = r'''
- name: Find out about PPP support
  dialin.callback.kernel_ppp_facts:

- name: Stop early on a kernel without PPP
  dialin.callback.kernel_ppp_facts:
    on_unsupported: fail
    hint: Boot a kernel built with CONFIG_PPP and CONFIG_PPP_ASYNC.

- name: Use the facts
  ansible.builtin.debug:
    msg: "ppp_generic is {{ ansible_facts.kernel_ppp.ppp_generic }}"
'''

RETURN = r'''
ansible_facts:
  description: Facts added.
  returned: always
  type: complex
  contains:
    kernel_ppp:
      description: PPP support of the kernel.
      returned: always
      type: dict
      contains:
        ppp_generic:
          description: C(builtin), C(module) or C(absent).
          type: str
        ppp_async:
          description: C(builtin), C(module) or C(absent).
          type: str
        loaded:
          description: Names of loaded modules whose name starts with C(ppp) (from C(/proc/modules)).
          type: list
          elements: str
        dev_ppp:
          description: Whether C(/dev/ppp) exists as character device 108,0.
          type: bool
        sources:
          description: Files that were read.
          type: list
          elements: str
        supported:
          description: Whether both C(ppp_generic) and C(ppp_async) are built in or modules.
          type: bool
        release:
          description: The kernel release looked up (O(kernel_release), or C(uname -r)).
          type: str
      sample:
        ppp_generic: module
        ppp_async: module
        loaded: [ppp_async, ppp_generic]
        dev_ppp: true
        sources: [/boot/config-6.1.0-18-amd64, /lib/modules/6.1.0-18-amd64/modules.builtin]
        supported: true
        release: 6.1.0-18-amd64
msg:
  description: Why the module warned or failed.
  returned: when the kernel has no PPP support and O(on_unsupported) is V(warn) or V(fail)
  type: str
  sample: "The running kernel (6.1.0-18-amd64) has no PPP support: ppp_generic is absent, ppp_async is absent (read from nothing)."
'''

import gzip
import os
import re
import stat

from ansible.module_utils.basic import AnsibleModule

MODULES = {'ppp_generic': 'CONFIG_PPP', 'ppp_async': 'CONFIG_PPP_ASYNC'}
RANK = {'absent': 0, 'module': 1, 'builtin': 2}
_KO_RE = re.compile(r'^(?P<name>[^/:\s]+)\.ko(\.(xz|gz|zst|bz2))?$')


class Reader(object):
    def __init__(self, root):
        self.root = root
        self.sources = []

    def path(self, path):
        return os.path.join(self.root, path.lstrip('/'))

    def read(self, path, gz=False):
        real = self.path(path)
        try:
            if gz:
                with gzip.open(real, 'rb') as f:
                    data = f.read()
            else:
                with open(real, 'rb') as f:
                    data = f.read()
        except (IOError, OSError, EOFError, ValueError):
            return None
        self.sources.append(real)
        return data.decode('utf-8', 'replace')


def module_name(path):
    m = _KO_RE.match(os.path.basename(path.strip()))
    return m.group('name').replace('-', '_') if m else None


def gather(release, root):
    reader = Reader(root)
    state = dict((name, 'absent') for name in MODULES)

    def raise_to(name, value):
        if RANK[value] > RANK[state[name]]:
            state[name] = value

    config = reader.read('/proc/config.gz', gz=True)
    if config is None:
        config = reader.read('/boot/config-%s' % release)
    if config is not None:
        for name, symbol in MODULES.items():
            m = re.search(r'^%s=([ym])\s*$' % symbol, config, re.M)
            if m:
                raise_to(name, 'builtin' if m.group(1) == 'y' else 'module')

    builtin = reader.read('/lib/modules/%s/modules.builtin' % release)
    if builtin is not None:
        for line in builtin.splitlines():
            name = module_name(line)
            if name in state:
                raise_to(name, 'builtin')

    dep = reader.read('/lib/modules/%s/modules.dep' % release)
    if dep is not None:
        for line in dep.splitlines():
            name = module_name(line.split(':', 1)[0])
            if name in state:
                raise_to(name, 'module')

    loaded = []
    proc_modules = reader.read('/proc/modules')
    if proc_modules is not None:
        for line in proc_modules.splitlines():
            fields = line.split()
            if fields and fields[0].startswith('ppp'):
                loaded.append(fields[0])
    for name in MODULES:
        if name in loaded:
            raise_to(name, 'module')
        elif os.path.isdir(reader.path('/sys/module/%s' % name)):
            # present in /sys/module but not loaded as a module: built in
            raise_to(name, 'builtin')

    dev_ppp = False
    try:
        st = os.stat(reader.path('/dev/ppp'))
        dev_ppp = stat.S_ISCHR(st.st_mode) and os.major(st.st_rdev) == 108 and os.minor(st.st_rdev) == 0
    except OSError:
        pass

    facts = dict(ppp_generic=state['ppp_generic'], ppp_async=state['ppp_async'],
                 loaded=sorted(loaded), dev_ppp=dev_ppp, sources=reader.sources)
    facts['supported'] = facts['ppp_generic'] != 'absent' and facts['ppp_async'] != 'absent'
    return facts


def unsupported_message(facts, hint):
    msg = ('The running kernel (%s) has no PPP support: ppp_generic is %s, ppp_async is %s (read from %s).'
           % (facts['release'], facts['ppp_generic'], facts['ppp_async'], ', '.join(facts['sources']) or 'nothing'))
    return ('%s %s' % (msg, hint.strip())) if hint.strip() else msg


def main():
    module = AnsibleModule(
        argument_spec=dict(
            kernel_release=dict(type='str'),
            root=dict(type='path', default='/'),
            on_unsupported=dict(type='str', choices=['ignore', 'warn', 'fail'], default='ignore'),
            hint=dict(type='str', default=''),
        ),
        supports_check_mode=True,
    )
    release = module.params['kernel_release'] or os.uname()[2]
    facts = gather(release, module.params['root'])
    facts['release'] = release
    result = dict(changed=False, ansible_facts=dict(kernel_ppp=facts))
    if not facts['supported'] and module.params['on_unsupported'] != 'ignore':
        result['msg'] = unsupported_message(facts, module.params['hint'])
        if module.params['on_unsupported'] == 'fail':
            module.fail_json(**result)
        module.warn(result['msg'])
    module.exit_json(**result)


if __name__ == '__main__':
    main()
