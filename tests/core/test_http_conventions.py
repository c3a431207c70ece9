"""Conventions every route gets from the core: ids, headers, CORS, errors, slashes, limits."""

import uuid


async def test_request_id_security_headers_and_json_errors(make_client):
    client = await make_client("users", "auth", "logs")
    resp = await client.get("/api/v1/does-not-exist")
    assert resp.status == 404
    assert await resp.json() == {"detail": "Not Found"}
    uuid.UUID(resp.headers["X-Request-ID"])
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"
    echoed = await client.get("/api/v1/logging", headers={"X-Request-ID": "trace-1234abcd"})
    assert echoed.headers["X-Request-ID"] == "trace-1234abcd"
    forged = await client.get("/api/v1/logging", headers={"X-Request-ID": "<script>"})
    assert forged.headers["X-Request-ID"] != "<script>"


async def test_wrong_method_is_405_json(make_client, auth_headers):
    client = await make_client("users", "auth")
    resp = await client.patch("/api/v1/auth/me", headers=await auth_headers(client))
    assert resp.status == 405
    assert await resp.json() == {"detail": "Method Not Allowed"}


async def test_trailing_slash_and_cache_buster_are_served_directly(make_client, auth_headers):
    client = await make_client("users", "auth", "logs")
    headers = await auth_headers(client)
    for path in ("/api/v1/logging", "/api/v1/logging/", "/api/v1/users/"):
        resp = await client.get(path, params={"_t": "1732000000000", "page_size": "50"}, headers=headers,
                                allow_redirects=False)
        assert resp.status == 200, path


async def test_cors_preflight_and_simple_requests(make_client):
    client = await make_client("users", "auth")
    pre = await client.options("/api/v1/auth/login", headers={
        "Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type"})
    assert pre.status == 200
    assert pre.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"
    assert pre.headers["Access-Control-Allow-Methods"] == "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"
    assert pre.headers["Access-Control-Max-Age"] == "600"
    evil = await client.options("/api/v1/auth/login", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert evil.status == 400 and "Access-Control-Allow-Origin" not in evil.headers
    simple = await client.get("/api/v1/auth/me", headers={"Origin": "http://localhost:5173"})
    assert simple.status == 401
    assert simple.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"


async def test_oversized_and_malformed_bodies_are_4xx_json(make_client, auth_headers):
    client = await make_client("users", "auth", "logs")
    headers = await auth_headers(client, "operator")
    big = await client.post("/api/v1/logging", data=b'{"content": "' + b"x" * 2_000_000 + b'"}',
                            headers={**headers, "Content-Type": "application/json"})
    assert big.status == 413
    assert "detail" in await big.json()
    broken = await client.post("/api/v1/logging", data=b'{"content": ', headers=headers)
    assert broken.status == 422
    assert (await broken.json())["detail"][0]["type"] == "json_invalid"


async def test_blocked_plugin_routes_are_gone(make_client, auth_headers):
    from webmacs_core.app import create_app, route_table
    from webmacs_core.plugins import build_plugin_manager
    from webmacs_core.settings import Settings

    pm = build_plugin_manager(blocked=["logs"])
    app = create_app(Settings.load({}, database_url="sqlite+aiosqlite:///:memory:"), pm=pm)
    paths = {route.path for route in route_table(app).values()}
    assert "/api/v1/logging" not in paths
    assert "/api/v1/auth/login" in paths


async def test_a_stream_that_breaks_off_ends_the_connection(aiohttp_client):
    """Once a streamed body has started, an error cannot become a 500: the client must see the
    body end early, not wait for the rest."""
    import asyncio

    import aiohttp
    import pytest
    from aiohttp import web

    from webmacs_core.middlewares import error_middleware

    async def broken(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        await response.write(b"first rows\r\n")
        raise RuntimeError("storage failed half-way")

    app = web.Application(middlewares=[error_middleware])
    app.router.add_get("/export", broken)
    client = await aiohttp_client(app)
    resp = await client.get("/export")
    assert resp.status == 200
    with pytest.raises(aiohttp.ClientPayloadError):
        await asyncio.wait_for(resp.read(), timeout=5)
