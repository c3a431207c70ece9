"""``/ws/controller/telemetry`` (contract §3.3) plus the opt-in acknowledged protocol.

With ``?ack=1&controller_id=<id>`` a frame ``{"seq": N, "datapoints": [...]}`` is answered,
after commit, with ``{"type": "ack", "seq": N, "accepted": a, "rejected": r}``; a replayed
``(controller_id, seq)`` is stored once and acknowledged again. A batch that can never be
stored gets ``{"type": "error", "seq": N, "message": ..., "retryable": false}``; a database
outage gets ``"retryable": true`` and the controller sends the batch again later.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import orjson
from aiohttp import WSMsgType, web

from webmacs_datapoints.ingest import MAX_BATCH, MAX_ID_LENGTH, ingest, parse_items
from webmacs_sdk.errors import ServiceUnavailable
from webmacs_sdk.specs import Policy, RouteTable
from webmacs_sdk.web import principal

log = logging.getLogger(__name__)

routes = RouteTable("/ws")

#: Largest accepted frame: 500 datapoints with timestamps fit in well under this.
MAX_FRAME_BYTES = 256 * 1024
HEARTBEAT_SECONDS = 20.0


def _frame(**fields: Any) -> bytes:
    return orjson.dumps(fields)


@routes.websocket("/controller/telemetry", policy=Policy.OPERATOR)
async def controller_telemetry(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT_SECONDS, max_msg_size=MAX_FRAME_BYTES)
    await ws.prepare(request)
    caller = principal(request)
    acked = request.query.get("ack") in {"1", "true", "yes"}
    controller_id = request.query.get("controller_id") or None
    if controller_id is not None and len(controller_id) > MAX_ID_LENGTH:
        await ws.close(code=1008, message=b"controller_id too long")
        return ws
    # Without a controller id, sequence numbers cannot be made idempotent across connections.
    source_id = f"{caller.public_id}:{controller_id}" if acked and controller_id else None

    async def reply(**fields: Any) -> None:
        if acked or fields.get("type") == "error":
            if not acked:
                fields.pop("seq", None)
                fields.pop("retryable", None)
            await ws.send_frame(_frame(**fields), WSMsgType.TEXT)

    async for msg in ws:
        if msg.type is not WSMsgType.TEXT:
            if msg.type is WSMsgType.BINARY:
                await ws.close(code=1003, message=b"Text frames only")
            break
        try:
            data = orjson.loads(msg.data)
        except orjson.JSONDecodeError:
            await ws.close(code=1007, message=b"Invalid JSON")
            break
        if not isinstance(data, dict):
            await ws.close(code=1007, message=b"Frame must be a JSON object")
            break
        seq = data.get("seq") if acked else None
        if seq is not None and (type(seq) is not int or not 0 <= seq < 2**63):
            await reply(type="error", message="seq must be a non-negative integer", retryable=False)
            continue
        items = data.get("datapoints")
        if not items or not isinstance(items, list):
            if seq is not None:
                await reply(type="ack", seq=seq, accepted=0, rejected=0)
            continue
        if len(items) > MAX_BATCH:
            await reply(type="error", seq=seq, message=f"Batch too large ({len(items)}), max {MAX_BATCH}",
                        retryable=False)
            continue
        columns = parse_items(items)
        if not len(columns):
            await reply(type="error", seq=seq, message="No valid datapoints in batch", retryable=False)
            continue
        try:
            # A batch that arrived is stored to the end even if the connection drops meanwhile:
            # cancelling a transaction half-way helps nobody.
            result = await asyncio.shield(ingest(
                request.app, columns, source_id=source_id if seq is not None else None,
                sequence=seq if source_id else None, principal=caller,
            ))
        except ServiceUnavailable as exc:
            await reply(type="error", seq=seq, message=str(exc.detail), retryable=True)
            continue
        except Exception:
            log.exception("telemetry batch %s of %s failed", seq, caller.username)
            await reply(type="error", seq=seq, message="Internal error, retry later.", retryable=True)
            continue
        if seq is not None:
            await reply(type="ack", seq=seq, accepted=result.accepted,
                        rejected=columns.skipped + len(result.rejected), duplicate=result.duplicate)
    return ws
