# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Property-based tests: the modules touch only their own lines."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import shutil
import tempfile

from hypothesis import HealthCheck, given, settings, strategies as st

from ansible_collections.dialin.callback.plugins.modules import callback_user, ppp_secret
from ansible_collections.dialin.callback.tests.unit.plugins.modules.pppd_reference import parse_secrets_text

SETTINGS = settings(max_examples=120, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                             HealthCheck.too_slow])


def split_lines(text):
    """Split on '\\n' only (str.splitlines also splits on \\x1c, \\u2028, ...)."""
    parts = text.split('\n')
    out = [p + '\n' for p in parts[:-1]]
    if parts[-1]:
        out.append(parts[-1])
    return out


# ---------------------------------------------------------------- login.config
sep = st.sampled_from([' ', '\t', '  ', ' \t'])
odd_text = st.text(alphabet=st.characters(blacklist_characters='\n\x00', blacklist_categories=('Cs',)),
                   max_size=20)
word = st.text(alphabet='abcdefghijklmnopqrstuvwxyz0123456789_.-@+', min_size=1, max_size=8)
# names of unrelated entries start with an upper-case letter, the user's with a lower-case one
other_name = st.builds(lambda a, b: a + b, st.sampled_from('ABCXYZ'), word)
user_name = st.builds(lambda a, b: a + b, st.sampled_from('abcxyz'),
                      st.text(alphabet='abcdefghijklmnopqrstuvwxyz0123456789_.-+', max_size=10))
number = st.text(alphabet='0123456789,WPTwpt*#', min_size=1, max_size=15)
tty = st.one_of(st.text(alphabet='abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789_.-', min_size=1, max_size=8)
                .filter(lambda s: s not in ('.', '..')),
                st.builds(lambda s: '/dev/' + s, st.text(alphabet='ttySUB0123456789', min_size=1, max_size=6)))


@st.composite
def lc_line(draw, version):
    kind = draw(st.sampled_from(['comment', 'blank', 'entry', 'callback', 'wild']))
    if kind == 'comment':
        return draw(st.sampled_from(['', ' ', '\t'])) + '#' + draw(odd_text).replace('\\', '') + '\n'
    if kind == 'blank':
        return draw(st.sampled_from(['', ' ', '\t', ' \t '])) + '\n'
    s = draw(sep)
    flag = [draw(st.sampled_from(['-', 'Y', 'N']))] if version == 2 else []
    if kind == 'wild':
        name = draw(st.sampled_from(['*', 'g*', '*x', 'p*q*'.replace('q*', '*')]))
        fields = [name] + flag + ['-', '-', '/bin/login', '@']
    elif kind == 'callback':
        fields = [draw(other_name)] + flag + ['-', '-', '/usr/sbin/callback', '-S', draw(number)]
    else:
        fields = [draw(other_name)] + flag + [draw(word), draw(word), '/usr/bin/' + draw(word)] + \
            draw(st.lists(word, max_size=3))
    return s.join(fields) + '\n'


@st.composite
def lc_file(draw):
    version = draw(st.sampled_from([1, 2]))
    lines = draw(st.lists(lc_line(version), max_size=12))
    head = ['!version 2\n'] if version == 2 else []
    text = ''.join(head + lines)
    if text and draw(st.booleans()):
        text = text.rstrip('\n')  # no final newline
    return text


def _write(path, text):
    with open(path, 'wb') as f:
        f.write(text.encode('utf-8', 'surrogateescape'))
    os.chmod(path, 0o600)


def _read(path):
    with open(path, 'rb') as f:
        return f.read().decode('utf-8', 'surrogateescape')


def _without_key(text, key, column=None):
    """The lines of *text* but those of *key* (in a version 2 file with *column*, only those)."""
    out = []
    for line in split_lines(text):
        fields = line.split()
        if fields and fields[0] == key and (column is None or fields[1:2] == [column]):
            continue
        out.append(line if line.endswith('\n') else line + '\n')
    return out


