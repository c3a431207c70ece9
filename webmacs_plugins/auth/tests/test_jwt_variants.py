"""Tampered, expired, unsigned and foreign tokens are all 401 on REST and closed 1008 on WebSockets."""

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from aiohttp import web

from webmacs_sdk import Policy, RouteTable, hookimpl
from webmacs_sdk.testing.pytest_plugin import BASE_ENV, TEST_SECRET, login


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _raw(header: dict, claims: dict, key: bytes | None) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    if key is None:
        return signing_input + "."
    sig = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(sig)}"


def variants(valid: str) -> dict[str, str]:
    now = int(time.time())
    good = {"sub": "1", "role": "admin", "iat": now, "exp": now + 3600}
    head, payload, sig = valid.split(".")
    key = TEST_SECRET.encode()
    flipped = sig[:-2] + ("A" if sig[-2] != "A" else "B") + sig[-1]
    return {
        "alg_none": _raw({"alg": "none", "typ": "JWT"}, good, None),
        "alg_none_upper": _raw({"alg": "NONE", "typ": "JWT"}, good, None),
        "no_signature": f"{head}.{payload}.",
        "flipped_signature": f"{head}.{payload}.{flipped}",
        "wrong_key": jwt.encode(good, "another-secret-key-of-sufficient-length!!", algorithm="HS256"),
        "expired": jwt.encode({**good, "exp": now - 10, "iat": now - 100}, TEST_SECRET, algorithm="HS256"),
        "hs512_same_key": jwt.encode(good, TEST_SECRET + "x" * 40, algorithm="HS512"),
        "missing_exp": jwt.encode({"sub": "1", "iat": now}, TEST_SECRET, algorithm="HS256"),
        "missing_sub": jwt.encode({"iat": now, "exp": now + 60}, TEST_SECRET, algorithm="HS256"),
        "sub_not_integer": jwt.encode({**good, "sub": "admin"}, TEST_SECRET, algorithm="HS256"),
        "unknown_user": jwt.encode({**good, "sub": "999999"}, TEST_SECRET, algorithm="HS256"),
        "tampered_payload": f"{head}.{_b64(json.dumps({**good, 'sub': '2'}).encode())}.{sig}",
        "garbage": "not.a.jwt",
        "two_parts": f"{head}.{payload}",
        "empty_segments": "..",
        "kid_injection": _raw({"alg": "HS256", "kid": "../../dev/null"}, good, b""),
        "empty_key_signed": _raw({"alg": "HS256", "typ": "JWT"}, good, b""),
        "signature_swapped_from_other_token": f"{head}.{payload}.{_b64(hmac.new(key, b'x', hashlib.sha256).digest())}",
    }


ws_routes = RouteTable()


@ws_routes.websocket("/ws/probe", policy=Policy.AUTHENTICATED)
async def probe(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    await ws.send_json({"type": "connected"})
    await ws.close()
    return ws


class ProbePlugin:
    name = "probe"

    @hookimpl
    def webmacs_register_routes(self):
        return list(ws_routes)


@pytest.fixture
async def setup(make_client):
    client = await make_client("users", "auth", ProbePlugin())
    valid = await login(client, BASE_ENV["WEBMACS_INITIAL_ADMIN_EMAIL"], BASE_ENV["WEBMACS_INITIAL_ADMIN_PASSWORD"])
    return client, valid


async def test_at_least_fourteen_bad_tokens_are_rejected_on_rest(setup):
    client, valid = setup
    cases = variants(valid)
    assert len(cases) >= 14
    for name, token in cases.items():
        resp = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert resp.status == 401, name
        assert (await resp.json())["detail"] in {"Invalid or expired token.", "User not found."}, name
    ok = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {valid}"})
    assert ok.status == 200


async def test_bad_tokens_close_the_websocket_with_1008(setup):
    client, valid = setup
    for name, token in variants(valid).items():
        ws = await client.ws_connect("/ws/probe", params={"token": token})
        msg = await ws.receive()
        assert ws.close_code == 1008, name
        assert msg.extra in {"Invalid or expired token", "User not found"}, name
    ws = await client.ws_connect("/ws/probe")
    await ws.receive()
    assert ws.close_code == 1008
    good = await client.ws_connect("/ws/probe", params={"token": valid})
    assert (await good.receive_json())["type"] == "connected"
