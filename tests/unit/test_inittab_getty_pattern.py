"""The mgetty role's pattern for another getty's /etc/inittab line on a dial-in port.

inittab.yml comments such lines out with ansible.builtin.replace, which applies the
pattern with Python's re in MULTILINE mode: the same is done here on a sysvinit inittab.
"""
import re
from pathlib import Path

import jinja2
import yaml

ROOT = Path(__file__).resolve().parents[2]
VARS = yaml.safe_load((ROOT / 'roles' / 'mgetty' / 'vars' / 'main.yml').read_text())

INITTAB = """\
id:2:initdefault:
1:2345:respawn:/sbin/getty --noclear 38400 tty1
#T0:23:respawn:/sbin/getty -L ttyS0 9600 vt100
T1:23:respawn:/sbin/getty -L ttyS1 9600 vt100
T2:23:respawn:/sbin/agetty -L 115200 /dev/ttyS1 vt100
T3:23:respawn:mingetty ttyS1
T4:23:respawn:/sbin/getty -L ttyS10 9600 vt100
T5:23:respawn:/sbin/agetty -L ttyS1x 9600 vt100
S1:2345:respawn:/sbin/mgetty ttyS1
"""


def comment_out(text, device):
    pattern = jinja2.Environment().from_string(VARS['__mgetty_inittab_getty_pattern']).render(
        item={'device': device})
    return re.sub(pattern, r'#\1', text, flags=re.MULTILINE)


def test_other_gettys_on_the_port_are_commented_out():
    result = comment_out(INITTAB, 'ttyS1')
    changed = [(a, b) for a, b in zip(INITTAB.splitlines(), result.splitlines()) if a != b]
    assert changed == [
        ('T1:23:respawn:/sbin/getty -L ttyS1 9600 vt100', '#T1:23:respawn:/sbin/getty -L ttyS1 9600 vt100'),
        ('T2:23:respawn:/sbin/agetty -L 115200 /dev/ttyS1 vt100',
         '#T2:23:respawn:/sbin/agetty -L 115200 /dev/ttyS1 vt100'),
        ('T3:23:respawn:mingetty ttyS1', '#T3:23:respawn:mingetty ttyS1'),
    ]


def test_a_second_pass_changes_nothing():
    once = comment_out(INITTAB, 'ttyS1')
    assert comment_out(once, 'ttyS1') == once


def test_other_ports_mgetty_and_comments_are_left_alone():
    assert comment_out(INITTAB, 'ttyS2') == INITTAB
