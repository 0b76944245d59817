# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The pppd secrets file reader and writer at its edges: where an entry's lines begin and end (the text
ppp_secret replaces, the rest kept byte for byte), the secret masked in every entry shown in a diff,
bytes that are no UTF-8, and the exact words written. Found by mutation testing (scripts/mutation): each
test fails on a change to ppp_secrets.py that the other unit tests let through."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.dialin.callback.plugins.module_utils.ppp_secrets import (
    MASK, parse, quote, render, segments, tokenize)
from ansible_collections.dialin.callback.tests.unit.plugins.modules.pppd_reference import parse_secrets_text


def cut(text):
    """The file cut into its pieces: (text, the client of the entry or None, the text shown in a diff)."""
    return [(s.text, s.entry.client if s.entry is not None else None, s.masked) for s in segments(text)]


def test_a_blank_first_line_stays_out_of_the_first_entry():
    text = '\npppuser * s3cret *\n'
    assert [(e.line_start, e.line_end) for e in parse(text)] == [(1, len(text))]
    assert cut(text) == [('\n', None, '\n'), ('pppuser * s3cret *\n', 'pppuser', 'pppuser * %s *\n' % MASK)]


def test_an_entry_continued_by_a_backslash_keeps_both_its_lines():
    """'se\\' then 't': pppd reads the secret 'set'; both physical lines are the entry's."""
    text = 'a * se\\\nt\nb * x\n'
    assert [e.values for e in parse(text)] == [['a', '*', 'set'], ['b', '*', 'x']]
    assert cut(text) == [('a * se\\\nt\n', 'a', 'a * %s\n' % MASK), ('b * x\n', 'b', 'b * %s\n' % MASK)]


@pytest.mark.parametrize('text', ['a * s', 'x\n\na * s', 'x\na * s 10.0.0.1'])
def test_a_last_entry_without_a_newline_runs_to_the_end_of_the_file(text):
    last = parse(text)[-1]
    assert (last.client, last.line_end) == ('a', len(text))
    assert ''.join(piece[0] for piece in cut(text)) == text
    assert cut(text)[-1][0].startswith('a * s')


def test_the_secret_of_an_entry_without_addresses_is_masked_too():
    assert cut('a * s3cret\n') == [('a * s3cret\n', 'a', 'a * %s\n' % MASK)]
    assert cut('a * s3cret 10.0.0.1\n') == [('a * s3cret 10.0.0.1\n', 'a', 'a * %s 10.0.0.1\n' % MASK)]
    assert cut('a *\n') == [('a *\n', 'a', 'a *\n')]


def test_bytes_that_are_no_utf_8_are_read_back_as_they_were():
    """A secrets file is bytes: read_text decodes it with surrogateescape, and a word keeps them."""
    text = b'a * s\xe9cret\n'.decode('utf-8', 'surrogateescape')
    assert [w.value for w in tokenize(text)] == ['a', '*', text[4:-1]]
    assert parse(text)[0].secret.encode('utf-8', 'surrogateescape') == b's\xe9cret'
    quoted = b'a * "s\xe9 x"\n'.decode('utf-8', 'surrogateescape')
    assert parse(quoted)[0].secret.encode('utf-8', 'surrogateescape') == b's\xe9 x'


@pytest.mark.parametrize('value, written', [
    ('pppuser', 'pppuser'),
    ('eXample', 'eXample'),
    ('X', 'X'),
    ('*', '*'),
    ('', '""'),
    ('a b', '"a b"'),
    ('a\nb', '"a\nb"'),
    ('a#b', '"a#b"'),
    ('a\\b', '"a\\\\b"'),
    ('a"b', '"a\\"b"'),
    ("a'b", '"a\'b"'),
])
def test_a_word_is_written_bare_unless_pppd_would_read_it_otherwise(value, written):
    assert quote(value) == written
    assert [w.value for w in tokenize(quote(value))] == [value]


@pytest.mark.parametrize('addresses', [None, []])
def test_an_entry_without_addresses_is_written_for_any_address(addresses):
    assert render('pppuser', '*', 's3cret', addresses) == 'pppuser * s3cret *\n'


@pytest.mark.parametrize('text, newlines', [
    ('a * s\nb * t\n', [True, False, False, True, False, False]),
    ('  a b\\\nc\n# x\n d', [True, False, True]),  # 'b' continued: one word 'bc'
])
def test_each_word_says_whether_it_starts_a_line(text, newlines):
    """The file's first word starts a line as well (pppd's scan_authfile starts as if after a newline)."""
    assert [w.newline for w in tokenize(text)] == newlines


