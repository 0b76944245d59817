# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The checks several plugins make on a value, written once.

The roles check their variables on the controller (the ``input_errors`` filter) and the modules
check their options on the target; where two plugins check the same thing they import the rule
from here. A rule only one plugin uses stays next to its use.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import ipaddress
import re

from ansible.module_utils.common.text.converters import to_text

# A number mgetty's callback dials: digits and the dial modifiers , W P T * # (either case).
DIAL_NUMBER = re.compile(r'^[0-9,WPTwpt*#]+\Z')

# What pppd cannot read back from a secrets file, in the order they are reported.
_LINE_BREAKS_AND_NUL = (('\n', 'a newline'), ('\r', 'a carriage return'), ('\x00', 'a NUL byte'))


def line_break_or_nul(value):
    """Name the newline, carriage return or NUL byte *value* contains (checked in that order), or None."""
    for ch, name in _LINE_BREAKS_AND_NUL:
        if ch in value:
            return name
    return None


def ipv4_network(address, netmask):
    """The network of *address* under a dotted-quad *netmask*, as ``network/prefix``; '' when either is not valid IPv4."""
    try:
        interface = ipaddress.IPv4Interface(u'%s/%s' % (to_text(address), to_text(netmask)))
        ipaddress.IPv4Address(to_text(address))
    except (ipaddress.AddressValueError, ipaddress.NetmaskValueError, ValueError):
        return ''
    return to_text(interface.network)
