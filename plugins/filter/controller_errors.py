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
    description: The oldest ansible-core version that is enough, for example V(2.16).
    type: str
    default: '2.16'
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
import sys

from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.compat.version import LooseVersion
from ansible.release import __version__ as ansible_version


def controller_errors(python_modules, min_ansible='2.16'):
    """Messages naming what the controller lacks: Python modules, a recent enough ansible-core."""
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
