# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
name: input_errors
short_description: The problems in a dialin.callback role's variables, one message per problem
version_added: 0.1.0
author: dialin.callback contributors
description:
  - Checks the variables of one role of the collection and returns a list of messages, each naming
    the variable (and the list item) that holds a bad value and saying what is wrong. An empty list
    means the input is good.
  - The roles call it in one C(ansible.builtin.assert) task before anything is written, so a run
    with bad input stops with every problem at once.
  - A password is never echoed; a bad one is reported by its account's name.
  - Each switch that turns a defence off (C(ppp_server_insecure_no_callback_check),
    C(ppp_server_insecure_logins_anywhere), C(ppp_server_insecure_allow_noauth)) set to C(true) is not a
    problem, but is printed as a warning each time, so every run that has one says so.
options:
  _input:
    description:
      - The role's variables by name, for example a dict with the keys C(modem_ports) and C(modem_port_mode)
        holding those variables.
      - Keys starting with C(_) are values the role computes, for example C(_respawn_method) for mgetty.
    type: dict
    required: true
  role:
    description:
      - The role whose rules apply.
      - C(caller_kits) is playbooks/caller_kits.yml's, the server role's variables as the caller kits read them
        and the kits' own.
    type: str
    required: true
    choices: [modem, mgetty, callback, ppp_server, server, client, caller_kits]
'''

EXAMPLES = r'''
- name: Validate the ports
  ansible.builtin.assert:
    that: __modem_input_errors | length == 0
    fail_msg: "{{ __modem_input_errors | join(' ') }}"
    quiet: true
  vars:
    __modem_input_errors: >-
      {{ {'modem_ports': modem_ports, 'modem_port_mode': modem_port_mode}
         | dialin.callback.input_errors('modem') }}
'''

RETURN = r'''
_value:
  description: One message per problem; empty when every variable is good.
  type: list
  elements: str
  sample:
    - 'callback_users[0] ("call"): number must be a quoted string of digits and dial modifiers (0-9 , W P T * #), got "12a456".'
