# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Reference reader of chat scripts for the tests.

A line-by-line transcription, on bytes, of what chat (the ppp package's chat/chat.c) does with a
script file given with -f and without -E: do_file() splits the lines into words (quotes, backslash
skipping), the words alternate expect and send; clean(s, 1) turns a send word into its bytes with
chat's escapes, and put_string() writes them (\\d, \\p and \\K are pauses and a break, not bytes).
Independent of the collection's chat_escape filter.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

STR_LEN = 1024


class ChatError(Exception):
    """What chat's fatal() would print and exit with."""


def _fgets_lines(data):
    """The buffers fgets(buf, STR_LEN, cfp) returns: at most STR_LEN - 1 bytes, up to a newline."""
    pos = 0
    while pos < len(data):
        end = data.find(b'\n', pos, pos + STR_LEN - 1)
        end = pos + STR_LEN - 1 if end < 0 else end + 1
        yield data[pos:end]
        pos = end


def words(script):
    """do_file(): the (kind, word) pairs, kind 'expect' or 'send', of a script's bytes."""
    out = []
    sendflg = False
    for linect, buf in enumerate(_fgets_lines(script), 1):
        nl = buf.find(b'\n')
        if nl >= 0:
            buf = buf[:nl]
        # chat's buffer is a C string: it ends at the first NUL
        buf = buf.split(b'\x00', 1)[0]
        if buf[:1] == b'#':
            continue
        sp = 0
        while sp < len(buf):
            c = buf[sp:sp + 1]
            if c in (b' ', b'\t'):
                sp += 1
                continue
            if c in (b'"', b"'"):
                quote = c
                sp += 1
                arg = sp
                while buf[sp:sp + 1] != quote:
                    if sp >= len(buf):
                        raise ChatError('unterminated quote (line %d)' % linect)
                    sp += 1
                    if buf[sp - 1:sp] == b'\\' and sp < len(buf):
                        sp += 1
                word = buf[arg:sp]
            else:
                arg = sp
                while sp < len(buf) and buf[sp:sp + 1] not in (b' ', b'\t'):
                    sp += 1
                word = buf[arg:sp]
            if sp < len(buf):
                sp += 1
            out.append(('send' if sendflg else 'expect', word))
            sendflg = not sendflg
    return out


def _isoctal(c):
    return c is not None and b'0' <= c <= b'7'


def clean(s, sending):
    """clean(s, sending) without -E: the bytes, and whether \\q (quiet) was seen."""
    p = []
    quiet = False
    add_return = sending
    i = 0

    def nxt():
        return s[i:i + 1] if i < len(s) else None

    while i < len(s):
        cur = s[i:i + 1]
        i += 1
        if cur == b'^':
            cur = nxt()
            i += 1
            if cur is None:
                p.append(b'^')
                break
            value = ord(cur) & 0x1F
            if value != 0:
                p.append(bytes([value]))
            continue
        if cur != b'\\':
            p.append(cur)
            continue
        cur = nxt()
        i += 1
        if cur is None:
            if sending:
                p.extend([b'\\', b'\\'])
            break
        if cur == b'b':
            p.append(b'\b')
        elif cur == b'c':
            if sending and i >= len(s):
                add_return = False
            else:
                p.append(cur)
        elif cur in (b'\\', b'K', b'p', b'd'):
            if sending:
                p.append(b'\\')
            p.append(cur)
        elif cur in (b'T', b'U'):
            # no phone number given with -T/-U
            p.extend([b'\\', cur])
        elif cur == b'q':
            quiet = True
        elif cur == b'r':
            p.append(b'\r')
        elif cur == b'n':
            p.append(b'\n')
        elif cur == b's':
            p.append(b' ')
        elif cur == b't':
            p.append(b'\t')
        elif cur == b'N':
            if sending:
                p.extend([b'\\', b'\x00'])
            else:
                p.append(b'N')
        elif _isoctal(cur):
            value = ord(cur) & 0x07
            if _isoctal(nxt()):
                value = (value << 3) | (ord(nxt()) - ord('0'))
                i += 1
                if _isoctal(nxt()):
                    value = (value << 3) | (ord(nxt()) - ord('0'))
                    i += 1
            value &= 0xFF
            if value != 0 or sending:
                if sending and value in (ord('\\'), 0):
                    p.append(b'\\')
                p.append(bytes([value]))
        else:
            if sending:
                p.append(b'\\')
            p.append(cur)
    if add_return:
        p.append(b'\r')
    return b''.join(p), quiet


def put_string(word):
    """put_string() of a send word (chat_send() without its keywords, @file, EOT or BREAK): the bytes
    chat writes to the line, and whether its log hides them."""
    s, quiet = clean(word, 1)
    written = []
    i = 0
    while i < len(s) and s[i:i + 1] != b'\x00':
        c = s[i:i + 1]
        i += 1
        if c != b'\\':
            written.append(c)
            continue
        c = s[i:i + 1]
        i += 1
        if c in (b'd', b'p', b'K'):
            continue
        if c in (b'', b'\x00'):
            raise ChatError('a \\N or trailing backslash: chat writes a NUL and reads past its string')
        written.append(c)
    return b''.join(written), quiet
