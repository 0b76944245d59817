# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
name: ipv4_network
short_description: The IPv4 network an address belongs to under a netmask
version_added: 0.1.0
author: dialin.callback contributors
description:
  - Returns the network of an IPv4 address under a dotted-quad netmask, as C(network/prefix).
  - Returns an empty string when the address or the netmask is not valid, so a role can check
    input with it and report the variable that holds the bad value.
  - Needs no library beyond Python's own C(ipaddress).
options:
  _input:
    description: An IPv4 address, for example C(192.168.1.2).
    type: str
    required: true
  netmask:
    description: A netmask in dotted-quad form, for example C(255.255.255.0).
    type: str
    required: true
'''

EXAMPLES = r'''
- name: Check that both ends of the PPP link are on one network
  ansible.builtin.assert:
    that: >-
      ('192.168.1.1' | dialin.callback.ipv4_network('255.255.255.0'))
      == ('192.168.1.2' | dialin.callback.ipv4_network('255.255.255.0'))
'''

RETURN = r'''
_value:
  description: The network as C(address/prefix), or an empty string for invalid input.
  type: str
  sample: 192.168.1.0/24
'''

from ansible_collections.dialin.callback.plugins.module_utils.validators import ipv4_network


class FilterModule(object):
    def filters(self):
        return {'ipv4_network': ipv4_network}
