"""Fixtures for contract tests: an app with every installed plugin."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from routes_support import installed_plugin_names


@pytest.fixture
async def full_client(make_client, tmp_path):
    return await make_client(*installed_plugin_names(), env={"WEBMACS_PLUGIN_DIR": str(tmp_path / "plugins")})


@pytest.fixture
async def dataplane_client(make_client, auth_headers):
    """``client, operator_headers, event_id``: the data plane with one event."""
    client = await make_client("users", "auth", "events", "experiments", "datapoints")
    op = await auth_headers(client, "operator")
    event = {"name": "Temp", "min_value": -100, "max_value": 100, "unit": "C", "type": "sensor"}
    assert (await client.post("/api/v1/events", json=event, headers=op)).status == 201
    listed = await (await client.get("/api/v1/events", headers=op)).json()
    return client, op, listed["data"][0]["public_id"]
