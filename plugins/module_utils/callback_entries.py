# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The callback entries of mgetty's login.config: a pseudo-login that runs mgetty's callback program
(or a gate in front of it) with a fixed number, for example ``call - - /usr/sbin/callback -S 123456``.

Written by the login_config module's ``callback`` option (the one writer of login.config); the
deprecated callback_user module is a thin wrapper around the same functions."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import re

from ansible_collections.dialin.callback.plugins.module_utils.login_config import (
    Line, LoginConfigError, MAX_ARGS, field_problem, name_problem)
from ansible_collections.dialin.callback.plugins.module_utils.validators import DIAL_NUMBER

LINE_RE = re.compile(r'^[A-Za-z0-9_./-]+\Z')
# options of callback that take a value (getopt string "x:s:am:l:SdV")
_OPTS_WITH_VALUE = ('-x', '-s', '-m', '-l')

# The argument spec of one callback user; the login_config module's callback.users and the
# callback_user module's users share it.
USER_SPEC = dict(
    name=dict(type='str', required=True),
    number=dict(type='str'),
    lines=dict(type='list', elements='str', default=[]),
    after_callback=dict(type='str', choices=['-', 'Y', 'N']),
)


class CallbackEntryError(LoginConfigError):
    """Bad input or a file the callback entries cannot be written into; the message names the option."""


def parse_callback_args(args):
    """Return (number, lines) from the arguments of a callback line."""
    numbers = []
    lines = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in _OPTS_WITH_VALUE:
            if arg == '-l' and i + 1 < len(args):
                lines = args[i + 1].split(':')
            i += 2
            continue
        if arg.startswith('-l') and len(arg) > 2:
            lines = arg[2:].split(':')
        elif arg == '-S':
            lines = []
        elif not (arg.startswith('-') and len(arg) > 1):
            numbers.append(arg)
        i += 1
    return ' '.join(numbers), lines


def program_args_problem(program_args):
    """Check *program_args* the way callback's getopt("x:s:am:l:SdV") reads them."""
    i = 0
    while i < len(program_args):
        arg = program_args[i]
        if not arg.startswith('-') or arg == '-' or arg == '--':
            return ('item %r is not an option: the number and the lines are written by the module'
                    % arg)
        j = 1
        while j < len(arg):
            opt = arg[j]
            if opt in 'Sl':
                return 'option -%s is written by the module (see lines)' % opt
            if opt in 'xsm':
                if j + 1 == len(arg):
                    if i + 1 == len(program_args):
                        return 'option -%s needs a value' % opt
                    i += 1
                break
            if opt not in 'adV':
                return 'callback has no option -%s' % opt
            j += 1
        i += 1
    return None


def user_args(program_args, user, gate=None):
    """The arguments of a callback entry: with a gate, mgetty's '@' (the login name) comes first."""
    args = ['@'] if gate else []
    args.extend(program_args)
    if user['lines']:
        args.extend(['-l', ':'.join(user['lines'])])
    else:
        args.append('-S')
    args.append(user['number'])
    return args


def check_programs(program, gate, program_args, prefix=''):
    """Raise CallbackEntryError for a bad program, gate or program_args; *prefix* is put before each
    option's name in the message (``callback.`` for the login_config module)."""
    if not os.path.isabs(program):
        raise CallbackEntryError('%sprogram %r must be an absolute path' % (prefix, program))
    problem = field_problem(program)
    if problem:
        raise CallbackEntryError('%sprogram %r %s' % (prefix, program, problem))
    if gate is not None:
        problem = field_problem(gate)
        if not problem and not os.path.isabs(gate):
            problem = 'must be an absolute path'
        if not problem and gate == program:
            problem = 'must not be the callback program itself'
        if problem:
            raise CallbackEntryError('%sgate %r %s' % (prefix, gate, problem))
    for j, arg in enumerate(program_args):
        problem = field_problem(arg)
        if problem:
            raise CallbackEntryError('%sprogram_args[%d] %r %s' % (prefix, j, arg, problem))
    problem = program_args_problem(program_args)
    if problem:
        raise CallbackEntryError('%sprogram_args: %s' % (prefix, problem))


