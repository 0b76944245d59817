# Copyright: contributors to dialin.callback
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Dress rehearsal of one inventory host in the end-to-end VM (docs/rehearsal.md).

Run by playbooks/rehearse.yml, as root, on the controller:

    python3 tests/e2e/rehearse.py --vars HOST.json --report REPORT.json [--workdir DIR] [--vm-timeout S]

HOST.json (written by the playbook, mode 0600, removed by it afterwards) holds the host's name, its
Debian release and its server_* variables as the server role would get them, PAP secrets included.
The host itself is never contacted. What this does, with the end-to-end test's machinery (e2e.py):

  - plan(): the host's ports become the VM's test-modem lines (port i: /dev/ttyS<i+1>, a number of its
    own), each callback user's registered number a caller's line (its digits, as a modem dials them),
    the users' `lines` and the LAN interfaces renamed to match; one call per callback user and per PPP
    user (n = the larger count: call k is made as callback user k mod n and PPP user k mod n);
  - the server's root (the host's release) is configured by dialin.callback.server with those
    variables, the caller's by dialin.callback.client once per call (playbooks/rehearse_configure.yml);
  - the VM runs guest/rehearse_guest.py: each call dials the port, logs in as the pseudo-user, waits
    for the callback and brings up PPP as the PPP user, then pings the server's PPP address and a host
    on the LAN; dialin.callback.line_status reads the lines at the end;
  - verdict(): per call, from the modem emulator's events and the syslog, whether the server called
    back that user's number and only it, and whether the link came up; per user and per port what
    failed and why. The report (JSON) carries line_status's result with the host's port names, for
    the playbook's status report.

Exit status: 0 when every user passed, 1 when one failed (the report says which and why), 2 when the
rehearsal could not run (the reason on stderr and in the report).
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import json
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import e2e  # noqa: E402  pylint: disable=wrong-import-position

# Port keys that name the host's hardware: the VM's lines are the emulator's ptys.
HARDWARE_KEYS = ('match', 'identify')
# What the chroot and the VM need whatever the host has (tests/e2e/vars/e2e.yml says why for each).
VM_SERVER_VARS = {
    'server_kernel_ppp_required': False,
    'server_verify_ports': False,
    'server_ip_forward_apply': False,
    'server_manage_services': False,
    'server_mgetty_respawn': 'auto',
    'server_mgetty_bind_device': False,
}
# The VM's LAN interface (a veth pair to the namespace `lan`, guest/orchestrate.py).
VM_LAN_INTERFACE = 'lan0'
# Seconds a call may take from `pon` to the link: the callback delay (5 s in the rehearsal), the
# login, PAP and IPCP under emulation; the e2e test's calls take 25-45 s.
CALL_TIMEOUT = 150
RELEASES = ('bookworm', 'trixie')


class PlanError(Exception):
    """The host's variables cannot be rehearsed (the message says which and why)."""


def digits_dialled(number: str) -> str:
    """What a modem dials of a number: its digits (W, P, T, commas... are dialling modifiers)."""
    return ''.join(ch for ch in str(number) if ch.isdigit() or ch in '*#')


