# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The login.config editor's edge cases: lines continued right after their key (mgetty's fgetline
joins them), short entry lines, the callback column of format 1 and 2 files, and the exact words
of its refusals. Found by mutation testing (scripts/mutation): each test fails on a change to
login_config.py that the other unit tests let through."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.dialin.callback.plugins.module_utils.login_config import (
    Line, LoginConfig, LoginConfigError, MixedFormatError, mixed_format_problems, parse_lines, read_login_config)


def refusal(text):
    with pytest.raises(MixedFormatError) as e:
        LoginConfig(text)
    return e.value


def test_the_refusal_is_every_problem_joined_by_a_space():
    error = refusal('a - - /bin/a\n!version 2\n!version 2\n')
    assert len(error.problems) == 2
    assert str(error) == ' '.join(error.problems)


def test_a_line_above_the_version_line_without_a_program_is_skipped_by_mgetty():
    error = refusal('a - -\n!version 2\n')
    assert error.problems == [
        'line 1 ("a - -") comes before the !version line (line 2, "!version 2"): mgetty reads it in format 1, '
        'finds no program field and skips it; the name a then falls through to a later line or to /bin/login. '
        'Move it below the !version line (with a callback column if it is meant for format 2), or remove it.']


def test_a_four_field_line_above_the_version_line_runs_its_program():
    error = refusal('a Y - /bin/a\n!version 2\n')
    assert error.problems == [
        'line 1 ("a Y - /bin/a") comes before the !version line (line 2, "!version 2"): mgetty reads it in '
        "format 1 (name, user id, utmp entry, program), so for the name a it takes 'Y' for the user id and runs "
        '/bin/a, before and after a callback alike (Y is no callback column in format 1). Move it below the '
        '!version line (with a callback column if it is meant for format 2), or remove it.']


@pytest.mark.parametrize('column', ['N', 'n', 'y'])
def test_a_callback_column_in_either_case_is_named_as_none_in_format_1(column):
    message = refusal('a %s - - /bin/a\n!version 2\n' % column).problems[0]
    assert "takes '%s' for the user id and runs - /bin/a" % column in message
    assert '(%s is no callback column in format 1)' % column in message


def test_a_user_id_that_is_no_column_gets_no_remark():
    message = refusal('a x - /bin/a\n!version 2\n').problems[0]
    assert message.endswith("takes 'x' for the user id and runs /bin/a, before and after a callback alike. "
                            'Move it below the !version line (with a callback column if it is meant for '
                            'format 2), or remove it.')


def test_a_line_shows_its_kind_and_text():
    assert repr(parse_lines('a - - /bin/a\n')[0]) == "Line('entry', 'a - - /bin/a\\n')"


def test_the_column_of_a_format_1_line_is_always_dash():
    doc = LoginConfig('a Y - /bin/a\n')
    assert doc.column(doc.lines[0]) == '-'


@pytest.mark.parametrize('text, column', [
    ('!version 2\na\n', '-'),
    ('!version 2\na y\n', 'Y'),
    ('!version 2\na n - - /bin/a\n', 'N'),
])
def test_the_column_of_a_format_2_line(text, column):
    doc = LoginConfig(text)
    assert doc.column(doc.lines[1]) == column


def test_remove_entry_says_whether_it_removed_one():
    doc = LoginConfig('a - - /bin/a\n')
    assert doc.remove_entry('b') is False
    assert doc.remove_entry('a') is True
    assert doc.text() == ''


def test_restricting_keeps_the_line_an_entry_with_its_fields():
    doc = LoginConfig('!version 2\na\tN\tu\t-\t/bin/a x\n')
    assert doc.restrict_others(set(), ()) == ['a']
    line = doc.lines[1]
    assert (line.kind, line.key, line.fields) == (Line.ENTRY, 'a', ['a', 'Y', 'u', '-', '/bin/a', 'x'])
    assert line.raw == 'a\tY\tu\t-\t/bin/a x\n'
    assert doc.entries() == [dict(name='a', after_callback='Y', userid='u', utmp='-', program='/bin/a', args=['x'])]


