"""Fixtures for contract tests: an app with every installed plugin."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from routes_support import installed_plugin_names


@pytest.fixture
async def full_client(make_client, tmp_path):
    return await make_client(*installed_plugin_names(), env={"WEBMACS_PLUGIN_DIR": str(tmp_path / "plugins")})
