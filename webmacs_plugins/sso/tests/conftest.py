"""Fixtures of the SSO tests: the two identity providers (started once per module) and a sign-in driver."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from idp_support import CertifiedProvider, HandmadeProvider


@pytest.fixture(scope="module")
def certified_idp():
    provider = CertifiedProvider().start()
    yield provider
    provider.stop()


@pytest.fixture(scope="module")
def handmade_idp_server():
    provider = HandmadeProvider().start()
    yield provider
    provider.stop()


@pytest.fixture
def handmade_idp(handmade_idp_server):
    handmade_idp_server.reset()
    return handmade_idp_server