@SETTINGS
@given(base=lc_file(), name=user_name, num=number, lines=st.lists(tty, max_size=3),
       pargs=st.lists(st.sampled_from([['-x', '3'], ['-x5'], ['-d'], ['-s', '19200']]), max_size=2)
       .map(lambda ls: [a for item in ls for a in item]))
def test_callback_user_touches_only_its_line(run_module, base, name, num, lines, pargs):
    d = tempfile.mkdtemp(prefix='dialin-prop-')
    try:
        path = os.path.join(d, 'login.config')
        _write(path, base)
        res = run_module(callback_user.main, dict(path=path, name=name, number=num, lines=lines,
                                                  program_args=pargs))
        assert not res.failed, res
        after = _read(path)
        assert _without_key(after, name) == _without_key(base, name)
        own = [line for line in split_lines(after) if line.split() and line.split()[0] == name]
        assert len(own) == 1
        expected = [name] + (['N'] if base.startswith('!version 2') else []) + \
            ['-', '-', '/usr/sbin/callback'] + pargs + (['-l', ':'.join(lines)] if lines else ['-S']) + [num]
        assert own[0] == '\t'.join(expected) + '\n'
        # placed before the first wildcard line
        names = [line.split()[0] for line in split_lines(after)
                 if line.split() and not line.lstrip().startswith('#')]
        wild = [i for i, n in enumerate(names) if '*' in n]
        if wild:
            assert names.index(name) < wild[0]
        assert {'name': name, 'number': num, 'lines': lines} in res['users']

        # present -> absent -> present: unrelated lines byte-identical
        res = run_module(callback_user.main, dict(path=path, name=name, state='absent'))
        assert not res.failed, res
        assert res['changed']
        after_absent = _read(path)
        assert split_lines(after_absent.rstrip('\n')) == \
            split_lines(''.join(_without_key(base, name)).rstrip('\n'))
        res = run_module(callback_user.main, dict(path=path, name=name, number=num, lines=lines,
                                                  program_args=pargs))
        assert res['changed']
        again = _read(path)
        assert again == after
        res = run_module(callback_user.main, dict(path=path, name=name, number=num, lines=lines,
                                                  program_args=pargs))
        assert not res['changed']
    finally:
        shutil.rmtree(d)


# ---------------------------------------------------------------- pppd secrets
secret_text = st.text(alphabet=st.characters(blacklist_characters='\n\r\x00', blacklist_categories=('Cs',)),
                      max_size=24)
tricky_secret = st.one_of(secret_text, st.text(alphabet=' \t"\'\\#abc\x0b\x0c\x1c', max_size=12))
pppd_word = st.text(alphabet=st.characters(blacklist_characters='\n\r\x00', blacklist_categories=('Cs',)),
                    min_size=1, max_size=12)
plain = st.text(alphabet='abcdefghijklmnopqrstuvwxyz0123456789.-_', min_size=1, max_size=8)


@st.composite
def secrets_line(draw):
    kind = draw(st.sampled_from(['comment', 'blank', 'entry', 'quoted']))
    if kind == 'comment':
        return draw(st.sampled_from(['', ' '])) + '#' + draw(st.text(
            alphabet=st.characters(blacklist_characters='\n\x00', blacklist_categories=('Cs',)), max_size=20)) \
            .replace('\\', '') + '\n'
    if kind == 'blank':
        return draw(st.sampled_from(['', ' ', '\t'])) + '\n'
    s = draw(sep)
    client = 'O' + draw(plain)  # never the client of the test entry
    fields = [client, draw(st.sampled_from(['*', 'srv'])), draw(plain)] + draw(st.lists(plain, max_size=2))
    if kind == 'quoted':
        fields[2] = '"%s %s"' % (draw(plain), draw(plain))
    line = s.join(fields)
    if draw(st.booleans()):
        line += ' # note'
    return line + '\n'


