# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
name: controller_errors
short_description: What the Ansible controller lacks to run the collection
version_added: 0.1.0
author: dialin.callback contributors
description:
  - Checks the controller itself, where C(ansible-playbook) runs (filters run there); that its Python
    imports each named module and that ansible-core is recent enough.
  - Returns one message per problem, saying what to install, so a role can stop before it writes
    anything on any host.
options:
  _input:
    description: Python module names the controller's Python must import, for example V(passlib).
    type: list
    elements: str
    required: true
  min_ansible:
    description:
      - The oldest ansible-core version that is enough, for example V(2.17).
      - By default the version the collection's C(meta/runtime.yml) requires (C(requires_ansible)).
    type: str
'''

EXAMPLES = r'''
- name: Stop when the controller cannot hash passwords
  ansible.builtin.assert:
    that: (['passlib'] | dialin.callback.controller_errors) == []
    fail_msg: "{{ ['passlib'] | dialin.callback.controller_errors | join(' ') }}"
'''

RETURN = r'''
_value:
  description: One message per problem; empty when the controller has everything.
  type: list
  elements: str
  sample:
    - "The controller's Python (/usr/bin/python3) cannot import passlib: install it there, e.g. pip install passlib."
'''

import importlib.util
import os
import re
import sys

from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.compat.version import LooseVersion
from ansible.release import __version__ as ansible_version


RUNTIME = os.path.join(os.path.dirname(__file__), '..', '..', 'meta', 'runtime.yml')


def required_ansible():
    """The lowest version in meta/runtime.yml's requires_ansible, for example '2.17.0'."""
    with open(RUNTIME, encoding='utf-8') as runtime:
        match = re.search(r'^requires_ansible:\s*["\']?>=\s*([0-9.]+)', runtime.read(), re.M)
    return match.group(1)


def controller_errors(python_modules, min_ansible=None):
    """Messages naming what the controller lacks: Python modules, a recent enough ansible-core."""
    min_ansible = min_ansible or required_ansible()
    errors = []
    for name in python_modules or []:
        name = to_text(name)
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            errors.append(
                "The controller's Python (%s) cannot import %s: install it there, e.g. pip install %s."
                % (sys.executable, name, name))
    if LooseVersion(ansible_version) < LooseVersion(to_text(min_ansible)):
        errors.append(
            'The controller runs ansible-core %s; dialin.callback needs %s or later.'
            % (ansible_version, min_ansible))
    return errors


class FilterModule(object):
    def filters(self):
        return {'controller_errors': controller_errors}
