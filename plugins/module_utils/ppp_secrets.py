# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Reader and writer for pppd secrets files (pap-secrets, chap-secrets).

pppd reads these files word by word with getword() (pppd/options.c):

* words are separated by blanks; a word starting with ``"`` or ``'`` runs
  up to the same quote character, blanks and ``#`` included;
* a backslash escapes the next character, inside and outside quotes
  (``\\n``, ``\\t``, ``\\s``, octal and ``\\x`` sequences have C meanings),
  and backslash-newline is ignored;
* outside quotes ``#`` starts a comment that runs to the end of the line;
* an entry starts with the first word on a line: client, server, secret,
  then allowed addresses up to the end of the line.

This module tokenises a file the same way, remembering where each word sits
in the text, so that entries can be replaced while every other byte stays.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

MASK = '********'
_BLANKS = ' \t\v\f\r'       # isspace() without the newline


class Word(object):
    def __init__(self, value, start, end, newline):
        self.value = value      # decoded value
        self.start = start      # offset of the first raw character
        self.end = end          # offset after the last raw character
        self.newline = newline  # a newline was crossed before this word


def _b(ch):
    return ch.encode('utf-8', 'surrogateescape')


def tokenize(text):
    """Split *text* into Words exactly like pppd's getword()."""
    words = []
    i = 0
    n = len(text)
    newline = True  # scan_authfile() starts as if after a newline
    while True:
        escape = False
        comment = False
        start = None
        c = None
        # skip white space and comments
        while i < n:
            c = text[i]
            i += 1
            if c == '\n':
                if not escape:
                    newline = True
                    comment = False
                else:
                    escape = False
                continue
            if comment:
                continue
            if escape:
                start = i - 2
                break
            if c == '\\':
                escape = True
                continue
            if c == '#':
                comment = True
                continue
            if c not in _BLANKS:
                start = i - 1
                break
        else:
            c = None
        if c is None or start is None:
            return words
        quoted = None
        value = bytearray()  # pppd works on bytes; escapes give single bytes
        if not escape and c in ('"', "'"):
            quoted = c
            if i < n:
                c = text[i]
                i += 1
            else:
                c = None
        while c is not None:
            if escape:
                escape = False
                if c == '\n':
                    c = text[i] if i < n else None
                    i += 1
                    continue
                got = False
                simple = {'a': '\a', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r',
                          's': ' ', 't': '\t'}
                if c in simple:
                    value.append(ord(simple[c]))
                elif c in '01234567':
                    v = 0
                    k = 0
                    while k < 3 and c is not None and c in '01234567':
                        v = (v << 3) + int(c)
                        k += 1
                        c = text[i] if i < n else None
                        i += 1
                    value.append(v & 0xff)
                    got = True
                elif c == 'x':
                    v = 0
                    c = text[i] if i < n else None
                    i += 1
                    k = 0
                    while k < 2 and c is not None and c in '0123456789abcdefABCDEF':
                        v = (v << 4) + int(c, 16)
                        k += 1
                        c = text[i] if i < n else None
                        i += 1
                    value.append(v)
                    got = True
                else:
                    value.extend(_b(c))
                if not got:
                    c = text[i] if i < n else None
                    i += 1
                continue
            if quoted:
                if c == quoted:
                    break
            elif c in _BLANKS or c == '\n' or c == '#':
                i -= 1  # ungetc
                break
            if c == '\\':
                escape = True
                c = text[i] if i < n else None
                i += 1
                continue
            value.extend(_b(c))
            c = text[i] if i < n else None
            i += 1
        if i > n:
            i = n
        if c is None and not value:
            return words  # getword() returns 0 at EOF with an empty word
        words.append(Word(bytes(value).decode('utf-8', 'surrogateescape'), start, i, newline))
        newline = False


def needs_quoting(value):
    if value == '':
        return True
    for ch in value:
        if ch in _BLANKS or ch in '"\'\\#' or ch == '\n':
            return True
    return False


def quote(value):
    """Render *value* as one word that getword() reads back unchanged."""
    if not needs_quoting(value):
        return value
    return '"' + value.replace('\\', '\\\\').replace('"', '\\"') + '"'


class Entry(object):
    """One entry: the words of one logical line, with the text they span."""

    def __init__(self, words, line_start, line_end):
        self.words = words
        self.line_start = line_start    # offset of the first line's start
        self.line_end = line_end        # offset after the last line's end

    @property
    def values(self):
        return [w.value for w in self.words]

    @property
    def client(self):
        return self.words[0].value

    @property
    def server(self):
        return self.words[1].value if len(self.words) > 1 else None

    @property
    def secret(self):
        return self.words[2].value if len(self.words) > 2 else None

    def key(self):
        return (self.client, self.server)


def _line_bounds(text, start, end):
    ls = text.rfind('\n', 0, start) + 1
    le = text.find('\n', max(end - 1, start))
    le = len(text) if le == -1 else le + 1
    return ls, le


def parse(text):
    """Return the list of Entries of *text* in file order."""
    groups = []
    for w in tokenize(text):
        if w.newline or not groups:
            groups.append([w])
        else:
            groups[-1].append(w)
    entries = []
    for g in groups:
        ls, _dummy = _line_bounds(text, g[0].start, g[0].end)
        _dummy, le = _line_bounds(text, g[-1].start, g[-1].end)
        entries.append(Entry(g, ls, le))
    return entries


def render(client, server, secret, addresses):
    words = [quote(client), quote(server), quote(secret)]
    words.extend(quote(a) for a in (addresses or ['*']))
    return ' '.join(words) + '\n'


class Segment(object):
    """A piece of the file: either plain text or an entry's lines."""

    def __init__(self, text, entry=None, masked=None):
        self.text = text
        self.entry = entry
        self.masked = masked if masked is not None else text
        self.key = entry.key() if entry is not None else None


def mask_entry_text(text, entry, offset):
    """Return *text* (the lines of *entry*) with the secret word masked."""
    if len(entry.words) < 3:
        return text
    w = entry.words[2]
    return text[:w.start - offset] + MASK + text[w.end - offset:]


def segments(text):
    """Cut *text* into Segments; entry segments carry a masked rendering."""
    result = []
    pos = 0
    for e in parse(text):
        if e.line_start < pos:
            # two entries share a physical line: merge into the previous one
            prev = result[-1]
            prev.text += text[pos:e.line_end]
            pos = e.line_end
            prev.entry = None
            prev.masked = MASK + '\n'
            continue
        if e.line_start > pos:
            result.append(Segment(text[pos:e.line_start]))
        chunk = text[e.line_start:e.line_end]
        result.append(Segment(chunk, e, mask_entry_text(chunk, e, e.line_start)))
        pos = e.line_end
    if pos < len(text):
        result.append(Segment(text[pos:]))
    return result
