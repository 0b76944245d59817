"""A port's speed and modem type reach mgetty.config, options.<tty> and callback.config.

The role templates and the server role's mapping rendered with Jinja, as Ansible renders them,
for a port at 57600 bit/s with a USRobotics modem and a port with the defaults.
"""
from pathlib import Path

import jinja2
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ENV = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
MGETTY_VARS = yaml.safe_load((ROOT / 'roles/mgetty/vars/main.yml').read_text())
MGETTY_DEFAULTS = yaml.safe_load((ROOT / 'roles/mgetty/defaults/main.yml').read_text())
PORTS = [{'device': 'ttyS1', 'speed': 57600, 'modem_type': 'usrobotics', 'local_ip': '10.0.0.1', 'remote_ip': '10.0.0.2'},
         {'device': 'ttyS2', 'local_ip': '10.0.0.1', 'remote_ip': '10.0.0.3'}]


def render(path, **variables):
    return ENV.from_string((ROOT / path).read_text()).render(ansible_managed='managed', **variables)


def sections(text):
    """mgetty.config's port sections: {'ttyS1': ['speed 57600', ...]}."""
    found, current = {}, None
    for line in text.splitlines():
        if line.startswith('port '):
            current = found.setdefault(line.split()[1], [])
        elif current is not None and line:
            current.append(line)
    return found


def test_mgetty_config_speed_and_init_chat_per_port():
    variables = {k: v for k, v in MGETTY_DEFAULTS.items() if k.startswith('mgetty_') and k != 'mgetty_callback_only'}
    variables.update(mgetty_ports=PORTS, __mgetty_config_dir='/etc/mgetty',
                     __mgetty_init_chats=MGETTY_VARS['__mgetty_init_chats'])
    found = sections(render('roles/mgetty/templates/mgetty.config.j2', **variables))
    chats = MGETTY_VARS['__mgetty_init_chats']
    assert 'speed 57600' in found['ttyS1'] and 'init-chat ' + chats['usrobotics'] in found['ttyS1']
    assert 'speed 38400' in found['ttyS2'] and 'init-chat ' + chats['hayes'] in found['ttyS2']
    custom = dict(PORTS[1], init_chat='"" ATZ OK')
    variables['mgetty_ports'] = [custom]
    assert 'init-chat "" ATZ OK' in sections(render('roles/mgetty/templates/mgetty.config.j2', **variables))['ttyS2']


@pytest.mark.parametrize('port, speed', [(PORTS[0], '57600'), (PORTS[1], '38400')])
def test_options_tty_has_the_port_speed(port, speed):
    lines = render('roles/ppp_server/templates/options.tty.j2', item=port).splitlines()
    assert '%s:%s' % (port['local_ip'], port['remote_ip']) in lines
    assert speed in lines


@pytest.mark.parametrize('ports, speed', [([PORTS[0]], 57600), ([PORTS[1]], 38400), ([], 38400)])
def test_server_gives_callback_the_ports_speed(ports, speed):
    mapping = yaml.safe_load((ROOT / 'roles/server/vars/main.yml').read_text())
    assert ENV.from_string(mapping['callback_speed']).render(server_ports=ports) == str(speed)
    text = render('roles/callback/templates/callback.config.j2', callback_delay=20, callback_delay_randomize=10,
                  callback_retry_time=30, callback_max_time=600, callback_dial_prefix='ATD', callback_debug=3,
                  callback_modem_init='', callback_speed=speed)
    assert 'speed %d' % speed in text.splitlines()
