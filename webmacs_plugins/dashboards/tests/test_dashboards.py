"""Dashboards: ownership and global visibility, nested widgets, the contract's exact messages,
and the permission hook that lets a plugin change who may edit."""

from __future__ import annotations

from typing import Any

from webmacs_sdk import hookimpl

PLUGINS = ("users", "auth", "events", "dashboards")


async def _event(client, headers, name="Temp"):  # type: ignore[no-untyped-def]
    body = {"name": name, "min_value": 0, "max_value": 100, "unit": "C", "type": "sensor"}
    assert (await client.post("/api/v1/events", json=body, headers=headers)).status == 201
    listing = await (await client.get("/api/v1/events", headers=headers)).json()
    return next(e["public_id"] for e in listing["data"] if e["name"] == name)


async def _dashboard(client, headers, name="Main", is_global=False):  # type: ignore[no-untyped-def]
    resp = await client.post(
        "/api/v1/dashboards", json={"name": name, "is_global": is_global}, headers=headers
    )
    assert resp.status == 201, await resp.text()
    return await resp.json()


async def test_ownership_and_visibility(make_client, auth_headers) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(*PLUGINS)
    admin = await auth_headers(client, "admin")
    op = await auth_headers(client, "operator")
    viewer = await auth_headers(client, "viewer")
    assert (await client.post("/api/v1/dashboards", json={"name": "x"}, headers=viewer)).status == 403
    assert (await client.post("/api/v1/dashboards", json={"name": ""}, headers=op)).status == 422

    mine = await _dashboard(client, op, "Mine")
    assert list(mine) == ["public_id", "name", "is_global", "created_on", "user_public_id", "widgets"]
    assert mine["widgets"] == [] and mine["is_global"] is False
    shared = await _dashboard(client, op, "Shared", is_global=True)

    # the viewer sees only the global one; the admin cannot open another user's private dashboard
    listing = await (await client.get("/api/v1/dashboards", headers=viewer)).json()
    assert [d["name"] for d in listing["data"]] == ["Shared"] and listing["total"] == 1
    own = await (await client.get("/api/v1/dashboards/", headers=op)).json()
    assert [d["name"] for d in own["data"]] == ["Shared", "Mine"]  # newest first
    private = await client.get(f"/api/v1/dashboards/{mine['public_id']}", headers=admin)
    assert (private.status, await private.json()) == (403, {"detail": "Not allowed."})
    assert (await client.get(f"/api/v1/dashboards/{shared['public_id']}", headers=viewer)).status == 200
    missing = await client.get("/api/v1/dashboards/nope", headers=op)
    assert (missing.status, await missing.json()) == (404, {"detail": "Dashboard 'nope' not found."})

    # update/delete: owner or admin; a global dashboard does not make others owners
    other = await auth_headers(client, "viewer")
    assert (
        await client.put(f"/api/v1/dashboards/{shared['public_id']}", json={"name": "v"}, headers=other)
    ).status == 403
    resp = await client.put(
        f"/api/v1/dashboards/{mine['public_id']}", json={"name": "Renamed", "is_global": True}, headers=admin
    )
    assert await resp.json() == {"status": "success", "message": "Dashboard successfully updated."}
    got = await (await client.get(f"/api/v1/dashboards/{mine['public_id']}", headers=viewer)).json()
    assert (got["name"], got["is_global"]) == ("Renamed", True)
    resp = await client.delete(f"/api/v1/dashboards/{mine['public_id']}", headers=op)
    assert await resp.json() == {"status": "success", "message": "Dashboard successfully deleted."}
    assert (await client.get(f"/api/v1/dashboards/{mine['public_id']}", headers=op)).status == 404


