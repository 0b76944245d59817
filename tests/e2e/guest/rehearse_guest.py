# Copyright: contributors to dialin.callback
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Guest side of a rehearsal (tests/e2e/rehearse.py): runs in the VM as the inittab `once` line, makes
the calls of /e2e/out/config.json, writes /e2e/out/results.json and powers the VM off.

Each call: every server port's mgetty waiting for a call, then `pon` in the caller (the client role's
peer: dial the port, log in as the callback user, wait for the callback, PPP as the PPP user), the
link awaited, the server's PPP address and the LAN host pinged over it, `poff`. What the server
dialled and when is in the emulator's event log, read on the host. The helpers are the end-to-end
test's (orchestrate.py).
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import orchestrate as o  # noqa: E402  pylint: disable=wrong-import-position

RESULTS = o.RESULTS
RESULTS['calls'] = []
# Seconds to wait for every port's mgetty to wait for a call before each call.
LINES_WAIT = 240


def lines_ready(devices: list) -> bool:
    return all(o.mgetty_waiting(dev) and not o.line_busy(dev) for dev in devices)


def call(cfg: dict, c: dict, deadline: float) -> None:
    name, peer = c['name'], c['peer']
    rec: dict = {'name': name, 'peer': peer}
    RESULTS['calls'].append(rec)
    o.note(f'==== {name} (peer {peer}, port {c["vm_port"]})')
    # The previous call's callback may still hold a port: callback tries a number nobody answers four
    # times, 30 s apart. A port whose mgetty never waits is a finding, not a reason to skip the call:
    # the call is placed after LINES_WAIT whatever the lines do.
    t0 = time.time()
    wait = min(LINES_WAIT, max(deadline - time.time() - c['timeout'] - 30, 0))
    rec['lines_ready'] = bool(o.wait_for(lambda: lines_ready(cfg['server_devices']), wait, 0.3))
    o.note(f'{name}: server lines {"ready" if rec["lines_ready"] else "NOT ready"} after {time.time() - t0:.1f} s')
    want = {tuple(pair) for pair in c['links']}

    def link():
        for local, remote in o.ppp_addrs('caller').values():
            pair = (local, (remote or '').split('/')[0])
            if pair in want:
                return pair
        return None

    rec['t_start'] = time.time()
    res = o.pon(peer)
    rec['pon_rc'] = res.returncode
    time.sleep(1)
    o.wait_for(lambda: link() or not o.caller_pppd(peer), c['timeout'], 0.2)
    pair = link()
    rec['linked'] = bool(pair)
    if pair:
        rec['t_link_up'] = time.time()
        rec['link'] = list(pair)
        pings = {}
        targets = [('server', pair[1])] + ([('lan', cfg['lan_host_ip'])] if c['lan_check'] else [])
        for what, target in targets:
            p = o.sh(['ip', 'netns', 'exec', 'caller', 'ping', '-c', '3', '-i', '0.5', '-W', '3', target], timeout=30)
            pings[what] = p.returncode == 0
        rec['pings'] = pings
    else:
        rec['detail'] = f'caller ppp interfaces: {o.ppp_addrs("caller")}; pppd running: {bool(o.caller_pppd(peer))}'
    o.poff(peer)
    o.wait_for(lambda: not o.caller_pppd(peer) and not o.ppp_addrs('caller'), 20)
    rec['t_end'] = time.time()
    o.note(f'{name}: {"link " + str(pair) if pair else "no link"} after {rec["t_end"] - rec["t_start"]:.1f} s')


def main() -> None:
    with open(os.path.join(o.OUT, 'config.json'), encoding='utf-8') as f:
        cfg = json.load(f)
    RESULTS['config'] = cfg
    try:
        o.setup_namespaces(cfg)
        deadline = o.T_BOOT + cfg.get('budget_seconds', 600) - o.uptime()
        for c in cfg['calls']:
            if not os.path.exists(o.EMU_READY):
                RESULTS['calls'].append({'name': c['name'], 'skipped': 'the modem emulator is not running'})
                continue
            if time.time() + c['timeout'] + 30 > deadline:
                RESULTS['calls'].append({'name': c['name'],
                                         'skipped': f'not placed: {deadline - time.time():.0f} s left of the VM\'s time'})
                continue
            call(cfg, c, deadline)
        RESULTS['finished'] = True
    except Exception:  # pylint: disable=broad-except
        RESULTS['error'] = traceback.format_exc()
        o.note('error: ' + RESULTS['error'])
    finally:
        RESULTS['timings']['guest_total'] = time.time() - o.T_BOOT
        o.finish()


if __name__ == '__main__':
    main()
