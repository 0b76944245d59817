"""Run a command on a new pseudo-terminal, type a password at its first password prompt.

Run inside the container (python3 -c, stdlib only) by test_access.py:

    python3 ptydrive.py PASSWORD TIMEOUT COMMAND [ARG...]

Prints what the command wrote to the terminal; exits with the command's status, or 124 when
it was killed at TIMEOUT seconds.
"""

import os
import pty
import select
import signal
import sys
import time


def main():
    password, timeout, argv = sys.argv[1].encode(), float(sys.argv[2]), sys.argv[3:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(argv[0], argv)
    output, typed, killed, status = b"", False, False, None
    deadline = time.monotonic() + timeout
    while True:
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            killed = True
            break
        ready = select.select([fd], [], [], 0.2)[0]
        if not ready:
            continue
        try:
            data = os.read(fd, 4096)
        except OSError:  # EIO: no process has the terminal open at the moment
            data = b""
        if not data:
            # Done when the command has ended: util-linux's login (Debian 13) closes the terminal,
            # vhangup()s it and opens it again before it asks for the password.
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            status = None
            time.sleep(0.05)
            continue
        output += data
        if not typed and output.rstrip().lower().endswith(b"password:"):
            time.sleep(0.2)  # the prompt may come just before echo is turned off (TCSAFLUSH)
            os.write(fd, password + b"\n")
            typed = True
    if status is None:
        status = os.waitpid(pid, 0)[1]
    sys.stdout.write(output.decode("utf-8", "replace"))
    sys.exit(124 if killed else os.waitstatus_to_exitcode(status))


if __name__ == "__main__":
    main()
