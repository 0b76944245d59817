# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Calls of a dial-in line put together from what mgetty, callback, the callback gate and pppd log.

A call is an mgetty run of the line that answered a RING (its audit ``data`` record names what the
caller typed and what login.config ran). When that was callback (or the collection's gate in front
of it), the callback leg is callback's ``success`` record for the line, the mgetty run it woke
(``Got callback signal``) and that run's login; the PPP session is pppd's run on the line's device
that started after the last login of the call and before the next call.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

CALLBACK_PROGRAMS = ('callback', 'callback-gate')


def _is_callback(cmd):
    return os.path.basename(cmd or '') in CALLBACK_PROGRAMS


def _ppp_fields(sess):
    if sess is None:
        return {'ppp_user': None, 'ppp_start': None, 'ppp_end': None, 'bytes_in': None, 'bytes_out': None,
                'end_reason': None, 'ppp_local_ip': None, 'ppp_peer_ip': None, 'ppp_auth_failed': False,
                'ppp_pid': None}
    return {'ppp_user': sess['user'], 'ppp_start': sess['link_up'] or sess['start'], 'ppp_end': sess['end'],
            # pppd counts from the server's side: received = from the caller (in), sent = to it (out).
            'bytes_in': sess['bytes_received'], 'bytes_out': sess['bytes_sent'], 'end_reason': sess['end_reason'],
            'ppp_local_ip': sess['local_ip'], 'ppp_peer_ip': sess['remote_ip'],
            'ppp_auth_failed': sess['auth_failed'], 'ppp_pid': sess['pid']}


def caller_id(value):
    """The caller's number as mgetty's audit record has it (``caller='...'``), None for ``none``
    (mgetty's word when the modem delivered no caller ID) or nothing."""
    value = (value or '').strip()
    return None if value in ('', 'none') else value


def _seconds(start, end):
    if start is None or end is None:
        return None
    return round(max(end - start, 0.0), 3)


