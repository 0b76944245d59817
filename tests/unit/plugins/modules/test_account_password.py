# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""account_password's checks of its input: a bad value stops it with a message naming the option,
before anything is read or written, and the hash is in no message."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.dialin.callback.plugins.modules import account_password

HASH = '$6$0123456789abcdef$' + 'x' * 86


@pytest.mark.parametrize('name, password_hash, option', [
    ('', HASH, 'name'),
    ('ppp:user', HASH, 'name'),
    ('-ppp', HASH, 'name'),
    ('pppuser', '', 'password_hash'),
    ('pppuser', '!' + HASH, 'password_hash'),
    ('pppuser', '*', 'password_hash'),
    ('pppuser', HASH + '\nroot:' + HASH, 'password_hash'),
    ('pppuser', HASH + ':0', 'password_hash'),
])
def test_bad_input_is_refused_by_name(run_module, name, password_hash, option):
    res = run_module(account_password.main, dict(name=name, password_hash=password_hash))
    assert res.failed and res['msg'].startswith(option + ': '), res
    assert HASH not in str(res)
