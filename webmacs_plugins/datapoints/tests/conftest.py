"""Shared helpers: an app with the data plane, events created through the API."""

from __future__ import annotations

import pytest

PLUGINS = ("users", "auth", "events", "experiments", "datapoints")


@pytest.fixture
def dataplane(make_client, auth_headers):
    """``client, headers, event_ids = await dataplane("a", "b")``."""

    async def build(*names: str, extra_plugins: tuple[object, ...] = (), **overrides):
        client = await make_client(*PLUGINS, *extra_plugins, **overrides)
        headers = await auth_headers(client, "operator")
        for name in names:
            body = {"name": name, "min_value": -100, "max_value": 100, "unit": "V", "type": "sensor"}
            resp = await client.post("/api/v1/events", json=body, headers=headers)
            assert resp.status == 201, await resp.text()
        listed = await (await client.get("/api/v1/events", params={"page_size": 100}, headers=headers)).json()
        by_name = {e["name"]: e["public_id"] for e in listed["data"]}
        return client, headers, [by_name[n] for n in names]

    return build