def test_restricting_a_line_continued_after_its_key_rewrites_it_whole():
    """'a \\' then 'N ...': the column is on the second physical line; the backslash is no column."""
    doc = LoginConfig('!version 2\na \\\nN - - /bin/a\n')
    assert doc.restrict_others(set(), ()) == ['a']
    assert doc.text() == '!version 2\na\tY\t-\t-\t/bin/a\n'
    assert LoginConfig(doc.text()).entries()[0]['after_callback'] == 'Y'


def test_restricting_a_two_field_line():
    doc = LoginConfig('!version 2\na N\n')
    assert doc.restrict_others(set(), ()) == ['a']
    assert doc.text() == '!version 2\na Y\n'


def test_restricting_a_four_field_line_finds_no_program():
    doc = LoginConfig('!version 2\na N - -\n')
    assert doc.restrict_others(set(), ('-',)) == ['a']
    assert doc.text() == '!version 2\na Y - -\n'


def test_a_five_field_line_running_an_exempt_program_is_kept():
    doc = LoginConfig('!version 2\n/AutoPPP/ - a_ppp - /usr/sbin/pppd\nb N - - /bin/b\n')
    assert doc.restrict_others(set(), ('/usr/sbin/pppd',)) == ['b']
    assert doc.text() == '!version 2\n/AutoPPP/ - a_ppp - /usr/sbin/pppd\nb Y - - /bin/b\n'


def test_restricting_goes_on_past_a_line_it_leaves():
    doc = LoginConfig('!version 2\na Y - - /bin/a\nb N - - /bin/b\nc - - - /bin/c\n')
    assert doc.restrict_others(set(), ()) == ['b', 'c']
    assert doc.text() == '!version 2\na Y - - /bin/a\nb Y - - /bin/b\nc Y - - /bin/c\n'


def test_converting_to_2_a_key_split_by_a_continuation_rewrites_the_line():
    """'na\\' then 'me ...' is the key 'name' to mgetty: the column cannot go after the first part."""
    doc = LoginConfig('na\\\nme u - /bin/a x\n')
    assert doc.convert(2) == []
    assert doc.text() == '!version 2\nname\t-\tu\t-\t/bin/a\tx\n'
    assert doc.lines[1].fields == ['name', '-', 'u', '-', '/bin/a', 'x']
    assert LoginConfig(doc.text()).entries()[0]['name'] == 'name'


@pytest.mark.parametrize('text, converted', [
    ('', '!version 2\n'),
    ('# only a comment', '# only a comment\n!version 2\n'),
    ('# head\n\n', '# head\n\n!version 2\n'),
])
def test_converting_to_2_a_file_without_entries_puts_the_version_line_last(text, converted):
    doc = LoginConfig(text)
    assert doc.convert(2) == []
    assert doc.text() == converted
    assert doc.version == 2


def lines_of(doc):
    return [(line.kind, line.fields) for line in doc.lines]


def test_the_version_line_written_by_a_conversion_is_the_one_read_back():
    doc = LoginConfig('# head\na u - /bin/a\n')
    doc.convert(2)
    assert doc.text() == '# head\n!version 2\na\t- u - /bin/a\n'
    assert lines_of(doc) == lines_of(LoginConfig(doc.text()))
    assert lines_of(doc)[1] == (Line.VERSION, ['!version', '2'])


def test_converting_to_2_leaves_a_last_line_without_a_newline_as_it_is():
    doc = LoginConfig('a u - /bin/a')
    doc.convert(2)
    assert doc.text() == '!version 2\na\t- u - /bin/a'


def test_converting_to_1_drops_each_callback_column_and_warns_for_y_and_n():
    doc = LoginConfig('!version 2\n# a comment\na N u - /bin/a\nb - - - /bin/b\nc Y\nd\n')
    assert doc.convert(1) == [
        "dropped after-callback flag 'N' of entry 'a' while converting to version 1",
        "dropped after-callback flag 'Y' of entry 'c' while converting to version 1"]
    assert doc.text() == '# a comment\na u - /bin/a\nb - - /bin/b\nc\nd\n'
    assert lines_of(doc) == lines_of(LoginConfig(doc.text()))
    assert doc.version == 1


