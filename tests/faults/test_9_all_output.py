"""Last: no PAP secret of configurations A or B in any ansible-playbook output of the session
(bad inputs, reference converges, killed converges, the final converges)."""

from __future__ import annotations

from conftest import STATS
from test_2_security import leaks, where


def test_no_secret_in_any_output(ansible):
    assert ansible.outputs, "no ansible-playbook run in this session"
    found = {}
    for i, out in enumerate(ansible.outputs):
        hits = leaks(out)
        if hits:
            found[i] = hits + where(out)
    STATS["notes"].append(f"{len(ansible.outputs)} ansible-playbook outputs "
                          f"({sum(map(len, ansible.outputs))} bytes) searched for the PAP secrets")
    assert not found, f"PAP secrets in run outputs: {found}"
