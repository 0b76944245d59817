# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""input_errors('modem') and input_errors('mgetty'): each message of a port and of the two roles' own
variables, word for word, and the defaults a missing key stands for."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy

from ansible_collections.dialin.callback.plugins.filter.input_errors import _label, input_errors

PORT = {'device': 'ttyS1', 'link': 'modem', 'local_ip': '192.168.1.1', 'remote_ip': '192.168.1.2'}
DEVICE = 'device must be a serial port name such as ttyS1 or ttyUSB0 (got null).'
MGETTY = {
    'mgetty_ports': [PORT], 'mgetty_login_config_version': 2, 'mgetty_callback_only': True,
    'mgetty_insecure_logins_before_callback': False, 'mgetty_refuse_program': '/bin/false',
    'mgetty_autoppp_args': ['auth', '-chap', '+pap', 'login', 'nodetach'], 'mgetty_port_mode': '0660',
    '_respawn_method': 'systemd', '_service_mgr': 'systemd', '_modem_types': ['hayes', 'usrobotics'], '_consoles': [],
}
BEFORE_CALLBACK = (' mgetty accepts every login, /AutoPPP/ included, before any callback: a PPP password alone gets a'
                   ' link without being called back at a registered number. Refused unless'
                   ' mgetty_insecure_logins_before_callback (server_insecure_logins_before_callback) is true; ')
VERSION_1 = ('mgetty_login_config_version 1 (server_login_config_version with the server role): login.config'
             ' format 1 has no callback column, so' + BEFORE_CALLBACK + 'set it to 2.')
CALLBACK_ONLY_OFF = ('mgetty_callback_only false (server_callback_only with the server role):' + BEFORE_CALLBACK
                     + 'set it to true.')


def modem(ports, mode='0660'):
    return input_errors({'modem_ports': ports, 'modem_port_mode': mode}, 'modem')


def modem_port(**changes):
    return modem([dict(PORT, **changes)])


def mgetty(**changes):
    values = copy.deepcopy(MGETTY)
    values.update(changes)
    return input_errors(values, 'mgetty')


def mgetty_without(key, **changes):
    values = copy.deepcopy(MGETTY)
    values.update(changes)
    del values[key]
    return input_errors(values, 'mgetty')


def test_a_port_without_a_device_is_labelled_with_a_question_mark():
    assert modem([{'link': 'modem'}]) == ['modem_ports[0] ("?"): ' + DEVICE]


def test_a_port_that_is_not_a_dict_is_checked_as_an_empty_one():
    assert modem(['ttyS1']) == ['modem_ports[0] ("?"): ' + DEVICE]


def test_the_label_of_an_item_that_is_not_a_dict():
    assert _label('modem_ports', 2, 'ttyS1') == 'modem_ports[2] ("?")'
    assert _label('callback_users', 0, {'name': 'call'}, key='name') == 'callback_users[0] ("call")'


def test_two_ports_without_a_device_are_one_device_twice():
    assert modem([{}, {}]) == [
        'modem_ports[0] ("?"): ' + DEVICE, 'modem_ports[1] ("?"): ' + DEVICE,
        'modem_ports: each device and each link may appear once, and a link may not be named like a device'
        ' (devices ["", ""], links []).']


def test_a_device_twice_with_two_links():
    assert modem([dict(PORT, link='a'), dict(PORT, link='b')]) == [
        'modem_ports: each device and each link may appear once, and a link may not be named like a device'
        ' (devices ["ttyS1", "ttyS1"], links ["a", "b"]).']


def test_two_ports_with_the_same_identify():
    ports = [dict(PORT, identify={'serial': 'A1', 'usb_path': None}),
             dict(PORT, device='ttyS2', link='modem2', identify={'serial': 'A1'})]
    assert modem(ports) == ['modem_ports: each identify may appear once: two ports found by the same udev properties'
                            ' would be the same modem.']


def test_an_identify_that_is_not_a_dict():
    assert modem_port(identify='serial') == [
        'modem_ports[0] ("ttyS1"): identify must name one or more of serial, usb_path, by_id (got "serial").']


def test_bad_identify_values_are_quoted_in_the_order_of_the_keys():
    assert modem_port(identify={'by_id': 'x*', 'usb_path': 'pci-0:1', 'serial': 'a b'}) == [
        'modem_ports[0] ("ttyS1"): identify serial, by_id must be udev property values as udevadm info prints them:'
        ' letters, digits and _ . : + @ = , - only (got {"serial": "a b", "by_id": "x*"}).']


def test_speed_and_rings():
    # A missing speed is quoted as its default, 38400.
    assert modem([{'device': 'ttyS1', 'rings': 0}]) == [
        'modem_ports[0] ("ttyS1"): speed and rings must be positive numbers (got speed 38400, rings 0).']
    assert modem_port(speed=1, rings=1) == []
    assert modem_port(speed=0) == [
        'modem_ports[0] ("ttyS1"): speed and rings must be positive numbers (got speed 0, rings 1).']


def test_an_inittab_id_written_as_a_number():
    assert modem_port(inittab_id=1234) == []
    assert modem_port(inittab_id=12345) == [
        'modem_ports[0] ("ttyS1"): inittab_id must be 1 to 4 letters or digits (got 12345).']


