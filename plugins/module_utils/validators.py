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

from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.module_utils.six import string_types

# A number mgetty's callback dials: digits and the dial modifiers , W P T * # (either case).
DIAL_NUMBER = re.compile(r'^[0-9,WPTwpt*#]+\Z')

# A PPP account's password, the same on the server (the account, pap-secrets) and on the caller
# (its chat script types it at the server's login prompt, pap-secrets): PAP's Passwd-Length field
# is one octet and pppd keeps at most 255 bytes of a secret (MAXSECRETLEN 256 with the NUL); the
# server's tty reads the typed password in canonical mode with IXON (mgetty's tio.c), where control
# characters edit the line, stop the output or end it. A secret starting with @/ is the name of the
# file pppd reads the secret from (auth.c scan_authfile). Spaces, quotes, backslashes, ^, $ and #
# travel: pap-secrets and the chat script quote them.
PPP_PASSWORD_MAX_BYTES = 255
_CONTROL = re.compile(u'[\x00-\x1f\x7f]')


def ppp_password_problem(value):
    """What makes *value* unusable as a PPP password, as a phrase ('is empty', ...), or None; the value
    itself is never part of it."""
    if not isinstance(value, string_types) or not value:
        return 'is empty or not a string'
    if _CONTROL.search(value):
        return 'contains a control character (newline, tab, ^C, DEL...)'
    if len(to_bytes(value, errors='surrogate_or_replace')) > PPP_PASSWORD_MAX_BYTES:
        return 'is longer than %d bytes' % PPP_PASSWORD_MAX_BYTES
    if value.startswith('@/'):
        return 'starts with "@/", which pppd reads as the name of a file holding the secret'
    return None


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
