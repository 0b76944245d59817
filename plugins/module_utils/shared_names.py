# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The names and paths that more than one role or module of the collection uses, defined once.

The roles read them with the filter dialin.callback.shared_name ('facts_dir' | dialin.callback.shared_name),
the modules import them: a module's documented default naming one of them is checked equal to it by
tests/unit/test_shared_names.py.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

LIB_DIR = '/usr/local/lib/dialin-callback'
FACTS_DIR = '/etc/ansible/facts.d'

SHARED_NAMES = {
    # The programs the collection installs.
    'lib_dir': LIB_DIR,
    # The callback role's gate: login.config's callback entries run it (the mgetty role's
    # mgetty_callback_programs names it, login_config's callback option writes it).
    'callback_gate': LIB_DIR + '/callback-gate',
    # The ppp_server role's PAM account check, and the records the gate writes for it.
    'called_back': LIB_DIR + '/called-back',
    'called_back_record_dir': '/run/dialin-callback/called-back',
    # Where the roles record what they set up (Ansible local facts), and the mgetty role's record
    # (line_status reads it).
    'facts_dir': FACTS_DIR,
    'mgetty_facts_file': FACTS_DIR + '/dialin_callback_mgetty.fact',
    'ppp_server_facts_file': FACTS_DIR + '/dialin_callback_ppp_server.fact',
    # udev links each port found by identify (a USB modem) as <dir>/<configured name> -> its tty
    # (the modem role's rule); mgetty's port-settings, ppplogin, the callback check and line_status
    # read the links.
    'identified_link_dir': '/dev/dialin-callback',
    # pppd options of a port found by identify: /etc/ppp/options.<prefix><configured name>.
    'identified_options_prefix': 'identified.',
}


def shared_name(name):
    """The value of one shared name; KeyError names the known ones."""
    try:
        return SHARED_NAMES[name]
    except KeyError:
        raise KeyError('%r is not a shared name of dialin.callback (known: %s)' % (name, ', '.join(sorted(SHARED_NAMES))))
