"""USB modems: found by udev properties, their settings follow them, a replug starts mgetty again.

The modem role's udev rule, the mgetty unit and mgetty.config rendered with Jinja as Ansible renders
them; port-settings rendered the same way and run for real (/bin/sh, awk, flock) on a directory
that plays /dev, /etc/mgetty and /etc/ppp, where two modems swap ttyUSB0 and ttyUSB1.
"""
import ast
import fnmatch
import re
import subprocess
from pathlib import Path

import jinja2
import pytest
import yaml

from ansible_collections.dialin.callback.plugins.filter.input_errors import input_errors
from ansible_collections.dialin.callback.tests.unit.role_vars import load_role_vars

ROOT = Path(__file__).resolve().parents[2]
# trim_blocks as Ansible's template module renders.
ENV = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, trim_blocks=True)
MODEM_VARS = load_role_vars('roles/modem/vars/main.yml')
MODEM_DEFAULTS = yaml.safe_load((ROOT / 'roles/modem/defaults/main.yml').read_text())
MGETTY_VARS = load_role_vars('roles/mgetty/vars/main.yml')
MGETTY_DEFAULTS = yaml.safe_load((ROOT / 'roles/mgetty/defaults/main.yml').read_text())
PPP_VARS = load_role_vars('roles/ppp_server/vars/main.yml')

MODEM_A = {'device': 'ttyUSB0', 'identify': {'serial': 'A1B2C3'}, 'speed': 57600, 'rings': 2,
           'local_ip': '10.0.0.1', 'remote_ip': '10.0.0.2'}
MODEM_B = {'device': 'ttyUSB1', 'identify': {'by_id': 'usb-Zoom_3095_Modem_0000001-if00', 'usb_path': None},
           'speed': 38400, 'rings': 4, 'local_ip': '10.0.0.1', 'remote_ip': '10.0.0.3'}
SERIAL_PORT = {'device': 'ttyS1', 'link': 'modem', 'local_ip': '10.0.0.1', 'remote_ip': '10.0.0.4'}


def render(path, **variables):
    return ENV.from_string((ROOT / path).read_text()).render(ansible_managed='managed', **variables)


def rules(ports, **overrides):
    variables = dict(MODEM_DEFAULTS, modem_ports=ports, **overrides)
    variables.update((k, v) for k, v in MODEM_VARS.items() if k.startswith('__modem_identif'))
    text = render('roles/modem/templates/modem.rules.j2', **variables)
    return [line for line in text.splitlines() if line and not line.startswith('#')]


def test_rule_finds_an_identified_modem_by_its_properties_not_its_kernel_name():
    serial, by_id, fixed = rules([MODEM_A, MODEM_B, SERIAL_PORT])
    assert 'ENV{ID_SERIAL_SHORT}=="A1B2C3"' in serial and 'KERNEL=="ttyUSB0"' not in serial
    assert 'SYMLINK+="dialin-callback/ttyUSB0"' in serial
    assert 'SYMLINK=="serial/by-id/usb-Zoom_3095_Modem_0000001-if00"' in by_id and 'ID_PATH' not in by_id
    assert 'SYMLINK+="dialin-callback/ttyUSB1"' in by_id
    assert 'KERNEL=="ttyS1"' in fixed and 'dialin-callback/' not in fixed and 'SYMLINK+="modem"' in fixed


def test_rule_starts_mgetty_on_the_kernel_name_whenever_a_port_appears():
    for line in rules([MODEM_A, SERIAL_PORT]):
        assert line.endswith(', TAG+="systemd", ENV{SYSTEMD_WANTS}+="mgetty@%k.service"'), line
    for line in rules([MODEM_A, SERIAL_PORT], modem_systemd_wants=''):
        assert 'SYSTEMD_WANTS' not in line and 'TAG+=' not in line


def test_an_identified_modem_answers_only_on_a_tty_the_pam_rules_guard():
    """The udev rule of a port found by identify matches only the kernel names that ppp_server's PAM
    rules and callback check treat as dial-in lines: on any other tty no link and no mgetty."""
    serial = rules([MODEM_A])[0]
    pattern = MODEM_VARS['__modem_identified_kernels']
    assert serial.startswith(f'SUBSYSTEM=="tty", KERNEL=="{pattern}", ')
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    env.filters['regex_replace'] = lambda value, pattern, repl: re.sub(pattern, repl, value)
    guarded = ast.literal_eval(env.from_string(PPP_VARS['__ppp_server_usb_ttys']).render())
    candidates = [f'{kind}{n}' for kind in ('ttyUSB', 'ttyACM', 'ttyS', 'ttyAMA') for n in range(0, 20)]
    # udev's KERNEL match: shell glob alternatives separated by |.
    matched = [c for c in candidates if any(fnmatch.fnmatchcase(c, alt) for alt in pattern.split('|'))]
    assert sorted(matched) == sorted(guarded), (matched, guarded)