def plan(host_vars: dict) -> dict:
    """The rehearsal of one host: the server's variables for the VM, the caller's peers, the guest's
    configuration and what each call must show. Raises PlanError on what no rehearsal can run."""
    server = dict(host_vars.get('server') or {})
    ports = server.get('server_ports') or []
    if not isinstance(ports, list) or not ports:
        raise PlanError('server_ports: the host has no ports to rehearse')
    cb_users = server.get('server_callback_users') or []
    ppp_users = server.get('server_ppp_users') or []
    if not cb_users:
        raise PlanError('server_callback_users: the host has no callback user to call as')
    if not ppp_users:
        raise PlanError('server_ppp_users: the host has no PPP account to link with')
    for i, port in enumerate(ports):
        if not isinstance(port, dict) or not port.get('device'):
            raise PlanError(f'server_ports[{i}]: no device')
    # The callers' lines: one per number the server may dial back (its digits).
    caller_numbers: list = []
    for user in cb_users:
        dialled = digits_dialled(user.get('number', ''))
        if dialled.isdigit() and dialled not in caller_numbers:
            caller_numbers.append(dialled)
    # A line for callers whose number no line has (the server then dials a number nobody answers).
    spare = next(n for n in (f'55580{k:02d}' for k in range(100)) if n not in caller_numbers)
    port_numbers = [n for n in (f'55590{k:02d}' for k in range(100)) if n not in caller_numbers][:len(ports)]
    vm_device = {port['device']: f'ttyS{i + 1}' for i, port in enumerate(ports)}
    caller_device = {number: f'ttyS{len(ports) + 1 + j}' for j, number in enumerate(caller_numbers + [spare])}

    vm_ports = []
    for i, port in enumerate(ports):
        vm_port = {k: v for k, v in port.items() if k not in HARDWARE_KEYS}
        vm_port['device'] = vm_device[port['device']]
        # The emulator's line is a pty: no DTR to toggle.
        vm_port['toggle_dtr'] = False
        vm_ports.append(vm_port)
    vm_cb_users = []
    for user in cb_users:
        vm_user = dict(user)
        if user.get('lines'):
            vm_user['lines'] = [vm_device.get(line, line) for line in user['lines']]
        vm_cb_users.append(vm_user)
    server_vars = dict(server, server_ports=vm_ports, server_callback_users=vm_cb_users,
                       server_lan_interfaces=[VM_LAN_INTERFACE], **VM_SERVER_VARS)

    # The VM's LAN: the first port's subnet (server_netmask), its two highest free addresses for the
    # server's LAN interface and a host on the LAN.
    netmask = server.get('server_netmask') or '255.255.255.0'
    try:
        lan = ipaddress.ip_network(f'{ports[0]["local_ip"]}/{netmask}', strict=False)
    except (KeyError, ValueError) as exc:
        raise PlanError(f'server_ports[0].local_ip and server_netmask: no LAN can be made of them ({exc})') from exc
    used = {str(p.get(k)) for p in ports for k in ('local_ip', 'remote_ip')}
    used |= {str(a) for account in ppp_users for a in account.get('addresses') or []}
    free = [str(a) for a in reversed(list(lan.hosts())[-16:]) if str(a) not in used]
    if len(free) < 2:
        raise PlanError(f'server_ports: no free address left in {lan} for the rehearsal LAN')
    lan_server, lan_host = free[0], free[1]

    autoppp = server.get('server_autoppp', True)
    mode = 'autoppp' if autoppp in (True, 'true', 'True', 'yes', 1) else 'ppplogin'
    # One call per callback user, each with the next PPP user; a PPP user is judged only by calls whose
    # callback can be answered (its number has a line), and gets a call of its own with such a callback
    # user when it has none.
    reachable = [u for u in cb_users if digits_dialled(u.get('number', '')) in caller_numbers]
    pairs, covered = [], set()
    for i, user in enumerate(cb_users):
        account = ppp_users[i % len(ppp_users)]
        checked = user in reachable
        pairs.append((user, account, checked))
        if checked:
            covered.add(account.get('name'))
    for account in ppp_users:
        if account.get('name') not in covered and reachable:
            pairs.append((reachable[len(pairs) % len(reachable)], account, True))
            covered.add(account.get('name'))
    # The calls whose callback nobody can answer last: callback tries such a number four times, 30 s
    # apart, holding the port, and the next call would wait for it.
    pairs.sort(key=lambda pair: pair[0] not in reachable)
    calls, peers = [], []
    for k, (user, account, checked) in enumerate(pairs):
        # The port: one of the user's lines (any port without), where the PPP user's addresses, when
        # it has some, allow the port's remote address.
        lines = [vm_device.get(line, line) for line in user.get('lines') or []]
        allowed = [i for i, p in enumerate(vm_ports) if not lines or p['device'] in lines] or list(range(len(ports)))
        fits = [i for i in allowed
                if not account.get('addresses') or str(vm_ports[i].get('remote_ip')) in map(str, account['addresses'])]
        port_index = (fits or allowed)[k % len(fits or allowed)]
        dialled = digits_dialled(user.get('number', ''))
        from_number = dialled if dialled in caller_device else spare
        peer = f'rehearse-{k + 1}'
        calls.append({
            'name': f'call-{k + 1}', 'peer': peer, 'callback_user': user['name'], 'ppp_user': account.get('name'),
            'ppp_checked': checked,
            'number': str(user.get('number', '')), 'dialled': dialled, 'from_number': from_number,
            'port': ports[port_index]['device'], 'vm_port': vm_ports[port_index]['device'],
            'port_number': port_numbers[port_index],
            # The links the call may get: the port's, or another port's if the server dials back there;
            # pppd gives an account with addresses in pap-secrets the one it allows.
            'links': [[remote, p.get('local_ip')] for p in vm_ports
                      for remote in [p.get('remote_ip')] + [a for a in account.get('addresses') or [] if a != '*']],
            'lan_check': ipaddress.ip_address(str(ports[port_index].get('remote_ip'))) in lan,
            'timeout': CALL_TIMEOUT,
        })
        peers.append({
            'client_peer_name': peer, 'client_mode': mode, 'client_callback_user': user['name'],
            'client_device': f'/dev/{caller_device[from_number]}', 'client_server_number': port_numbers[port_index],
            'client_ppp_user': account.get('name'), 'client_ppp_password': account.get('password', ''),
            'client_callback_timeout': 60,
        })
    uncovered = [a.get('name') for a in ppp_users if a.get('name') not in covered]
    lines = [{'device': f'/dev/{vm_device[p["device"]]}', 'number': port_numbers[i]} for i, p in enumerate(ports)]
    lines += [{'device': f'/dev/{dev}', 'number': number} for number, dev in caller_device.items()]
    guest = {
        'lines': lines,
        'caller_id': bool(server.get('server_require_caller_id')),
        'server_devices': [f'/dev/{vm_device[p["device"]]}' for p in ports],
        'lan_server_cidr': f'{lan_server}/{lan.prefixlen}', 'lan_host_cidr': f'{lan_host}/{lan.prefixlen}',
        'lan_host_ip': lan_host,
        'calls': [{k: c[k] for k in ('name', 'peer', 'vm_port', 'links', 'lan_check', 'timeout')} for c in calls],
    }
    return {
        'host': host_vars.get('host', ''), 'release': host_vars.get('release', 'bookworm'),
        'server_vars': server_vars, 'peers': peers, 'guest': guest, 'calls': calls,
        'ports': [{'port': p['device'], 'vm_port': vm_device[p['device']], 'number': port_numbers[i]}
                  for i, p in enumerate(ports)],
        'vm_device': vm_device, 'numbers': {'callers': caller_numbers, 'spare': spare},
        'ppp_users_uncovered': uncovered,
        'secrets': sorted({str(a.get('password')) for a in ppp_users if a.get('password')}),
    }


