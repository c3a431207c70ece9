"""Malformed bodies on every endpoint that takes one: always a 4xx with a JSON detail, never a 500."""

import asyncio

from routes_support import concrete_routes

BODIES = [
    b"{",
    b"[]",
    b'"text"',
    b"null",
    b"12345",
    b'{"value": NaN}',
    b'{"value": Infinity}',
    b"[" * 5000 + b"]" * 5000,
    b'{"a": ' * 3000 + b"1" + b"}" * 3000,
    b'{"name": {"nested": [1, {"x": null}]}, "value": "abc", "events": "not-a-list"}',
    b"\xff\xfe\x00garbage",
    b'{"page": -1, "value": 1e400, "min_value": "NaN", "timestamp": "yesterday"}',
]


async def test_malformed_bodies_get_4xx_json(full_client, auth_headers):
    client = full_client
    admin = await auth_headers(client, "admin")
    routes = [r for r in concrete_routes(client.app) if r[0] in ("POST", "PUT") and not r[2].websocket
              and not r[1].endswith("/logout")]
    assert len(routes) >= 20
    for method, path, _ in routes:
        for body in BODIES:
            try:
                resp = await asyncio.wait_for(client.request(method, path, data=body, headers={
                    **admin, "Content-Type": "application/json"}), timeout=10)
            except TimeoutError:
                raise AssertionError(f"{method} {path} hung on {body[:40]!r}") from None
            where = (method, path, body[:40], resp.status)
            assert 400 <= resp.status < 500, where
            payload = await resp.json()
            assert "detail" in payload, where
