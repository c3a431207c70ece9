"""The receiver's aiohttp application: ``POST /webhook``."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from webmacs_webhook_receiver.verify import TOLERANCE, ReplayGuard, VerificationError, verify

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], Awaitable[None]]

GUARD: web.AppKey[ReplayGuard] = web.AppKey("guard", ReplayGuard)


async def _log_handler(payload: dict[str, Any]) -> None:
    log.info("received %s", payload.get("type"))


def create_app(
    secret: str | None,
    *,
    handler: Handler | None = None,
    tolerance: int = TOLERANCE,
    replay_capacity: int = 10_000,
) -> web.Application:
    """A receiver that calls ``handler(payload)`` once per authentic, fresh, new delivery."""
    process = handler or _log_handler
    app = web.Application(client_max_size=1024 * 1024)
    app[GUARD] = ReplayGuard(replay_capacity, ttl=2 * tolerance)

    async def receive(request: web.Request) -> web.Response:
        body = await request.read()
        try:
            message_id = verify(secret, request.headers, body, tolerance=tolerance)
        except VerificationError as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=401)
        key = message_id or request.headers.get("X-Webhook-Signature")
        if key and not request.app[GUARD].first_time(key):
            return web.json_response({"ok": True, "duplicate": True})
        try:
            payload = json.loads(body)
        except ValueError:
            return web.json_response({"ok": False, "error": "body is not JSON"}, status=400)
        await process(payload)
        return web.json_response({"ok": True})

    app.router.add_post("/webhook", receive)
    return app
