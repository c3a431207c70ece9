"""``/ws/controller/telemetry`` (contract §3.3) plus the opt-in acknowledged protocol.

With ``?ack=1&controller_id=<id>`` a frame ``{"seq": N, "datapoints": [...]}`` is answered,
after commit, with ``{"type": "ack", "seq": N, "accepted": a, "rejected": r}``; a replayed
``(controller_id, seq)`` is stored once and acknowledged again. A batch that can never be
stored gets ``{"type": "error", "seq": N, "message": ..., "retryable": false}``; a database
outage gets ``"retryable": true`` and the controller sends the batch again later.

Frames are read while the previous batch is being stored, and handled strictly in arrival
order by one storing task. Frames without ``seq`` that queued up meanwhile are stored in one
transaction: a connection that fell behind (a slow commit, a busy moment) catches up in one
commit instead of paying a commit per frame, which at 100 frames/s is what lets a backlog grow.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from typing import Any, NamedTuple

import orjson
from aiohttp import WSMsgType, web
from sqlalchemy import exc as sa_exc

from webmacs_datapoints.ingest import MAX_BATCH, MAX_ID_LENGTH, Columns, ingest, parse_items
from webmacs_sdk.errors import ServiceUnavailable
from webmacs_sdk.models import Principal
from webmacs_sdk.serving import prepare_websocket
from webmacs_sdk.specs import Policy, RouteTable
from webmacs_sdk.web import principal

log = logging.getLogger(__name__)

routes = RouteTable("/ws")

#: Largest accepted frame: 500 datapoints with timestamps fit in well under this.
MAX_FRAME_BYTES = 256 * 1024
HEARTBEAT_SECONDS = 20.0
#: Frames read ahead of storage at most; past this the handler stops reading, and TCP slows
#: the controller down.
READ_AHEAD = 16
#: Datapoints of queued frames without ``seq`` stored in one transaction at most.
MERGE_LIMIT = 2_000


def _frame(**fields: Any) -> bytes:
    return orjson.dumps(fields)


class _Frame(NamedTuple):
    seq: int | None
    columns: Columns


class _Close(NamedTuple):
    code: int
    message: bytes


def _merge(frames: list[_Frame]) -> Columns:
    if len(frames) == 1:
        return frames[0].columns
    merged = Columns()
    for frame in frames:
        merged.event_public_ids += frame.columns.event_public_ids
        merged.values += frame.columns.values
        merged.timestamps += frame.columns.timestamps
        merged.skipped += frame.columns.skipped
    return merged


class _Connection:
    """One controller's queue of parsed frames, replies and a final close, in arrival order."""

    def __init__(
        self, request: web.Request, ws: web.WebSocketResponse, caller: Principal, acked: bool,
        source_id: str | None,
    ) -> None:
        self.request = request
        self.ws = ws
        self.caller = caller
        self.acked = acked
        self.source_id = source_id
        self.work: deque[_Frame | _Close | dict[str, Any]] = deque()
        self.frames = 0
        self.arrived = asyncio.Event()
        self.room = asyncio.Event()
        self.room.set()
        self.reading = True
        self.stopped = False

    def push(self, item: _Frame | _Close | dict[str, Any]) -> None:
        self.work.append(item)
        if isinstance(item, _Frame):
            self.frames += 1
            if self.frames >= READ_AHEAD:
                self.room.clear()
        self.arrived.set()

    def reply(self, **fields: Any) -> None:
        if self.acked or fields.get("type") == "error":
            self.push(fields)

    async def _send(self, fields: dict[str, Any]) -> None:
        if not self.acked:
            fields.pop("seq", None)
            fields.pop("retryable", None)
        # A controller that is gone gets no reply; what was stored stays stored, and an
        # acknowledged controller sends an unacknowledged batch again.
        with contextlib.suppress(ConnectionError):
            await self.ws.send_frame(_frame(**fields), WSMsgType.TEXT)

    def _take(self) -> list[_Frame]:
        first = self.work.popleft()
        assert isinstance(first, _Frame)
        frames = [first]
        if first.seq is None:
            size = len(first.columns)
            while self.work:
                following = self.work[0]
                if (
                    not isinstance(following, _Frame)
                    or following.seq is not None
                    or size + len(following.columns) > MERGE_LIMIT
                ):
                    break
                self.work.popleft()
                frames.append(following)
                size += len(following.columns)
        self.frames -= len(frames)
        if self.frames < READ_AHEAD:
            self.room.set()
        return frames

    async def store(self) -> None:
        """Everything queued, in order, until the reader has stopped and the queue is empty."""
        try:
            while self.work or self.reading:
                if not self.work:
                    self.arrived.clear()
                    await self.arrived.wait()
                    continue
                head = self.work[0]
                if isinstance(head, _Frame):
                    await self._store(self._take())
                    continue
                self.work.popleft()
                if isinstance(head, _Close):
                    await self.ws.close(code=head.code, message=head.message)
                else:
                    await self._send(head)
        finally:
            # Never leave the reader waiting for room that a dead storing task cannot make.
            self.stopped = True
            self.room.set()

    async def _store(self, frames: list[_Frame]) -> None:
        seq = frames[0].seq
        columns = _merge(frames)
        try:
            # A batch that arrived is stored to the end even if the connection drops meanwhile:
            # cancelling a transaction half-way helps nobody.
            result = await asyncio.shield(ingest(
                self.request.app, columns, source_id=self.source_id if seq is not None else None,
                sequence=seq if self.source_id else None, principal=self.caller,
            ))
        except ServiceUnavailable as exc:
            await self._send({"type": "error", "seq": seq, "message": str(exc.detail), "retryable": True})
            return
        except sa_exc.DataError:
            # The database refuses these values as such: sending them again can never succeed, and
            # a retryable answer would hold back every later batch of the controller's spool.
            log.exception("telemetry batch %s of %s holds values the database refuses", seq, self.caller.username)
            await self._send({"type": "error", "seq": seq, "message": "Batch holds values that cannot be stored.",
                              "retryable": False})
            return
        except Exception:
            log.exception("telemetry batch %s of %s failed", seq, self.caller.username)
            await self._send({"type": "error", "seq": seq, "message": "Internal error, retry later.",
                              "retryable": True})
            return
        if seq is not None:
            await self._send({"type": "ack", "seq": seq, "accepted": result.accepted,
                              "rejected": columns.skipped + len(result.rejected), "duplicate": result.duplicate})


