"""The experiments API (contract §2.6.6): one running at a time, idempotent stop, domain events."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from webmacs_experiments import tagging
from webmacs_sdk import hookimpl
from webmacs_sdk.models import IngestBatch

BASE = "/api/v1/experiments"


class Recorder:
    """A test plugin that records the domain events it sees (with the row visible in the tx)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict]] = []

    @hookimpl
    async def webmacs_on_event(self, app, tx, event):
        if event.type.startswith("experiment."):
            self.events.append((event.type, dict(event.payload)))


async def listed(client, headers) -> list[dict]:
    return (await (await client.get(BASE, params={"page_size": 100}, headers=headers)).json())["data"]


async def test_lifecycle_one_running_and_idempotent_stop(make_client, auth_headers):
    recorder = Recorder()
    client = await make_client("users", "auth", "experiments", recorder)
    op = await auth_headers(client, "operator")
    resp = await client.post(BASE, json={"name": "run 1"}, headers=op)
    assert resp.status == 201
    assert await resp.json() == {"status": "success", "message": "Experiment successfully created."}
    [exp] = await listed(client, op)
    assert list(exp) == ["public_id", "name", "started_on", "stopped_on", "user_public_id"]
    assert exp["started_on"].endswith("Z") and exp["stopped_on"] is None
    started = {"experiment": "run 1", "experiment_id": exp["public_id"]}
    assert recorder.events == [("experiment.started", started)]

    dup = await client.post(BASE, json={"name": "run 1"}, headers=op)
    assert dup.status == 409 and await dup.json() == {"detail": "Experiment already exists."}

    stop = await client.put(f"{BASE}/{exp['public_id']}/stop", headers=op)
    assert stop.status == 200
    assert await stop.json() == {"status": "success", "message": "Experiment successfully stopped."}
    stopped_on = (await (await client.get(f"{BASE}/{exp['public_id']}", headers=op)).json())["stopped_on"]
    assert stopped_on is not None
    await asyncio.sleep(0.01)
    again = await client.put(f"{BASE}/{exp['public_id']}/stop", headers=op)
    assert again.status == 200
    after = await (await client.get(f"{BASE}/{exp['public_id']}", headers=op)).json()
    assert after["stopped_on"] == stopped_on
    assert [e[0] for e in recorder.events] == ["experiment.started", "experiment.stopped"]

    assert (await client.post(BASE, json={"name": "run 2"}, headers=op)).status == 201
    assert len(await listed(client, op)) == 2


async def test_update_delete_and_errors(make_client, auth_headers):
    client = await make_client("users", "auth", "experiments")
    op = await auth_headers(client, "operator")
    viewer = await auth_headers(client, "viewer")
    await client.post(BASE, json={"name": "a"}, headers=op)
    [a] = await listed(client, op)
    await client.put(f"{BASE}/{a['public_id']}/stop", headers=op)
    await client.post(BASE, json={"name": "b"}, headers=op)
    b = next(e for e in await listed(client, viewer) if e["name"] == "b")

    assert (await client.put(f"{BASE}/{b['public_id']}", json={"name": "a"}, headers=op)).status == 409
    resp = await client.put(f"{BASE}/{b['public_id']}", json={"name": "b2"}, headers=op)
    assert (await resp.json())["message"] == "Experiment successfully updated."
    assert (await client.post(BASE, json={"name": ""}, headers=op)).status == 422
    assert (await client.post(BASE, json={"name": "x" * 256}, headers=op)).status == 422
    assert (await client.post(BASE, json={"name": "c"}, headers=viewer)).status == 403
    for path in (f"{BASE}/nope", f"{BASE}/nope/stop"):
        resp = await client.put(path, json={}, headers=op)
        assert resp.status == 404 and await resp.json() == {"detail": "Experiment 'nope' not found."}
    assert (await client.get(f"{BASE}/nope", headers=viewer)).status == 404

    resp = await client.delete(f"{BASE}/{b['public_id']}", headers=op)
    assert (await resp.json())["message"] == "Experiment successfully deleted."
    assert (await client.delete(f"{BASE}/{b['public_id']}", headers=op)).status == 404
    # Deleting the running experiment frees the slot.
    assert (await client.post(BASE, json={"name": "c"}, headers=op)).status == 201


async def test_ingest_stage_follows_start_and_stop(make_client, auth_headers):
    client = await make_client("users", "auth", "experiments")
    app = client.server.app
    op = await auth_headers(client, "operator")

    async def tag() -> IngestBatch:
        batch = IngestBatch(["e"], [1.0], [datetime.now(UTC)])
        await tagging.tag_batch(app, batch)
        return batch

    assert (await tag()).experiment_id is None
    await client.post(BASE, json={"name": "a"}, headers=op)
    [a] = await listed(client, op)
    batch = await tag()
    assert batch.experiment_public_id == a["public_id"] and batch.experiment_id is not None
    await client.put(f"{BASE}/{a['public_id']}/stop", headers=op)
    assert (await tag()).experiment_public_id is None


async def test_concurrent_starts_all_succeed_and_leave_one_running(make_client, auth_headers):
    recorder = Recorder()
    client = await make_client("users", "auth", "experiments", recorder)
    op = await auth_headers(client, "operator")
    statuses = await asyncio.gather(
        *(client.post(BASE, json={"name": f"r{i}"}, headers=op) for i in range(6))
    )
    assert [r.status for r in statuses] == [201] * 6, [await r.text() for r in statuses]
    runs = await listed(client, op)
    assert len(runs) == 6 and sum(e["stopped_on"] is None for e in runs) == 1
    stopped = sorted(p["experiment"] for kind, p in recorder.events if kind == "experiment.stopped")
    assert stopped == sorted(e["name"] for e in runs if e["stopped_on"] is not None)


async def test_starting_while_one_runs_stops_it_logs_it_and_fires_its_webhook(make_client, auth_headers):
    """WebMACS's web app starts a new run without stopping the previous one: 201, not 409."""
    recorder = Recorder()
    client = await make_client("users", "auth", "experiments", "logs", "webhooks", recorder)
    op = await auth_headers(client, "operator")
    admin = await auth_headers(client, "admin")
    hook = {"url": "https://hooks.example.com/runs", "events": ["experiment.started", "experiment.stopped"]}
    assert (await client.post("/api/v1/webhooks", json=hook, headers=admin)).status == 201
    assert (await client.post(BASE, json={"name": "first"}, headers=op)).status == 201
    resp = await client.post(BASE, json={"name": "second"}, headers=op)
    assert resp.status == 201, await resp.text()
    assert await resp.json() == {"status": "success", "message": "Experiment successfully created."}

    runs = {e["name"]: e for e in await listed(client, op)}
    assert runs["first"]["stopped_on"] is not None and runs["second"]["stopped_on"] is None
    assert [(kind, p["experiment"]) for kind, p in recorder.events] == [
        ("experiment.started", "first"), ("experiment.stopped", "first"), ("experiment.started", "second"),
    ]
    logs = await (await client.get("/api/v1/logging", params={"page_size": 100}, headers=op)).json()
    assert "Experiment 'first' stopped." in [entry["content"] for entry in logs["data"]]
    [webhook] = (await (await client.get("/api/v1/webhooks", headers=admin)).json())["data"]
    deliveries = await client.get(f"/api/v1/webhooks/{webhook['public_id']}/deliveries", headers=admin)
    kinds = sorted(d["event_type"] for d in (await deliveries.json())["data"])
    assert kinds == ["experiment.started", "experiment.started", "experiment.stopped"]