'''

import json
import re
from collections import Counter

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.module_utils.six import string_types
from ansible.utils.display import Display
from ansible_collections.dialin.callback.plugins.module_utils.validators import (
    DIAL_NUMBER, ipv4_network, ppp_password_problem)

# Linux serial port names: ttyS1, ttyUSB0, ttyACM0, ttyAMA0...
TTY = re.compile(r'^tty[A-Za-z]+[0-9]+\Z')
LINK = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]*\Z')
# A login name: no whitespace, wildcard, @, / or leading dash.
LOGIN = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_.-]*\Z')
# A system account (useradd's default NAME_REGEX).
ACCOUNT = re.compile(r'^[a-z_][a-z0-9_-]*\Z')
DIAL_PREFIX = re.compile(r'^[A-Za-z0-9&%+=,#*]*\Z')
PPP_OPTION = re.compile(r'^[A-Za-z0-9+-][^\r\n#]*\Z')
INITTAB_ID = re.compile(r'^[A-Za-z0-9]{1,4}\Z')
MGETTY_KEY = re.compile(r'[^a-z0-9-]')
OCTAL_MODE = re.compile(r'^0?[0-7]{3}\Z')
SPECIAL_MODE = re.compile(r'^[0-7]{4}\Z')
ABSOLUTE = re.compile(r'^/[^\s]+\Z')
IPV4 = re.compile(r'^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\Z')
NEWLINE = re.compile(r'[\r\n]')
# pppd options that let a peer connect without authenticating (pppd's auth.c).
NOAUTH_OPTIONS = ('noauth', 'allow-ip')
SPACE = re.compile(r'\s')
DIGITS = re.compile(r'^[0-9]+\Z')
CALLER_ID = re.compile(r'^\+?[0-9][0-9 -]*\Z')
# A udev property value written into a rule between double quotes: no quote, backslash, space or
# udev glob character (* ? [ ] |), so it matches only itself.
UDEV_VALUE = re.compile(r'^[A-Za-z0-9_.:+@=,-]+\Z')
IDENTIFY_KEYS = ('serial', 'usb_path', 'by_id')
# What a PPP password may hold, on the server and on the caller alike (validators.ppp_password_problem).
PPP_PASSWORD_RULE = ('a PPP password must be 1 to 255 bytes without control characters, not starting with "@/"'
                     ' (spaces, quotes, backslashes and other printable characters are fine); the value is not'
                     ' shown.')


def _json(value):
    """A value the way the messages quote it (JSON, like Jinja's to_json)."""
    try:
        return json.dumps(value, sort_keys=False, default=to_text)
    except (TypeError, ValueError):
        return json.dumps(to_text(value))


def _matches(pattern, value):
    return isinstance(value, string_types) and pattern.match(value) is not None


def _has_newline(value):
    return NEWLINE.search(to_text(value)) is not None


def _int(value, base=10):
    """Like Jinja's int filter: 0 for what is not a number."""
    try:
        if isinstance(value, string_types):
            return int(value, base)
        return int(value)
    except (TypeError, ValueError):
        return 0


def _noauth_options(options):
    """The well-formed options of *options* that turn off the peer's authentication, by their first word."""
    return [option for option in options or []
            if _matches(PPP_OPTION, option) and option.split()[0] in NOAUTH_OPTIONS]


def _label(variable, index, item, key='device'):
    name = item.get(key, '?') if isinstance(item, dict) else '?'
    return '%s[%d] (%s)' % (variable, index, _json(name))


def _items(values, variable):
    """The list a variable holds, each item a dict (the argument specs have checked the types)."""
    items = values.get(variable) or []
    return [(i, item if isinstance(item, dict) else {}) for i, item in enumerate(items)]


def _repeated(names):
    """The names listed more than once, in the order of their first appearance."""
    return [name for name, count in Counter(to_text(n) for n in names).items() if count > 1]


def _mode_without_others_errors(values, variable):
    """The message for a mode variable that is not octal or gives others any permission, as a list."""
    value = values.get(variable)
    if _matches(OCTAL_MODE, value) and _int(value, 8) % 8 == 0:
        return []
    return ['%s must be an octal mode without permissions for others (got %s).' % (variable, _json(value))]


# Port keys that need no check but their type's, which the argument specs make.
PORT_KEYS_TYPED_ONLY = ('data_only', 'toggle_dtr', 'fido_send_emsi', 'login_time')


def port_errors(port, label, ppp=None, modem_types=None):
    """The messages for one dial-in port, each starting with label: an item of modem_ports,
    mgetty_ports or ppp_server_ports, one list with one schema (roles/common/meta/port_options.yml),
    so every role that takes it checks every key of it here, each key where it is given.

    ppp (the ppp_server role's: {'netmask': ..., 'allow_noauth': ...}) is for a port pppd runs on:
    local_ip and remote_ip are then required, on one network under the netmask, and ppp_options that
    turn off authentication are refused unless allow_noauth is true. modem_types (the mgetty role's
    init chats by name) are the values modem_type may take. A new port key: its entry in
    port_options.yml and its check here (or its name in PORT_KEYS_TYPED_ONLY)."""
    errors = []
    if not _matches(TTY, port.get('device')):
        errors.append('%s: device must be a serial port name such as ttyS1 or ttyUSB0 (got %s).'
                      % (label, _json(port.get('device'))))
    link = port.get('link')
    if link is not None and not _matches(LINK, link):
        errors.append('%s: link must be a plain name such as modem (got %s).' % (label, _json(link)))
    if _has_newline(port.get('match', '')):
        errors.append('%s: match must be a single line.' % label)
    errors.extend(_identify_errors(label, port.get('identify')))
    speed, rings = port.get('speed', 38400), port.get('rings', 1)
    if _int(speed) <= 0 or _int(rings) <= 0:
        errors.append('%s: speed and rings must be positive numbers (got speed %s, rings %s).'
                      % (label, _json(speed), _json(rings)))
    if _has_newline(port.get('init_chat', '')):
        errors.append('%s: init_chat must be a single line.' % label)
    if modem_types is not None and port.get('modem_type', 'hayes') not in modem_types:
        errors.append('%s: modem_type must be one of %s (got %s).'
                      % (label, ', '.join(modem_types), _json(port.get('modem_type'))))
    inittab_id = port.get('inittab_id', 'x')
    if isinstance(inittab_id, int) and not isinstance(inittab_id, bool):
        inittab_id = to_text(inittab_id)
    if not _matches(INITTAB_ID, inittab_id):
        errors.append('%s: inittab_id must be 1 to 4 letters or digits (got %s).'
                      % (label, _json(port.get('inittab_id'))))
    options = port.get('mgetty_options') or {}
    if (not isinstance(options, dict) or any(MGETTY_KEY.search(to_text(key)) for key in options)
            or any(_has_newline(value) for value in options.values())):
        errors.append('%s: mgetty_options keys must be lower-case mgetty.config keywords and its values'
                      ' single lines.' % label)
    if ppp is not None:
        errors.extend(_port_address_errors(port, label, ppp.get('netmask')))
    if not all(_matches(PPP_OPTION, option) for option in port.get('ppp_options') or []):
        errors.append('%s: ppp_options must be single-line pppd options (got %s).'
                      % (label, _json(port.get('ppp_options'))))
    if ppp is not None and _noauth_options(port.get('ppp_options')) and not ppp.get('allow_noauth'):
        errors.append('%s: ppp_options %s turn off authentication on a dial-in line (any caller would get a link);'
                      ' refused unless ppp_server_insecure_allow_noauth is true.'
                      % (label, _json(_noauth_options(port.get('ppp_options')))))
    return errors


def _port_address_errors(port, label, netmask):
    """The message for a port's PPP addresses, as a list."""
    local_ip, remote_ip = port.get('local_ip'), port.get('remote_ip')
    if not (_matches(IPV4, local_ip) and _matches(IPV4, remote_ip)):
        return ['%s: local_ip and remote_ip must be IPv4 addresses (got %s and %s).'
                % (label, _json(local_ip), _json(remote_ip))]
    if local_ip == remote_ip:
        return ['%s: local_ip and remote_ip must be different addresses (both are %s).' % (label, _json(local_ip))]
    if not ipv4_network(local_ip, netmask) or ipv4_network(local_ip, netmask) != ipv4_network(remote_ip, netmask):
        return ['%s: local_ip %s and remote_ip %s must be on one network under the netmask %s.'
                % (label, _json(local_ip), _json(remote_ip), _json(netmask))]
    return []


def modem_errors(values):
    errors = []
    ports = _items(values, 'modem_ports')
    for i, port in ports:
        errors.extend(port_errors(port, _label('modem_ports', i, port)))
    identities = [sorted((key, value) for key, value in port['identify'].items() if value is not None)
                  for i, port in ports if isinstance(port.get('identify'), dict)]
    if _repeated([_json(identity) for identity in identities]):
        errors.append('modem_ports: each identify may appear once: two ports found by the same udev properties'
                      ' would be the same modem.')
    devices = [port.get('device', '') for i, port in ports]
    links = [port['link'] for i, port in ports if port.get('link') is not None]
    if _repeated(devices) or _repeated(links) or set(links) & set(devices):
        errors.append('modem_ports: each device and each link may appear once, and a link may not be named like a'
                      ' device (devices %s, links %s).' % (_json(devices), _json(links)))
    errors.extend(_mode_without_others_errors(values, 'modem_port_mode'))
    return errors


def _identify_errors(label, identify):
    if identify is None:
        return []
    # Role argument validation may fill the keys not given with None.
    given = dict((key, value) for key, value in identify.items() if value is not None) if isinstance(identify, dict) else {}
    if not isinstance(identify, dict) or set(identify) - set(IDENTIFY_KEYS) or not given:
        return ['%s: identify must name one or more of %s (got %s).' % (label, ', '.join(IDENTIFY_KEYS), _json(identify))]
    bad = [key for key in IDENTIFY_KEYS if key in given and not _matches(UDEV_VALUE, given[key])]
    if bad:
        return ['%s: identify %s must be udev property values as udevadm info prints them: letters, digits and'
                ' _ . : + @ = , - only (got %s).' % (label, ', '.join(bad), _json(dict((key, identify[key]) for key in bad)))]
    return []


def _consoles(lines):
    """Console tty names from grep -H lines of /proc/cmdline and /sys/class/tty/console/active,
    each with where it was read: {'ttyS0': ['console=ttyS0 on /proc/cmdline']}."""
    found = {}
    for line in lines:
        path, dummy, text = to_text(line).partition(':')
        if path.endswith('cmdline'):
            for name in re.findall(r'(?:^|\s)console=(?:/dev/)?([^,\s]+)', text):
                found.setdefault(name, []).append('console=%s on %s' % (name, path))
        else:
            for name in text.split():
                found.setdefault(name, []).append('active console in %s' % path)
    return found


def _logins_before_callback_error(version):
    """The message for a login.config that would accept logins before any callback."""
    if version != 2:
        variable = ('mgetty_login_config_version 1 (server_login_config_version with the server role): login.config'
                    ' format 1 has no callback column, so')
        fix = 'set it to 2'
    else:
        variable = 'mgetty_callback_only false (server_callback_only with the server role):'
        fix = 'set it to true'
    return ('%s mgetty accepts every login, /AutoPPP/ included, before any callback: a PPP password alone gets a'
            ' link without being called back at a registered number. Refused unless'
            ' mgetty_insecure_logins_before_callback (server_insecure_logins_before_callback) is true; %s.'
            % (variable, fix))


def mgetty_errors(values):
    errors = []
    if values.get('_respawn_method') not in ('systemd', 'inittab', 'none'):
        errors.append('mgetty_respawn: cannot tell how to respawn mgetty on this host (service manager %s);'
                      ' set mgetty_respawn to systemd, inittab or none.' % _json(values.get('_service_mgr', 'unknown')))
    ports = _items(values, 'mgetty_ports')
    for i, port in ports:
        errors.extend(port_errors(port, _label('mgetty_ports', i, port), modem_types=values.get('_modem_types')))
    consoles = _consoles(values.get('_consoles') or [])
    for i, port in ports:
        device = port.get('device')
        if device in consoles:
            errors.append('%s: %s is a kernel console (%s): the kernel and a getty for its console would fight'
                          ' mgetty over the modem; remove console=%s from the kernel command line and reboot, or'
                          ' use another port in mgetty_ports (server_ports).'
                          % (_label('mgetty_ports', i, port), device, ', '.join(consoles[device]), device))
    devices = [port.get('device', '') for i, port in ports]
    ids = [port['inittab_id'] for i, port in ports if 'inittab_id' in port]
    if _repeated(devices) or _repeated(ids):
        errors.append('mgetty_ports: each device and each inittab_id may appear once (devices %s, inittab ids %s).'
                      % (_json(devices), _json(ids)))
    version = _int(values.get('mgetty_login_config_version'))
    callback_only = boolean(values.get('mgetty_callback_only', False), strict=False)
    insecure = values.get('mgetty_insecure_logins_before_callback', False)
    if version not in (1, 2):
        errors.append('mgetty_login_config_version must be 1 or 2 (got %s).'
                      % _json(values.get('mgetty_login_config_version')))
    elif callback_only and version != 2:
        errors.append('mgetty_callback_only needs mgetty_login_config_version 2.')
    elif not isinstance(insecure, bool):
        errors.append('mgetty_insecure_logins_before_callback (server_insecure_logins_before_callback with the server'
                      ' role) must be true or false, not quoted (got %s).' % _json(insecure))
    elif not insecure and (version != 2 or not callback_only):
        errors.append(_logins_before_callback_error(version))
    if not _matches(ABSOLUTE, values.get('mgetty_refuse_program')):
        errors.append('mgetty_refuse_program must be an absolute path (got %s).'
                      % _json(values.get('mgetty_refuse_program')))
    args = values.get('mgetty_autoppp_args') or []
    if len(args) > 8 or any(SPACE.search(to_text(arg)) for arg in args):
        errors.append('mgetty_autoppp_args must be at most 8 words without spaces (got %s).' % _json(args))
    if _noauth_options(args):
        errors.append('mgetty_autoppp_args must not turn off authentication (got %s): /AutoPPP/ starts pppd for'
                      ' anyone who calls.' % _json(_noauth_options(args)))
    errors.extend(_mode_without_others_errors(values, 'mgetty_port_mode'))
    return errors


def _read_as_number(value):
    """Whether YAML read value as a number (an int or a float, not a boolean): a phone number written
    unquoted."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _quote_it(subject, key, value):
    """The message for a phone number that YAML read as a number: subject is what holds it (a list item's
    label followed by its key, or a variable), key what the user wrote before the colon."""
    examples = ['%s: "%s"' % (key, to_text(value))]
    if isinstance(value, int) and value > 0:
        # YAML 1.1 reads 0123456 as the octal 42798: written with a leading 0, it was its octal digits.
        examples.append('%s: "0%o" if you wrote 0%o' % (key, value, value))
    return ('%s %s was read by YAML as a number (a leading 0 is octal in YAML 1.1, and leading zeros and a leading +'
            ' are lost): quote it as written, e.g. %s.' % (subject, _json(value), ', or '.join(examples)))


def _callback_users_errors(values, variable, require_caller_id_variable, require_caller_id):
    """The messages for the callback users listed in variable (the callback role's and the server's checks)."""
    errors = []
    users = _items(values, variable)
    for i, user in users:
        label = _label(variable, i, user, key='name')
        if not _matches(LOGIN, user.get('name')):
            errors.append("%s: name must be a login name without whitespace, '*', '@', '/' or a leading '-'." % label)
        if _read_as_number(user.get('number')):
            errors.append(_quote_it('%s: number' % label, 'number', user.get('number')))
        elif not _matches(DIAL_NUMBER, user.get('number')):
            errors.append('%s: number must be a quoted string of digits and dial modifiers (0-9 , W P T * #), got %s.'
                          % (label, _json(user.get('number', ''))))
        if user.get('name') in (values.get('_local_accounts') or []):
            errors.append('%s: name is a local account on this host: a callback pseudo-login with that name would'
                          ' shadow its login at the dial-in prompt; choose another name.' % label)
        lines = user.get('lines') or []
        if not all(_matches(TTY, line) for line in lines):
            errors.append('%s: lines must be tty names such as ttyS1, got %s.' % (label, _json(user.get('lines'))))
        caller_id = user.get('caller_id', '')
        if _read_as_number(caller_id):
            errors.append(_quote_it('%s: caller_id' % label, 'caller_id', caller_id))
        elif caller_id not in ('', None) and not _matches(CALLER_ID, caller_id):
            errors.append('%s: caller_id must be a quoted string of digits (a leading + and blanks or dashes'
                          ' between them allowed), got %s.' % (label, _json(caller_id)))
        elif not caller_id and boolean(require_caller_id, strict=False):
            errors.append('%s: %s is true, so every callback user needs a caller_id.'
                          % (label, require_caller_id_variable))
    twice = _repeated([user.get('name', '') for i, user in users])
    if twice:
        errors.append('%s: each name may appear once; declared more than once: %s.' % (variable, _json(twice)))
    return errors


def callback_errors(values):
    errors = _callback_users_errors(values, 'callback_users', 'callback_require_caller_id',
                                    values.get('callback_require_caller_id', False))
    if values.get('callback_after_callback') not in ('-', 'Y', 'N'):
        errors.append('callback_after_callback must be -, Y or N (got %s).' % _json(values.get('callback_after_callback')))
    args = values.get('callback_program_args') or []
    if any(SPACE.search(to_text(arg)) for arg in args):
        errors.append('callback_program_args must be words without spaces (got %s).' % _json(args))
    if not _matches(DIAL_PREFIX, values.get('callback_dial_prefix')):
        errors.append('callback_dial_prefix must be a modem command prefix such as ATD (got %s).'
                      % _json(values.get('callback_dial_prefix')))
    if _has_newline(values.get('callback_modem_init', '')):
        errors.append('callback_modem_init must be a single line.')
    if not _matches(OCTAL_MODE, values.get('callback_program_mode')):
        errors.append('callback_program_mode must be an octal mode such as 0700 (got %s).'
                      % _json(values.get('callback_program_mode')))
    errors.extend(_whole_number_errors(values, 'callback_max_time', 1,
                                       'seconds, at least 1 (callback gives up after them)'))
    errors.extend(_whole_number_errors(values, 'callback_rate_limit_count', 0,
                                       'callbacks per pseudo-login, 0 or more (0 disables the limit)'))
    errors.extend(_whole_number_errors(values, 'callback_rate_limit_window', 1, 'seconds, at least 1'))
    for budget in ('number', 'line', 'server'):
        if 'callback_%s_limit_count' % budget in values:
            errors.extend(_whole_number_errors(values, 'callback_%s_limit_count' % budget, 0,
                                               'callbacks, 0 or more (0 disables the limit)'))
            errors.extend(_whole_number_errors(values, 'callback_%s_limit_window' % budget, 1, 'seconds, at least 1'))
    ports = values.get('callback_ports') or []
    if not isinstance(ports, list) or not all(_matches(TTY, port) for port in ports):
        errors.append('callback_ports must be tty names such as ttyS1, got %s.' % _json(ports))
    return errors


def _whole_number_errors(values, variable, minimum, what):
    """The message for a variable that is not a whole number of at least minimum, as a list."""
    value = values.get(variable)
    if _matches(DIGITS, value):
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= minimum:
        return []
    return ['%s must be a whole number of %s (got %s).' % (variable, what, _json(values.get(variable)))]


def ppp_server_errors(values):
    errors = []
    netmask = values.get('ppp_server_netmask')
    insecure = boolean(values.get('ppp_server_insecure_allow_noauth', False), strict=False)
    for i, port in _items(values, 'ppp_server_ports'):
        errors.extend(port_errors(port, _label('ppp_server_ports', i, port),
                                  ppp={'netmask': netmask, 'allow_noauth': insecure}))
    if not _matches(IPV4, netmask):
        errors.append('ppp_server_netmask must be an IPv4 netmask such as 255.255.255.0 (got %s).' % _json(netmask))
    ms_dns = values.get('ppp_server_ms_dns') or []
    if not all(_matches(IPV4, address) for address in ms_dns):
        errors.append('ppp_server_ms_dns must be IPv4 addresses (got %s).' % _json(ms_dns))
    if not all(_matches(PPP_OPTION, option) for option in values.get('ppp_server_extra_options') or []):
        errors.append('ppp_server_extra_options must be single-line pppd options.')
    if _noauth_options(values.get('ppp_server_extra_options')) and not insecure:
        errors.append('ppp_server_extra_options %s turn off authentication for every pppd (any caller or local user'
                      ' would get a link); refused unless ppp_server_insecure_allow_noauth is true.'
                      % _json(_noauth_options(values.get('ppp_server_extra_options'))))
    mode = values.get('ppp_server_pppd_mode')
    if not _matches(SPECIAL_MODE, mode) or _int(mode, 8) % 2 != 0:
        errors.append('ppp_server_pppd_mode must be a 4-digit octal mode that does not let others execute pppd'
                      ' (got %s).' % _json(mode))
    users = _items(values, 'ppp_server_users')
    for i, user in users:
        label = '%s[%d] (%s)' % ('ppp_server_users', i, _json(to_text(user.get('name', '?'))))
        if not ACCOUNT.match(to_text(user.get('name', ''))):
            errors.append('%s: name must be a system user name (lower case, digits, _ and -).' % label)
        password_problem = ppp_password_problem(user.get('password'))
        if password_problem:
            errors.append('%s: password %s; %s' % (label, password_problem, PPP_PASSWORD_RULE))
        addresses = user.get('addresses') or []
        if not all(_matches(IPV4, to_text(address)) or to_text(address) == '*' for address in addresses):
            errors.append('%s: addresses must be IPv4 addresses or * (got %s).' % (label, _json(user.get('addresses'))))
    twice = _repeated([user.get('name', '') for i, user in users])
    if twice:
        errors.append('ppp_server_users: each name may appear once; declared more than once: %s.' % _json(twice))
    # The switch that lifts the PPP accounts' login restrictions: a string such as "false" would
    # be true in a condition, so only a real boolean is accepted.
    for switch in ('ppp_server_insecure_logins_anywhere', 'ppp_server_insecure_no_callback_check'):
        insecure = values.get(switch, False)
        if not isinstance(insecure, bool):
            errors.append('%s must be true or false, not quoted (got %s).' % (switch, _json(insecure)))
    return errors


# A server role variable in the value of a step role variable (roles/server/vars/main.yml).
SERVER_VARIABLE = re.compile(r'\bserver_[a-z_]+')
# What a step role's message adds for a user of the server role, "mgetty_callback_only (server_callback_only
# with the server role)": once the message names the server's variable, that is said already.
SERVER_HINT = re.compile(r' \((?:server_[a-z_]+(?:, | and | or )?)+(?: with the server role)?\)')

# Step role variables the server role computes from its own (callback_ports: server_ports' devices),
# whose problems the checks of the server variable report already.
SERVER_DERIVED = ('callback_ports ',)


def _server_names(step_variables):
    """The server variable each step role variable is set from, by the step variable's name: the values
    of roles/server/vars/main.yml that name one server variable."""
    names = {}
    for step, value in (step_variables or {}).items():
        found = sorted(set(SERVER_VARIABLE.findall(to_text(value)))) if isinstance(value, string_types) else []
        if not to_text(step).startswith('_') and len(found) == 1:
            names[to_text(step)] = found[0]
    return names


def step_errors(messages, step_variables):
    """The step roles' messages as the user of the server role reads them: each step role variable that
    the server role sets from one of its own is named by that one (callback_users[0] becomes
    server_callback_users[0]), and a message that an earlier one already said (a port's device checked
    by three roles) is left out."""
    names = _server_names(step_variables)
    pattern = re.compile(r'(?<![A-Za-z0-9_])(%s)(?![A-Za-z0-9_])'
                         % '|'.join(re.escape(name) for name in sorted(names, key=len, reverse=True))) if names else None
    renamed = []
    for message in messages or []:
        message = to_text(message)
        if message.startswith(SERVER_DERIVED):
            continue
        if pattern is not None:
            message = SERVER_HINT.sub('', pattern.sub(lambda match: names[match.group(1)], message))
        if message not in renamed:
            renamed.append(message)
    return renamed


def server_errors(values):
    """What spans several roles, after the step roles' own problems (_step_errors, named by the server's
    variables: _step_variables is roles/server/vars/main.yml), so that one failure reports them all."""
    errors = step_errors(values.get('_step_errors'), values.get('_step_variables'))
    ports = [port for i, port in _items(values, 'server_ports')]
    callback_users = [user for i, user in _items(values, 'server_callback_users')]
    devices = [port.get('device', '') for port in ports]
    lines = []
    for user in callback_users:
        for line in user.get('lines') or []:
            if line not in lines and line not in devices:
                lines.append(line)
    if lines:
        errors.append('server_callback_users: lines %s are not in server_ports (%s).' % (_json(lines), _json(devices)))
    # mgetty reads the caller ID between the first and the second RING (cnd.c): with rings 1 it has
    # answered before, and a caller_id user would never be called back.
    if any(user.get('caller_id') for user in callback_users) or values.get('server_require_caller_id') is True:
        early = [port.get('device', '?') for port in ports if _int(port.get('rings', 1)) is not None
                 and _int(port.get('rings', 1)) < 2]
        if early:
            errors.append('server_ports: rings must be 2 or more on %s when callback users have a caller_id: mgetty'
                          ' reads the caller ID between the first and the second RING, and with rings 1 it answers'
                          ' before (every call of such a user would be refused).' % _json(early))
    speeds = []
    for port in ports:
        if _int(port.get('speed', 38400)) not in speeds:
            speeds.append(_int(port.get('speed', 38400)))
    if callback_users and len(speeds) > 1:
        errors.append('server_ports: every port needs the same speed when there are server_callback_users: the'
                      ' callback program has one speed for all lines (callback.config speed); got %s.'
                      % _json(dict((port.get('device', ''), port.get('speed', 38400)) for port in ports)))
    remote_ips = [port.get('remote_ip', '') for port in ports]
    if _repeated(remote_ips):
        errors.append('server_ports: remote_ip must differ between ports (got %s).' % _json(remote_ips))
    ppp_names = [user.get('name', '') for i, user in _items(values, 'server_ppp_users')]
    both = []
    for user in callback_users:
        name = user.get('name', '')
        if name in ppp_names and name not in both:
            both.append(name)
    if both:
        errors.append("server_callback_users and server_ppp_users share %s: a callback pseudo-login would shadow"
                      " the PPP account's login." % _json(both))
    return errors


# The ppp_server role's variables that the server role sets from its own (roles/server/vars/main.yml).
KIT_PPP_VARIABLES = (('ppp_server_ports', 'server_ports'), ('ppp_server_users', 'server_ppp_users'),
                     ('ppp_server_netmask', 'server_netmask'))


def caller_kits_errors(values):
    """What playbooks/caller_kits.yml writes a server's caller kits from: the server role's variables,
    with the checks the server's roles make on them, and the kit's own variables."""
    errors = server_errors(values)
    errors.extend(_callback_users_errors(values, 'server_callback_users', 'server_require_caller_id',
                                         values.get('server_require_caller_id', False)))
    # The ppp_server role's checks of the ports' addresses and the accounts, under the server's names.
    ppp_values = dict((ppp, values.get(server)) for ppp, server in KIT_PPP_VARIABLES)
    for message in ppp_server_errors(ppp_values):
        for ppp, server in KIT_PPP_VARIABLES:
            if message.startswith(ppp + ' ') or message.startswith(ppp + '[') or message.startswith(ppp + ':'):
                errors.append(server + message[len(ppp):])
    number = values.get('caller_kits_server_number')
    if _read_as_number(number):
        errors.append(_quote_it('caller_kits_server_number', 'caller_kits_server_number', number))
    elif not _matches(DIAL_NUMBER, number):
        errors.append('caller_kits_server_number must be the number the callers dial to reach this server, a quoted'
                      ' string of digits and dial modifiers (0-9 , W P T * #), got %s.' % _json(number))
    directory = values.get('caller_kits_dir')
    if not isinstance(directory, string_types) or not directory.strip() or _has_newline(directory):
        errors.append('caller_kits_dir must be a directory on the controller (got %s).' % _json(directory))
    callback_names = [user.get('name') for i, user in _items(values, 'server_callback_users')]
    ppp_names = [user.get('name') for i, user in _items(values, 'server_ppp_users')]
    accounts = values.get('caller_kits_ppp_users')
    if accounts is None:
        accounts = {}
    if not isinstance(accounts, dict):
        errors.append('caller_kits_ppp_users must map pseudo-logins to PPP account names (got %s).' % _json(accounts))
        accounts = {}
    for name in accounts:
        if name not in callback_names:
            errors.append('caller_kits_ppp_users: %s is not a pseudo-login of server_callback_users (%s).'
                          % (_json(name), _json(callback_names)))
        elif accounts[name] not in ppp_names:
            errors.append('caller_kits_ppp_users: %s is given %s, which is not an account of server_ppp_users (%s).'
                          % (_json(name), _json(accounts[name]), _json(ppp_names)))
    if len(ppp_names) != 1:
        for i, user in _items(values, 'server_callback_users'):
            if user.get('name') not in accounts:
                errors.append('%s: caller_kits_ppp_users names no PPP account for it, and server_ppp_users has %d'
                              ' (%s): map each pseudo-login to the account its caller logs in as after the callback.'
                              % (_label('server_callback_users', i, user, key='name'), len(ppp_names),
                                 _json(ppp_names)))
    return errors


# The client role's own words: written unquoted into its pppd peer and chat script, where whitespace
# ends them and quotes and backslashes are syntax.
CLIENT_PEER_NAME = re.compile(r'^[A-Za-z0-9_-][A-Za-z0-9._-]*\Z')
CLIENT_WORD = re.compile(r'^[^\s\'"\\]*\Z')
CLIENT_AT_COMMAND = re.compile(r'^[Aa][Tt][^\s\'"\\]*\Z')
CLIENT_DEVICE = re.compile(r'^/[^\s\'"\\]+\Z')


def client_errors(values):
    """The caller's side: the number, names and password follow the server roles' rules."""
    errors = []
    number = values.get('client_server_number')
    if _read_as_number(number):
        errors.append(_quote_it('client_server_number', 'client_server_number', number))
    elif not _matches(DIAL_NUMBER, number):
        errors.append('client_server_number must be a quoted string of digits and dial modifiers (0-9 , W P T * #),'
                      ' the characters a server accepts in callback_users numbers, got %s.' % _json(number))
    if not _matches(CLIENT_PEER_NAME, values.get('client_peer_name')):
        errors.append('client_peer_name must be letters, digits, ., _ and - not starting with . (got %s).'
                      % _json(values.get('client_peer_name')))
    callback_user, ppp_user = values.get('client_callback_user'), values.get('client_ppp_user')
    if not _matches(LOGIN, callback_user):
        errors.append("client_callback_user must be a login name without whitespace, '*', '@', '/' or a leading '-',"
                      ' as in callback_users (got %s).' % _json(callback_user))
    if not _matches(ACCOUNT, ppp_user):
        errors.append('client_ppp_user must be a system user name (lower case, digits, _ and -), as in'
                      ' ppp_server_users (got %s).' % _json(ppp_user))
    elif callback_user == ppp_user:
        errors.append('client_callback_user and client_ppp_user must differ (both are %s): the server maps the'
                      ' pseudo-login to its callback program.' % _json(ppp_user))
    password_problem = ppp_password_problem(values.get('client_ppp_password'))
    if password_problem:
        errors.append('client_ppp_password %s; %s' % (password_problem, PPP_PASSWORD_RULE))
    remote_name = values.get('client_remote_name')
    if not _matches(CLIENT_WORD, remote_name):
        errors.append('client_remote_name must be empty or a word without whitespace, quotes or backslashes'
                      ' (got %s).' % _json(remote_name))
    if not _matches(CLIENT_DEVICE, values.get('client_device')):
        errors.append('client_device must be an absolute path without whitespace, quotes or backslashes (got %s).'
                      % _json(values.get('client_device')))
    for variable in ('client_modem_init', 'client_dial_command', 'client_answer_command'):
        if not _matches(CLIENT_AT_COMMAND, values.get(variable)):
            errors.append('%s must be a modem command starting with AT, without whitespace, quotes or backslashes'
                          ' (got %s).' % (variable, _json(values.get(variable))))
    if not _matches(CLIENT_WORD, values.get('client_ppp_start_expect')):
        errors.append('client_ppp_start_expect must hold no whitespace, quotes or backslashes (got %s).'
                      % _json(values.get('client_ppp_start_expect')))
    for variable in ('client_speed', 'client_modem_timeout', 'client_dial_timeout', 'client_login_timeout',
                     'client_callback_timeout', 'client_lcp_echo_failure'):
        errors.extend(_whole_number_errors(values, variable, 1, 'at least 1'))
    errors.extend(_whole_number_errors(values, 'client_lcp_echo_interval', 0, 'seconds, 0 or more (0: no echo)'))
    options = values.get('client_extra_options') or []
    if not all(_matches(PPP_OPTION, option) for option in options):
        errors.append('client_extra_options must be single-line pppd options (got %s).' % _json(options))
    return errors


RULES = {
    'modem': modem_errors,
    'mgetty': mgetty_errors,
    'callback': callback_errors,
    'ppp_server': ppp_server_errors,
    'server': server_errors,
    'caller_kits': caller_kits_errors,
    'client': client_errors,
}


# Switches that turn a defence off: each run that has one set says so (a warning on the controller,
# from the role's validation, check mode included), with what it costs.
INSECURE_SWITCHES = {
    'ppp_server': (
        ('ppp_server_insecure_no_callback_check (server_insecure_no_callback_check with the server role)',
         'the callback check is off: on the dial-in lines, a login or a PPP link is allowed without a callback'
         ' wherever login.config allows one.'),
        ('ppp_server_insecure_logins_anywhere (server_insecure_logins_anywhere with the server role)',
         'the PPP accounts may log in anywhere (ssh and its forwarding included) and anybody may log in on'
         ' the dial-in lines.'),
        ('ppp_server_insecure_allow_noauth',
         'pppd options that turn off the peer\'s authentication (noauth, allow-ip) are let through.'),
    ),
}


def insecure_warnings(values, role):
    """One message per insecure switch of role that is set to true."""
    return ['%s is true: %s' % (switch, what) for switch, what in INSECURE_SWITCHES.get(role, ())
            if values.get(switch.split()[0]) is True]


def input_errors(values, role):
    """The problems in the variables of role, one message each. An insecure switch set to true is
    not a problem, but each one is a warning of the run."""
    if role not in RULES:
        raise AnsibleFilterError('input_errors: role must be one of %s, got %s' % (', '.join(sorted(RULES)), _json(role)))
    if not isinstance(values, dict):
        raise AnsibleFilterError('input_errors: the input must be a dict of variables, got %s' % type(values).__name__)
    for warning in insecure_warnings(values, role):
        Display().warning(warning)
    return RULES[role](values)


class FilterModule(object):
    def filters(self):
        return {'input_errors': input_errors}
