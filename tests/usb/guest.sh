#!/bin/sh
# Guest side of tests/usb/replug.py (a systemd unit runs it after boot): checks that udev started
# each modem's mgetty on the tty it has, with that modem's settings; tells the host (through the
# "out" 9p share) when to unplug and replug; checks again after the modems swapped ttys.
out=/e2e/out
log="$out/guest.log"
checks="$out/checks.jsonl"
: >"$checks"

say() {
    echo "$*" >>"$log"
    echo "usb-replug-guest: $*" >/dev/console
}

json() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g' | tr -d '\t\r'; }

check() { # name ok detail
    say "$([ "$2" = 1 ] && echo PASS || echo FAIL) $1${3:+: $3}"
    printf '{"name": "%s", "ok": %s, "detail": "%s"}\n' "$(json "$1")" "$([ "$2" = 1 ] && echo true || echo false)" \
        "$(json "$3")" >>"$checks"
}

# name serial rings remote-address of each modem (replug.py's PORTS)
modems='ttyUSB0 A1 2 10.9.0.2
ttyUSB1 B2 4 10.9.0.3'

tty_of() { readlink "/dev/dialin-callback/$1" 2>/dev/null | sed 's,.*/,,'; }

wait_until() { # seconds command...
    deadline=$(($(date +%s) + $1))
    shift
    while [ "$(date +%s)" -lt "$deadline" ]; do
        "$@" && return 0
        sleep 0.5
    done
    return 1
}

diagnose() { # what the host prints when a check fails
    {
        echo "== $1"
        ls -l /dev/ttyUSB* /dev/dialin-callback /dev/serial/by-id 2>&1
        systemctl --no-pager list-units --all 'mgetty@*' 'dev-ttyUSB*' 2>&1
        journalctl -b --no-pager -n 60 -u 'mgetty@*' -u systemd-udevd 2>&1
        lsmod | grep -E 'usb|ftdi|xhci' 2>&1
        dmesg | grep -i -E 'usb|ftdi' | tail -n 30
        grep -H . /sys/bus/usb/devices/*/product /sys/bus/usb/devices/*/serial 2>&1
    } >>"$out/diagnosis.txt"
}

both_running() {
    for name in ttyUSB0 ttyUSB1; do
        tty=$(tty_of "$name")
        [ -n "$tty" ] && [ "$(systemctl is-active "mgetty@$tty.service")" = active ] \
            && pgrep -x -f "/sbin/mgetty $tty" >/dev/null || return 1
    done
}

# Stopped means inactive: a unit that respawns mgetty on a missing tty is activating (auto-restart,
# start-pre) between its starts, and failed once past its start limit.
unit_states() { # the ActiveState/SubState of both units
    for tty in ttyUSB0 ttyUSB1; do
        printf '%s=%s/%s ' "mgetty@$tty" "$(systemctl show -p ActiveState --value "mgetty@$tty.service")" \
            "$(systemctl show -p SubState --value "mgetty@$tty.service")"
    done
}

both_gone() {
    ls /dev/ttyUSB* >/dev/null 2>&1 && return 1
    for tty in ttyUSB0 ttyUSB1; do
        [ "$(systemctl show -p ActiveState --value "mgetty@$tty.service")" = inactive ] || return 1
        pgrep -x -f "/sbin/mgetty $tty" >/dev/null && return 1
    done
    return 0
}

# both_gone at every look (twice a second) for $1 seconds: a restart loop passes through
# activating within RestartSec (2 s); prints what it saw when it did not hold.
stay_gone() {
    until=$(($(date +%s) + $1))
    while [ "$(date +%s)" -lt "$until" ]; do
        if ! both_gone; then
            echo "after $(($1 - until + $(date +%s))) s of $1: $(echo /dev/ttyUSB*); $(unit_states)$(pgrep -a mgetty | tr '\n' ';')"
            return 1
        fi
        sleep 0.5
    done
    return 0
}

check_modems() { # phase
    echo "$modems" | while read -r name serial rings remote; do
        tty=$(tty_of "$name")
        found=$(udevadm info --query=property --property=ID_SERIAL_SHORT --value "/dev/$tty" 2>/dev/null)
        check "$1: /dev/dialin-callback/$name is modem $serial" "$([ "$found" = "$serial" ] && echo 1)" "on $tty, serial $found"
        check "$1: mgetty of modem $serial runs on $tty" \
            "$(pgrep -x -f "/sbin/mgetty $tty" >/dev/null && echo 1)" "mgetty@$tty.service $(systemctl is-active "mgetty@$tty.service")"
        wants=$(udevadm info --query=property --property=SYSTEMD_WANTS --value "/dev/$tty" 2>/dev/null)
        check "$1: udev asks systemd for mgetty@$tty (SYSTEMD_WANTS), the only thing that starts it here" \
            "$([ "$wants" = "mgetty@$tty.service" ] && echo 1)" "SYSTEMD_WANTS=$wants"
        section=$(sed -n "/^port $tty\$/,/^\$/p" /etc/mgetty/mgetty.config | tr '\n' ';')
        check "$1: mgetty.config section $tty has modem $serial's settings (rings $rings)" \
            "$(echo "$section" | grep -q ";rings $rings;" && echo 1)" "$section"
        options=$(tr '\n' ';' <"/etc/ppp/options.$tty" 2>/dev/null)
        check "$1: pppd's options.$tty has modem $serial's addresses" \
            "$(echo "$options" | grep -q ":$remote;" && echo 1)" "$(readlink "/etc/ppp/options.$tty"): $options"
    done
}