def verdict(rehearsal: dict, results: dict, events: list, syslog: list) -> dict:
    """Per call, per user and per port: what happened and, when it failed, why."""
    by_name = {rec['name']: rec for rec in results.get('calls', [])}
    port_of_number = {p['number']: p['port'] for p in rehearsal['ports']}
    calls_out = []
    for call in rehearsal['calls']:
        rec = by_name.get(call['name'], {})
        lo = rec.get('t_start')
        later = [r.get('t_start') for r in results.get('calls', []) if r.get('t_start') and lo and r['t_start'] > lo]
        hi = min(later) if later else float('inf')
        ev = [e for e in events if lo and lo <= e.get('t', 0) < hi]
        log_ = [m for t, m in syslog if lo and lo <= t < hi]
        dialled_in = [e for e in ev if e.get('event') == 'dial' and e.get('line') == call['from_number']]
        server_dials = [e for e in ev if e.get('event') == 'dial' and e.get('line') in port_of_number]
        answered = [e for e in ev if e.get('event') == 'answer' and e.get('line') == call['from_number']]
        gate = [m for m in log_ if f"user='{call['callback_user']}'" in m and 'callback' in m]
        pap_failed = [m for m in log_ if f"PAP peer authentication failed for {call['ppp_user']}" in m]
        wrong = [e.get('number') for e in server_dials if e.get('number') != call['dialled']]
        # What failed up to the callback (the callback user's doing), then on the link (the PPP user's).
        callback_reason = link_reason = ''
        if not lo:
            callback_reason = rec.get('skipped') or 'the call was not placed (the VM ran out of time or failed first)'
        elif not dialled_in or dialled_in[0].get('result') != 'ringing':
            callback_reason = (f"the caller could not reach port {call['port']}: "
                               f"{dialled_in[0].get('result') if dialled_in else 'no dial'}")
        elif not gate and rec.get('lines_ready') is False:
            callback_reason = ("the server's ports were still busy, or mgetty not waiting for a call, "
                               'when the call was placed (an earlier callback holding a port?)')
        elif not gate:
            callback_reason = (f"mgetty did not run the callback for {call['callback_user']!r} "
                               '(login.config has no entry for it on this port, or the login failed)')
        elif wrong:
            callback_reason = (f"the server dialled {', '.join(map(str, wrong))}, "
                               f"not the registered number {call['number']}")
        elif not server_dials:
            callback_reason = f"the server did not dial back {call['number']} (callback refused or failed: callback.log)"
        elif call['from_number'] != call['dialled']:
            callback_reason = (f"the server dialled {call['number']}, which no modem line can answer "
                               f"(dialled as {call['dialled'] or 'nothing'}: a modem dials digits only)")
        elif not answered:
            callback_reason = f"the callback to {call['number']} was not answered"
        elif not rec.get('linked'):
            link_reason = (f"the PPP link for {call['ppp_user']!r} did not come up"
                           + (': the server refused its PAP password (no or another secret)' if pap_failed else '')
                           + (f" ({rec.get('detail')})" if rec.get('detail') else ''))
        elif not rec.get('pings', {}).get('server', False):
            link_reason = "the link came up but the server's PPP address does not answer pings"
        elif call['lan_check'] and not rec.get('pings', {}).get('lan', False):
            link_reason = 'the link came up but the LAN host does not answer (proxyarp, ip_forward or the forwarding policy)'
        calls_out.append({
            'call': call['name'], 'callback_user': call['callback_user'], 'ppp_user': call['ppp_user'],
            'ppp_checked': call.get('ppp_checked', True),
            'port': call['port'], 'number': call['number'], 'ok': not (callback_reason or link_reason),
            'callback_reason': callback_reason, 'link_reason': link_reason,
            'reason': callback_reason or link_reason,
            'callback_numbers': [e.get('number') for e in server_dials],
            'callback_ports': [port_of_number[e.get('line')] for e in server_dials],
            'link': rec.get('link'), 'dial_to_link': (rec['t_link_up'] - dialled_in[0]['t'])
            if rec.get('t_link_up') and dialled_in else None,
            'seconds': (rec['t_end'] - lo) if lo and rec.get('t_end') else None,
        })
    users = []
    for name in dict.fromkeys(c['callback_user'] for c in calls_out):
        mine = [c for c in calls_out if c['callback_user'] == name]
        bad = [c for c in mine if c['callback_reason']]
        users.append({'user': name, 'kind': 'callback', 'ok': not bad, 'calls': [c['call'] for c in mine],
                      'reason': '; '.join(f"{c['call']}: {c['callback_reason']}" for c in bad)})
    for name in list(dict.fromkeys(c['ppp_user'] for c in calls_out)) + rehearsal.get('ppp_users_uncovered', []):
        mine = [c for c in calls_out if c['ppp_user'] == name and c['ppp_checked']]
        judged = [c for c in mine if not c['callback_reason']]
        bad = [c for c in judged if c['link_reason']]
        if not judged:
            reason = ('not rehearsed: no call reached PPP: ' + '; '.join(f"{c['call']}: {c['callback_reason']}" for c in mine)
                      if mine else 'not rehearsed: no callback user has a number a modem line can answer')
        else:
            reason = '; '.join(f"{c['call']}: {c['link_reason']}" for c in bad)
        users.append({'user': name, 'kind': 'ppp', 'ok': bool(judged) and not bad,
                      'calls': [c['call'] for c in mine], 'reason': reason})
    ports = []
    for port in rehearsal['ports']:
        mine = [c for c in calls_out if c['port'] == port['port']]
        bad = [c for c in mine if not c['ok']]
        ports.append({'port': port['port'], 'vm_port': port['vm_port'], 'calls': [c['call'] for c in mine],
                      'called_back_from': sorted({c['call'] for c in calls_out if port['port'] in c['callback_ports']}),
                      'ok': not bad, 'reason': '; '.join(f"{c['call']}: {c['reason']}" for c in bad)})
    return {'calls': calls_out, 'users': users, 'ports': ports,
            'ok': bool(calls_out) and all(u['ok'] for u in users) and all(c['ok'] for c in calls_out)}


