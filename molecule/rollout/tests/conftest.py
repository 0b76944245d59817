"""The rollout fleet's hosts as fixtures: each test names the servers it is about, so that no test
runs (or is skipped) on a server it is not about."""

import pytest
import testinfra

# dialin-rollout-2 has no modem: it fails pre-flight. The two others converge.
BAD = "dialin-rollout-2"
GOOD = ["dialin-rollout-1", "dialin-rollout-3"]


@pytest.fixture(params=GOOD)
def good(request):
    """Each converged server in turn."""
    return testinfra.get_host("podman://" + request.param)


@pytest.fixture
def bad():
    """The server that failed pre-flight."""
    return testinfra.get_host("podman://" + BAD)