def test_every_key_of_identify_has_a_udev_match():
    spec = yaml.safe_load((ROOT / 'roles/modem/meta/argument_specs.yml').read_text())
    keys = spec['argument_specs']['main']['options']['modem_ports']['options']['identify']['options']
    assert sorted(keys) == sorted(MODEM_VARS['__modem_identify_matches'])


def test_the_roles_agree_on_the_links_and_the_options_names():
    assert MGETTY_VARS['__mgetty_identified_link_dir'] == '/dev/' + MODEM_VARS['__modem_identified_link_dir']
    assert MGETTY_VARS['__mgetty_ppp_identified_prefix'] == PPP_VARS['__ppp_server_identified_prefix']


def unit(ports):
    keys = ('mgetty_start_limit_burst', 'mgetty_restart_sec', 'mgetty_systemd_bind_device')
    variables = {k: MGETTY_DEFAULTS[k] for k in keys}
    identified = [port for port in ports if port.get('identify')]
    return render('roles/mgetty/templates/mgetty@.service.j2', __mgetty_binary='/sbin/mgetty',
                  __mgetty_identified_ports=identified,
                  __mgetty_port_settings=MGETTY_VARS['__mgetty_port_settings'], **variables)


def test_unit_selects_the_settings_before_mgetty_only_with_identified_ports():
    with_usb = unit([MODEM_A, SERIAL_PORT]).splitlines()
    pre = 'ExecStartPre=%s apply' % MGETTY_VARS['__mgetty_port_settings']
    assert with_usb.index(pre) < with_usb.index('ExecStart=/sbin/mgetty %I')
    assert 'BindsTo=dev-%i.device' in with_usb
    assert 'ExecStartPre' not in unit([SERIAL_PORT])


@pytest.mark.parametrize('identify, wrong', [
    ({}, 'identify must name one or more'),
    ({'serial': None}, 'identify must name one or more'),
    ({'vendor': '0572'}, 'identify must name one or more'),
    ({'serial': 'A1"B'}, 'identify serial must be udev property values'),
    ({'by_id': 'usb-*'}, 'identify by_id must be udev property values'),
])
def test_identify_is_checked(identify, wrong):
    errors = input_errors({'modem_ports': [dict(MODEM_A, identify=identify)], 'modem_port_mode': '0660'}, 'modem')
    assert len(errors) == 1 and wrong in errors[0], errors


def test_two_ports_with_one_identity_are_refused():
    twin = dict(MODEM_B, identify={'serial': 'A1B2C3', 'usb_path': None})
    errors = input_errors({'modem_ports': [MODEM_A, twin], 'modem_port_mode': '0660'}, 'modem')
    assert len(errors) == 1 and 'each identify may appear once' in errors[0], errors
    assert input_errors({'modem_ports': [MODEM_A, MODEM_B], 'modem_port_mode': '0660'}, 'modem') == []


class Host:
    """A directory playing the host: dev/ (udev's links), mgetty/, ppp/, and port-settings in it."""

    def __init__(self, root, ports):
        self.root, self.ports = root, ports
        for sub in ('dev/dialin-callback', 'mgetty', 'ppp', 'bin'):
            (root / sub).mkdir(parents=True)
        self.vars = dict(MGETTY_VARS, __mgetty_identified_ports=[p for p in ports if p.get('identify')],
                         __mgetty_identified_link_dir=str(root / 'dev/dialin-callback'),
                         __mgetty_config_dir=str(root / 'mgetty'), __mgetty_ppp_dir=str(root / 'ppp'),
                         __mgetty_port_settings_lock=str(root / 'port-settings.lock'))
        self.script = root / 'bin/port-settings'
        self.script.write_text(render('roles/mgetty/templates/port-settings.j2', **self.vars))
        self.script.chmod(0o755)
        for port in ports:
            prefix = MGETTY_VARS['__mgetty_ppp_identified_prefix'] if port.get('identify') else ''
            (root / 'ppp' / ('options.' + prefix + port['device'])).write_text(
                render('roles/ppp_server/templates/options.tty.j2', item=port))

    def plug(self, name, tty):
        link = self.root / 'dev/dialin-callback' / name
        if link.is_symlink():
            link.unlink()
        if tty:
            link.symlink_to('../' + tty)

    def run(self, command):
        return subprocess.run([str(self.script), command], check=True, capture_output=True, text=True).stdout

    def names(self):
        return dict(line.split() for line in self.run('names').splitlines())

    def template(self):
        """mgetty.config as the mgetty role writes it, with the ttys port-settings names."""
        variables = {k: v for k, v in MGETTY_DEFAULTS.items() if k.startswith('mgetty_') and k != 'mgetty_callback_only'}
        variables.update(self.vars, mgetty_ports=self.ports, __mgetty_kernel_names=self.names())
        return render('roles/mgetty/templates/mgetty.config.j2', **variables)

    def sections(self):
        found, current = {}, None
        for line in (self.root / 'mgetty/mgetty.config').read_text().splitlines():
            if line.startswith('port '):
                current = found.setdefault(line.split()[1], [])
            elif current is not None and line and not line.startswith('#'):
                current.append(line)
        return found

    def pppd_reads(self, tty):
        """What pppd reads for a tty: /etc/ppp/options.<tty> (pppd's options_for_tty), through a link."""
        path = self.root / 'ppp' / ('options.' + tty)
        return path.read_text() if path.exists() else None


