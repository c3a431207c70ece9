"""Plugin instances and channel mappings through the REST API, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

PLUGINS = ("users", "auth", "events", "plugins", "simulated")
SIMULATED_CHANNELS = {
    "temp_reactor": ("Reactor Temp", "input", "°C", 20, 500),
    "temp_inlet": ("Inlet Temp", "input", "°C", 15, 200),
    "temp_outlet": ("Outlet Temp", "input", "°C", 15, 300),
    "pressure_chamber": ("Chamber Pressure", "input", "bar", 0, 6),
    "pressure_diff": ("Differential Pressure", "input", "mbar", 0, 100),
    "volume_flow": ("Volume Flow", "input", "m³/h", 0, 40),
    "humidity": ("Humidity", "input", "%", 0, 100),
    "heater_power": ("Heater Power", "output", "%", 0, 100),
    "valve_position": ("Valve Position", "output", "%", 0, 100),
}


@pytest.fixture
async def api(make_client: Any, auth_headers: Any, tmp_path: Any) -> Any:
    client = await make_client(*PLUGINS, env={"WEBMACS_PLUGIN_DIR": str(tmp_path / "plugins")})
    client.admin = await auth_headers(client, "admin")
    client.operator = await auth_headers(client, "operator")
    client.viewer = await auth_headers(client, "viewer")
    return client


async def _events_by_name(api: Any) -> dict[str, dict[str, Any]]:
    resp = await api.get("/api/v1/events", params={"page_size": 100}, headers=api.admin)
    assert resp.status == 200
    return {e["name"]: e for e in (await resp.json())["data"]}


async def _instance(api: Any, name: str) -> dict[str, Any]:
    resp = await api.get("/api/v1/plugins", params={"page_size": 100}, headers=api.viewer)
    assert resp.status == 200
    return next(i for i in (await resp.json())["data"] if i["instance_name"] == name)


async def test_catalogue_lists_simulated_driver_with_schema_and_channels(api: Any) -> None:
    resp = await api.get("/api/v1/plugins/available", headers=api.viewer)
    assert resp.status == 200
    body = await resp.json()
    assert isinstance(body, list)
    sim = next(p for p in body if p["id"] == "simulated")
    assert list(sim)[:6] == ["id", "name", "version", "vendor", "description", "url"]
    assert sim["name"] == "Simulated Device" and sim["version"] == "0.2.0" and sim["url"] is None
    assert "demo_mode" in sim["config_schema"]["properties"]
    assert {c["id"] for c in sim["channels"]} == set(SIMULATED_CHANNELS)
    assert (await api.get("/api/v1/plugins/available")).status == 401


async def test_create_maps_every_channel_and_creates_named_events(api: Any) -> None:
    resp = await api.post(
        "/api/v1/plugins", json={"plugin_id": "simulated", "instance_name": "Lab"}, headers=api.admin
    )
    assert resp.status == 201, await resp.text()
    assert await resp.json() == {"status": "success", "message": "Plugin instance created."}

    inst = await _instance(api, "Lab")
    assert inst["plugin_id"] == "simulated" and inst["status"] == "inactive"
    assert inst["enabled"] is True and inst["demo_mode"] is False and inst["config_json"] is None
    assert list(inst) == [
        "public_id",
        "plugin_id",
        "instance_name",
        "demo_mode",
        "enabled",
        "status",
        "config_json",
        "error_message",
        "created_on",
        "updated_on",
        "user_public_id",
        "channel_mappings",
    ]
    mappings = {m["channel_id"]: m for m in inst["channel_mappings"]}
    assert set(mappings) == set(SIMULATED_CHANNELS)

    events = await _events_by_name(api)
    for channel_id, (name, direction, unit, low, high) in SIMULATED_CHANNELS.items():
        event = events[f"Lab \u2013 {name}"]
        assert event["type"] == {"input": "sensor", "output": "actuator"}[direction]
        assert (event["min_value"], event["max_value"], event["unit"]) == (low, high, unit)
        mapping = mappings[channel_id]
        assert mapping["event_public_id"] == event["public_id"]
        assert (mapping["direction"], mapping["unit"], mapping["channel_name"]) == (direction, unit, name)

    resp = await api.get(f"/api/v1/plugins/{inst['public_id']}/channels", headers=api.viewer)
    assert resp.status == 200 and len(await resp.json()) == len(SIMULATED_CHANNELS)


async def test_existing_event_of_the_same_name_is_reused(api: Any) -> None:
    resp = await api.post(
        "/api/v1/events",
        headers=api.admin,
        json={"name": "Rig \u2013 Humidity", "min_value": 0, "max_value": 1, "unit": "x", "type": "sensor"},
    )
    assert resp.status == 201, await resp.text()
    before = (await _events_by_name(api))["Rig \u2013 Humidity"]
    resp = await api.post(
        "/api/v1/plugins", json={"plugin_id": "simulated", "instance_name": "Rig"}, headers=api.admin
    )
    assert resp.status == 201
    inst = await _instance(api, "Rig")
    humidity = next(m for m in inst["channel_mappings"] if m["channel_id"] == "humidity")
    assert humidity["event_public_id"] == before["public_id"]
    assert len([n for n in await _events_by_name(api) if n.startswith("Rig ")]) == len(SIMULATED_CHANNELS)


async def test_create_without_auto_events_maps_channels_only(api: Any) -> None:
    resp = await api.post(
        "/api/v1/plugins",
        headers=api.admin,
        json={"plugin_id": "simulated", "instance_name": "Bare", "auto_create_events": False},
    )
    assert resp.status == 201
    inst = await _instance(api, "Bare")
    assert len(inst["channel_mappings"]) == len(SIMULATED_CHANNELS)
    assert all(m["event_public_id"] is None for m in inst["channel_mappings"])
    assert await _events_by_name(api) == {}


async def test_create_validation_and_conflicts(api: Any) -> None:
    good = {"plugin_id": "simulated", "instance_name": "Dup"}
    assert (await api.post("/api/v1/plugins", json=good, headers=api.admin)).status == 201
    resp = await api.post("/api/v1/plugins", json=good, headers=api.admin)
    assert resp.status == 409
    assert (await resp.json())["detail"] == "Plugin instance already exists."

    resp = await api.post(
        "/api/v1/plugins", json={"plugin_id": "nope", "instance_name": "X"}, headers=api.admin
    )
    assert resp.status == 422
    assert "unknown plugin 'nope'" in str(await resp.json())
    for bad in ("[1, 2]", "not json", "42"):
        resp = await api.post(
            "/api/v1/plugins",
            headers=api.admin,
            json={"plugin_id": "simulated", "instance_name": "Y", "config_json": bad},
        )
        assert resp.status == 422, bad
        assert (await resp.json())["detail"][0]["loc"] == ["body", "config_json"]
    resp = await api.post(
        "/api/v1/plugins",
        headers=api.admin,
        json={"plugin_id": "simulated", "instance_name": "Cfg", "config_json": '{"poll_interval_ms": 10}'},
    )
    assert resp.status == 422 and "poll_interval_ms" in str(await resp.json())
    resp = await api.post(
        "/api/v1/plugins",
        headers=api.admin,
        json={"plugin_id": "simulated", "instance_name": "Cfg", "config_json": '{"poll_interval_ms": 500}'},
    )
    assert resp.status == 201
    assert (await _instance(api, "Cfg"))["config_json"] == '{"poll_interval_ms": 500}'
    # Nothing half-created by the refused requests.
    names = [
        i["instance_name"]
        for i in (await (await api.get("/api/v1/plugins", headers=api.admin)).json())["data"]
    ]
    assert names == ["Dup", "Cfg"]
    assert (await api.post("/api/v1/plugins", json=good, headers=api.operator)).status == 403
    assert (await api.post("/api/v1/plugins", json={"instance_name": "Z"}, headers=api.admin)).status == 422


async def test_get_update_and_rename_collision(api: Any) -> None:
    for name in ("A", "B"):
        assert (
            await api.post(
                "/api/v1/plugins", headers=api.admin, json={"plugin_id": "simulated", "instance_name": name}
            )
        ).status == 201
    a = await _instance(api, "A")
    resp = await api.get(f"/api/v1/plugins/{a['public_id']}", headers=api.viewer)
    assert resp.status == 200 and (await resp.json())["instance_name"] == "A"
    resp = await api.get("/api/v1/plugins/missing", headers=api.viewer)
    assert resp.status == 404 and (await resp.json())["detail"] == "Plugin instance not found."

    resp = await api.put(f"/api/v1/plugins/{a['public_id']}", json={"instance_name": "B"}, headers=api.admin)
    assert resp.status == 409
    resp = await api.put(
        f"/api/v1/plugins/{a['public_id']}",
        headers=api.admin,
        json={"instance_name": "A2", "demo_mode": True, "config_json": '{"x": 1}'},
    )
    assert resp.status == 200
    assert (await resp.json())["message"] == "Plugin instance successfully updated."
    updated = await (await api.get(f"/api/v1/plugins/{a['public_id']}", headers=api.viewer)).json()
    assert updated["instance_name"] == "A2" and updated["demo_mode"] is True and updated["enabled"] is True
    assert updated["config_json"] == '{"x": 1}'
    assert updated["updated_on"] > a["updated_on"]
    resp = await api.put(f"/api/v1/plugins/{a['public_id']}", json={"config_json": "[]"}, headers=api.admin)
    assert resp.status == 422
    resp = await api.put("/api/v1/plugins/missing", json={"enabled": False}, headers=api.admin)
    assert resp.status == 404 and (await resp.json())["detail"] == "Plugin instance 'missing' not found."


async def test_status_report_by_controller(api: Any) -> None:
    assert (
        await api.post(
            "/api/v1/plugins", headers=api.admin, json={"plugin_id": "simulated", "instance_name": "S"}
        )
    ).status == 201
    inst = await _instance(api, "S")
    url = f"/api/v1/plugins/{inst['public_id']}/status"
    assert (await api.put(url, json={"status": "error"}, headers=api.viewer)).status == 403
    assert (await api.put(url, json={"status": "broken"}, headers=api.operator)).status == 422
    resp = await api.put(url, json={"status": "error", "error_message": "port busy"}, headers=api.operator)
    assert resp.status == 200
    now = await _instance(api, "S")
    assert (now["status"], now["error_message"]) == ("error", "port busy")
    assert now["updated_on"] == inst["updated_on"]
    # A controller fetching the driver from the wheelhouse says so (stored by both databases).
    assert (await api.put(url, json={"status": "installing"}, headers=api.operator)).status == 200
    assert (await _instance(api, "S"))["status"] == "installing"


async def test_channel_mapping_crud_and_ownership(api: Any) -> None:
    for name in ("One", "Two"):
        assert (
            await api.post(
                "/api/v1/plugins",
                headers=api.admin,
                json={"plugin_id": "simulated", "instance_name": name, "auto_create_events": False},
            )
        ).status == 201
    one, two = await _instance(api, "One"), await _instance(api, "Two")
    base = f"/api/v1/plugins/{one['public_id']}/channels"
    body = {"channel_id": "extra", "channel_name": "Extra", "direction": "bidirectional", "unit": "V"}
    resp = await api.post(base, json={**body, "event_public_id": "nope"}, headers=api.admin)
    assert resp.status == 404 and (await resp.json())["detail"] == "Event not found."
    resp = await api.post(base, json=body, headers=api.admin)
    assert resp.status == 201 and (await resp.json())["message"] == "Channel mapping created."
    resp = await api.post(base, json=body, headers=api.admin)
    assert resp.status == 409 and (await resp.json())["detail"] == "Channel mapping already exists."
    assert (await api.post(base, json={**body, "direction": "sideways"}, headers=api.admin)).status == 422
    resp = await api.post("/api/v1/plugins/missing/channels", json=body, headers=api.admin)
    assert resp.status == 404

    extra = next(
        m for m in await (await api.get(base, headers=api.viewer)).json() if m["channel_id"] == "extra"
    )
    assert list(extra) == [
        "public_id",
        "channel_id",
        "channel_name",
        "direction",
        "unit",
        "event_public_id",
        "created_on",
    ]
    # A mapping is not reachable through another instance (BEAT #28).
    other = f"/api/v1/plugins/{two['public_id']}/channels/{extra['public_id']}"
    assert (await api.put(other, json={"event_public_id": None}, headers=api.admin)).status == 404
    assert (await api.delete(other, headers=api.admin)).status == 404

    resp = await api.post(
        "/api/v1/events",
        headers=api.admin,
        json={"name": "Volt", "min_value": 0, "max_value": 10, "unit": "V", "type": "range"},
    )
    assert resp.status == 201
    event_id = (await _events_by_name(api))["Volt"]["public_id"]
    mine = f"{base}/{extra['public_id']}"
    assert (await api.put(mine, json={"event_public_id": "nope"}, headers=api.admin)).status == 404
    resp = await api.put(mine, json={"event_public_id": event_id}, headers=api.admin)
    assert resp.status == 200 and (await resp.json())["message"] == "Channel mapping successfully updated."
    linked = next(
        m for m in await (await api.get(base, headers=api.viewer)).json() if m["channel_id"] == "extra"
    )
    assert linked["event_public_id"] == event_id
    resp = await api.put(mine, json={"event_public_id": None}, headers=api.admin)
    assert resp.status == 200
    resp = await api.delete(mine, headers=api.admin)
    assert resp.status == 200 and (await resp.json())["message"] == "Channel mapping successfully deleted."
    assert (await api.delete(mine, headers=api.admin)).status == 404
    assert "extra" not in {m["channel_id"] for m in await (await api.get(base, headers=api.viewer)).json()}
    assert (await api.get("/api/v1/plugins/missing/channels", headers=api.viewer)).status == 404


async def test_delete_removes_instance_mappings_and_its_events_only(api: Any) -> None:
    for name in ("Keep", "Drop"):
        assert (
            await api.post(
                "/api/v1/plugins", headers=api.admin, json={"plugin_id": "simulated", "instance_name": name}
            )
        ).status == 201
    resp = await api.post(
        "/api/v1/events",
        headers=api.admin,
        json={"name": "Manual", "min_value": 0, "max_value": 1, "unit": "x", "type": "sensor"},
    )
    assert resp.status == 201
    drop = await _instance(api, "Drop")
    resp = await api.delete(f"/api/v1/plugins/{drop['public_id']}", headers=api.admin)
    assert resp.status == 200
    assert (await resp.json())["message"] == "Plugin instance successfully deleted."
    names = set(await _events_by_name(api))
    assert not any(n.startswith("Drop ") for n in names)
    assert "Manual" in names and len([n for n in names if n.startswith("Keep ")]) == len(SIMULATED_CHANNELS)
    assert (await api.get(f"/api/v1/plugins/{drop['public_id']}", headers=api.admin)).status == 404
    assert (await api.get(f"/api/v1/plugins/{drop['public_id']}/channels", headers=api.admin)).status == 404
    assert (await api.delete(f"/api/v1/plugins/{drop['public_id']}", headers=api.admin)).status == 404


async def test_deleting_a_user_hands_instances_to_the_successor(api: Any) -> None:
    resp = await api.post(
        "/api/v1/users",
        headers=api.admin,
        json={
            "email": "second@example.com",
            "username": "second",
            "password": "second-password-1",
            "role": "admin",
        },
    )
    assert resp.status == 201
    login = await api.post(
        "/api/v1/auth/login", json={"email": "second@example.com", "password": "second-password-1"}
    )
    second = {"Authorization": f"Bearer {(await login.json())['access_token']}"}
    assert (
        await api.post(
            "/api/v1/plugins", headers=second, json={"plugin_id": "simulated", "instance_name": "Owned"}
        )
    ).status == 201
    owner = (await _instance(api, "Owned"))["user_public_id"]
    resp = await api.delete(f"/api/v1/users/{owner}", headers=api.admin)
    assert resp.status == 200, await resp.text()
    after = await _instance(api, "Owned")
    assert after["user_public_id"] != owner
    assert len(after["channel_mappings"]) == len(SIMULATED_CHANNELS)
