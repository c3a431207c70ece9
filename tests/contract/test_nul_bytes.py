"""A NUL character (U+0000) anywhere a client can put a string: refused with a 4xx and a JSON detail on
every route, never a 500 (PostgreSQL cannot store or even compare it); inside one datapoint of a
telemetry batch it is that item's permanent rejection, and the rest of the batch is stored."""

from __future__ import annotations

import orjson
from routes_support import concrete_routes

NUL = "\x00"

#: Every field name some route takes, each holding a NUL, the rest valid enough to reach storage.
BODY = {
    "name": f"n{NUL}", "email": f"a{NUL}b@example.com", "username": f"u{NUL}ser", "password": f"pass{NUL}word-1",
    "content": f"c{NUL}", "url": f"https://example.com/{NUL}", "secret": f"s{NUL}", "events": ["experiment.started"],
    "title": f"t{NUL}", "widget_type": f"w{NUL}", "event_public_id": f"e{NUL}", "operator": "gt", "threshold": 1,
    "action_type": "log", "min_value": 0, "max_value": 1, "unit": f"u{NUL}", "type": "sensor",
    "plugin_id": f"p{NUL}", "instance_name": f"i{NUL}", "config_json": f"{{{NUL}}}", "channel_id": f"c{NUL}",
    "channel_name": f"c{NUL}", "direction": "input", "value": 1, "version": "1.0.0", "changelog": f"c{NUL}",
    "status": "error", "error_message": f"m{NUL}", "is_global": False, "logging_type": "info",
    "event_public_ids": [f"e{NUL}"], "code": f"c{NUL}", "datapoints": [{"value": 1, "event_public_id": f"e{NUL}"}],
}


async def test_nul_in_any_body_field_path_id_or_query_is_a_4xx_with_detail(full_client, auth_headers):
    client = full_client
    admin = await auth_headers(client, "admin")
    routes = [r for r in concrete_routes(client.app) if not r[2].websocket and not r[1].endswith("/logout")]
    assert len(routes) >= 40
    body = orjson.dumps(BODY)
    for method, path, route in routes:
        headers = {**admin, "Content-Type": "application/json"}
        if method in ("POST", "PUT"):
            resp = await client.request(method, path, data=body, headers=headers)
            where = (method, path, "body", resp.status)
            assert 400 <= resp.status < 500 or resp.status in (200, 201), where
            assert "detail" in await resp.json() if resp.status >= 400 else True, where
        if "{" in route.path:
            with_nul = path.replace("-", "%00", 1)
            resp = await client.request(method, with_nul, data=body, headers=headers)
            where = (method, with_nul, "path", resp.status)
            assert resp.status in (404, 422), where
            assert "detail" in await resp.json(), where
        resp = await client.request(method, path + "?status=a%00b&page=1", headers=headers)
        where = (method, path, "query", resp.status)
        assert resp.status < 500, where
        if resp.status >= 400:
            assert "detail" in await resp.json(), where


async def test_body_nul_is_a_422_that_names_the_field(full_client, auth_headers):
    client = full_client
    admin = await auth_headers(client, "admin")
    resp = await client.post("/api/v1/experiments", json={"name": f"run{NUL}1"}, headers=admin)
    assert resp.status == 422
    [error] = (await resp.json())["detail"]
    assert error["loc"] == ["body", "name"] and error["type"] == "string_nul"
    resp = await client.put(f"/api/v1/users/abc{NUL}", json={"username": "fine"}, headers=admin)
    assert resp.status == 404 and await resp.json() == {"detail": "Not Found"}
    # The check walks JSON as deep as the parser allows (deeper than Python's recursion limit).
    deep = b'{"name": ' + b"[" * 1020 + b'"x\\u0000"' + b"]" * 1020 + b"}"
    resp = await client.post("/api/v1/experiments", data=deep, headers={**admin, "Content-Type": "application/json"})
    assert resp.status == 422 and (await resp.json())["detail"][0]["type"] == "string_nul"


async def test_nul_in_one_telemetry_datapoint_rejects_that_item_only(dataplane_client, auth_headers):
    client, op, event = dataplane_client
    token = op["Authorization"].split(" ", 1)[1]
    ws = await client.ws_connect(f"/ws/controller/telemetry?token={token}&ack=1&controller_id=nul")
    poisoned = {"seq": 1, "datapoints": [
        {"value": 1, "event_public_id": event},
        {"value": 2, "event_public_id": f"{event}{NUL}"},
        {"value": 3, "event_public_id": event, "timestamp": f"2026-01-01T00:00:00{NUL}"},
        {"value": f"4{NUL}", "event_public_id": event},
    ]}
    await ws.send_str(orjson.dumps(poisoned).decode())
    assert await ws.receive_json() == {"type": "ack", "seq": 1, "accepted": 1, "rejected": 3, "duplicate": False}
    only_bad = {"seq": 2, "datapoints": [{"value": 2, "event_public_id": NUL}]}
    await ws.send_str(orjson.dumps(only_bad).decode())
    reply = await ws.receive_json()
    assert reply["seq"] == 2 and reply.get("retryable", False) is False
    # The batch after the poisoned ones is stored as usual: nothing waits behind them.
    await ws.send_str(orjson.dumps({"seq": 3, "datapoints": [{"value": 5, "event_public_id": event}]}).decode())
    assert (await ws.receive_json())["accepted"] == 1
    listed = await (await client.get("/api/v1/datapoints", headers=op)).json()
    assert sorted(d["value"] for d in listed["data"]) == [1.0, 5.0]

    rest = await client.post("/api/v1/datapoints/batch", headers=op, json={"datapoints": [
        {"value": 6, "event_public_id": event}, {"value": 7, "event_public_id": f"{event}{NUL}"}]})
    assert rest.status == 422, await rest.text()
    assert (await rest.json())["detail"][0]["loc"] == ["body", "datapoints", 1, "event_public_id"]