@routes.websocket("/controller/telemetry", policy=Policy.OPERATOR)
async def controller_telemetry(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT_SECONDS, max_msg_size=MAX_FRAME_BYTES)
    await prepare_websocket(request, ws)
    caller = principal(request)
    acked = request.query.get("ack") in {"1", "true", "yes"}
    controller_id = request.query.get("controller_id") or None
    if controller_id is not None and len(controller_id) > MAX_ID_LENGTH:
        await ws.close(code=1008, message=b"controller_id too long")
        return ws
    # Without a controller id, sequence numbers cannot be made idempotent across connections.
    source_id = f"{caller.public_id}:{controller_id}" if acked and controller_id else None
    conn = _Connection(request, ws, caller, acked, source_id)
    storing = asyncio.ensure_future(conn.store())
    try:
        await _read(ws, conn)
        conn.reading = False
        conn.arrived.set()
        await storing
    finally:
        storing.cancel()
    return ws


async def _read(ws: web.WebSocketResponse, conn: _Connection) -> None:
    """Parse frames into the connection's queue; errors and the close are queued behind them."""
    async for msg in ws:
        if msg.type is not WSMsgType.TEXT:
            if msg.type is WSMsgType.BINARY:
                conn.push(_Close(1003, b"Text frames only"))
            return
        try:
            data = orjson.loads(msg.data)
        except orjson.JSONDecodeError:
            conn.push(_Close(1007, b"Invalid JSON"))
            return
        if not isinstance(data, dict):
            conn.push(_Close(1007, b"Frame must be a JSON object"))
            return
        seq = data.get("seq") if conn.acked else None
        if seq is not None and (type(seq) is not int or not 0 <= seq < 2**63):
            conn.reply(type="error", message="seq must be a non-negative integer", retryable=False)
            continue
        items = data.get("datapoints")
        if not items or not isinstance(items, list):
            if seq is not None:
                conn.reply(type="ack", seq=seq, accepted=0, rejected=0)
            continue
        if len(items) > MAX_BATCH:
            conn.reply(type="error", seq=seq, message=f"Batch too large ({len(items)}), max {MAX_BATCH}",
                       retryable=False)
            continue
        columns = parse_items(items)
        if not len(columns):
            conn.reply(type="error", seq=seq, message="No valid datapoints in batch", retryable=False)
            continue
        conn.push(_Frame(seq, columns))
        await conn.room.wait()
        if conn.stopped:
            return
