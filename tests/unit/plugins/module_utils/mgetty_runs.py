# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the tests of mgetty_log and line_status share: an mgetty run as mgetty_log.runs() gives it."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

RUN_KEYS = ('start', 'pid', 'version', 'waiting', 'ring', 'answered', 'connect_failed', 'callback_signal_from',
            'login', 'failed', 'exit', 'last', 'last_text')


def run(**fields):
    """A run with every key, None unless given."""
    out = dict((k, None) for k in RUN_KEYS)
    out.update(fields)
    return out
