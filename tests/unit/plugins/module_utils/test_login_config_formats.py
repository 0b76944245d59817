# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""login.config as mgetty reads it: the format switches at each !version line (login.c), so a file
with an entry above its !version line, or with a second !version line, is refused, never edited."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.dialin.callback.plugins.module_utils.login_config import (
    LoginConfig, LoginConfigError, MixedFormatError, mixed_format_problems, parse_lines)


def problems(text):
    return mixed_format_problems(parse_lines(text))


@pytest.mark.parametrize('text, version', [
    ('', 1),
    ('a - - /bin/a\n*\t-\t-\t/bin/login @\n', 1),
    ('!version 1\na - - /bin/a\n', 1),
    ('!version 2\na - - - /bin/a\n', 2),
    # Only comments and blank lines above the version line: mgetty skips them.
    ('# head\n\n  # indented\n \t\n!version 2\na Y - - /bin/a\n', 2),
    # mgetty's fgetline joins a line ending in a backslash to the next one: this !version line is
    # part of the comment, and the file format 1.
    ('# a comment that ends in a backslash \\\n!version 2\n', 1),
    ('!version 2\n', 2),
])
def test_one_format_throughout_is_accepted(text, version):
    assert problems(text) == []
    assert LoginConfig(text).version == version


def test_an_entry_above_the_version_line_is_refused():
    text = '# head\n\npppuser - - /bin/login @\n!version 2\n*\tY\t-\t-\t/bin/login @\n'
    with pytest.raises(MixedFormatError) as e:
        LoginConfig(text)
    assert len(e.value.problems) == 1
    msg = e.value.problems[0]
    assert msg.startswith('line 3 ("pppuser - - /bin/login @") comes before the !version line (line 4, "!version 2")')
    assert 'format 1' in msg and "takes '-' for the user id and runs /bin/login @" in msg
    assert 'before and after a callback alike' in msg
    assert 'Move it below the !version line' in msg


def test_a_format_2_line_above_the_version_line_says_its_column_is_the_user_id():
    msg = problems('pppuser Y pppuser - /etc/ppp/ppplogin\n!version 2\n')[0]
    assert "takes 'Y' for the user id and runs - /etc/ppp/ppplogin" in msg
    assert 'Y is no callback column in format 1' in msg


def test_a_short_line_above_the_version_line_is_skipped_by_mgetty():
    msg = problems('x - -\n!version 2\n')[0]
    assert 'finds no program field and skips it' in msg


def test_an_entry_above_a_version_1_line_is_refused_too():
    assert problems('a - - /bin/a\n!version 1\nb - - /bin/b\n')[0].startswith('line 1 ("a - - /bin/a")')


@pytest.mark.parametrize('text, second, line', [
    ('!version 2\na - - - /bin/a\n!version 1\nb - - /bin/b\n', '"!version 1"', 3),
    ('!version 2\n!version 2\n', '"!version 2"', 2),
    ('!version 1\na - - /bin/a\n!version 2\nb - - - /bin/b\n', '"!version 2"', 3),
    ('!version 2\n!version 3\n', '"!version 3"', 2),
])
def test_a_second_version_line_is_refused(text, second, line):
    found = problems(text)
    assert len(found) == 1
    assert found[0].startswith('line %d (%s) is a second !version line (the first is line 1' % (line, second))
    assert 'Keep one !version line' in found[0]
    with pytest.raises(LoginConfigError):
        LoginConfig(text)


def test_a_second_version_line_says_the_format_mgetty_switches_to():
    assert 'in format 1,' in problems('!version 2\n!version 1\n')[0]
    # mgetty takes an unknown version for 1.
    assert 'in format 1,' in problems('!version 2\n!version 7\n')[0]


def test_every_problem_is_reported_with_the_number_of_its_first_physical_line():
    text = ('# head\n'
            'a - - /bin/a \\\n'
            '  x\n'
            'b - - /bin/b\n'
            '!version 2\n'
            'c - - - /bin/c\n'
            '!version 1\n')
    found = problems(text)
    assert [p.split(' ', 2)[1] for p in found] == ['2', '4', '7']
    assert found[0].startswith('line 2 ("a - - /bin/a x")')


def test_an_invalid_first_version_line_is_still_its_own_error():
    with pytest.raises(LoginConfigError) as e:
        LoginConfig('!version 3\n')
    assert not isinstance(e.value, MixedFormatError)
    assert 'unsupported login.config version line' in str(e.value)


def test_converting_a_version_1_line_to_2_replaces_it():
    """Left below a new !version 2 line, a !version 1 line would switch mgetty back to format 1."""
    doc = LoginConfig('# head\n!version 1\na - - /bin/a\n')
    doc.convert(2)
    assert doc.text() == '# head\n!version 2\na\t- - - /bin/a\n'
    assert problems(doc.text()) == []


def test_converting_to_2_and_back_keeps_one_format():
    doc = LoginConfig('# head\n\na - - /bin/a\n')
    doc.convert(2)
    assert doc.text() == '# head\n\n!version 2\na\t- - - /bin/a\n'
    assert problems(doc.text()) == []
    doc.convert(1)
    assert doc.text() == '# head\n\na - - /bin/a\n'
