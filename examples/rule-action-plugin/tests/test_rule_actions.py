"""The example actions, loaded into a real app next to the rules plugin, fire on ingestion."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

import webmacs_example_rule_actions
from webmacs_sdk import hookimpl

#: The example is imported from its folder (not installed), under the name its entry point gives it.
PLUGINS = ("users", "auth", "events", "experiments", "datapoints", "rules",
           ("rule_actions_example", webmacs_example_rule_actions))


class Probe:
    """Counts batches after every other ``webmacs_on_datapoints`` implementation ran."""

    name = "probe"

    def __init__(self) -> None:
        self.batches = 0

    @hookimpl(trylast=True)
    async def webmacs_on_datapoints(self, app: Any, batch: Any) -> None:
        self.batches += 1

    async def wait(self, count: int) -> None:
        for _ in range(1000):
            if self.batches >= count:
                return
            await asyncio.sleep(0.01)
        raise AssertionError("batches were not evaluated")


async def _setup(client, headers, action):  # type: ignore[no-untyped-def]
    body = {"name": "Tank", "min_value": 0, "max_value": 100, "unit": "m", "type": "sensor"}
    assert (await client.post("/api/v1/events", json=body, headers=headers)).status == 201
    event_id = (await (await client.get("/api/v1/events", headers=headers)).json())["data"][0]["public_id"]
    rule = {
        "name": "Overflow",
        "event_public_id": event_id,
        "operator": "gt",
        "threshold": 90,
        "action_type": action,
        "cooldown_seconds": 0,
    }
    resp = await client.post("/api/v1/rules", json=rule, headers=headers)
    assert resp.status == 201, await resp.text()
    return event_id


async def _ingest(client, headers, event_id, values):  # type: ignore[no-untyped-def]
    points = [
        {"event_public_id": event_id, "value": v, "timestamp": datetime.now(UTC).isoformat()} for v in values
    ]
    assert (
        await client.post("/api/v1/datapoints/batch", json={"datapoints": points}, headers=headers)
    ).status == 201


async def test_jsonl_action_records_each_firing(make_client, auth_headers, tmp_path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "firings.jsonl"
    probe = Probe()
    client = await make_client(*PLUGINS, probe, env={"WEBMACS_RULE_JSONL_PATH": str(target)})
    op = await auth_headers(client, "operator")
    event_id = await _setup(client, op, "jsonl")
    await _ingest(client, op, event_id, [50, 95.5])
    await probe.wait(1)
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert len(lines) == 1
    assert lines[0]["rule"] == "Overflow" and lines[0]["value"] == 95.5 and lines[0]["sensor_name"] == "Tank"
    assert lines[0]["message"] == "Rule 'Overflow' triggered: Tank = 95.5 (> 90)"


async def test_chat_action_posts_through_the_egress_guard(make_client, auth_headers, aiohttp_server) -> None:  # type: ignore[no-untyped-def]
    received: list[dict] = []
    got_one = asyncio.Event()

    async def chat(request: web.Request) -> web.Response:
        received.append(await request.json())
        got_one.set()
        return web.Response(text="ok")

    chat_app = web.Application()
    chat_app.router.add_post("/hooks/abc", chat)
    server = await aiohttp_server(chat_app, host="127.0.0.1")
    url = f"http://127.0.0.1:{server.port}/hooks/abc"
    probe = Probe()
    client = await make_client(
        *PLUGINS, probe, env={"WEBMACS_RULE_CHAT_URL": url, "WEBMACS_EGRESS_ALLOW": "127.0.0.1/32"}
    )
    op = await auth_headers(client, "operator")
    event_id = await _setup(client, op, "chat")
    await _ingest(client, op, event_id, [99])
    await asyncio.wait_for(got_one.wait(), 5)
    assert received == [{"text": "Rule 'Overflow' triggered: Tank = 99 (> 90)"}]


async def test_chat_to_an_internal_address_is_refused(make_client, auth_headers, aiohttp_server) -> None:  # type: ignore[no-untyped-def]
    hits: list[str] = []

    async def chat(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(text="ok")

    chat_app = web.Application()
    chat_app.router.add_post("/x", chat)
    server = await aiohttp_server(chat_app, host="127.0.0.1")
    probe = Probe()
    client = await make_client(
        *PLUGINS, probe, env={"WEBMACS_RULE_CHAT_URL": f"http://127.0.0.1:{server.port}/x"}
    )
    op = await auth_headers(client, "operator")
    event_id = await _setup(client, op, "chat")
    await _ingest(client, op, event_id, [99])
    await probe.wait(1)
    await asyncio.sleep(0.2)
    assert hits == []
