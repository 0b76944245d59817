# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What a login.config field may hold (field_problem): the rule callback_user and login_config share."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.dialin.callback.plugins.module_utils.login_config import field_problem

BLANK_OR_CONTROL = 'must not contain whitespace or control characters'


@pytest.mark.parametrize('value', ['abc', '/usr/sbin/callback', '@', 'ümlaut', '-x', 'a\\b', '*'])
def test_printable_words_are_fields(value):
    assert field_problem(value) is None


@pytest.mark.parametrize('value', [' ', 'a b', 'a\tb', 'a\nb', '\r', '\x0b', '\x0c', '\x00', '\x1b', '\x1f', '\x7f',
                                   '\x85', '\u00a0', '\u2028', '\u3000'])
def test_blanks_and_controls_are_refused(value):
    assert field_problem(value) == BLANK_OR_CONTROL


@pytest.mark.parametrize('value, problem', [
    ('', 'must not be empty'), (None, 'must not be empty'),
    ('abc\\', 'must not end with a backslash (mgetty would join the next line)'),
])
def test_empty_and_trailing_backslash_are_refused(value, problem):
    assert field_problem(value) == problem


@settings(max_examples=100)
@given(value=st.text(min_size=1, max_size=12))
def test_refused_exactly_for_whitespace_or_ascii_control(value):
    # Python's \s is str.isspace() (what mgetty's isspace() splits on, and more); \x00-\x1f and \x7f are
    # the ASCII control characters
    blank_or_control = re.search(r'[\s\x00-\x1f\x7f]', value) is not None
    assert (field_problem(value) == BLANK_OR_CONTROL) == blank_or_control