# Each text, the words pppd's getword() reads from it (each with its offsets in the text: the span
# ppp_secret replaces). The values also match tests/unit/plugins/modules/pppd_reference.py, the
# reader transcribed from pppd.
WORDS = [
    # every one-letter escape, and a backslash before any other character: that character
    ('a \\a\\b\\f\\n\\r\\s\\t\\\\\\"\\q\\#\n', [('a', 0, 1), ('\x07\x08\x0c\n\r \t\\"q#', 2, 24)]),
    # octal: at most three digits, the value's low byte
    ('o \\101 \\1012 \\7 \\08 \\400 \\777 \\0 x\\12y \\101',
     [('o', 0, 1), ('A', 2, 6), ('A2', 7, 12), ('\x07', 13, 15), ('\x008', 16, 19), ('\x00', 20, 24),
      ('\udcff', 25, 29), ('\x00', 30, 32), ('x\ny', 33, 38), ('A', 39, 43)]),
    # hexadecimal: at most two digits, either case; none is a NUL byte
    ('h \\x41 \\x4g \\x \\x414 \\xfF \\xA \\x9z',
     [('h', 0, 1), ('A', 2, 6), ('\x04g', 7, 11), ('\x00', 12, 14), ('A4', 15, 20), ('\udcff', 21, 25),
      ('\n', 26, 29), ('\tz', 30, 34)]),
    # a letter after the digits, or after a backslash, is a character of its own
    ('X \\X \\1X \\x4X \\xX', [('X', 0, 1), ('X', 2, 4), ('\x01X', 5, 8), ('\x04X', 9, 13), ('\x00X', 14, 17)]),
    # quotes: either kind, up to the same one, blanks and '#' inside; escapes inside them too
    ('"a b" \'a"b\' "a\\"b" "" \'\' "x\\101y" "#no comment" "tab\\there"',
     [('a b', 0, 5), ('a"b', 6, 11), ('a"b', 12, 18), ('', 19, 21), ('', 22, 24), ('xAy', 25, 33),
      ('#no comment', 34, 47), ('tab\there', 48, 59)]),
    ('u "unterminated', [('u', 0, 1), ('unterminated', 2, 15)]),
    ("u 'unterminated\\", [('u', 0, 1), ('unterminated', 2, 16)]),
    # a quote inside a word is a character of it
    ('q"x y" z\'w v\'', [('q"x', 0, 3), ('y"', 4, 6), ("z'w", 7, 10), ("v'", 11, 13)]),
    # comments: to the end of the line, a backslash in them included
    ('a#b c\nd # e \\\nf\n#x\\\ny z', [('a', 0, 1), ('d', 6, 7), ('f', 14, 15), ('y', 20, 21), ('z', 22, 23)]),
    # backslash-newline between and inside words; an escaped backslash; an escape starting a word
    ('a \\\n b \\\\\nc\n\\q r', [('a', 0, 1), ('b', 5, 6), ('\\', 7, 9), ('c', 10, 11), ('q', 12, 14), ('r', 15, 16)]),
    ('x\\\ny', [('xy', 0, 4)]),
    ('e\\x41\\102\\nz', [('eAB\nz', 0, 12)]),
    # the end of the file in the middle of things
    ('a\\', [('a', 0, 2)]),
    ('a \\', [('a', 0, 1)]),
    ('\\', []),
    ('"', []),
    ('\\\n', []),
    ('#\\', []),
    ('x\\\n', [('x', 0, 3)]),
    ('o \\1', [('o', 0, 1), ('\x01', 2, 4)]),
    ('o \\17', [('o', 0, 1), ('\x0f', 2, 5)]),
    ('h \\x', [('h', 0, 1), ('\x00', 2, 4)]),
    ('h \\x4', [('h', 0, 1), ('\x04', 2, 5)]),
    ('h \\x41', [('h', 0, 1), ('A', 2, 6)]),
    ('"q\\', [('q', 0, 3)]),
    ('a\\\\', [('a\\', 0, 3)]),
    ('"q\\\n', [('q', 0, 4)]),
    ('a "', [('a', 0, 1)]),
    ('"\\\nq"', [('q', 0, 5)]),
    # a closing quote ends the word
    ("'x'y z", [('x', 0, 3), ('y', 3, 4), ('z', 5, 6)]),
    # C isspace() separates words
    ('a\tb\vc\fd\re\n', [('a', 0, 1), ('b', 2, 3), ('c', 4, 5), ('d', 6, 7), ('e', 8, 9)]),
    (' \t\v\f\r\n\na', [('a', 7, 8)]),
]


@pytest.mark.parametrize('text, words', WORDS)
def test_the_words_pppd_reads_and_where_they_stand(text, words):
    assert [(w.value, w.start, w.end) for w in tokenize(text)] == words
    assert [value for value, start, end in words] == [w for e in parse_secrets_text(text) for w in e]


@pytest.mark.parametrize('text, pieces', [
    # an entry of one word
    ('a\n', [('a\n', 'a', 'a\n')]),
    ('x * s\ny\n', [('x * s\n', 'x', 'x * %s\n' % MASK), ('y\n', 'y', 'y\n')]),
    # the client alone on the entry's first line, the rest continued on the next
    ('x * s\na \\\n* t\n', [('x * s\n', 'x', 'x * %s\n' % MASK), ('a \\\n* t\n', 'a', 'a \\\n* %s\n' % MASK)]),
    # the secret alone on the entry's last line
    ('a * \\\ns\nb * t\n', [('a * \\\ns\n', 'a', 'a * \\\n%s\n' % MASK), ('b * t\n', 'b', 'b * %s\n' % MASK)]),
    # comments and blank lines around and between entries are kept as they are
    ('# head\na * s\n\n# b\nb * t # c\n# end\n\n',
     [('# head\n', None, '# head\n'), ('a * s\n', 'a', 'a * %s\n' % MASK), ('\n# b\n', None, '\n# b\n'),
      ('b * t # c\n', 'b', 'b * %s # c\n' % MASK), ('# end\n\n', None, '# end\n\n')]),
])
def test_the_file_cut_into_entries_and_the_text_between(text, pieces):
    assert cut(text) == pieces
