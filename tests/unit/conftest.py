# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Make ``ansible_collections.dialin.callback`` importable from a plain checkout.

When the checkout is not already below ``.../ansible_collections/dialin/callback``
(as it is under ansible-test), a temporary directory OUTSIDE the repository gets
``ansible_collections/dialin/callback`` -> checkout, and goes first on sys.path.
Nothing is created inside the repository.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import atexit
import json
import os
import shutil
import sys
import tempfile
import time

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _setup_collection_path():
    parts = REPO_ROOT.split(os.sep)
    if len(parts) >= 3 and parts[-3:-1] == ['ansible_collections', 'dialin'] and parts[-1] == 'callback':
        top = os.sep.join(parts[:-3]) or os.sep
        if top not in sys.path:
            sys.path.insert(0, top)
        return
    tmp = tempfile.mkdtemp(prefix='dialin-callback-unit-')
    ns = os.path.join(tmp, 'ansible_collections', 'dialin')
    os.makedirs(ns)
    link = os.path.join(ns, 'callback')
    os.symlink(REPO_ROOT, link)
    sys.path.insert(0, tmp)

    def _cleanup():
        # unlink the symlink first: never walk into the checkout
        try:
            os.unlink(link)
            os.rmdir(ns)
            os.rmdir(os.path.dirname(ns))
            os.rmdir(tmp)
        except OSError:
            pass
    atexit.register(_cleanup)


_setup_collection_path()

try:
    from hypothesis import settings as _hyp_settings
    from hypothesis.configuration import set_hypothesis_home_dir as _set_home
    # nothing inside the checkout: no .hypothesis/ (example database, patches)
    _hyp_home = tempfile.mkdtemp(prefix='dialin-callback-hypothesis-')
    _set_home(_hyp_home)
    atexit.register(shutil.rmtree, _hyp_home, True)
    # no example database inside the checkout
    _hyp_settings.register_profile('dialin', database=None, deadline=None)
    _hyp_settings.load_profile('dialin')
except ImportError:  # pragma: no cover
    pass


class ModuleResult(dict):
    @property
    def failed(self):
        return bool(self.get('failed'))


def _run(main, args, check_mode=False, diff=True):
    """Run a module's main() in-process with *args*; return its result dict."""
    from ansible.module_utils import _internal, basic
    from ansible.module_utils.common import warnings as ans_warnings

    args = dict(args)
    args['_ansible_check_mode'] = check_mode
    args['_ansible_diff'] = diff
    args.setdefault('_ansible_remote_tmp', tempfile.gettempdir())
    args.setdefault('_ansible_keep_remote_files', False)
    captured = {}

    def record(self, o):
        captured['result'] = json.loads(json.dumps(o, default=str))

    ans_warnings._global_warnings.clear()
    ans_warnings._global_deprecations.clear()
    orig = basic.AnsibleModule._record_module_result
    basic.AnsibleModule._record_module_result = record
    # A module runs in its own process on the target, never as the controller: once a test of a
    # controller plugin (the filters) has imported controller code, warnings would otherwise go to
    # the controller's display instead of into the module's result.
    was_controller = _internal.is_controller
    _internal.is_controller = False
    try:
        try:
            from ansible.module_utils.testing import patch_module_args
            ctx = patch_module_args(args)
        except ImportError:  # pragma: no cover - ansible-core < 2.19
            from unittest import mock
            ctx = mock.patch.object(basic, '_ANSIBLE_ARGS',
                                    json.dumps({'ANSIBLE_MODULE_ARGS': args}).encode())
        with ctx:
            try:
                main()
            except SystemExit as e:
                captured['rc'] = e.code
            else:
                raise AssertionError('module did not exit')
    finally:
        basic.AnsibleModule._record_module_result = orig
        _internal.is_controller = was_controller
    result = ModuleResult(captured.get('result', {}))
    result['_rc'] = captured.get('rc')
    return result


@pytest.fixture
def run_module():
    return _run


@pytest.fixture
def utc_clock(monkeypatch):
    """Local time is UTC, as in the end-to-end VM whose logs are the fixtures (tests/unit/fixtures/e2e)."""
    monkeypatch.setenv('TZ', 'UTC')
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