@SETTINGS
@given(base=st.lists(secrets_line(), max_size=10).map(''.join),
       client=st.one_of(plain, pppd_word).filter(lambda c: not c.startswith('O')),
       server=st.one_of(st.just('*'), pppd_word),
       secret=tricky_secret,
       addresses=st.lists(st.one_of(plain, pppd_word), max_size=3))
def test_ppp_secret_touches_only_its_line_and_round_trips(run_module, base, client, server, secret, addresses):
    d = tempfile.mkdtemp(prefix='dialin-prop-')
    try:
        path = os.path.join(d, 'pap-secrets')
        _write(path, base)
        args = dict(path=path, client=client, server=server, secret=secret, addresses=addresses)
        res = run_module(ppp_secret.main, args)
        assert not res.failed, res
        after = _read(path)
        # other lines untouched, new entry appended as one line
        after_lines = split_lines(after)
        assert after_lines[:-1] == split_lines(base)
        # pppd reads back exactly what was asked
        entries = parse_secrets_text(after)
        assert entries[:-1] == parse_secrets_text(base)
        assert entries[-1] == [client, server, secret] + (addresses or ['*'])
        # idempotent
        res = run_module(ppp_secret.main, args)
        assert not res['changed'], res
        # no secret in the diff (secrets of 4+ chars; shorter ones may occur by chance)
        if len(secret) >= 4 and secret.strip() and '********' not in secret:
            assert secret not in res['diff']['after'] and secret not in res['diff']['before']
        # present -> absent -> present
        res = run_module(ppp_secret.main, dict(path=path, client=client, server=server, state='absent'))
        assert res['changed']
        assert _read(path) == base
        res = run_module(ppp_secret.main, args)
        assert res['changed']
        assert _read(path) == after
    finally:
        shutil.rmtree(d)


@SETTINGS
@given(secret=tricky_secret, client=pppd_word, addresses=st.lists(pppd_word, max_size=3))
def test_quote_round_trip(secret, client, addresses):
    from ansible_collections.dialin.callback.plugins.module_utils.ppp_secrets import parse, render
    line = render(client, '*', secret, addresses)
    ref = parse_secrets_text(line)
    assert ref == [[client, '*', secret] + (addresses or ['*'])]
    # the module's own tokenizer agrees with the reference
    assert [e.values for e in parse(line)] == ref


@settings(SETTINGS, max_examples=500)
@given(text=st.text(alphabet=' \t\r\n"\'\\#abcfx01379\x0b\xe9', max_size=40))
def test_tokenizer_matches_reference(text):
    from ansible_collections.dialin.callback.plugins.module_utils.ppp_secrets import parse
    assert [e.values for e in parse(text)] == parse_secrets_text(text)


# ---------------------------------------------------------------- login_config
@st.composite
def lc_file_v1(draw):
    return ''.join(draw(st.lists(lc_line(1), max_size=12)))


@SETTINGS
@given(base=lc_file_v1())
def test_login_config_version_round_trip(run_module, base):
    from ansible_collections.dialin.callback.plugins.modules import login_config
    d = tempfile.mkdtemp(prefix='dialin-prop-')
    try:
        path = os.path.join(d, 'login.config')
        _write(path, base)
        res = run_module(login_config.main, dict(path=path, version=2))
        assert not res.failed, res
        v2 = _read(path)
        assert v2.count('!version 2\n') == 1
        # every entry got the "-" column, nothing else moved
        for old, new in zip(split_lines(base), [x for x in split_lines(v2) if x != '!version 2\n']):
            if old.split() and not old.lstrip().startswith('#'):
                assert new.split() == [old.split()[0], '-'] + old.split()[1:]
            else:
                assert new == old
        res = run_module(login_config.main, dict(path=path, version=1))
        assert not res.failed, res
        assert _read(path) == base
    finally:
        shutil.rmtree(d)


