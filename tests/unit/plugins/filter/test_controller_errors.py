# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import sys
from pathlib import Path

import yaml

from ansible.release import __version__ as ansible_version
from ansible_collections.dialin.callback.plugins.filter.controller_errors import controller_errors, required_ansible


def test_an_importable_module_and_this_ansible_are_enough():
    assert controller_errors(['json', 'yaml'], '2.16') == []


def test_a_missing_module_is_named_with_what_to_install():
    errors = controller_errors(['json', 'dialin_no_such_module'])
    assert len(errors) == 1
    assert 'dialin_no_such_module' in errors[0] and 'pip install dialin_no_such_module' in errors[0]
    assert sys.executable in errors[0]


def test_a_missing_submodule_is_named():
    assert 'json.no_such_part' in controller_errors(['json.no_such_part'])[0]


def test_an_older_ansible_core_is_named():
    errors = controller_errors([], '99.0')
    assert errors == ['The controller runs ansible-core %s; dialin.callback needs 99.0 or later.' % ansible_version]


def test_the_default_is_what_meta_runtime_requires():
    runtime = Path(__file__).resolve().parents[4] / 'meta' / 'runtime.yml'
    assert required_ansible() == yaml.safe_load(runtime.read_text())['requires_ansible'].lstrip('>= ')
    assert controller_errors([]) == controller_errors([], required_ansible())