def test_mgetty_options():
    assert modem_port(mgetty_options={'speed': '115200', 'data-only': 'yes'}) == []
    assert modem_port(mgetty_options={'Speed': '1'}) == [
        'modem_ports[0] ("ttyS1"): mgetty_options keys must be lower-case mgetty.config keywords and its values'
        ' single lines.']


def test_ppp_options_are_quoted():
    assert modem_port(ppp_options=['mtu 1400', 'a\nb']) == [
        'modem_ports[0] ("ttyS1"): ppp_options must be single-line pppd options (got ["mtu 1400", "a\\nb"]).']


def test_the_port_mode():
    # 0670 is a multiple of 8 but not of 9: others have no permission.
    assert modem([PORT], mode='0670') == []
    assert modem([PORT], mode='0661') == [
        'modem_port_mode must be an octal mode without permissions for others (got "0661").']


def test_a_modem_type_not_in_the_init_chats():
    assert mgetty(mgetty_ports=[dict(PORT, modem_type='zyxel')]) == [
        'mgetty_ports[0] ("ttyS1"): modem_type must be one of hayes, usrobotics (got "zyxel").']


def test_each_respawn_method():
    for method in ('systemd', 'inittab', 'none'):
        assert mgetty(_respawn_method=method) == []
    assert mgetty_without('_service_mgr', _respawn_method=None) == [
        'mgetty_respawn: cannot tell how to respawn mgetty on this host (service manager "unknown"); set'
        ' mgetty_respawn to systemd, inittab or none.']


CONSOLE = ('mgetty_ports[0] ("ttyS1"): ttyS1 is a kernel console (%s): the kernel and a getty for its console would'
           ' fight mgetty over the modem; remove console=ttyS1 from the kernel command line and reboot, or use'
           ' another port in mgetty_ports (server_ports).')


def test_a_port_that_is_a_console_names_where_it_was_found():
    assert mgetty(_consoles=['/proc/cmdline:quiet console=ttyS1,115200n8',
                             '/sys/class/tty/console/active:tty0 ttyS1']) == [
        CONSOLE % 'console=ttyS1 on /proc/cmdline, active console in /sys/class/tty/console/active']


def test_a_colon_in_the_kernel_command_line():
    assert mgetty(_consoles=['/proc/cmdline:console=ttyS1 root=UUID=a:b']) == [CONSOLE % 'console=ttyS1 on /proc/cmdline']


def test_two_ports_without_a_device_nor_an_inittab_id_twice():
    assert mgetty(mgetty_ports=[{'inittab_id': 'a'}, {'inittab_id': 'b'}]) == [
        'mgetty_ports[0] ("?"): ' + DEVICE, 'mgetty_ports[1] ("?"): ' + DEVICE,
        'mgetty_ports: each device and each inittab_id may appear once (devices ["", ""], inittab ids ["a", "b"]).']


def test_two_different_ports():
    assert mgetty(mgetty_ports=[PORT, dict(PORT, device='ttyS2', link='modem2')]) == []


def test_a_bad_login_config_version_is_quoted():
    assert mgetty(mgetty_login_config_version=3) == ['mgetty_login_config_version must be 1 or 2 (got 3).']


def test_the_logins_before_callback_messages():
    assert mgetty(mgetty_login_config_version=1, mgetty_callback_only=False) == [VERSION_1]
    assert mgetty(mgetty_callback_only=False) == [CALLBACK_ONLY_OFF]
    # Anything that is not a boolean's word is false, not an error.
    assert mgetty(mgetty_callback_only='maybe') == [CALLBACK_ONLY_OFF]


def test_callback_only_and_the_insecure_switch_default_to_false():
    assert mgetty_without('mgetty_callback_only') == [CALLBACK_ONLY_OFF]
    assert mgetty_without('mgetty_insecure_logins_before_callback', mgetty_callback_only=False) == [CALLBACK_ONLY_OFF]
    assert mgetty_without('mgetty_insecure_logins_before_callback') == []


def test_a_quoted_insecure_switch():
    assert mgetty(mgetty_callback_only=False, mgetty_insecure_logins_before_callback='true') == [
        'mgetty_insecure_logins_before_callback (server_insecure_logins_before_callback with the server role) must be'
        ' true or false, not quoted (got "true").']


def test_the_refuse_program():
    assert mgetty(mgetty_refuse_program='false') == ['mgetty_refuse_program must be an absolute path (got "false").']


def test_at_most_eight_autoppp_args():
    assert mgetty(mgetty_autoppp_args=['x'] * 8) == []
    assert mgetty(mgetty_autoppp_args=['x'] * 9) == [
        'mgetty_autoppp_args must be at most 8 words without spaces (got %s).' % ('[' + ', '.join(['"x"'] * 9) + ']')]


def test_autoppp_args_that_turn_off_authentication():
    assert mgetty(mgetty_autoppp_args=['auth', 'noauth', 'login']) == [
        'mgetty_autoppp_args must not turn off authentication (got ["noauth"]): /AutoPPP/ starts pppd for anyone who'
        ' calls.']