def failure_messages(output: str) -> list:
    """The messages of an ansible-playbook run's failed tasks (`fatal: [host]: FAILED! => {...}`)."""
    msgs = []
    for line in output.splitlines():
        if not line.startswith(('fatal:', 'failed:')):
            continue
        _head, sep, body = line.partition(' => ')
        try:
            msgs.append(str(json.loads(body).get('msg', body)) if sep else line)
        except ValueError:
            msgs.append(line)
    return msgs


def configure_failed(rehearsal: dict, error: str) -> list:
    """Every user, when the configuration failed before any call: those the error names fail with it
    (the server role's checks name a user by its name), the others are not rehearsed."""
    users = []
    for kind, key in (('callback', 'callback_user'), ('ppp', 'ppp_user')):
        for name in dict.fromkeys([c[key] for c in rehearsal['calls']]
                                  + (rehearsal.get('ppp_users_uncovered', []) if kind == 'ppp' else [])):
            named = re.search(r'(?<![\w.-])%s(?![\w.-])' % re.escape(str(name)), error)
            users.append({'user': name, 'kind': kind, 'ok': False, 'calls': [],
                          'reason': ('the configuration refused it: ' if named else
                                     'not rehearsed: the configuration failed: ') + error[:1500]})
    return users


def host_line_status(result: dict, vm_device: dict) -> dict:
    """line_status's result with the host's port names instead of the VM's."""
    host_name = {vm: host for host, vm in vm_device.items()}
    if not host_name:
        return result
    # One pass: a VM name that is also a host name (ttyS1) is not renamed twice.
    pattern = re.compile(r'"((?:/dev/)?)(%s)"' % '|'.join(map(re.escape, sorted(host_name, key=len, reverse=True))))
    text = pattern.sub(lambda m: json.dumps(m.group(1) + host_name[m.group(2)]), json.dumps(result))
    return json.loads(text)


