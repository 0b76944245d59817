# Copyright: contributors to dialin.callback
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The end-to-end test's line_status step (issue 17).

Before the VM boots, `build()` makes the module dialin.callback.line_status one self-contained Python
file (Ansible's own AnsiballZ payload, its arguments inside), kept by a run of the module on the host:
the VM has Python but no Ansible, and running Ansible inside an emulated VM is slow. The guest runs it
after its scenarios (orchestrate.py: `line_status`), writes out/line_status.json; `checks()` then
compares the calls it reports with the scenarios that ran: one call per scenario that dialled, inside
that scenario's time window, with the login, callback, PPP user and outcome the scenario produced.
During each call that must link, the guest also runs it while the server's callback program waits to
dial back and while the PPP link is up: the line must be waiting_for_callback, then ppp_up with the
peer's address and user (`live_checks()`).
"""

from __future__ import annotations

import json
import os

import ansiballz

PAYLOAD = 'line_status_module.py'
REPORT = 'line_status.json'
# The guest's syslog listener writes the VM's syslog there (vm_sysinit.py); the VM runs no journal.
MODULE_ARGS = {'ports': ['ttyS1'], 'since': '0', 'syslog_source': 'files', 'syslog_files': ['/e2e/out/syslog.log']}


def build(out: str, env: dict, cwd: str, args: dict | None = None) -> str:
    """Writes out/line_status_module.py (args: the module's, default MODULE_ARGS); returns '' or what
    went wrong."""
    return ansiballz.build(out, env, cwd, 'line_status', MODULE_ARGS if args is None else args, PAYLOAD)


def expected_calls(results: dict) -> list:
    """What each scenario that dialled must have left, in order."""
    cfg = results.get('config', {})
    by_name = {sc['name']: sc for sc in cfg.get('scenarios', [])}
    number = cfg.get('caller_line', {}).get('number')
    want = []
    for rec in results.get('scenarios', []):
        if 't_start' not in rec:
            continue
        sc = by_name.get(rec['name'], {})
        if sc.get('expect') == 'link':
            exp = {'outcome': 'ppp', 'pseudo_login': 'call', 'callback_result': 'success',
                   'callback_number': number, 'ppp_user': sc.get('ppp_user', cfg.get('smoke_user')),
                   'ppp_peer_ip': cfg.get('caller_ppp_ip'), 'ppp_local_ip': cfg.get('server_ppp_ip')}
        elif sc.get('expect') == 'no-link-no-callback':
            # login.config broken (Debian's file): /AutoPPP/ ran pppd at once, no callback; the callback
            # check made pppd refuse the PAP login.
            exp = {'outcome': 'ppp_auth_failed', 'login': '/AutoPPP/', 'program': '/usr/sbin/pppd',
                   'pseudo_login': None, 'callback_result': None, 'ppp_user': sc.get('ppp_user')}
        elif sc.get('expect') == 'no-callback':
            exp = {'outcome': 'refused', 'login': sc.get('login'), 'program': sc.get('refusal'),
                   'pseudo_login': None, 'callback_result': None}
        else:
            exp = {'outcome': 'ppp_auth_failed', 'pseudo_login': 'call', 'callback_result': 'success',
                   'callback_number': number, 'ppp_user': sc.get('ppp_user')}
        want.append((rec, exp))
    return want


def _load(out: str, report: str) -> tuple:
    try:
        with open(os.path.join(out, report), encoding='utf-8') as f:
            data = json.load(f)
    except (OSError, ValueError) as exc:
        return None, f'{report}: {exc}'
    if data.get('failed'):
        return None, json.dumps(data)[-1500:]
    return (data.get('lines') or [{}])[0], ''


def live_checks(out: str, results: dict) -> list:
    """What line_status said during each call that linked: while the server's callback program
    waited to dial back, and while the PPP link was up."""
    cfg = results.get('config', {})
    by_name = {sc['name']: sc for sc in cfg.get('scenarios', [])}
    line_name = os.path.basename(cfg.get('server_line', {}).get('device', ''))
    found = []
    for rec in results.get('scenarios', []):
        if rec.get('expect') != 'link' or 't_start' not in rec:
            continue
        name = rec['name']
        ppp_user = by_name.get(name, {}).get('ppp_user', cfg.get('smoke_user'))
        cb = rec.get('line_status_callback') or {'error': 'not run'}
        line, problem = _load(out, cb['report']) if cb.get('report') else (None, cb.get('error'))
        if line is not None:
            # The guest stopped the waiting callback while the module ran: it cannot have dialled.
            ok = (line.get('line') == line_name and line.get('state') == 'waiting_for_callback'
                  and 'callback %d' % cb['callback_pids'][0] in (line.get('detail') or '')
                  and 'proc' in line.get('sources', []))
            detail = json.dumps({k: line.get(k) for k in ('line', 'state', 'detail', 'sources')})
        else:
            ok, detail = False, problem
        found.append({'name': f'line_status: during the {name} call, while callback waits to dial back, '
                              f'{line_name} is waiting_for_callback', 'ok': ok, 'detail': detail})
        pp = rec.get('line_status_ppp') or {'error': 'not run (no link)'}
        line, problem = _load(out, pp['report']) if pp.get('report') else (None, pp.get('error'))
        if line is not None:
            ppp = line.get('ppp') or {}
            want = {'local_ip': cfg.get('server_ppp_ip'), 'peer_ip': cfg.get('caller_ppp_ip'),
                    'user': ppp_user}
            ok = (line.get('state') == 'ppp_up' and all(ppp.get(k) == v for k, v in want.items())
                  and (ppp.get('interface') or '').startswith('ppp')
                  and any(src.startswith('interface:ppp') for src in line.get('sources', []))
                  and line.get('health') == 'OK')
            detail = json.dumps({k: line.get(k) for k in ('state', 'detail', 'ppp', 'health', 'sources')})
        else:
            ok, detail = False, problem
        found.append({'name': f'line_status: during the {name} call\'s PPP link, {line_name} is ppp_up '
                              'with the peer\'s address and PPP user', 'ok': ok, 'detail': detail})
    return found


def checks(out: str, results: dict) -> list:
    path = os.path.join(out, REPORT)
    name = 'line_status in the VM reports exactly the calls that happened'
    try:
        with open(path, encoding='utf-8') as f:
            report = json.load(f)
    except (OSError, ValueError) as exc:
        return [{'name': name, 'ok': False, 'detail': f'{path}: {exc}; guest said: {results.get("line_status", "")}'}]
    if report.get('failed'):
        return [{'name': name, 'ok': False, 'detail': json.dumps(report)[-1500:]}]
    line = (report.get('lines') or [{}])[0]
    calls = line.get('calls', [])
    want = expected_calls(results)
    out_checks = [{'name': f'line_status: {len(want)} calls on {line.get("line")}, one per scenario that dialled',
                   'ok': len(calls) == len(want),
                   'detail': 'reported: ' + json.dumps([(c['start'], c['outcome'], c['login']) for c in calls])}]
    for (rec, exp), call in zip(want, calls):
        # mgetty's log has whole seconds: the RING is at most 1 s before the scenario's pon in its clock.
        in_window = rec['t_start'] - 1 <= call['start'] <= rec.get('t_end', rec['t_start'] + 300)
        diff = {k: (call.get(k), v) for k, v in exp.items() if call.get(k) != v}
        extra = []
        if exp['outcome'] == 'ppp':
            for k in ('bytes_in', 'bytes_out'):
                if not call.get(k):
                    extra.append(f'{k}={call.get(k)!r}')
            if not (call.get('ppp_start') and call.get('ppp_end') and call['ppp_start'] < call['ppp_end']):
                extra.append(f'ppp_start/ppp_end {call.get("ppp_start")}/{call.get("ppp_end")}')
        out_checks.append({
            'name': f'line_status: the {rec["name"]} call ({exp["outcome"]}) with its login, callback and PPP fields',
            'ok': in_window and not diff and not extra,
            'detail': f'window {rec["t_start"]:.0f}..{rec.get("t_end", 0):.0f}, start {call["start"]}; '
                      f'differences (reported, expected): {diff}; {extra}'})
    state = line.get('state')
    out_checks.append({'name': 'line_status: the line is idle after the scenarios, health OK, sources named',
                       'ok': state == 'idle' and line.get('health') == 'OK'
                       and any(s.startswith('mgetty_log:') for s in line.get('sources', [])),
                       'detail': json.dumps({k: line.get(k) for k in ('state', 'detail', 'health', 'reason', 'sources')})})
    return out_checks + live_checks(out, results)