async def test_widgets(make_client, auth_headers) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(*PLUGINS)
    op = await auth_headers(client, "operator")
    event_id = await _event(client, op)
    board = await _dashboard(client, op)
    other = await _dashboard(client, op, "Other")
    url = f"/api/v1/dashboards/{board['public_id']}/widgets"

    resp = await client.post(
        url, json={"widget_type": "gauge", "title": "Temp", "event_public_id": event_id}, headers=op
    )
    assert resp.status == 201
    widget = await resp.json()
    assert widget == {
        "public_id": widget["public_id"],
        "widget_type": "gauge",
        "title": "Temp",
        "event_public_id": event_id,
        "x": 0,
        "y": 0,
        "w": 4,
        "h": 3,
        "config_json": None,
    }
    second = await (
        await client.post(
            url,
            json={
                "widget_type": "line_chart",
                "title": "Trend",
                "x": -3,
                "w": 12,
                "config_json": "{not json",
            },
            headers=op,
        )
    ).json()
    for bad in (
        {"widget_type": "pie", "title": "t"},
        {"widget_type": "gauge", "title": ""},
        {"widget_type": "gauge", "title": "t", "w": 13},
        {"widget_type": "gauge", "title": "t", "h": 0},
    ):
        assert (await client.post(url, json=bad, headers=op)).status == 422, bad
    no_event = await client.post(
        url, json={"widget_type": "gauge", "title": "t", "event_public_id": "nope"}, headers=op
    )
    assert (no_event.status, await no_event.json()) == (404, {"detail": "Event not found."})

    got = await (await client.get(f"/api/v1/dashboards/{board['public_id']}", headers=op)).json()
    assert [w["title"] for w in got["widgets"]] == ["Temp", "Trend"]
    assert got["widgets"][1]["config_json"] == "{not json" and got["widgets"][1]["x"] == -3

    w_url = f"{url}/{widget['public_id']}"
    resp = await client.put(w_url, json={"event_public_id": None, "x": 2}, headers=op)
    assert await resp.json() == {"status": "success", "message": "Widget successfully updated."}
    got = await (await client.get(f"/api/v1/dashboards/{board['public_id']}", headers=op)).json()
    assert (got["widgets"][0]["event_public_id"], got["widgets"][0]["x"], got["widgets"][0]["title"]) == (
        None,
        2,
        "Temp",
    )
    assert (await client.put(w_url, json={"title": ""}, headers=op)).status == 422
    resp = await client.put(w_url, json={"event_public_id": "nope"}, headers=op)
    assert (resp.status, await resp.json()) == (404, {"detail": "Event not found."})
    wrong = await client.put(
        f"/api/v1/dashboards/{other['public_id']}/widgets/{second['public_id']}", json={"x": 1}, headers=op
    )
    assert (wrong.status, await wrong.json()) == (404, {"detail": "Widget not on this dashboard."})
    unknown = await client.delete(f"{url}/nope", headers=op)
    assert (unknown.status, await unknown.json()) == (404, {"detail": "DashboardWidget 'nope' not found."})
    resp = await client.delete(w_url, headers=op)
    assert await resp.json() == {"status": "success", "message": "Widget successfully deleted."}
    got = await (await client.get(f"/api/v1/dashboards/{board['public_id']}", headers=op)).json()
    assert [w["title"] for w in got["widgets"]] == ["Trend"]


async def test_widget_operations_need_ownership(make_client, auth_headers) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(*PLUGINS)
    admin = await auth_headers(client, "admin")
    op = await auth_headers(client, "operator")
    board = await _dashboard(client, admin, "Admin's", is_global=True)
    resp = await client.post(
        f"/api/v1/dashboards/{board['public_id']}/widgets",
        json={"widget_type": "stat_card", "title": "t"},
        headers=op,
    )
    assert (resp.status, await resp.json()) == (403, {"detail": "Not allowed."})


class TeamEditors:
    """A third-party policy: every operator may edit global dashboards; nobody may delete them."""

    name = "team-editors"

    @hookimpl(optionalhook=True)  # the dashboards plugin's hook
    def webmacs_permission(self, principal: Any, action: str, resource: Any) -> bool | None:
        if action == "dashboard.update" and resource["is_global"]:
            return True
        if action == "dashboard.delete" and resource["is_global"]:
            return False
        return None


class FrozenBoards:
    """A second policy: a dashboard named "Frozen" is changed by nobody."""

    name = "frozen-boards"

    @hookimpl(optionalhook=True)  # the dashboards plugin's hook
    def webmacs_permission(self, principal: Any, action: str, resource: Any) -> bool | None:
        return False if action == "dashboard.update" and resource["name"] == "Frozen" else None


async def test_a_plugin_can_change_the_edit_policy(make_client, auth_headers) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(*PLUGINS, TeamEditors(), FrozenBoards())
    admin = await auth_headers(client, "admin")
    op = await auth_headers(client, "operator")
    board = await _dashboard(client, admin, "Plant", is_global=True)
    resp = await client.put(f"/api/v1/dashboards/{board['public_id']}", json={"name": "Plant 2"}, headers=op)
    assert resp.status == 200
    resp = await client.delete(f"/api/v1/dashboards/{board['public_id']}", headers=admin)
    assert resp.status == 403
    # One False denies, whatever another plugin allows (TeamEditors says True for global boards).
    frozen = await _dashboard(client, admin, "Frozen", is_global=True)
    resp = await client.put(f"/api/v1/dashboards/{frozen['public_id']}", json={"name": "Thawed"}, headers=admin)
    assert (resp.status, await resp.json()) == (403, {"detail": "Not allowed."})


async def test_deleting_an_event_detaches_widgets(make_client, auth_headers) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(*PLUGINS)
    op = await auth_headers(client, "operator")
    event_id = await _event(client, op)
    board = await _dashboard(client, op)
    await client.post(
        f"/api/v1/dashboards/{board['public_id']}/widgets",
        json={"widget_type": "gauge", "title": "T", "event_public_id": event_id},
        headers=op,
    )
    assert (await client.delete(f"/api/v1/events/{event_id}", headers=op)).status == 200
    got = await (await client.get(f"/api/v1/dashboards/{board['public_id']}", headers=op)).json()
    assert got["widgets"][0]["event_public_id"] is None
