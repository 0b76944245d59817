# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Parser and editor for mgetty's login.config.

mgetty reads the file line by line (fgetline): a line ending in a backslash
continues on the next one, a line whose first non-blank character is ``#``
is a comment.  Fields are separated by blanks (isspace).  Format version 1::

    name  userid  utmp  program  [args...]

A ``!version 2`` line switches to format version 2, which has an extra column
after the name: ``Y`` (only right after a callback), ``N`` (never right
after a callback) or ``-`` (either)::

    name  Y|N|-  userid  utmp  program  [args...]

mgetty switches the format as it reads (login.c): a ``!version`` line sets the
format of the lines after it; the lines before the first one are read in
format 1, where the second field is the user id.  This code edits a file in
one format throughout, so it refuses a file that mgetty would read in two:
an entry line above the ``!version`` line, or a second ``!version`` line
(LoginConfigError, raised by LoginConfig()).  It never rewrites such a file:
which format the author meant for a line is a guess, and a wrong guess is a
login before any callback.

mgetty takes the first line whose key matches the typed name; a key may
start and/or end with ``*``.  Lines this code does not touch are kept byte
for byte.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

from ansible_collections.dialin.callback.plugins.module_utils.atomic_file import read_text

# C isspace() in the "C" locale
_SPACE_CHARS = ' \t\n\v\f\r'
_SPLIT_RE = re.compile(r'[ \t\n\v\f\r]+')
_LEADING_RE = re.compile(r'^[ \t\v\f\r]*')

MAX_ARGS = 8          # argv[0] + 8 arguments = mgetty's limit of 9
SPECIAL_NAMES = ('/AutoPPP/', '/FIDO/')


class LoginConfigError(Exception):
    pass


class MixedFormatError(LoginConfigError):
    """mgetty would read the file in two formats; *problems* says where, one message per line."""

    def __init__(self, problems):
        super(MixedFormatError, self).__init__(' '.join(problems))
        self.problems = problems


def split_fields(text):
    return [f for f in _SPLIT_RE.split(text) if f]


