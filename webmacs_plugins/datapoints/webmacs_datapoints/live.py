"""Live data: ``datapoints_batch`` frames on the live bus, and ``/ws/datapoints/stream`` (contract §3.4).

Each committed batch is encoded once and published; every dashboard socket reads its own
bounded subscription and merges whatever queued up while it was sending into one frame.
A dashboard that falls too far behind is cut off by the bus and closed here; it never slows
ingestion or the other dashboards.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import orjson
from aiohttp import WSMsgType, web

from webmacs_sdk.keys import HOST
from webmacs_sdk.models import IngestBatch
from webmacs_sdk.specs import Policy, RouteTable

log = logging.getLogger(__name__)

TOPIC = "datapoints"
_HEAD = b'{"type":"datapoints_batch","datapoints":['
_TAIL = b"]}"
#: A send that takes longer than this means the client stopped reading.
SEND_TIMEOUT = 5.0
_CONNECTED = orjson.dumps({"type": "connected", "message": "Subscribed to live datapoint stream."})
_PONG = orjson.dumps({"type": "pong"})

routes = RouteTable("/ws")
#: Close handshakes in progress (kept referenced until they finish).
_CLOSING: set[asyncio.Future[None]] = set()


def encode(batch: IngestBatch) -> bytes:
    """The §3.4 frame of a committed batch (timestamps in ``+00:00`` form)."""
    experiment = batch.experiment_public_id
    items = [
        {"value": value, "event_public_id": event, "timestamp": ts, "experiment_public_id": experiment}
        for value, event, ts in zip(batch.values, batch.event_public_ids, batch.timestamps, strict=True)
    ]
    return orjson.dumps({"type": "datapoints_batch", "datapoints": items})


def merge(frames: list[bytes]) -> bytes:
    """Several queued ``datapoints_batch`` frames as one (their item lists concatenated)."""
    if len(frames) == 1:
        return frames[0]
    inner = b",".join(f[len(_HEAD):-len(_TAIL)] for f in frames if len(f) > len(_HEAD) + len(_TAIL))
    return _HEAD + inner + _TAIL


async def publish(app: web.Application, batch: IngestBatch) -> None:
    bus = app[HOST].live_bus
    count = getattr(bus, "subscriber_count", None)
    if count is not None and not count(TOPIC):
        return
    await bus.publish(TOPIC, encode(batch))


async def _pump(ws: web.WebSocketResponse, subscription: object) -> None:
    drain = getattr(subscription, "drain", None)
    async for frame in subscription:  # type: ignore[attr-defined]
        queued = drain() if drain is not None else ()
        # asyncio.timeout arms one timer; wait_for would wrap every send in a new task, which
        # at 100 dashboards x 100 batches/s is most of the fan-out's cost.
        async with asyncio.timeout(SEND_TIMEOUT):
            await ws.send_frame(merge([frame, *queued]) if queued else frame, WSMsgType.TEXT)


@routes.websocket("/datapoints/stream", policy=Policy.AUTHENTICATED)
async def datapoints_stream(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(heartbeat=30.0, max_msg_size=64 * 1024)
    await ws.prepare(request)
    subscription = request.app[HOST].live_bus.subscribe(TOPIC)
    await ws.send_frame(_CONNECTED, WSMsgType.TEXT)
    pump = asyncio.ensure_future(_pump(ws, subscription))
    pump.add_done_callback(lambda task: None if task.cancelled() else _close_soon(request, ws))
    try:
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                break
            try:
                data = orjson.loads(msg.data)
            except orjson.JSONDecodeError:
                break
            if isinstance(data, dict) and data.get("type") == "ping":
                await ws.send_frame(_PONG, WSMsgType.TEXT)
    finally:
        pump.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await pump
        await subscription.close()
        if not ws.closed:
            await ws.close()
    return ws


def _close_soon(request: web.Request, ws: web.WebSocketResponse) -> None:
    """The pump ended (cut off as too slow, or a send timed out): end the connection now."""
    if not ws.closed:
        task = asyncio.ensure_future(_close_slow(request, ws))
        _CLOSING.add(task)
        task.add_done_callback(_CLOSING.discard)


async def _close_slow(request: web.Request, ws: web.WebSocketResponse) -> None:
    try:
        await asyncio.wait_for(ws.close(code=1013, message=b"Client too slow"), 1.0)
    except (TimeoutError, ConnectionError):
        # A client that stopped reading never completes a close handshake.
        if request.transport is not None:
            request.transport.abort()