say "boot: waiting for both modems' mgetty"
wait_until 150 both_running
check "boot: both modems have an mgetty within 150 s" "$(both_running && echo 1)" \
    "ttyUSB0 -> $(tty_of ttyUSB0), ttyUSB1 -> $(tty_of ttyUSB1)"
before_a=$(tty_of ttyUSB0)
check "boot: no mgetty@ unit is enabled (udev starts them)" \
    "$([ -z "$(ls /etc/systemd/system/*.wants/mgetty@* 2>/dev/null)" ] && echo 1)" ""
# --man=no: a minimal root has no man to look up Documentation=man:mgetty(8).
verify=$(systemd-analyze verify --man=no "mgetty@$before_a.service" 2>&1) && verified=1 || verified=''
check "boot: systemd-analyze verify --man=no mgetty@$before_a.service" "$verified" "$verify"
check_modems boot
diagnose boot
say PHASE1-DONE

# A loaded machine's TCG guest can take a minute to see the hub's disconnect and stop both units;
# replug.py waits longer than this for UNPLUGGED.
unplug_start=$(date +%s)
wait_until 150 both_gone
gone=$(both_gone && echo 1)
check "unplugged: both ttys gone and their mgetty@ units inactive (BindsTo)" "$gone" \
    "after $(($(date +%s) - unplug_start)) s: $(echo /dev/ttyUSB*); $(unit_states)$(pgrep -a mgetty | tr '\n' ';')"
# Stopped, not between two starts of a restart loop.
held=$([ "$gone" = 1 ] && stay_gone 15)
check "unplugged: both units stay inactive, no mgetty, for 15 s (stopped, not restarting)" \
    "$([ "$gone" = 1 ] && [ -z "$held" ] && echo 1)" "${held:-$(unit_states)}"
if [ "$gone" != 1 ] || [ -n "$held" ]; then diagnose unplugged; fi
say UNPLUGGED

wait_until 150 both_running
check "replugged: both modems have an mgetty again within 150 s, no Ansible run" "$(both_running && echo 1)" \
    "ttyUSB0 -> $(tty_of ttyUSB0), ttyUSB1 -> $(tty_of ttyUSB1)"
after_a=$(tty_of ttyUSB0)
check "replugged: the modems swapped ttys (modem A1 was $before_a, is $after_a)" \
    "$([ -n "$after_a" ] && [ "$after_a" != "$before_a" ] && echo 1)" ""
check_modems replugged
diagnose replugged
say PHASE2-DONE

# The host calls modem A on its new tty (replug.py): called back, root's password; called back
# again, the PPP account's (the control). The logs say on which tty and which check refused.
wait_until 900 test -e "$out/calls-done"
check "calls: the host's calls on modem A's new tty ended within 900 s" "$([ -e "$out/calls-done" ] && echo 1)" ""
journalctl -b -o short-precise --no-pager >"$out/journal.txt" 2>&1
cp /var/log/mgetty/* "$out/" 2>/dev/null
called=$(cat /var/log/mgetty/* "$out/journal.txt" | grep -F "callback: success, device=/dev/$after_a" | head -n 2 | tr '\n' ';')
check "calls: callback dialled the caller back on $after_a and handed the line to its mgetty" \
    "$([ -n "$called" ] && echo 1)" "$called"
refused=$(grep -E "login refused: service=login user=root line=$after_a: |access denied for user .root. from .$after_a." \
    "$out/journal.txt" | head -n 2 | tr '\n' ';')
check "calls: root's password after the callback on $after_a refused by PAM there (logged)" \
    "$([ -n "$refused" ] && echo 1)" "$refused"
# The PPP account's login: the mgetty process the callback handed the line to ran login for it,
# and login opened its session (the account's shell, ppplogin, then starts pppd; the host saw its LCP).
pid=$(grep -o "mgetty\[[0-9]*\]: data dev=$after_a, pid=[0-9]*, .*user='pppuser'" "$out/journal.txt" | tail -n 1 |
    sed 's/.* pid=\([0-9]*\),.*/\1/')
opened=$([ -n "$pid" ] && grep "login\[$pid\]: pam_unix(login:session): session opened for user pppuser" "$out/journal.txt")
check "calls (control): the PPP account's login after the callback on $after_a passed (its session opened)" \
    "$([ -n "$opened" ] && echo 1)" "mgetty $pid on $after_a: $opened"
say PHASE3-DONE

{
    echo '{"complete": true, "checks": ['
    sed '$!s/$/,/' "$checks"
    echo ']}'
} >"$out/results.json"
sync
systemctl poweroff
