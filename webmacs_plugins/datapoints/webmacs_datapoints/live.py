"""Live data: ``datapoints_batch`` frames on the live bus, and ``/ws/datapoints/stream`` (contract §3.4).

Each committed batch is encoded once and published. A dashboard whose socket has room takes
the frame during the publish itself: the same framed bytes are written to every such socket,
with no task switch per dashboard. A dashboard that is backed up reads its own bounded
subscription instead and merges whatever queued up while it was sending into one frame; one
that falls too far behind is cut off by the bus and closed here; it never slows ingestion or
the other dashboards.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import struct
from collections.abc import Callable

import orjson
from aiohttp import WSMsgType, web

from webmacs_sdk.keys import HOST
from webmacs_sdk.models import IngestBatch
from webmacs_sdk.serving import prepare_websocket
from webmacs_sdk.specs import Policy, RouteTable

log = logging.getLogger(__name__)

TOPIC = "datapoints"
_HEAD = b'{"type":"datapoints_batch","datapoints":['
_TAIL = b"]}"
#: A send that takes longer than this means the client stopped reading.
SEND_TIMEOUT = 5.0
#: Bytes a socket may have waiting in user space and still take frames at publish time; past
#: this, frames queue in the subscription, where the send timeout and the bound apply.
DIRECT_WRITE_LIMIT = 64 * 1024
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


@functools.lru_cache(maxsize=2)
def text_frame(payload: bytes) -> bytes:
    """``payload`` as one unmasked, uncompressed WebSocket text frame (RFC 6455 §5.2).

    Cached because every dashboard is handed the same bytes object of one message: the
    header and the copy are made once per publish, not once per dashboard.
    """
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", 0x81, size)
    elif size < 65536:
        header = struct.pack("!BBH", 0x81, 126, size)
    else:
        header = struct.pack("!BBQ", 0x81, 127, size)
    return header + payload


def direct_writer(ws: web.WebSocketResponse, transport: asyncio.Transport) -> Callable[[bytes], bool]:
    """Writes a message straight to the socket's transport unless the dashboard is backed up.

    Only for a connection without a WebSocket extension (no permessage-deflate), where a frame
    on the wire is the header plus the payload; aiohttp writes its own frames (pongs, pings,
    close) in single synchronous writes, so frames never interleave.
    """

    def write(message: bytes) -> bool:
        if ws.closed or transport.is_closing() or transport.get_write_buffer_size() > DIRECT_WRITE_LIMIT:
            return False
        transport.write(text_frame(message))
        return True

    return write


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
    # No permessage-deflate: a frame is encoded once for all dashboards, and deflating it per
    # socket would be work proportional to dashboards x frames (~0.1 ms per 100-datapoint frame).
    ws = web.WebSocketResponse(heartbeat=30.0, max_msg_size=64 * 1024, compress=False)
    await prepare_websocket(request, ws)
    subscription = request.app[HOST].live_bus.subscribe(TOPIC)
    await ws.send_frame(_CONNECTED, WSMsgType.TEXT)
    deliver = getattr(subscription, "deliver_directly", None)
    if deliver is not None and request.transport is not None and not ws.compress:
        deliver(direct_writer(ws, request.transport))
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