def split_physical_lines(text):
    """Split on '\\n' only, keeping the line ends (the last may lack one)."""
    if not text:
        return []
    parts = text.split('\n')
    lines = [p + '\n' for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


class Line(object):
    """One logical line: one or more physical lines (continuations)."""

    BLANK = 'blank'
    COMMENT = 'comment'
    VERSION = 'version'
    ENTRY = 'entry'

    def __init__(self, raw, kind, fields=None):
        self.raw = raw
        self.kind = kind
        self.fields = fields or []
        # Number of its first physical line in the file read (None for a line written here).
        self.number = None

    @property
    def key(self):
        return self.fields[0] if self.kind == self.ENTRY else None

    def __repr__(self):
        return 'Line(%r, %r)' % (self.kind, self.raw)


def _logical_text(raw):
    """Join continuation lines the way mgetty's fgetline does."""
    out = []
    for phys in split_physical_lines(raw):
        content = phys[:-1] if phys.endswith('\n') else phys
        if content.endswith('\\'):
            content = content[:-1]
        out.append(content)
    return ''.join(out)


def _classify(raw):
    text = _logical_text(raw)
    stripped = text.strip(_SPACE_CHARS)
    if not stripped:
        return Line(raw, Line.BLANK)
    if stripped.startswith('#'):
        return Line(raw, Line.COMMENT)
    fields = split_fields(text)
    if fields[0] == '!version':
        return Line(raw, Line.VERSION, fields)
    return Line(raw, Line.ENTRY, fields)


def parse_lines(text):
    lines = []
    pending = ''
    start = number = 0
    for phys in split_physical_lines(text):
        number += 1
        if not pending:
            start = number
        content = phys[:-1] if phys.endswith('\n') else phys
        pending += phys
        if content.endswith('\\') and phys.endswith('\n'):
            continue
        line = _classify(pending)
        line.number = start
        lines.append(line)
        pending = ''
    if pending:
        line = _classify(pending)
        line.number = start
        lines.append(line)
    return lines


def is_wildcard(key):
    return '*' in key


def _shown(line):
    """A logical line as it stands in the file, quoted, on one line of a message."""
    return '"%s"' % ' '.join(split_fields(_logical_text(line.raw)))


def _format_1_reading(line):
    """What mgetty does with an entry line it reads in format 1 (login.c)."""
    fields = line.fields
    if len(fields) < 4:
        return ('mgetty reads it in format 1, finds no program field and skips it; the name %s then falls '
                'through to a later line or to /bin/login' % fields[0])
    text = ('mgetty reads it in format 1 (name, user id, utmp entry, program), so for the name %s it takes %r '
            'for the user id and runs %s, before and after a callback alike'
            % (fields[0], fields[1], ' '.join(fields[3:])))
    if fields[1].upper() in ('Y', 'N'):
        text += ' (%s is no callback column in format 1)' % fields[1]
    return text


def mixed_format_problems(lines):
    """Why mgetty would read *lines* in more than one format: entry lines above the first
    ``!version`` line, and any further ``!version`` line. An empty list when there are none."""
    problems = []
    first = None
    for line in lines:
        if line.kind == Line.VERSION:
            if first is not None:
                problems.append(
                    'line %s (%s) is a second !version line (the first is line %s, %s): mgetty switches '
                    'the format again there and reads the lines after it in format %s, while this module '
                    'edits the whole file in the format of the first one. Keep one !version line, above '
                    'every entry: remove this one and write the lines after it in the format of the first.'
                    % (line.number, _shown(line), first.number, _shown(first),
                       line.fields[1] if line.fields[1:2] in (['1'], ['2']) else '1'))
            else:
                first = line
    if first is None:
        return problems
    early = []
    for line in lines:
        if line is first:
            break
        if line.kind == Line.ENTRY:
            early.append(
                'line %s (%s) comes before the !version line (line %s, %s): %s. Move it below the '
                '!version line (with a callback column if it is meant for format 2), or remove it.'
                % (line.number, _shown(line), first.number, _shown(first), _format_1_reading(line)))
    return early + problems


class LoginConfig(object):
    """An editable login.config document."""

    def __init__(self, text=''):
        self.lines = parse_lines(text)
        self.version = 1
        for line in self.lines:
            if line.kind == Line.VERSION:
                value = line.fields[1] if len(line.fields) > 1 else ''
                if value not in ('1', '2'):
                    raise LoginConfigError("unsupported login.config version line %r"
                                           % line.raw.rstrip('\n'))
                self.version = int(value)
                break
        problems = mixed_format_problems(self.lines)
        if problems:
            raise MixedFormatError(problems)

    # -- reading -------------------------------------------------------
    def text(self):
        return ''.join(line.raw for line in self.lines)

    def entry_lines(self):
        return [line for line in self.lines if line.kind == Line.ENTRY]

    def entry_dict(self, line):
        return fields_to_entry(line.fields, self.version)

    def entries(self):
        return [self.entry_dict(line) for line in self.entry_lines()]

    def column(self, line):
        """The callback column of an entry line ('-' in a version 1 file)."""
        if self.version == 1 or len(line.fields) < 2:
            return '-'
        return line.fields[1].upper()

    def find(self, key, after_callback=None):
        """Indexes of the entry lines with *key*.

        In a version 2 file, with *after_callback* given, only the lines whose callback
        column holds that value: there a name may have a line for Y, one for N and one for -.
        """
        return [i for i, line in enumerate(self.lines)
                if line.kind == Line.ENTRY and line.key == key
                and (after_callback is None or self.version == 1
                     or self.column(line) == after_callback)]

    # -- writing -------------------------------------------------------
    def _ensure_final_newline(self):
        if self.lines and not self.lines[-1].raw.endswith('\n'):
            self.lines[-1].raw += '\n'

    def set_entry(self, entry, by_column=False):
        """Make *entry* present.  Returns 'added', 'updated' or None.

        With *by_column*, a version 2 entry is the name and its callback column together.
        """
        fields = entry_to_fields(entry, self.version)
        idx = self.find(entry['name'], entry.get('after_callback', '-') if by_column else None)
        result = None
        if idx:
            first = idx[0]
            if self.lines[first].fields != fields:
                self.lines[first] = Line(render_fields(fields), Line.ENTRY, fields)
                result = 'updated'
            for i in reversed(idx[1:]):
                del self.lines[i]
                result = 'updated'
            return result
        new = Line(render_fields(fields), Line.ENTRY, fields)
        pos = None
        if not is_wildcard(entry['name']):
            for i, line in enumerate(self.lines):
                if line.kind == Line.ENTRY and is_wildcard(line.key):
                    pos = i
                    break
        if pos is None:
            self._ensure_final_newline()
            self.lines.append(new)
        else:
            self.lines.insert(pos, new)
        return 'added'

    def remove_entry(self, key, after_callback=None):
        idx = self.find(key, after_callback)
        for i in reversed(idx):
            del self.lines[i]
        return bool(idx)

    def set_column(self, index, column):
        """Write *column* into the callback column of the version 2 entry line at *index*."""
        line = self.lines[index]
        fields = [line.fields[0], column] + line.fields[2:]
        m = re.match(r'^([ \t\v\f\r]*\S+[ \t\v\f\r]+)(\S+)', line.raw)
        if m and m.group(2) == line.fields[1]:
            raw = line.raw[:m.start(2)] + column + line.raw[m.end(2):]
        else:  # a continuation right after the key: its backslash is no column; the line is rewritten
            raw = render_fields(fields)
        self.lines[index] = Line(raw, Line.ENTRY, fields)

    def restrict_others(self, identities, exempt_programs, column='Y'):
        """Give *column* to every entry line of a version 2 file that is not one of *identities*
        (``(name, column)`` pairs) and does not run one of *exempt_programs*; returns their names."""
        restricted = []
        for i, line in enumerate(self.lines):
            if line.kind != Line.ENTRY or len(line.fields) < 2:
                continue
            current = self.column(line)
            program = line.fields[4] if len(line.fields) > 4 else None
            if current == column or (line.key, current) in identities or program in exempt_programs:
                continue
            self.set_column(i, column)
            restricted.append(line.key)
        return restricted

    def convert(self, version):
        """Convert the document to *version*; returns a list of warnings."""
        warnings = []
        if version == self.version:
            return warnings
        if version == 2:
            pos = len(self.lines)
            for i, line in enumerate(self.lines):
                if line.kind not in (Line.BLANK, Line.COMMENT):
                    pos = i
                    break
            for line in self.lines:
                if line.kind == Line.ENTRY:
                    key = line.fields[0]
                    lead = _LEADING_RE.match(line.raw).end()
                    if line.raw[lead:lead + len(key)] == key:
                        k = lead + len(key)
                        line.raw = line.raw[:k] + '\t-' + line.raw[k:]
                    else:  # the key split by a continuation: the line is rewritten
                        line.raw = render_fields([key, '-'] + line.fields[1:])
                    line.fields = [key, '-'] + line.fields[1:]
            version_line = Line('!version 2\n', Line.VERSION, ['!version', '2'])
            if pos < len(self.lines) and self.lines[pos].kind == Line.VERSION:
                # A "!version 1" line (above every entry, or LoginConfig() refused the file) becomes
                # "!version 2"; left in place below a new one, it would switch mgetty back to format 1.
                self.lines[pos] = version_line
            else:
                if pos == len(self.lines):
                    self._ensure_final_newline()
                self.lines.insert(pos, version_line)
        else:
            self.lines = [line for line in self.lines if line.kind != Line.VERSION]
            for line in self.lines:
                if line.kind != Line.ENTRY or len(line.fields) < 2:
                    continue
                flag = line.fields[1]
                if flag != '-':
                    warnings.append("dropped after-callback flag %r of entry %r while "
                                    "converting to version 1" % (flag, line.fields[0]))
                m = re.match(r'^([ \t\v\f\r]*\S+)[ \t\v\f\r]+(\S+)(?=[ \t\v\f\r\n\\]|$)', line.raw)
                new_fields = [line.fields[0]] + line.fields[2:]
                if m and m.group(2) == flag:
                    line.raw = line.raw[:m.end(1)] + line.raw[m.end(2):]
                    # keep a separator when the flag was followed by the rest
                    if split_fields(_logical_text(line.raw)) != new_fields:
                        line.raw = render_fields(new_fields)
                else:
                    line.raw = render_fields(new_fields)
                line.fields = new_fields
        self.version = version
        return warnings


def read_login_config(module, path):
    """Return ``(text, exists, LoginConfig)`` for the file at *path*; fail the task when mgetty could not read it,
    or would read it in two formats (nothing is written then, in check mode too)."""
    text, exists = read_text(module, path)
    try:
        doc = LoginConfig(text)
    except MixedFormatError as e:
        module.fail_json(msg='%s Refusing to edit %s, which mgetty would read in two formats; nothing was written.'
                             % (' '.join('%s %s' % (path, problem) for problem in e.problems), path))
    except LoginConfigError as e:
        module.fail_json(msg='%s: %s' % (path, e))
    return text, exists, doc


def render_fields(fields):
    return '\t'.join(fields) + '\n'


def entry_to_fields(entry, version):
    fields = [entry['name']]
    if version == 2:
        fields.append(entry.get('after_callback') or '-')
    fields.extend([entry.get('userid') or '-', entry.get('utmp') or '-', entry['program']])
    fields.extend(entry.get('args') or [])
    return fields


def fields_to_entry(fields, version):
    """Turn the fields of an entry line into a dict (missing fields None)."""
    fields = list(fields)
    entry = {'name': fields[0]}
    rest = fields[1:]
    if version == 2:
        entry['after_callback'] = rest[0] if rest else None
        rest = rest[1:]
    else:
        entry['after_callback'] = '-'
    entry['userid'] = rest[0] if len(rest) > 0 else None
    entry['utmp'] = rest[1] if len(rest) > 1 else None
    entry['program'] = rest[2] if len(rest) > 2 else None
    entry['args'] = rest[3:]
    return entry


def field_problem(value):
    """Return why *value* cannot be a login.config field, or None."""
    if value is None or value == '':
        return 'must not be empty'
    for ch in value:
        if ch.isspace() or ord(ch) < 32 or ord(ch) == 127:
            return 'must not contain whitespace or control characters'
    if value.endswith('\\'):
        return 'must not end with a backslash (mgetty would join the next line)'
    return None


def name_problem(name, allow_wildcard=True, allow_special=True):
    """Return why *name* cannot be a login.config key, or None."""
    problem = field_problem(name)
    if problem:
        return problem
    if name.startswith('-'):
        return 'must not start with "-"'
    if name.startswith('#') or name.startswith('!'):
        return 'must not start with "#" or "!"'
    if name in SPECIAL_NAMES:
        if allow_special:
            return None
        return 'must not be %s' % name
    if '/' in name:
        return 'must not contain "/" (only /AutoPPP/ and /FIDO/ are special keys)'
    if '*' in name:
        if not allow_wildcard:
            return 'must not contain "*"'
        if '*' in name[1:-1]:
            return 'may only have "*" as its first and/or last character'
    return None
