"""Windows Dial-Up Scripting (.scp), the part caller kits use, run as the steps of the test modem's caller.

Microsoft's "Dial-Up Scripting Command Language" (script.doc of Windows 95's Dial-Up Scripting Tool,
the same language in Windows 98): a ``proc main`` ... ``endproc`` block; ``;`` starts a comment;
``waitfor "text" [, matchcase] [until seconds]`` waits for text from the remote side (case does not
matter unless ``matchcase``), and sets ``$SUCCESS``; ``transmit "text" [, raw]`` sends text, where
``^M`` is a control character, ``<cr>`` and ``<lf>`` carriage return and line feed, and ``\\"``,
``\\^``, ``\\<``, ``\\\\`` the character itself (``raw`` sends it as it stands); ``$USERID`` and
``$PASSWORD`` are what the user typed in the Connect To dialog; ``delay seconds``; ``halt`` stops the
script; ``set port databits|parity|stopbits``; at ``endproc`` Dial-Up Networking starts PPP.

Only what a caller kit needs is taken, and anything else is refused (so a kit that grows a command
this interpreter cannot run fails its test instead of being half run): every ``waitfor`` has an
``until`` and is followed by ``if !$SUCCESS then halt endif``, which a failed expect of caller.py
does (it stops the caller with status 1).
"""

import re

# set port values the test modem's lines have (8 data bits, no parity, 1 stop bit).
LINE_SETTINGS = {"databits": "8", "parity": "none", "stopbits": "1"}

STRING = r'"((?:[^"\\]|\\.)*)"'
WAITFOR = re.compile(r'^waitfor\s+' + STRING + r'(\s*,\s*matchcase)?(?:\s+until\s+([0-9]+))?$', re.I)
TRANSMIT = re.compile(r'^transmit\s+(?:' + STRING + r'|(\$USERID|\$PASSWORD))(\s*,\s*raw)?$', re.I)
DELAY = re.compile(r'^delay\s+([0-9]+)$', re.I)
SET_PORT = re.compile(r'^set\s+port\s+(databits|parity|stopbits)\s+(\S+)$', re.I)
HALT_ON_FAILURE = ["if !$success then", "halt", "endif"]


class ScriptError(Exception):
    """The script is not what this interpreter runs."""


def statements(text):
    """The script's lines without comments and blanks (a ``;`` inside a string is text)."""
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        code, quoted, i = "", False, 0
        while i < len(line):
            char = line[i]
            if char == "\\" and quoted and i + 1 < len(line):
                code += line[i:i + 2]
                i += 2
                continue
            if char == '"':
                quoted = not quoted
            elif char == ";" and not quoted:
                break
            code += char
            i += 1
        if code.strip():
            out.append((number, code.strip()))
    return out


def literal(text, raw=False):
    """The bytes a string literal stands for."""
    if raw:
        return text.encode("latin-1")
    out, i = bytearray(), 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            out += text[i + 1].encode("latin-1")
            i += 2
        elif char == "^" and i + 1 < len(text):
            code = ord(text[i + 1])
            if 0x40 <= code <= 0x5F:
                out.append(code - 0x40)
            elif ord("a") <= code <= ord("z"):
                out.append(code - ord("a") + 1)
            else:
                out += text[i:i + 2].encode("latin-1")
            i += 2
        elif text[i:i + 4].lower() == "<cr>":
            out += b"\r"
            i += 4
        elif text[i:i + 4].lower() == "<lf>":
            out += b"\n"
            i += 4
        else:
            out += char.encode("latin-1")
            i += 1
    return bytes(out)


def caller_escape(data):
    """Bytes written so that caller.py's unescape gives them back."""
    return "".join(chr(b) if 0x20 <= b < 0x7F and b != 0x5C else "\\x%02x" % b for b in data)


def parse(text):
    """The commands of proc main, as (kind, ...) tuples."""
    lines = statements(text)
    if not lines or lines[0][1].lower() != "proc main" or lines[-1][1].lower() != "endproc":
        raise ScriptError("the script must be one proc main ... endproc block")
    body, commands, i = lines[1:-1], [], 0
    while i < len(body):
        number, code = body[i]
        waitfor, transmit = WAITFOR.match(code), TRANSMIT.match(code)
        delay, set_port = DELAY.match(code), SET_PORT.match(code)
        if waitfor:
            guard = [c.lower() for n, c in body[i + 1:i + 4]]
            if waitfor.group(3) is None or guard != HALT_ON_FAILURE:
                raise ScriptError("line %d: a waitfor needs until and then if !$SUCCESS then halt endif" % number)
            commands.append(("waitfor", literal(waitfor.group(1)), bool(waitfor.group(2)), int(waitfor.group(3))))
            i += 4
            continue
        if transmit:
            variable = transmit.group(2)
            if variable:
                commands.append(("transmit-variable", variable.upper()))
            else:
                commands.append(("transmit", literal(transmit.group(1), raw=bool(transmit.group(3)))))
        elif delay:
            commands.append(("delay", int(delay.group(1))))
        elif set_port:
            setting, value = set_port.group(1).lower(), set_port.group(2).lower()
            if LINE_SETTINGS[setting] != value:
                raise ScriptError("line %d: set port %s %s, the line is %s" % (number, setting, value, LINE_SETTINGS))
            commands.append(("set-port", setting, value))
        elif code.lower() == "halt":
            commands.append(("halt",))
        else:
            raise ScriptError("line %d: %r is not a command this interpreter runs" % (number, code))
        i += 1
    return commands


def caller_steps(commands, userid, password):
    """caller.py's steps for the commands, the Connect To dialog holding userid and password; and the
    seconds they may take in all."""
    steps, budget = [], 0
    for command in commands:
        kind = command[0]
        if kind == "waitfor":
            text, matchcase, until = command[1:]
            pattern = re.escape(text.decode("latin-1"))
            steps += ["timeout", str(until), "expect-re", caller_escape(
                (pattern if matchcase else "(?i)" + pattern).encode("latin-1"))]
            budget += until
        elif kind == "transmit":
            steps += ["send", caller_escape(command[1])]
        elif kind == "transmit-variable":
            value = password if command[1] == "$PASSWORD" else userid
            steps += ["send", caller_escape(value.encode("latin-1"))]
        elif kind == "delay":
            steps += ["sleep", str(command[1])]
            budget += command[1]
        elif kind == "halt":
            break
    return steps, budget
