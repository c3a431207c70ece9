"""The events API (contract §2.6.5) and the ingestion stage that resolves event ids."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from webmacs_events import resolver, store
from webmacs_sdk.keys import DATABASE
from webmacs_sdk.models import IngestBatch, RejectReason

BASE = "/api/v1/events"


def event_body(name: str = "temp", **extra: object) -> dict[str, object]:
    return {"name": name, "min_value": 0, "max_value": 100, "unit": "°C", "type": "sensor", **extra}


async def find(client, headers, name: str) -> dict:
    resp = await client.get(BASE, params={"page_size": 100}, headers=headers)
    return next(e for e in (await resp.json())["data"] if e["name"] == name)


async def test_crud_round_trip(make_client, auth_headers):
    client = await make_client("users", "auth", "events")
    op = await auth_headers(client, "operator")
    resp = await client.post(BASE, json=event_body(extra_field="ignored"), headers=op)
    assert resp.status == 201
    assert await resp.json() == {"status": "success", "message": "Event successfully created."}

    listed = await (await client.get(BASE + "/", params={"_t": "1"}, headers=op)).json()
    assert listed["page"] == 1 and listed["total"] == 1
    event = listed["data"][0]
    assert list(event) == ["public_id", "name", "min_value", "max_value", "unit", "type", "user_public_id"]
    assert event["min_value"] == 0.0 and isinstance(event["min_value"], float)
    assert event["unit"] == "°C"

    one = await client.get(f"{BASE}/{event['public_id']}", headers=op)
    assert await one.json() == event

    change = {"name": "temp2", "max_value": "250.5"}
    resp = await client.put(f"{BASE}/{event['public_id']}", json=change, headers=op)
    assert resp.status == 200
    assert (await resp.json())["message"] == "Event successfully updated."
    updated = await (await client.get(f"{BASE}/{event['public_id']}", headers=op)).json()
    assert updated["name"] == "temp2" and updated["max_value"] == 250.5 and updated["unit"] == "°C"

    resp = await client.delete(f"{BASE}/{event['public_id']}", headers=op)
    assert (await resp.json())["message"] == "Event successfully deleted."
    missing = await client.get(f"{BASE}/{event['public_id']}", headers=op)
    assert missing.status == 404
    assert await missing.json() == {"detail": f"Event '{event['public_id']}' not found."}
    for method in (client.put, client.delete):
        resp = await method(f"{BASE}/nope", json={"name": "x"}, headers=op)
        assert resp.status == 404


async def test_duplicates_and_ranges_are_refused(make_client, auth_headers):
    client = await make_client("users", "auth", "events")
    op = await auth_headers(client, "operator")
    assert (await client.post(BASE, json=event_body("a"), headers=op)).status == 201
    assert (await client.post(BASE, json=event_body("b"), headers=op)).status == 201
    dup = await client.post(BASE, json=event_body("a"), headers=op)
    assert dup.status == 409 and await dup.json() == {"detail": "Event already exists."}
    b = await find(client, op, "b")
    rename = await client.put(f"{BASE}/{b['public_id']}", json={"name": "a"}, headers=op)
    assert rename.status == 409 and await rename.json() == {"detail": "Event already exists."}
    # Renaming to its own name is not a collision.
    assert (await client.put(f"{BASE}/{b['public_id']}", json={"name": "b"}, headers=op)).status == 200

    inverted = await client.post(BASE, json=event_body("c", min_value=10, max_value=1), headers=op)
    assert inverted.status == 422 and isinstance((await inverted.json())["detail"], list)
    half = await client.put(f"{BASE}/{b['public_id']}", json={"min_value": 1000}, headers=op)
    assert half.status == 422
    assert (await find(client, op, "b"))["min_value"] == 0.0
    for bad in (event_body("d", type="valve"), event_body("d", min_value="nan"), event_body(""),
                {"name": "d"}, event_body("d", max_value="1e400")):
        resp = await client.post(BASE, json=bad, headers=op)
        assert resp.status == 422, bad
    total = (await (await client.get(BASE, headers=op)).json())["total"]
    assert total == 2


async def test_roles(make_client, auth_headers):
    client = await make_client("users", "auth", "events")
    viewer = await auth_headers(client, "viewer")
    assert (await client.get(BASE, headers=viewer)).status == 200
    assert (await client.post(BASE, json=event_body(), headers=viewer)).status == 403
    assert (await client.get(BASE)).status == 401


async def test_resolver_forgets_deleted_events(make_client, auth_headers):
    client = await make_client("users", "auth", "events")
    app = client.server.app
    op = await auth_headers(client, "operator")
    for name in ("a", "b"):
        await client.post(BASE, json=event_body(name), headers=op)
    a, b = await find(client, op, "a"), await find(client, op, "b")
    now = datetime.now(UTC)

    def batch(*ids: str) -> IngestBatch:
        return IngestBatch(list(ids), [1.0] * len(ids), [now] * len(ids))

    first = batch(a["public_id"], "unknown", b["public_id"], a["public_id"])
    await resolver.resolve_batch(app, first)
    assert first.event_public_ids == [a["public_id"], b["public_id"], a["public_id"]]
    assert len(set(first.event_ids)) == 2 and len(first.values) == 3
    assert [r.reason for r in first.rejected] == [RejectReason.UNKNOWN_EVENT]

    # Deleted through the route: the cached id is gone at once.
    await client.delete(f"{BASE}/{a['public_id']}", headers=op)
    second = batch(a["public_id"], b["public_id"])
    await resolver.resolve_batch(app, second)
    assert second.event_public_ids == [b["public_id"]]

    # Deleted by another plugin through the public store, in its own transaction.
    async with app[DATABASE].transaction() as tx:
        assert await store.delete_many(app, tx.conn, [b["public_id"], "missing"]) == 1
    third = batch(b["public_id"])
    await resolver.resolve_batch(app, third)
    assert len(third) == 0 and third.event_ids == []


async def test_store_create_and_user_deletion_reassigns(make_client, auth_headers):
    client = await make_client("users", "auth", "events")
    app = client.server.app
    op = await auth_headers(client, "operator")
    admin = await auth_headers(client, "admin")
    me = await (await client.get("/api/v1/auth/me", headers=op)).json()
    boss = await (await client.get("/api/v1/auth/me", headers=admin)).json()
    async with app[DATABASE].transaction() as tx:
        row = await store.create(tx.conn, name="p1", min_value=0, max_value=1, unit="V", type="actuator",
                                 user_public_id=me["public_id"])
    assert row.public_id and row.type == "actuator"
    async with app[DATABASE].connect() as conn:
        assert (await store.by_name(conn, "p1")).public_id == row.public_id
    deleted = await client.delete(f"/api/v1/users/{me['public_id']}", headers=admin)
    assert deleted.status == 200, await deleted.text()
    event = await find(client, admin, "p1")
    assert event["user_public_id"] == boss["public_id"]
    async with app[DATABASE].connect() as conn:
        count = (await conn.execute(sa.text("SELECT count(*) FROM events"))).scalar_one()
    assert count == 1
