"""The change feed controllers follow: a waiting request is answered as soon as a change commits."""

from __future__ import annotations

import asyncio
import time
from typing import Any

PLUGINS = ("users", "auth", "events", "plugins", "simulated")
FEED = "/api/v1/plugins/changes"


async def test_a_waiting_controller_hears_of_each_change_at_once(
    make_client: Any, auth_headers: Any, tmp_path: Any
) -> None:
    api = await make_client(*PLUGINS, env={"WEBMACS_PLUGIN_DIR": str(tmp_path / "plugins")})
    admin = await auth_headers(api, "admin")
    viewer = await auth_headers(api, "viewer")

    async def generation(after: str = "", wait: float = 0) -> str:
        resp = await api.get(FEED, params={"after": after, "wait": wait}, headers=viewer)
        assert resp.status == 200
        return str((await resp.json())["generation"])

    first = await generation()
    assert await generation(first, wait=0.2) == first  # nothing changed: the same one after the wait

    async def changed_by(method: str, path: str, body: Any) -> str:
        seen = await generation()
        waiting = asyncio.create_task(generation(seen, wait=10))
        await asyncio.sleep(0.1)
        assert not waiting.done()
        started = time.monotonic()
        resp = await api.request(method, path, json=body, headers=admin)
        assert resp.status in (200, 201), await resp.text()
        new = await asyncio.wait_for(waiting, 2)
        assert new != seen and time.monotonic() - started < 1.0
        return new

    await changed_by("POST", "/api/v1/plugins", {"plugin_id": "simulated", "instance_name": "Lab"})
    listed = await (await api.get("/api/v1/plugins", headers=admin)).json()
    public_id = listed["data"][0]["public_id"]
    await changed_by("PUT", f"/api/v1/plugins/{public_id}", {"enabled": False})
    mapping = listed["data"][0]["channel_mappings"][0]["public_id"]
    await changed_by("PUT", f"/api/v1/plugins/{public_id}/channels/{mapping}", {"event_public_id": None})
    await changed_by("DELETE", f"/api/v1/plugins/{public_id}", None)

    assert (await api.get(FEED, params={"wait": 31}, headers=viewer)).status == 422
    assert (await api.get(FEED, params={"wait": "soon"}, headers=viewer)).status == 422
    assert (await api.get(FEED)).status == 401
