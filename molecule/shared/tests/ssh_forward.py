"""ssh -N -L towards a LAN service on the server, for the tests that attack ssh as a PPP account
(test_access.py, test_layers.py)."""

import shlex


def forwarding_attempt(host, ssh_argv, lan_port, forwarded_port, secret, out_file):
    """Start ``ssh_argv`` (an ssh -N -L from forwarded_port to a LAN service on lan_port that answers
    ``secret``); return (what came through the forward, ssh's exit status line and output).

    An ssh let in with forwarding refused stays connected for ever: it is ended, and sshpass's ssh
    with it (a session of its own, on sshpass's pty: a signal to sshpass alone has been seen to leave
    both running), each waited for a bounded time, then killed."""
    script = f"""
        socat TCP-LISTEN:{lan_port},bind=127.0.0.1,reuseaddr,fork SYSTEM:'echo {secret}' &
        lan=$!
        {" ".join(shlex.quote(a) for a in ssh_argv)} > {out_file} 2>&1 &
        ssh=$!
        # Refused, ssh exits (after pam_unix's failure delay); let in, it opens the forward's port
        # and stays. Wait for either, up to 60 s on a loaded machine.
        for i in $(seq 1 600); do
            kill -0 $ssh 2>/dev/null || break
            ss -Hltn "sport = :{forwarded_port}" | grep -q . && break
            sleep 0.1
        done
        echo "=== through the forward:"
        timeout 5 socat -u TCP:127.0.0.1:{forwarded_port} - 2>&1
        pkill -TERM -P $ssh 2>/dev/null
        kill $ssh $lan 2>/dev/null
        for i in $(seq 1 100); do
            kill -0 $ssh 2>/dev/null || break
            sleep 0.1
        done
        pkill -KILL -P $ssh 2>/dev/null
        kill -KILL $ssh 2>/dev/null
        wait $ssh
        echo "=== ssh exit status: $?"
        cat {out_file}
    """
    result = host.run("bash -c " + shlex.quote(script))
    through, ssh_output = result.stdout.split("=== ssh exit status:", 1)
    return through, ssh_output
