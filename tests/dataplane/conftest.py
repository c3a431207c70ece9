"""Helpers of the cross-plugin data-plane tests: a TCP proxy that can cut connections,
and an acknowledged-telemetry client that resends what was not acknowledged."""

from __future__ import annotations

import asyncio
import contextlib

import aiohttp
import orjson
import pytest

PLUGINS = ("users", "auth", "events", "experiments", "datapoints")


class CuttingProxy:
    """Forwards TCP to ``port``; :meth:`cut` aborts every open connection at once."""

    def __init__(self, port: int) -> None:
        self.target = port
        self.port = 0
        self.cuts = 0
        self._transports: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
        self._transports.update((writer, up_writer))

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            with contextlib.suppress(Exception):
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._transports.difference_update((writer, up_writer))

    def cut(self) -> None:
        self.cuts += 1
        for writer in list(self._transports):
            writer.transport.abort()
        self._transports.clear()

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


class AckClient:
    """Sends numbered batches with a window; on a drop reconnects and resends every
    unacknowledged batch in order (what the controller's spool does)."""

    def __init__(self, url: str, batches: dict[int, list[dict]], window: int = 8) -> None:
        self.url = url
        self.pending = dict(batches)
        self.window = window
        self.connections = 0
        self.retryable_errors = 0
        self.on_ack = None

    async def run(self, deadline: float = 60.0) -> None:
        loop = asyncio.get_running_loop()
        end = loop.time() + deadline
        async with aiohttp.ClientSession() as session:
            while self.pending and loop.time() < end:
                with contextlib.suppress(aiohttp.ClientError, OSError, asyncio.TimeoutError):
                    await self._once(session)
                await asyncio.sleep(0.01)

    async def _once(self, session: aiohttp.ClientSession) -> None:
        async with session.ws_connect(self.url) as ws:
            self.connections += 1
            queue = sorted(self.pending)
            inflight: set[int] = set()
            while self.pending:
                while queue and len(inflight) < self.window:
                    seq = queue.pop(0)
                    if seq in self.pending:
                        await ws.send_str(
                            orjson.dumps({"seq": seq, "datapoints": self.pending[seq]}).decode()
                        )
                        inflight.add(seq)
                if not inflight:
                    queue = sorted(self.pending)
                    continue
                msg = await asyncio.wait_for(ws.receive(), 30)
                if msg.type is not aiohttp.WSMsgType.TEXT:
                    return
                frame = orjson.loads(msg.data)
                seq = frame["seq"]
                inflight.discard(seq)
                if frame["type"] == "ack":
                    self.pending.pop(seq, None)
                    if self.on_ack is not None:
                        self.on_ack()
                elif frame.get("retryable"):
                    self.retryable_errors += 1
                    queue.append(seq)
                    queue.sort()
                    await asyncio.sleep(0.05)
                else:
                    raise AssertionError(f"batch {seq} refused: {frame}")


@pytest.fixture
async def proxy_for():
    proxies: list[CuttingProxy] = []

    async def start(port: int) -> CuttingProxy:
        proxy = CuttingProxy(port)
        await proxy.start()
        proxies.append(proxy)
        return proxy

    yield start
    for proxy in proxies:
        await proxy.stop()