@pytest.fixture
def host(tmp_path):
    return Host(tmp_path, [MODEM_A, MODEM_B, SERIAL_PORT])


def test_settings_follow_two_modems_that_swap_ttys(host):
    host.plug('ttyUSB0', 'ttyUSB0')
    host.plug('ttyUSB1', 'ttyUSB1')
    (host.root / 'mgetty/mgetty.config').write_text(host.template())
    assert host.run('apply') == 'changed %s -> options.identified.ttyUSB0\nchanged %s -> options.identified.ttyUSB1\n' % (
        host.root / 'ppp/options.ttyUSB0', host.root / 'ppp/options.ttyUSB1')
    assert '10.0.0.1:10.0.0.2' in host.pppd_reads('ttyUSB0') and 'rings 2' in host.sections()['ttyUSB0']

    # The next boot: modem A is ttyUSB1, modem B ttyUSB0. mgetty@ttyUSB1 runs port-settings first.
    host.plug('ttyUSB0', 'ttyUSB1')
    host.plug('ttyUSB1', 'ttyUSB0')
    changed = host.run('apply')
    assert 'changed %s\n' % (host.root / 'mgetty/mgetty.config') in changed
    sections = host.sections()
    assert 'rings 2' in sections['ttyUSB1'] and 'speed 57600' in sections['ttyUSB1']
    assert 'rings 4' in sections['ttyUSB0'] and 'speed 38400' in sections['ttyUSB0']
    assert 'rings 1' in sections['ttyS1']
    assert '10.0.0.1:10.0.0.2' in host.pppd_reads('ttyUSB1') and '57600' in host.pppd_reads('ttyUSB1')
    assert '10.0.0.1:10.0.0.3' in host.pppd_reads('ttyUSB0')
    assert '10.0.0.1:10.0.0.4' in host.pppd_reads('ttyS1')
    # Ansible's next run writes what port-settings wrote: no change, no restart.
    assert host.template() == (host.root / 'mgetty/mgetty.config').read_text()
    assert host.run('apply') == ''


def test_an_unplugged_modem_leaves_its_tty_to_the_other(host):
    host.plug('ttyUSB1', 'ttyUSB0')
    (host.root / 'mgetty/mgetty.config').write_text(host.template())
    host.run('apply')
    sections = host.sections()
    assert 'rings 4' in sections['ttyUSB0']
    assert 'rings 2' in sections['absent-ttyUSB0'] and 'ttyUSB1' not in sections
    assert '10.0.0.1:10.0.0.3' in host.pppd_reads('ttyUSB0') and host.pppd_reads('ttyUSB1') is None


def test_an_old_options_file_of_a_configured_name_is_replaced_but_no_other(host):
    (host.root / 'ppp/options.ttyUSB0').write_text('written before identify\n')
    (host.root / 'ppp/options.ttyUSB3').write_text('a port dialin.callback does not manage\n')
    host.plug('ttyUSB0', 'ttyUSB3')
    host.plug('ttyUSB1', 'ttyUSB0')
    result = subprocess.run([str(host.script), 'apply'], check=True, capture_output=True, text=True)
    assert host.pppd_reads('ttyUSB0') == host.pppd_reads('identified.ttyUSB1')
    assert host.pppd_reads('ttyUSB3') == 'a port dialin.callback does not manage\n'
    assert 'options.ttyUSB3 is not a link, left as it is' in result.stderr