def mask(text: str, secrets) -> str:
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, '********')
    return text


def write_report(path: str, report: dict, secrets: tuple | list = ()) -> None:
    """The report as JSON; a PAP password a message may quote (an error of the configuration runs) is
    masked."""
    text = mask(json.dumps(report, indent=1), [json.dumps(s)[1:-1] for s in secrets])
    tmp = path + '.tmp'
    with open(tmp, 'w', encoding='utf-8') as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def rehearse(args: argparse.Namespace) -> int:
    t0 = time.monotonic()
    with open(args.vars, encoding='utf-8') as f:
        host_vars = json.load(f)
    report: dict = {'host': host_vars.get('host', ''), 'release': host_vars.get('release', ''), 'ok': False}
    try:
        rehearsal = plan(host_vars)
    except PlanError as exc:
        report['error'] = str(exc)
        write_report(args.report, report)
        print(f'rehearse: {report["host"]}: cannot rehearse: {exc}', file=sys.stderr)
        return 2
    release = rehearsal['release']
    if release not in RELEASES:
        report['error'] = f'rehearse_release: {release!r} is not one of {", ".join(RELEASES)}'
        write_report(args.report, report)
        print(f'rehearse: {report["error"]}', file=sys.stderr)
        return 2
    e2e.check_tools()
    setup = e2e.Setup(args.workdir, release, False, kernel=True)
    e2e.log(e2e.environment_line(args.workdir))
    e2e.check_space(args.workdir, 3)
    setup.all()
    combo = e2e.Combo(f'{release}:{release}', args.workdir)
    combo.name = f'rehearse-{rehearsal["host"] or "host"}'
    combo.rundir = os.path.join(args.workdir, 'run', combo.name)
    combo.server, combo.caller = os.path.join(combo.rundir, 'server'), os.path.join(combo.rundir, 'caller')
    try:
        e2e.prepare_roots(combo, {release: setup}, devices=list(rehearsal['vm_device'].values()),
                          guest='rehearse_guest.py')
        return run_rehearsal(args, rehearsal, combo, setup, report, t0)
    finally:
        # The roots hold the host's PAP secrets (pap-secrets, shadow): not kept on the controller's disk,
        # whatever happened.
        if not args.keep_roots:
            e2e.release_roots(combo.rundir)


