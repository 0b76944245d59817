# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
name: shared_name
short_description: A name or path that several of the collection's roles and modules use
version_added: 0.1.0
author: dialin.callback contributors
description:
  - Returns the value of one of the names and paths that more than one role or module of the
    collection uses (the gate's path, the directory of the local facts, the links of ports found by
    C(identify), ...), defined once in the collection's C(shared_names) module utility, which the
    modules import too.
  - An unknown name fails the template with the list of the known ones.
options:
  _input:
    description:
      - The name, one of C(lib_dir), C(callback_gate), C(called_back), C(called_back_record_dir),
        C(facts_dir), C(mgetty_facts_file), C(ppp_server_facts_file), C(identified_link_dir),
        C(identified_options_prefix).
    type: str
    required: true
'''

EXAMPLES = r'''
- name: Show where udev links the ports found by identify
  ansible.builtin.debug:
    msg: "{{ 'identified_link_dir' | dialin.callback.shared_name }}"
'''

RETURN = r'''
_value:
  description: The value, a path or a file name prefix.
  type: str
  sample: /dev/dialin-callback
'''

from ansible.errors import AnsibleFilterError
from ansible_collections.dialin.callback.plugins.module_utils.shared_names import shared_name as _shared_name


def shared_name(name):
    try:
        return _shared_name(name)
    except KeyError as e:
        raise AnsibleFilterError(str(e.args[0]))


class FilterModule(object):
    def filters(self):
        return {'shared_name': shared_name}
