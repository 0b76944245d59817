# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Reference reader of pppd secrets files for the tests.

A line-by-line transcription of pppd's getword() (pppd/options.c) working on
bytes with getc()/ungetc(), independent of the module's own tokenizer, and of
the way scan_authfile() (pppd/auth.c) groups words into entries: an entry
starts with the first word after a newline.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

EOF = None
MAXWORDLEN = 1024


def _isspace(c):
    return c is not None and c in b' \t\n\v\f\r'


class _File(object):
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def getc(self):
        if self.pos >= len(self.data):
            self.pos += 1
            return EOF
        c = self.data[self.pos:self.pos + 1]
        self.pos += 1
        return c

    def ungetc(self, c):
        self.pos -= 1


def getword(f):
    """Return (word_bytes or None at EOF, newline_seen)."""
    newline = False
    word = bytearray()
    escape = False
    comment = False
    while True:
        c = f.getc()
        if c is EOF:
            break
        if c == b'\n':
            if not escape:
                newline = True
                comment = False
            else:
                escape = False
            continue
        if comment:
            continue
        if escape:
            break
        if c == b'\\':
            escape = True
            continue
        if c == b'#':
            comment = True
            continue
        if not _isspace(c):
            break
    if not escape and c in (b'"', b"'"):
        quoted = c
        c = f.getc()
    else:
        quoted = None
    while c is not EOF:
        if escape:
            escape = False
            if c == b'\n':
                c = f.getc()
                continue
            got = False
            simple = {b'a': 7, b'b': 8, b'f': 12, b'n': 10, b'r': 13, b's': 32, b't': 9}
            if c in simple:
                value = simple[c]
            elif c in b'01234567' and c != b'':
                value = 0
                n = 0
                while n < 3 and c is not EOF and c in b'01234567':
                    value = (value << 3) + (ord(c) & 7)
                    c = f.getc()
                    n += 1
                got = True
            elif c == b'x':
                value = 0
                c = f.getc()
                n = 0
                while n < 2 and c is not EOF and c in b'0123456789abcdefABCDEF':
                    value = (value << 4) + int(c, 16)
                    c = f.getc()
                    n += 1
                got = True
            else:
                value = ord(c)
            if len(word) < MAXWORDLEN:
                word.append(value & 0xff)
            if not got:
                c = f.getc()
            continue
        if quoted:
            if c == quoted:
                break
        else:
            if _isspace(c) or c == b'#':
                f.ungetc(c)
                break
        if c == b'\\':
            escape = True
            c = f.getc()
            continue
        if len(word) < MAXWORDLEN:
            word.append(ord(c))
        c = f.getc()
    if c is EOF and len(word) == 0:
        return None, newline
    return bytes(word), newline


def parse_secrets(data):
    """Return the entries of a secrets file as lists of words (bytes)."""
    if isinstance(data, str):
        data = data.encode('utf-8', 'surrogateescape')
    f = _File(data)
    entries = []
    first = True
    while True:
        word, newline = getword(f)
        if word is None:
            return entries
        if newline or first:
            entries.append([word])
        else:
            entries[-1].append(word)
        first = False


def parse_secrets_text(data):
    return [[w.decode('utf-8', 'surrogateescape') for w in e] for e in parse_secrets(data)]
