# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

from ansible_collections.dialin.callback.plugins.module_utils.atomic_file import remove_stale_temporary_files


def test_a_killed_writers_temporary_files_go_and_nothing_else(tmp_path):
    for name in ('.login.config.k2x9q1.tmp', '.login.config.a.tmp', '.pap-secrets.k2x9q1.tmp',
                 'login.config', '.login.config.k2x9q1.bak', 'x.login.config.k2x9q1.tmp'):
        (tmp_path / name).write_text('x')
    remove_stale_temporary_files(os.fsencode(str(tmp_path)), os.fsencode(str(tmp_path / 'login.config')))
    assert sorted(os.listdir(str(tmp_path))) == [
        '.login.config.k2x9q1.bak', '.pap-secrets.k2x9q1.tmp', 'login.config', 'x.login.config.k2x9q1.tmp']
