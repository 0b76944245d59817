# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
name: chat_escape
short_description: A text escaped for a single-quoted string of a chat script, so chat sends it as is
version_added: 0.1.0
author: dialin.callback contributors
description:
  - Returns the text with a backslash before each character that C(chat) (the ppp package's) would
    otherwise read as syntax in a string between single quotes of a script file (C(chat -f)),
    so that chat sends exactly the text, then a carriage return.
  - "Escaped: C(\\) (chat's escape character), C(') (the quote), C(^) (C(^X) is a control
    character) and C($) (an environment variable with C(chat -E)). Everything else, spaces, double
    quotes and C(#) included, is sent as written between the quotes."
  - The text must not hold a newline, a carriage return or a NUL byte (chat reads its script line by
    line); the client role's input check refuses such a password before rendering.
options:
  _input:
    description: The text to send, for example a password.
    type: str
    required: true
'''

EXAMPLES = r'''
# In a chat script template: \q keeps the string out of chat's log.
# assword:  '\q{{ client_ppp_password | dialin.callback.chat_escape }}'
- name: Show how chat's script will hold a text
  ansible.builtin.debug:
    msg: "'{{ 'it''s $5 ^ a \\ b' | dialin.callback.chat_escape }}'"
'''

RETURN = r'''
_value:
  description: The escaped text, to be put between single quotes in the script.
  type: str
  sample: "it\\'s \\$5 \\^ a \\\\ b"
'''

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.six import string_types

# chat's clean() turns a backslash and any character that is not one of its escape letters or an
# octal digit into that character; the four below are the ones that mean something unescaped.
_SPECIAL = u'\\\'^$'


def chat_escape(text):
    """*text* with a backslash before each character chat reads as syntax inside single quotes."""
    if not isinstance(text, string_types):
        raise AnsibleFilterError('chat_escape: the input must be a string, got %s' % type(text).__name__)
    text = to_text(text)
    return u''.join(u'\\' + c if c in _SPECIAL else c for c in text)


class FilterModule(object):
    def filters(self):
        return {'chat_escape': chat_escape}