def test_converting_to_1_a_line_continued_after_its_key_rewrites_it_whole():
    doc = LoginConfig('!version 2\na \\\nN u - /bin/a\n')
    assert doc.convert(1) == ["dropped after-callback flag 'N' of entry 'a' while converting to version 1"]
    assert doc.text() == 'a\tu\t-\t/bin/a\n'
    assert lines_of(doc) == lines_of(LoginConfig(doc.text()))


def test_the_last_line_without_a_newline_keeps_its_last_character():
    assert LoginConfig('a - - /bin/ab').entries()[0]['program'] == '/bin/ab'


def test_a_continuation_drops_only_the_backslash():
    assert LoginConfig('a - - /bin/a xy\\\nz\n').entries()[0]['args'] == ['xyz']


@pytest.mark.parametrize('text', ['\x1c\n', '\xa0# no comment to mgetty\n'])
def test_only_c_locale_blanks_make_a_blank_line_or_a_comment(text):
    """mgetty's isspace() in the C locale: U+001C and U+00A0 are no blanks, Python's str.strip() says they are."""
    assert [line.kind for line in LoginConfig(text).lines] == [Line.ENTRY]


def test_set_entry_replaces_the_name_whatever_its_column_by_default():
    doc = LoginConfig('!version 2\na Y - - /bin/a\n')
    assert doc.set_entry(dict(name='a', after_callback='N', program='/bin/a')) == 'updated'
    assert doc.text() == '!version 2\na\tN\t-\t-\t/bin/a\n'


def test_set_entry_by_column_takes_dash_for_an_entry_without_one():
    doc = LoginConfig('!version 2\na Y - - /bin/a\na - - - /bin/b\n')
    assert doc.set_entry(dict(name='a', program='/bin/c'), by_column=True) == 'updated'
    assert doc.text() == '!version 2\na Y - - /bin/a\na\t-\t-\t-\t/bin/c\n'


def test_set_entry_reports_nothing_for_an_entry_already_there():
    doc = LoginConfig('a - - /bin/a\n')
    assert doc.set_entry(dict(name='a', program='/bin/a')) is None
    assert doc.text() == 'a - - /bin/a\n'


def test_set_entry_removes_later_lines_of_the_name_and_says_so():
    doc = LoginConfig('a\t-\t-\t/bin/a\nb - - /bin/b\na - - /bin/c\n')
    assert doc.set_entry(dict(name='a', program='/bin/a')) == 'updated'
    assert doc.text() == 'a\t-\t-\t/bin/a\nb - - /bin/b\n'


SECOND_VERSION_LINE = (
    'line 2 ("%s") is a second !version line (the first is line 1, "%s"): mgetty switches the format again '
    'there and reads the lines after it in format %s, while this module edits the whole file in the format of '
    'the first one. Keep one !version line, above every entry: remove this one and write the lines after it in '
    'the format of the first.')


@pytest.mark.parametrize('text, second, first, version', [
    ('!version 1\n!version 2\n', '!version 2', '!version 1', '2'),
    ('!version 2\n!version 1\n', '!version 1', '!version 2', '1'),
    ('!version 2\n!version 2 x\n', '!version 2 x', '!version 2', '2'),
    ('!version 2\n!version\n', '!version', '!version 2', '1'),
])
def test_a_second_version_line_in_the_words_of_the_refusal(text, second, first, version):
    """The version a !version line gives is its second word, for the second line as for the first."""
    assert mixed_format_problems(parse_lines(text)) == [SECOND_VERSION_LINE % (second, first, version)]