@SETTINGS
@given(base=lc_file(), name=st.one_of(user_name, other_name, st.sampled_from(['/AutoPPP/', '*', 'g*'])),
       args=st.lists(word, max_size=8), state=st.sampled_from(['present', 'absent']))
def test_login_config_touches_only_its_key(run_module, base, name, args, state):
    from ansible_collections.dialin.callback.plugins.modules import login_config
    d = tempfile.mkdtemp(prefix='dialin-prop-')
    try:
        path = os.path.join(d, 'login.config')
        _write(path, base)
        entry = dict(name=name, program='/usr/bin/prog', args=args, state=state)
        res = run_module(login_config.main, dict(path=path, entries=[entry]))
        assert not res.failed, res
        after = _read(path)
        # In a version 2 file an entry is its name and its callback column ("-" here).
        column = '-' if base.startswith('!version 2\n') else None
        assert _without_key(after, name, column) == _without_key(base, name, column)
        own = [line for line in split_lines(after) if line.split() and line.split()[0] == name
               and (column is None or line.split()[1:2] == [column])]
        assert len(own) == (1 if state == 'present' else 0)
        res = run_module(login_config.main, dict(path=path, entries=[entry]))
        assert not res['changed']
    finally:
        shutil.rmtree(d)


@SETTINGS
@given(base=st.lists(secrets_line(), max_size=8), pos=st.integers(min_value=0, max_value=8),
       client=plain.filter(lambda c: not c.startswith('O')), server=st.sampled_from(['*', 'srv']),
       old_secret=tricky_secret, secret=tricky_secret, addresses=st.lists(plain, max_size=2))
def test_ppp_secret_replaces_in_place(run_module, base, pos, client, server, old_secret, secret, addresses):
    from ansible_collections.dialin.callback.plugins.module_utils.ppp_secrets import render
    pos = min(pos, len(base))
    old_line = render(client, server, old_secret, ['10.9.9.9'])
    lines = base[:pos] + [old_line] + base[pos:]
    d = tempfile.mkdtemp(prefix='dialin-prop-')
    try:
        path = os.path.join(d, 'pap-secrets')
        _write(path, ''.join(lines))
        res = run_module(ppp_secret.main, dict(path=path, client=client, server=server, secret=secret,
                                               addresses=addresses))
        assert not res.failed, res
        assert res['changed'] == (old_secret != secret or addresses != ['10.9.9.9'])
        after = split_lines(_read(path))
        assert after[:pos] + after[pos + 1:] == base
        assert parse_secrets_text(after[pos]) == [[client, server, secret] + (addresses or ['*'])]
    finally:
        shutil.rmtree(d)


@SETTINGS
@given(base=st.lists(lc_line(1), max_size=8), pos=st.integers(min_value=0, max_value=8), name=user_name,
       old=number, num=number, lines=st.lists(tty, max_size=2))
def test_callback_user_replaces_in_place(run_module, base, pos, name, old, num, lines):
    pos = min(pos, len(base))
    content = base[:pos] + ['%s - - /usr/sbin/callback -S %s\n' % (name, old)] + base[pos:]
    d = tempfile.mkdtemp(prefix='dialin-prop-')
    try:
        path = os.path.join(d, 'login.config')
        _write(path, ''.join(content))
        res = run_module(callback_user.main, dict(path=path, name=name, number=num, lines=lines))
        assert not res.failed, res
        after = split_lines(_read(path))
        assert after[:pos] + after[pos + 1:] == base
        expected = '\t'.join([name, '-', '-', '/usr/sbin/callback'] +
                             (['-l', ':'.join(lines)] if lines else ['-S']) + [num]) + '\n'
        if old == num and not lines:
            assert not res['changed'] and after[pos] == content[pos]
        else:
            assert res['updated'] == [name] and after[pos] == expected
    finally:
        shutil.rmtree(d)
