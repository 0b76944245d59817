# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What a login.config key may be (name_problem, the words login_config and callback_user show after
the name they refuse) and how a short entry line reads (fields_to_entry). Found by mutation testing
(scripts/mutation): each test fails on a change to login_config.py that the other unit tests let
through."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.dialin.callback.plugins.module_utils.login_config import (
    fields_to_entry, name_problem)

SLASH = 'must not contain "/" (only /AutoPPP/ and /FIDO/ are special keys)'
STAR_INSIDE = 'may only have "*" as its first and/or last character'


@pytest.mark.parametrize('name', ['a', 'pppuser', '*', '**', '*a', 'a*', '*a*', 'a-b', 'a#', 'a!', '/AutoPPP/',
                                  '/FIDO/'])
def test_keys_login_config_accepts(name):
    assert name_problem(name) is None


@pytest.mark.parametrize('name, problem', [
    ('', 'must not be empty'),
    (None, 'must not be empty'),
    ('a b', 'must not contain whitespace or control characters'),
    ('a\\', 'must not end with a backslash (mgetty would join the next line)'),
    ('-', 'must not start with "-"'),
    ('-a', 'must not start with "-"'),
    ('#a', 'must not start with "#" or "!"'),
    ('!version', 'must not start with "#" or "!"'),
    ('!', 'must not start with "#" or "!"'),
    ('a/b', SLASH),
    ('/AutoPPP', SLASH),
    ('/autoppp/', SLASH),
    ('/FIDO/x', SLASH),
    ('a*b', STAR_INSIDE),
    ('a**', STAR_INSIDE),
    ('**a', STAR_INSIDE),
    ('***', STAR_INSIDE),
    ('*a*b', STAR_INSIDE),
])
def test_keys_login_config_refuses_and_the_words_it_says(name, problem):
    assert name_problem(name) == problem


@pytest.mark.parametrize('name', ['/AutoPPP/', '/FIDO/'])
def test_a_special_key_is_no_callback_user_name(name):
    """callback_user's call: a person's name can neither be mgetty's AutoPPP nor its FIDO key."""
    assert name_problem(name, allow_wildcard=False, allow_special=False) == 'must not be %s' % name
    assert name_problem(name, allow_special=False) == 'must not be %s' % name
    assert name_problem(name, allow_wildcard=False) is None


@pytest.mark.parametrize('name', ['*', 'a*', '*a', '*a*'])
def test_a_wildcard_is_no_callback_user_name(name):
    assert name_problem(name, allow_wildcard=False, allow_special=False) == 'must not contain "*"'
    assert name_problem(name, allow_wildcard=False) == 'must not contain "*"'
    assert name_problem(name, allow_special=False) is None


def test_a_wildcard_inside_is_refused_with_wildcards_not_allowed_as_well():
    assert name_problem('a*b', allow_wildcard=False) == 'must not contain "*"'


def test_the_field_rules_come_first():
    assert name_problem('-a b') == 'must not contain whitespace or control characters'
    assert name_problem('/a b/', allow_special=False) == 'must not contain whitespace or control characters'


@pytest.mark.parametrize('fields, version, entry', [
    (['a'], 1, dict(name='a', after_callback='-', userid=None, utmp=None, program=None, args=[])),
    (['a', 'u'], 1, dict(name='a', after_callback='-', userid='u', utmp=None, program=None, args=[])),
    (['a', 'u', 't'], 1, dict(name='a', after_callback='-', userid='u', utmp='t', program=None, args=[])),
    (['a', 'u', 't', '/p'], 1, dict(name='a', after_callback='-', userid='u', utmp='t', program='/p', args=[])),
    (['a', 'u', 't', '/p', 'x', 'y'], 1,
     dict(name='a', after_callback='-', userid='u', utmp='t', program='/p', args=['x', 'y'])),
    (['a'], 2, dict(name='a', after_callback=None, userid=None, utmp=None, program=None, args=[])),
    (['a', 'Y'], 2, dict(name='a', after_callback='Y', userid=None, utmp=None, program=None, args=[])),
    (['a', 'N', 'u'], 2, dict(name='a', after_callback='N', userid='u', utmp=None, program=None, args=[])),
    (['a', '-', 'u', 't'], 2, dict(name='a', after_callback='-', userid='u', utmp='t', program=None, args=[])),
    (['a', 'Y', 'u', 't', '/p'], 2,
     dict(name='a', after_callback='Y', userid='u', utmp='t', program='/p', args=[])),
    (['a', 'Y', 'u', 't', '/p', 'x'], 2,
     dict(name='a', after_callback='Y', userid='u', utmp='t', program='/p', args=['x'])),
])
def test_an_entry_line_read_field_by_field(fields, version, entry):
    assert fields_to_entry(fields, version) == entry


def test_reading_an_entry_leaves_its_fields_as_they_were():
    fields = ('a', 'Y', 'u', 't', '/p', 'x')
    assert fields_to_entry(fields, 2)['args'] == ['x']
    assert fields == ('a', 'Y', 'u', 't', '/p', 'x')
