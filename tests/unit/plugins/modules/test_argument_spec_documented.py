# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The file-editing modules take exactly the options their documentation states: for each option (and
suboption) the spec given to AnsibleModule names its type, elements, default, choices and whether it
is required as DOCUMENTATION does (with the doc fragments' options). ansible-test's validate-modules
compares the two as well; this runs with the unit tests (and so with the mutation tests), and wants each
type stated explicitly."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import importlib

import pytest
import yaml

from ansible_collections.dialin.callback.plugins.modules import (
    callback_user, dialin_session, login_config, mgetty_restart, ppp_secret)

MODULES = [login_config, callback_user, ppp_secret, dialin_session, mgetty_restart]

# The keys of an option's spec that DOCUMENTATION states; anything else in a spec fails the test.
SPEC_KEYS = {'type', 'elements', 'default', 'choices', 'required', 'options', 'aliases', 'no_log'}


class _Captured(Exception):
    pass


def runtime_arguments(module, monkeypatch):
    """The keyword arguments the module's main() hands to AnsibleModule."""
    captured = {}

    def fake(*args, **kwargs):
        captured.update(kwargs)
        raise _Captured()

    monkeypatch.setattr(module, 'AnsibleModule', fake)
    with pytest.raises(_Captured):
        module.main()
    return captured


def runtime_spec(module, monkeypatch):
    """The argument_spec the module's main() hands to AnsibleModule."""
    return runtime_arguments(module, monkeypatch)['argument_spec']


def documented_options(module):
    doc = yaml.safe_load(module.DOCUMENTATION)
    options = dict(doc.get('options') or {})
    for fragment in doc.get('extends_documentation_fragment') or []:
        parts = fragment.split('.')
        assert parts[:2] == ['dialin', 'callback'], fragment
        source = importlib.import_module('ansible_collections.dialin.callback.plugins.doc_fragments.' + parts[2])
        text = getattr(source.ModuleDocFragment, parts[3].upper() if len(parts) > 3 else 'DOCUMENTATION')
        options.update(yaml.safe_load(text).get('options') or {})
    return options


def normal_doc(options):
    out = {}
    for name, opt in options.items():
        out[name] = dict(type=opt.get('type', 'str'), elements=opt.get('elements'), default=opt.get('default'),
                         choices=opt.get('choices'), required=bool(opt.get('required', False)), aliases=opt.get('aliases'),
                         options=normal_doc(opt['suboptions']) if 'suboptions' in opt else None)
    return out


def normal_spec(spec):
    out = {}
    for name, opt in spec.items():
        assert set(opt) <= SPEC_KEYS, (name, sorted(set(opt) - SPEC_KEYS))
        out[name] = dict(type=opt.get('type'), elements=opt.get('elements'), default=opt.get('default'),
                         choices=opt.get('choices'), required=opt.get('required', False), aliases=opt.get('aliases'),
                         options=normal_spec(opt['options']) if 'options' in opt else None)
    return out


@pytest.mark.parametrize('module', MODULES, ids=lambda m: m.__name__.split('.')[-1])
def test_the_spec_is_the_documented_one(module, monkeypatch):
    spec = runtime_spec(module, monkeypatch)
    assert normal_spec(spec) == normal_doc(documented_options(module))


@pytest.mark.parametrize('module', MODULES, ids=lambda m: m.__name__.split('.')[-1])
def test_check_mode_is_supported(module, monkeypatch):
    # Each documents check mode (its attributes' doc fragment) and tells AnsibleModule so.
    assert runtime_arguments(module, monkeypatch).get('supports_check_mode') is True


def test_the_comparison_sees_a_changed_default(monkeypatch):
    spec = runtime_spec(login_config, monkeypatch)
    spec['backup'] = dict(type='bool', default=True)
    assert normal_spec(spec) != normal_doc(documented_options(login_config))
