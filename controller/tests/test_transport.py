"""The controller's HTTP and WebSocket clients against a real loopback server."""

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import WSMsgType, web
from local_server import serving

from webmacs_controller.httpclient import ConnectionFailed, HttpClient
from webmacs_controller.wsclient import ABNORMAL_CLOSURE, WebSocketRejected, connect


class Peer:
    """A server whose handlers the tests script; counts the TCP connections it accepted."""

    def __init__(self) -> None:
        self.connections = 0
        self.port = 0
        self.stall = asyncio.Event()

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/json", self.json)
        app.router.add_post("/echo", self.echo)
        app.router.add_get("/slow", self.slow)
        app.router.add_get("/ws", self.ws)
        app.router.add_get("/ws-silent", self.ws_silent)
        app.router.add_post("/moved", self.moved)
        return app

    async def moved(self, request: web.Request) -> web.Response:
        raise web.HTTPSeeOther(location="/json?from=moved")

    async def json(self, request: web.Request) -> web.Response:
        return web.json_response({"q": dict(request.query)}, headers={"Retry-After": "7"})

    async def echo(self, request: web.Request) -> web.Response:
        return web.Response(body=await request.read(), status=201)

    async def slow(self, request: web.Request) -> web.Response:
        await self.stall.wait()
        return web.json_response({})

    async def ws(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        await ws.ping()
        async for msg in ws:
            if msg.type is WSMsgType.TEXT:
                if msg.data == "bye":
                    await ws.close(code=1008, message=b"Invalid API token")
                    break
                await ws.send_str("x" * 200_000 + msg.data)  # larger than one read: reassembled
        return ws

    async def ws_silent(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=False)  # never answers pings: a dead peer
        await ws.prepare(request)
        await self.stall.wait()
        return ws


@pytest.fixture
async def peer() -> AsyncIterator[Peer]:
    server = Peer()
    async with serving(server.app(), keepalive_timeout=0.2) as server.port:
        yield server
        server.stall.set()


async def test_requests_reuse_connections_and_survive_the_server_closing_idle_ones(peer: Peer) -> None:
    client = HttpClient(timeout=5)
    base = f"http://127.0.0.1:{peer.port}"
    try:
        first = await client.request("GET", f"{base}/json", params={"page": 2})
        assert first.status == 200 and first.json() == {"q": {"page": "2"}}
        assert first.headers["retry-after"] == "7"
        echoed = await client.request("POST", f"{base}/echo", json={"a": [1, 2]})
        assert echoed.status == 201 and echoed.json() == {"a": [1, 2]}
        assert len(client._idle[next(iter(client._idle))]) == 1  # one connection served both
        await asyncio.sleep(0.5)  # the server closes the idle connection meanwhile
        again = await client.request("POST", f"{base}/echo", data=b"raw")
        assert again.text() == "raw"
        followed = await client.request("POST", f"{base}/moved", json={"x": 1})  # 303: continue as GET
        assert followed.status == 200 and followed.json() == {"q": {"from": "moved"}}
    finally:
        await client.close()


async def test_a_silent_server_and_a_closed_port_are_connection_failures(peer: Peer) -> None:
    client = HttpClient(timeout=0.3)
    with pytest.raises(ConnectionFailed, match=r"within 0\.3s"):
        await client.request("GET", f"http://127.0.0.1:{peer.port}/slow")
    with pytest.raises(ConnectionFailed, match=r"cannot connect to 127\.0\.0\.1:9"):
        await client.request("GET", "http://127.0.0.1:9/")
    with pytest.raises(ValueError, match="not an http"):
        await client.request("GET", "127.0.0.1:8000/api")
    await client.close()


async def test_websocket_messages_pings_and_the_close_reason(peer: Peer) -> None:
    ws = await connect(f"ws://127.0.0.1:{peer.port}/ws?token=t", heartbeat=0)
    await ws.send_text("hello")
    reply = await ws.receive()
    assert reply is not None and reply.endswith("hello") and len(reply) == 200_005
    await ws.send_text("bye")
    assert await ws.receive() is None
    assert (ws.close_code, ws.close_reason) == (1008, "Invalid API token")
    with pytest.raises(ConnectionFailed):
        await ws.send_text("after close")
    with pytest.raises(WebSocketRejected) as rejected:
        await connect(f"ws://127.0.0.1:{peer.port}/json")
    assert rejected.value.status == 200


async def test_websocket_heartbeat_gives_up_on_a_peer_that_stopped_answering(peer: Peer) -> None:
    ws = await connect(f"ws://127.0.0.1:{peer.port}/ws-silent", heartbeat=0.1)
    assert await asyncio.wait_for(ws.receive(), 3) is None
    assert ws.close_code == ABNORMAL_CLOSURE and ws.close_reason == "no answer to pings"
