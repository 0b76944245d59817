# Copyright: contributors to dialin.callback
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A module of the collection as one self-contained Python file for the end-to-end VM.

The VM has Python but no Ansible, and Ansible inside an emulated VM is slow: Ansible's own payload
(AnsiballZ: the module, its module_utils and its arguments in one file) is made on the host and kept
(ANSIBLE_KEEP_REMOTE_FILES); the guest runs it with `python3 FILE` and reads its JSON result.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import tempfile


def build(out: str, env: dict, cwd: str, module: str, args: dict, payload: str, run_here: bool = True) -> str:
    """Writes out/<payload> for dialin.callback.<module> with args; returns '' or what went wrong.

    run_here=False: the module must not run on the host (it would act there): the payload is made
    for an interpreter that does not exist, so that Ansible writes and keeps it, then fails to start it.
    """
    tmp = tempfile.mkdtemp(prefix='dialin-e2e-ansiballz-')
    try:
        run_env = dict(env, ANSIBLE_KEEP_REMOTE_FILES='1', ANSIBLE_REMOTE_TMP=tmp, ANSIBLE_PIPELINING='0')
        cmd = ['ansible', 'localhost', '-c', 'local', '-m', f'dialin.callback.{module}', '-a', json.dumps(args)]
        if not run_here:
            cmd += ['-e', 'ansible_python_interpreter=/nonexistent/python3']
        res = subprocess.run(cmd, env=run_env, cwd=cwd, capture_output=True, text=True, check=False, timeout=300)
        found = glob.glob(os.path.join(tmp, '*', f'AnsiballZ_{module}.py'))
        if not found:
            return f'no AnsiballZ payload kept (rc {res.returncode}): {res.stdout[-800:]}{res.stderr[-800:]}'
        shutil.copy(found[0], os.path.join(out, payload))
        return ''
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
