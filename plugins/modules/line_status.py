#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) dialin.callback contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: line_status
short_description: State of each dial-in line now, its calls since a given time, and a health flag
version_added: 0.1.0
description:
  - Reads what mgetty, callback, the collection's callback gate and pppd leave on the host, and changes
    nothing (the result's C(changed) is always false; check mode behaves the same).
  - B(State now), per dial-in port, from these sources (each line's RV(lines[].sources) names the ones used)
    the processes (C(/proc/PID/cmdline), their open descriptors, callback's C(DEVICE) environment variable
    that mgetty sets); the line's UUCP lock C(LCK..TTY) in O(lock_dir) and its holder; the last mgetty run
    in C(mg_TTY.log) of O(mgetty_log_dir); utmp (O(utmp)); pppd's C(ppp*.pid) files in O(run_dir) and the
    interface in C(/sys/class/net) with its addresses (C(ip -j addr)).
  - The states are C(no_mgetty), C(initializing), C(idle), C(ringing) (a RING woke mgetty, not yet
    connected), C(login_prompt), C(login) (a login program or shell holds the line), C(waiting_for_callback)
    (callback runs for the line and waits before it dials), C(calling_back) (callback holds the line's lock),
    C(ppp_up) (pppd on the line with its interface up), C(modem_not_answering) (mgetty's last run failed to
    initialise the modem, also while the mgetty respawned after that failure sets the modem up again),
    C(foreign_lock) (the line's UUCP lock is held by a live process that is not the line's mgetty, a
    callback for the line, nor a program on the line - login, pppd or what C(login.config) runs in mgetty's
    place; mgetty, callback and pppd then leave the line alone, so it answers no call).
  - B(Calls) since O(since), put together from mgetty's log of the line (each answered call, the name typed
    and what C(login.config) ran), callback's log (C(mg_callback.log)), the gate's and pppd's syslog lines
    (O(syslog_source)) and C(login.config) (the number a pseudo-login is called back on).
  - Each log file is read with as many of its rotations as it takes to reach back to O(since) (syslog files
    to an hour before it), as logrotate names them (C(FILE.1), C(FILE.2.gz), ..., or C(FILE-YYYYMMDD) with
    C(dateext)), compressed or not; each file read is named in RV(lines[].sources).
  - B(Health) per line, for monitoring, see RV(lines[].health).
author:
  - dialin.callback maintainers (@dialin)
extends_documentation_fragment:
  - dialin.callback.attributes
  - dialin.callback.attributes.read_only
options:
  ports:
    description:
      - The dial-in ports (tty names such as C(ttyS1), or C(/dev/ttyS1)).
      - A port found by C(identify) (a USB modem, see the collection's C(docs/usb-modems.md)) is its
        configured name, or its link in O(identified_link_dir); it is read on the tty that link points to
        now (RV(lines[].line)), its configured name is RV(lines[].port).
      - Default, the ports the C(dialin.callback.mgetty) role recorded in O(facts_file), else one per
        C(mg_TTY.log) in O(mgetty_log_dir).
    type: list
    elements: str
  since:
    description:
      - The calls that started at or after this time are returned. Seconds since the epoch, an ISO 8601
        date or time (C(2026-11-30), C(2026-11-30T08:00:00), local time without a zone), or a duration
        before now (C(24h), C(7d), C(90m), C(3600s)).
    type: str
    default: 24h
  mgetty_log_dir:
    description: mgetty's log directory (Debian C(/var/log/mgetty)); callback logs there too.
    type: path
    default: /var/log/mgetty
  callback_log:
    description: callback's log file.
    type: path
    default: /var/log/mgetty/mg_callback.log
  login_config:
    description: mgetty's C(login.config), read for the numbers each pseudo-login is called back on.
    type: path
    default: /etc/mgetty/login.config
  syslog_source:
    description:
      - Where pppd's and the gate's syslog lines are read. C(auto) reads O(syslog_files) that exist, and the
        systemd journal when none does and C(journalctl) is there; C(files) only the files; C(journal) only
        the journal; C(none) no syslog (no PPP sessions, no gate verdicts).
    type: str
    choices: [auto, files, journal, none]
    default: auto
  syslog_files:
    description: Syslog files with pppd's lines (RFC 3164 or RFC 3339 time stamps, or raw C(<PRI>) lines).
    type: list
    elements: path
    default: [/var/log/syslog, /var/log/messages]
  lock_dir:
    description: Directory of the UUCP lock files.
    type: path
    default: /var/lock
  utmp:
    description: The utmp file.
    type: path
    default: /var/run/utmp
  run_dir:
    description: Where pppd writes C(pppN.pid).
    type: path
    default: /var/run
  facts_file:
    description: The local fact the mgetty role writes (its managed ports).
    type: path
    default: /etc/ansible/facts.d/dialin_callback_mgetty.fact
  identified_link_dir:
    description:
      - Where udev links each port found by C(identify) under its configured name (the C(dialin.callback.modem)
        role's rule). A port with a link there is read on the tty the link points to.
    type: path
    default: /dev/dialin-callback
  proc_dir:
    description:
      - The process table. Another directory laid out the same way is read alike (the unit tests give an
        empty one, since on a host running containers C(/proc) shows their processes too).
    type: path
    default: /proc
notes:
  - Root is needed to read the logs, C(/proc/PID/environ) and other users' descriptors; as another user the
    module reports what it can read and names the sources it could not read in RV(lines[].unreadable).
  - Log times without a year (mgetty's, RFC 3164 syslog) are taken in the host's local time zone, in the
    last year that puts them no later than a day from now.
  - Use from Nagios/Icinga checks and Prometheus' textfile collector, and the fleet report of
    C(playbooks/status.yml), are described in the collection's C(docs/status.md).
'''

EXAMPLES = r'''
- name: State of the dial-in lines and the calls of the last day
  dialin.callback.line_status:
    since: 24h
  register: lines
  become: true

- name: Fail when a line is not healthy (a monitoring play)
  ansible.builtin.assert:
    that: lines.healthy
    fail_msg: "{{ lines.lines | rejectattr('healthy') | map(attribute='reason') | list }}"

- name: Calls since a date on one port
  dialin.callback.line_status:
    ports: [ttyS1]
    since: "2026-11-30T08:00:00"
  become: true

# The mgetty role's metrics timer writes the same text every minute (mgetty_metrics_enabled); without it:
- name: Prometheus textfile collector (node_exporter --collector.textfile.directory)
  ansible.builtin.copy:
    content: "{{ lines.prometheus }}"
    dest: /var/lib/prometheus/node-exporter/dialin_callback.prom
    mode: "0644"
  become: true
'''

RETURN = r'''
now:
  description: The host's time when the module ran (seconds since the epoch).
  returned: always
  type: float
  sample: 1796074600.5
since:
  description: O(since) as seconds since the epoch.
  returned: always
  type: float
  sample: 1795988200.5
healthy:
  description: Whether every line is healthy.
  returned: always
  type: bool
  sample: true
lines:
  description: One entry per port.
  returned: always
  type: list
  elements: dict
  contains:
    line:
      description: The port's tty name (for a port found by C(identify), the tty its modem has now).
      type: str
      sample: ttyS1
    port:
      description: The port's name as given (O(ports), the fact, or the log's name), without C(/dev/).
      type: str
      sample: ttyS1
    state:
      description: The line's state now (see the description's list).
      type: str
      sample: idle
    detail:
      description: What the state rests on, in words.
      type: str
      sample: mgetty 512 waits for a call (its log, 21:38:15)
    sources:
      description: The sources read for the state, each C(kind:path) (C(proc), C(lock), C(mgetty_log), C(utmp), C(pidfile), C(interface)).
      type: list
      elements: str
      sample: [proc, "lock:/var/lock/LCK..ttyS1", "mgetty_log:/var/log/mgetty/mg_ttyS1.log"]
    unreadable:
      description: Sources that exist but could not be read (permissions).
      type: list
      elements: str
      sample: []
    mgetty_pid:
      description: PID of the mgetty on the line, null when none.
      type: int
      sample: 512
    lock:
      description:
        - The UUCP lock, null when none; pid, alive, program (the holder's name), user (the holder's user,
          its UID when it has no name), foreign (a live holder that is not the line's mgetty, callback,
          nor a program on the line; the state is then C(foreign_lock)).
      type: dict
      sample: {pid: 512, alive: true, program: mgetty, user: root, foreign: false}
    ppp:
      description: With RV(lines[].state) C(ppp_up), the link; else null.
      type: dict
      contains:
        pid:
          description: pppd's PID.
          type: int
        interface:
          description: The PPP interface.
          type: str
          sample: ppp0
        local_ip:
          description: The server's address on the link.
          type: str
          sample: 192.168.1.1
        peer_ip:
          description: The caller's address.
          type: str
          sample: 192.168.1.2
        user:
          description: The PPP user (PAP name from pppd's syslog, or utmp).
          type: str
          sample: pppuser
        since:
          description: When the link came up (pppd's C(Connect:) line), null when not in the logs read.
          type: float
    calls:
      description: The calls since O(since), oldest first.
      type: list
      elements: dict
      contains:
        start:
          description: Time of the RING (seconds since the epoch).
          type: float
        line:
          description: The port.
          type: str
        login:
          description: The name login.config matched (C(/AutoPPP/) for a caller speaking PPP at once).
          type: str
        program:
          description: What login.config ran for it.
          type: str
        pseudo_login:
          description: The callback pseudo-login, null when the call was no callback request.
          type: str
        callback_allowed:
          description: The rate limit gate's verdict, null without a gate line in the syslog read.
          type: bool
        callback_number:
          description: The number (callback's arguments in login.config) the pseudo-login is called back on.
          type: str
        callback_result:
          description: C(success), C(failed), C(refused) (by the gate), C(none) (no callback record), null (no callback asked).
          type: str
        callback_time:
          description: When callback connected (or failed).
          type: float
        callback_login:
          description: The login after the callback (a PPP account, C(/AutoPPP/)).
          type: str
        ppp_user:
          description: The PPP user (PAP name).
          type: str
        ppp_start:
          description: When the PPP link came up.
          type: float
        ppp_end:
          description: When pppd exited.
          type: float
        bytes_in:
          description: Bytes received from the caller (pppd's count).
          type: int
        bytes_out:
          description: Bytes sent to the caller.
          type: int
        end_reason:
          description: pppd's reason to end (C(Modem hangup), C(LCP terminated by peer (User request)), C(PAP peer authentication failed for ...)).
          type: str
        outcome:
          description: C(ppp), C(ppp_auth_failed), C(callback_refused), C(callback_failed), C(refused) (login.config ran a refusal), C(login), C(no_login).
          type: str
        end:
          description: The last time known of the call.
          type: float
        caller_id:
          description: The caller's number as mgetty logged it (its audit record's C(caller)), null when mgetty logged none.
          type: str
        callback_seconds:
          description:
            - The callback leg's duration (the call the server dialled and pays), from callback's success record (the
              dialled line connected and handed to mgetty) to pppd's exit, else the last record of the mgetty it woke.
            - Null without a callback that connected, and while pppd still runs.
          type: float
        ppp_seconds:
          description: The PPP session's duration, from pppd's C(Connect:) to its C(Exit.); null without both.
          type: float
    counts:
      description: Calls since O(since) by RV(lines[].calls[].outcome), and C(total).
      type: dict
      sample: {total: 3, ppp: 1, refused: 1, ppp_auth_failed: 1}
    calls_total:
      description:
        - The finished calls in the line's logs (all of mgetty's current C(mg_TTY.log), not its rotations, whatever O(since)), by
          RV(lines[].calls[].outcome), every outcome present; the call the line is in is counted once it ends.
          The counter C(dialin_callback_calls_total) of RV(prometheus).
      type: dict
      sample: {ppp: 2, ppp_auth_failed: 0, callback_refused: 0, callback_failed: 1, refused: 0, login: 0, no_login: 0}
    health:
      description:
        - C(OK), C(WARNING) or C(CRITICAL), as a Nagios/Icinga check reports (exit codes 0, 1, 2).
        - C(CRITICAL) when no mgetty and no call holds the line, mgetty's last run failed to initialise the
          modem, or a foreign process holds the line's lock; C(WARNING) when a callback since O(since) failed;
          else C(OK).
      type: str
      sample: OK
    healthy:
      description: RV(lines[].health) is not C(CRITICAL).
      type: bool
    reason:
      description: Why, in one line (fit for a monitoring alert).
      type: str
      sample: mgetty 512 waits for a call
prometheus:
  description:
    - The lines' metrics in Prometheus' text exposition format, for node exporter's textfile collector, the same
      text the mgetty role's metrics timer writes (the collection's C(docs/status.md), Monitoring).
    - Gauges C(dialin_callback_line_up) (1 unless RV(lines[].health) is C(CRITICAL)), C(dialin_callback_line_health)
      (0 OK, 1 WARNING, 2 CRITICAL), C(dialin_callback_line_state) (1 for the current state, 0 for the others,
      every state listed), C(dialin_callback_textfile_last_update_timestamp_seconds) (RV(now)); the counter
      C(dialin_callback_calls_total) by line and outcome (RV(lines[].calls_total)).
  returned: always
  type: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dialin.callback.plugins.module_utils import line_status


class ModuleRunner(object):
    """The module's way to find and run programs, for line_status.collect."""

    def __init__(self, module):
        self.module = module

    def which(self, name):
        return self.module.get_bin_path(name)

    def run(self, argv):
        return self.module.run_command(argv)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            ports=dict(type='list', elements='str'),
            since=dict(type='str', default='24h'),
            mgetty_log_dir=dict(type='path', default='/var/log/mgetty'),
            callback_log=dict(type='path', default='/var/log/mgetty/mg_callback.log'),
            login_config=dict(type='path', default='/etc/mgetty/login.config'),
            syslog_source=dict(type='str', choices=['auto', 'files', 'journal', 'none'], default='auto'),
            syslog_files=dict(type='list', elements='path', default=['/var/log/syslog', '/var/log/messages']),
            lock_dir=dict(type='path', default='/var/lock'),
            utmp=dict(type='path', default='/var/run/utmp'),
            run_dir=dict(type='path', default='/var/run'),
            facts_file=dict(type='path', default='/etc/ansible/facts.d/dialin_callback_mgetty.fact'),
            identified_link_dir=dict(type='path', default='/dev/dialin-callback'),
            proc_dir=dict(type='path', default='/proc'),
        ),
        supports_check_mode=True,
    )
    try:
        result = line_status.collect(module.params, ModuleRunner(module))
    except line_status.LineStatusError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, **result)


if __name__ == '__main__':
    main()