def run_rehearsal(args: argparse.Namespace, rehearsal: dict, combo, setup, report: dict, t0: float) -> int:
    """Configures the prepared roots, boots the VM, judges the calls and writes the report (t0: when
    the rehearsal started)."""
    timings = {'setup': time.monotonic() - t0}
    # The server's variables and the caller's peers hold the PAP secrets: 0600, removed after the runs.
    secret_vars = os.path.join(combo.rundir, 'rehearsal-vars.json')
    fd = os.open(secret_vars, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w', encoding='utf-8') as f:
        json.dump({**rehearsal['server_vars'], 'rehearse_peers': rehearsal['peers']}, f)
    inventory = os.path.join(combo.rundir, 'inventory.ini')
    e2e.write(inventory, f'[rehearse_server]\nserver ansible_host={combo.server}\n'
                         f'[rehearse_caller]\ncaller ansible_host={combo.caller}\n[all:vars]\n'
                         'ansible_connection=community.general.chroot\nansible_python_interpreter=/usr/bin/python3\n')
    # A failed task's message on its `fatal:` line, as one line of JSON (failure_messages reads it).
    env = dict(e2e.ansible_env(combo.rundir), ANSIBLE_CALLBACK_RESULT_FORMAT='json', ANSIBLE_CALLBACK_FORMAT_PRETTY='false')
    failures = []
    try:
        t = time.monotonic()

        def configure(host: str) -> None:
            cmd = ['ansible-playbook', '-i', inventory, os.path.join(HERE, 'playbooks', 'rehearse_configure.yml'),
                   '--limit', host, '-e', f'@{secret_vars}']
            logfile = os.path.join(combo.rundir, f'ansible-{host}.log')
            res = e2e.subprocess.run(cmd, env=env, cwd=e2e.COLLECTION, capture_output=True, text=True,
                                     check=False, timeout=e2e.ANSIBLE_TIMEOUT)
            e2e.write(logfile, res.stdout + res.stderr)
            e2e.log(f'{combo.name}: configure {host}: rc {res.returncode}')
            if res.returncode != 0:
                failures.append(f'the {host}\'s configuration failed (log {logfile}): '
                                + (' '.join(failure_messages(res.stdout))[-1500:] or e2e.tail(res.stdout + res.stderr, 20)))

        e2e.in_parallel([lambda: configure('server'), lambda: configure('caller')])
        timings['configure'] = time.monotonic() - t
    finally:
        os.unlink(secret_vars)
    with contextlib.suppress(FileNotFoundError):
        for root in (combo.server, combo.caller):
            os.unlink(os.path.join(root, 'usr', 'sbin', 'policy-rc.d'))
    if failures:
        report.update(error=' '.join(failures), timings=timings, users=configure_failed(rehearsal, ' '.join(failures)))
        write_report(args.report, report, rehearsal['secrets'])
        print('rehearse: ' + mask(' '.join(failures), rehearsal['secrets']), file=sys.stderr)
        return 1
    out = os.path.join(combo.rundir, 'out')
    t = time.monotonic()
    # Each call: up to CALL_TIMEOUT, and up to the guest's LINES_WAIT for the ports before it; line_status
    # reads every port of the VM at the end.
    timeout = args.vm_timeout or 300 + len(rehearsal['calls']) * (CALL_TIMEOUT + 250)
    combo.vm_time = e2e.boot(combo, setup, timeout, args.cpus, cfg=rehearsal['guest'],
                             line_status_args=dict(e2e.line_status_step.MODULE_ARGS,
                                                   ports=[p['vm_port'] for p in rehearsal['ports']]))
    timings['vm'] = time.monotonic() - t
    results_path = os.path.join(out, 'results.json')
    results = json.loads(e2e.read(results_path)) if os.path.exists(results_path) else {}
    events = []
    if os.path.exists(os.path.join(out, 'events.jsonl')):
        for ln in e2e.read(os.path.join(out, 'events.jsonl')).splitlines():
            with contextlib.suppress(ValueError):
                events.append(json.loads(ln))
    found = verdict(rehearsal, results, events, e2e.read_syslog(os.path.join(out, 'syslog.log')))
    line_status = {}
    with contextlib.suppress(OSError, ValueError):
        line_status = host_line_status(json.loads(e2e.read(os.path.join(out, 'line_status.json'))),
                                       rehearsal['vm_device'])
    timings['total'] = time.monotonic() - t0
    leaks, _scanned = e2e.files_holding(combo.rundir, rehearsal['secrets'])
    report.update(found, line_status=line_status, timings=timings, logs=combo.rundir,
                  ports_map=rehearsal['ports'], guest_error=results.get('error', ''),
                  secrets_in_outputs=leaks)
    if not results:
        report['ok'] = False
        report['error'] = f'the VM wrote no results (console: {os.path.join(combo.rundir, "console.log")})'
    if leaks:
        report['ok'] = False
        report['error'] = 'a PAP password is in the rehearsal\'s outputs: ' + ', '.join(leaks)
    write_report(args.report, report, rehearsal['secrets'])
    for user in report['users']:
        print(f'rehearse: {report["host"]}: {user["kind"]} user {user["user"]}: '
              + ('PASS' if user['ok'] else f'FAIL: {user["reason"]}'))
    for call in report['calls']:
        print(f'rehearse: {call["call"]} ({call["callback_user"]} -> {call["number"]}, PPP {call["ppp_user"]}, '
              f'port {call["port"]}): ' + ('PASS' if call['ok'] else 'FAIL')
              + (f', dial to link {call["dial_to_link"]:.1f} s' if call.get('dial_to_link') else ''))
    print(f'rehearse: {report["host"]}: {"PASS" if report["ok"] else "FAIL"} ({len(report["calls"])} calls, '
          f'{len(report["users"])} users; set-up {timings["setup"]:.0f} s, configure {timings["configure"]:.0f} s, '
          f'VM {timings["vm"]:.0f} s, total {timings["total"]:.0f} s)')
    return 0 if report['ok'] else 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--vars', required=True, help="the host's variables (JSON, written by playbooks/rehearse.yml)")
    ap.add_argument('--report', required=True, help='where the report goes (JSON)')
    ap.add_argument('--workdir', default=os.environ.get('DIALIN_E2E_WORKDIR', e2e.DEFAULT_WORKDIR))
    ap.add_argument('--vm-timeout', type=int, default=int(os.environ.get('DIALIN_E2E_VM_TIMEOUT', '0')),
                    help="the VM's hard timeout in seconds (default: 300 + 400 per call)")
    ap.add_argument('--cpus', type=int, default=2)
    ap.add_argument('--keep-roots', action='store_true',
                    help="keep the configured roots (they hold the host's PAP secrets) for debugging")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print('rehearse: run as root (mmdebstrap, chroot, mounts, QEMU)', file=sys.stderr)
        return 2
    return rehearse(args)


if __name__ == '__main__':
    sys.exit(main())
