# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type


class ModuleDocFragment(object):

    # Every module of the collection: the attributes' descriptions, full check mode, any POSIX
    # target. A module adds WRITES or READ_ONLY for its diff mode; its own `attributes` entries
    # win over the fragments' (for example `platform.platforms` or `check_mode.details`).
    DOCUMENTATION = r'''
options: {}
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
'''

    # A module that may change its target and shows the change in diff mode.
    WRITES = r'''
options: {}
attributes:
  diff_mode:
    support: full
'''

    # A module that never changes anything.
    READ_ONLY = r'''
options: {}
attributes:
  check_mode:
    details: The module never changes anything; in check mode it runs the same checks.
  diff_mode:
    support: none
'''

    # A module that returns facts; use with READ_ONLY.
    FACTS = r'''
options: {}
attributes:
  facts:
    description: Action returns an C(ansible_facts) dictionary that will update existing host facts.
    support: full
'''