def check_user(user, label, program_args, gate):
    """Raise CallbackEntryError for a bad user (a dict with name, number, lines and state)."""
    name = user['name']
    problem = name_problem(name, allow_wildcard=False, allow_special=False)
    if not problem and '@' in name:
        problem = 'must not contain "@"'
    if problem:
        raise CallbackEntryError('%s name %r %s' % (label, name, problem))
    if user['state'] == 'absent':
        return
    number = user.get('number')
    if number is None or number == '':
        raise CallbackEntryError('%s (user %s): number is required when state=present' % (label, name))
    if not DIAL_NUMBER.match(number):
        raise CallbackEntryError('%s (user %s): number must consist of digits and the dial modifiers '
                                 ', W P T * # only (no spaces, letters or ";"); got %r' % (label, name, number))
    for line in user['lines']:
        bad = not LINE_RE.match(line or '')
        if not bad and line.startswith('/') and not line.startswith('/dev/'):
            bad = True
        if not bad and line.rstrip('/') in ('/dev', ''):
            bad = True
        if bad:
            raise CallbackEntryError('%s (user %s): lines item %r must match [A-Za-z0-9_./-]+ and an '
                                     'absolute name must start with /dev/' % (label, name, line))
    if len(user_args(program_args, user, gate)) > MAX_ARGS:
        raise CallbackEntryError('%s (user %s): program_args leave no room: mgetty passes at most %d '
                                 'arguments to the program' % (label, name, MAX_ARGS))


def check_users(users, labels, program_args, gate):
    """Check each user and that no name is given twice."""
    seen = set()
    for user, label in zip(users, labels):
        check_user(user, label, program_args, gate)
        if user['name'] in seen:
            raise CallbackEntryError('%s: name %s is declared twice in users' % (label, user['name']))
        seen.add(user['name'])


def callback_programs(program, gate):
    """Programs whose lines are callback entries: with a gate, the lines that run the callback program
    directly are ours too (they are rewritten to run the gate)."""
    return (program, gate) if gate else (program,)


def apply_users(doc, path, users, labels, exclusive, program, program_args, gate):
    """Write *users* (checked dicts with name, number, lines, after_callback, state) into *doc*, a
    LoginConfig; with *exclusive*, remove every other callback entry. Return (added, removed, updated)."""
    programs = callback_programs(program, gate)

    def is_callback(line):
        return doc.entry_dict(line)['program'] in programs

    # refuse names that belong to other kinds of entries
    for user, label in zip(users, labels):
        if user['state'] != 'present':
            continue
        for line in doc.entry_lines():
            if line.key == user['name'] and not is_callback(line):
                raise CallbackEntryError('%s: name %s collides with an existing entry of %s that is '
                                         'not a callback entry (program %s); refusing to replace it'
                                         % (label, user['name'], path, doc.entry_dict(line)['program']))

    added, removed, updated = [], [], []
    for user in users:
        if user['state'] == 'absent':
            kept = [line for line in doc.lines
                    if not (line.kind == Line.ENTRY and line.key == user['name'] and is_callback(line))]
            if len(kept) != len(doc.lines):
                doc.lines = kept
                removed.append(user['name'])
            continue
        entry = dict(name=user['name'], after_callback=user['after_callback'], userid='-', utmp='-',
                     program=gate or program, args=user_args(program_args, user, gate))
        what = doc.set_entry(entry)
        if what == 'added':
            added.append(user['name'])
        elif what == 'updated':
            updated.append(user['name'])

    if exclusive:
        wanted = set(u['name'] for u in users if u['state'] == 'present')
        kept = []
        for line in doc.lines:
            if line.kind == Line.ENTRY and is_callback(line) and line.key not in wanted:
                if line.key not in removed:
                    removed.append(line.key)
                continue
            kept.append(line)
        doc.lines = kept
    return added, removed, updated


def users_of(doc, program, gate):
    """The callback entries of *doc*, in file order: dicts with name, number and lines."""
    programs = callback_programs(program, gate)
    result = []
    for line in doc.entry_lines():
        entry = doc.entry_dict(line)
        if entry['program'] not in programs:
            continue
        args = entry['args']
        if gate and entry['program'] == gate and args[:1] == ['@']:
            args = args[1:]
        number, lines = parse_callback_args(args)
        result.append(dict(name=line.key, number=number, lines=lines))
    return result