def calls(line, mgetty_runs, callback_events, pppd_sessions, gate_events, callback_numbers=None):
    """The calls of one line (``ttyS1``), oldest first, each a dict: start, line, login (what the
    caller typed, login.config's match), program (what login.config ran), pseudo_login (when that was
    a callback), callback_allowed (the gate's verdict, None without a gate line), callback_number
    (login.config's arguments for the pseudo-login), callback_result (success, failed, refused, none),
    callback_time, callback_login (the login after the callback), the PPP fields (ppp_user, ppp_start,
    ppp_end, bytes_in, bytes_out, end_reason, ppp_local_ip, ppp_peer_ip, ppp_auth_failed), end and
    outcome (ppp, ppp_auth_failed, callback_failed, callback_refused, refused, login, no_login);
    caller_id (what mgetty logged as the caller's number, None when it logged none), callback_seconds
    (the callback leg, the call the server paid: from callback's success record, when the dialled
    line was connected and handed to mgetty, to pppd's exit or else the last record of the mgetty it
    woke; None without a callback that connected or while pppd runs) and ppp_seconds (pppd's link:
    from its ``Connect:`` to its ``Exit.``; None without both)."""
    callback_numbers = callback_numbers or {}
    device = '/dev/' + line
    incoming = [r for r in mgetty_runs if r['answered'] and not r['callback_signal_from']]
    woken = [r for r in mgetty_runs if r['callback_signal_from']]
    cb_events = [e for e in callback_events if e['device'] in (device, line)]
    sessions = [s for s in pppd_sessions if s['device'] == device]
    gates = [g for g in gate_events if g['line'] == line or g['line'].startswith(line + ' ')]
    out = []
    for i, run in enumerate(incoming):
        start = run['ring'] or run['answered']
        nxt = incoming[i + 1]['ring'] or incoming[i + 1]['answered'] if i + 1 < len(incoming) else None

        def within(t, lo, hi=nxt):
            return t is not None and t >= lo and (hi is None or t < hi)

        login = run['login'] or {}
        call = {'start': start, 'line': line, 'login': login.get('user') or None, 'typed_name': login.get('name'),
                'program': login.get('cmd') or None, 'pseudo_login': None, 'callback_allowed': None,
                'callback_number': None, 'callback_result': None, 'callback_time': None, 'callback_login': None,
                'mgetty_pid': run['pid']}
        last_login_time = login.get('time', start)
        leg_last = None
        if _is_callback(login.get('cmd')):
            pseudo = login.get('user')
            call['pseudo_login'] = pseudo
            call['callback_number'] = callback_numbers.get(pseudo)
            gate = [g for g in gates if g['login'] == pseudo and within(g['time'], last_login_time - 5)]
            if gate:
                call['callback_allowed'] = gate[0]['allowed']
            success = [e for e in cb_events if e['result'] == 'success' and within(e['time'], last_login_time)]
            failed = [e for e in cb_events if e['result'] != 'success' and within(e['time'], last_login_time)]
            if call['callback_allowed'] is False:
                call['callback_result'] = 'refused'
            elif success:
                ev = success[0]
                call['callback_result'] = 'success'
                call['callback_time'] = ev['time']
                leg = [r for r in woken if r['pid'] == ev['mgetty'] or (r['pid'] is None and within(r['start'], start))]
                if leg:
                    leg_last = leg[0]['last']
                if leg and leg[0]['login']:
                    call['callback_login'] = leg[0]['login']['user']
                    last_login_time = leg[0]['login']['time']
            elif failed:
                call['callback_result'] = 'failed'
                call['callback_time'] = failed[0]['time']
            else:
                call['callback_result'] = 'none'
        ppp = [s for s in sessions if within(s['start'], last_login_time - 1)]
        if ppp and (call['pseudo_login'] is None or call['callback_result'] == 'success'):
            call.update(_ppp_fields(ppp[0]))
        else:
            call.update(_ppp_fields(None))
        call['caller_id'] = caller_id(login.get('caller'))
        call['ppp_seconds'] = _seconds(call['ppp_start'], call['ppp_end'])
        call['callback_seconds'] = None
        if call['callback_result'] == 'success' and not (call['ppp_start'] and not call['ppp_end']):
            call['callback_seconds'] = _seconds(call['callback_time'], call['ppp_end'] or leg_last or call['callback_time'])
        # The last time known of the call: its start, its last login (the one after its callback, if
        # any: the call's own is before callback's record), its records, the callback leg's last one
        # and the link's start (for a pppd that did not end, or never started) included.
        call['end'] = max(t for t in (start, last_login_time, run['last'], call['callback_time'], leg_last,
                                      call['ppp_start'], call['ppp_end']) if t)
        if call['ppp_start'] and not call['ppp_auth_failed'] and call['ppp_peer_ip']:
            call['outcome'] = 'ppp'
        elif call['ppp_auth_failed']:
            call['outcome'] = 'ppp_auth_failed'
        elif call['callback_result'] == 'refused':
            call['outcome'] = 'callback_refused'
        elif call['callback_result'] in ('failed', 'none'):
            call['outcome'] = 'callback_failed'
        elif call['program'] and os.path.basename(call['program']) in ('false', 'nologin'):
            call['outcome'] = 'refused'
        elif not login:
            call['outcome'] = 'no_login'
        else:
            call['outcome'] = 'login'
        out.append(call)
    return out


def callback_numbers(text):
    """{pseudo-login: number(s) it is called back on} from login.config's lines that run callback
    or the gate (their arguments without options; ``@``, the name the gate gets, dropped)."""
    out = {}
    if not text:
        return out
    version = 1
    for raw in text.splitlines():
        if raw.strip().startswith('!version'):
            parts = raw.split()
            version = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 1
            continue
        fields = raw.split()
        if not fields or fields[0].startswith('#'):
            continue
        prog_index = 4 if version == 2 else 3
        if len(fields) <= prog_index or os.path.basename(fields[prog_index]) not in CALLBACK_PROGRAMS:
            continue
        args = fields[prog_index + 1:]
        if args and args[0] == '@':
            args = args[1:]
        numbers = []
        skip = False
        for a in args:
            if skip:
                skip = False
                continue
            if a in ('-l', '-m', '-s'):
                skip = True
                continue
            if a.startswith('-'):
                continue
            numbers.append(a)
        out[fields[0]] = ' '.join(numbers) or None
    return out
