"""Plugin instances with the real datapoints and rules plugins: which events accept data, and what
deleting an instance takes with it (contract §1.14, §4.2)."""

from __future__ import annotations

from typing import Any

PLUGINS = ("users", "auth", "events", "experiments", "datapoints", "rules", "logs", "plugins", "simulated")


async def test_ingestion_follows_instance_state_and_delete_cascades(
    make_client: Any, auth_headers: Any, tmp_path: Any
) -> None:
    client = await make_client(*PLUGINS, env={"WEBMACS_PLUGIN_DIR": str(tmp_path / "plugins")})
    admin = await auth_headers(client, "admin")
    operator = await auth_headers(client, "operator")
    assert (
        await client.post(
            "/api/v1/plugins", headers=admin, json={"plugin_id": "simulated", "instance_name": "Plant"}
        )
    ).status == 201
    assert (
        await client.post(
            "/api/v1/events",
            headers=admin,
            json={"name": "Manual", "min_value": 0, "max_value": 1, "unit": "x", "type": "sensor"},
        )
    ).status == 201
    events = {
        e["name"]: e["public_id"]
        for e in (
            await (await client.get("/api/v1/events", params={"page_size": 100}, headers=admin)).json()
        )["data"]
    }
    instance = (await (await client.get("/api/v1/plugins", headers=admin)).json())["data"][0]
    reactor, manual = events["Plant \u2013 Reactor Temp"], events["Manual"]

    async def post(event_id: str, value: float = 250.0) -> Any:
        return await client.post(
            "/api/v1/datapoints", json={"event_public_id": event_id, "value": value}, headers=operator
        )

    assert (await post(reactor)).status == 201
    resp = await post(manual)
    assert resp.status == 409, await resp.text()
    url = f"/api/v1/plugins/{instance['public_id']}"
    assert (await client.put(url, json={"enabled": False}, headers=admin)).status == 200
    assert (await post(reactor)).status == 409
    resp = await client.post(
        "/api/v1/datapoints/batch",
        headers=operator,
        json={"datapoints": [{"event_public_id": reactor, "value": 1.0}]},
    )
    assert (await resp.json())["message"] == "0 datapoints successfully created."
    assert (await client.put(url, json={"enabled": True}, headers=admin)).status == 200
    assert (await post(reactor, 260.0)).status == 201

    resp = await client.post(
        "/api/v1/rules",
        headers=operator,
        json={
            "name": "hot",
            "event_public_id": reactor,
            "operator": "gt",
            "threshold": 400,
            "action_type": "log",
        },
    )
    assert resp.status == 201, await resp.text()
    resp = await client.post(
        "/api/v1/rules",
        headers=operator,
        json={
            "name": "manual",
            "event_public_id": manual,
            "operator": "gt",
            "threshold": 1,
            "action_type": "log",
        },
    )
    assert resp.status == 201

    assert (await client.delete(url, headers=admin)).status == 200
    rules = (await (await client.get("/api/v1/rules", headers=admin)).json())["data"]
    assert [r["name"] for r in rules] == ["manual"]
    datapoints = await (await client.get("/api/v1/datapoints", headers=admin)).json()
    assert datapoints["total"] == 0
    remaining = [
        e["name"] for e in (await (await client.get("/api/v1/events", headers=admin)).json())["data"]
    ]
    assert remaining == ["Manual"]
    assert (await post(reactor)).status == 404