def test_a_last_line_continued_into_the_end_of_the_file_is_read():
    doc = LoginConfig('a - - /bin/a x\\\n')
    assert doc.entries() == [dict(name='a', after_callback='-', userid='-', utmp='-', program='/bin/a', args=['x'])]
    assert doc.text() == 'a - - /bin/a x\\\n'
    assert mixed_format_problems(parse_lines('!version 2\n!version 1\\\n')) == [
        SECOND_VERSION_LINE % ('!version 1', '!version 2', '1')]


def test_a_new_document_is_empty():
    doc = LoginConfig()
    assert (doc.text(), doc.lines, doc.version) == ('', [], 1)


def test_a_line_written_here_has_no_number_in_the_file_read():
    doc = LoginConfig('# head\na - - /bin/a\n')
    doc.set_entry(dict(name='b', program='/bin/b'))
    assert [line.number for line in doc.lines] == [1, 2, None]


@pytest.mark.parametrize('text, shown', [
    ('!version\n', "'!version'"),
    ('!version 3  \n', "'!version 3  '"),
    ('!version 3X\n', "'!version 3X'"),
    ('!version 12', "'!version 12'"),
])
def test_an_unsupported_version_line_is_quoted_as_it_stands(text, shown):
    with pytest.raises(LoginConfigError) as e:
        LoginConfig(text)
    assert str(e.value) == 'unsupported login.config version line %s' % shown


class Failed(Exception):
    pass


class FakeModule(object):
    def fail_json(self, msg):
        raise Failed(msg)


def failure_reading(path):
    with pytest.raises(Failed) as e:
        read_login_config(FakeModule(), str(path))
    return str(e.value)


def test_reading_a_file_mgetty_reads_in_two_formats_names_every_problem(tmp_path):
    path = tmp_path / 'login.config'
    path.write_text('a - - /bin/a\n!version 2\n!version 1\n')
    message = failure_reading(path)
    found = mixed_format_problems(parse_lines(path.read_text()))
    assert len(found) == 2
    assert message == '%s %s %s %s Refusing to edit %s, which mgetty would read in two formats; nothing was written.' % (
        path, found[0], path, found[1], path)


def test_reading_an_unsupported_version_says_which_file(tmp_path):
    path = tmp_path / 'login.config'
    path.write_text('!version 3\n')
    assert failure_reading(path) == "%s: unsupported login.config version line '!version 3'" % path


def test_reading_a_directory_fails_the_task(tmp_path):
    assert failure_reading(tmp_path) == 'path %s is a directory, not a file' % tmp_path


def test_reading_a_file_that_is_not_there_is_an_empty_document(tmp_path):
    text, exists, doc = read_login_config(FakeModule(), str(tmp_path / 'login.config'))
    assert (text, exists, doc.lines, doc.version) == ('', False, [], 1)


@pytest.mark.parametrize('text', [
    '!version 2\na\\\n N u - /bin/a\n',
    '!version 2\nna\\\nme N u - /bin/a\n',
])
def test_converting_to_1_a_line_whose_first_physical_line_holds_only_the_key(text):
    doc = LoginConfig(text)
    key = doc.lines[1].key
    assert doc.convert(1) == ["dropped after-callback flag 'N' of entry %r while converting to version 1" % key]
    assert doc.text() == '%s\tu\t-\t/bin/a\n' % key
    assert lines_of(doc) == lines_of(LoginConfig(doc.text()))


def test_converting_to_1_a_column_that_starts_a_continued_line():
    """'a \\' then '\\ u ...': the column is the lone backslash beginning the second physical line; taken
    out, the key would run into the next line ('a\\ u ...'): the line is rewritten whole."""
    doc = LoginConfig('!version 2\na \\\n\\ u - /bin/a\n')
    assert doc.lines[1].fields == ['a', '\\', 'u', '-', '/bin/a']
    assert doc.convert(1) == ["dropped after-callback flag '\\\\' of entry 'a' while converting to version 1"]
    assert doc.text() == 'a\tu\t-\t/bin/a\n'
    assert lines_of(doc) == lines_of(LoginConfig(doc.text()))
