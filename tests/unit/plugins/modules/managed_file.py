# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the tests of the file-editing modules (login_config, callback_user, ppp_secret) share."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import ast
import os
import re
import stat


def managed_file(path, text, mode):
    """Write *text* to *path* (a pathlib.Path) with *mode*; return *path*."""
    path.write_text(text)
    os.chmod(str(path), mode)
    return path


def snapshot(path):
    """Content, modification time and mode: all of it stays the same when a module changes nothing."""
    st = os.stat(str(path))
    return path.read_bytes(), st.st_mtime_ns, stat.S_IMODE(st.st_mode)


def run_on_path(run_module, main, path, check_mode=False, **kw):
    """Run a module's *main* with ``path`` set to *path* and the other options in *kw*."""
    args = dict(path=str(path))
    args.update(kw)
    return run_module(main, args, check_mode=check_mode)


def warning_texts(res):
    """The texts of a module result's warnings (ansible-core 2.19 gives each as a WarningSummary's text)."""
    out = []
    for w in res.get('warnings', []):
        match = re.match(r"^WarningSummary\(event=Event\(msg=('.*?'), formatted_source_context", w)
        out.append(ast.literal_eval(match.group(1)) if match else w)
    return out
