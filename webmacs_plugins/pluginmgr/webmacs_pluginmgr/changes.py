"""The configuration change feed controllers follow: ``GET /api/v1/plugins/changes?after=<generation>``.

Every committed change of an instance, a channel mapping or a plugin package moves the generation on.
A controller asks with the generation it last saw; the answer comes at once when it is stale, else as
soon as the next change commits (or after ``wait`` seconds with the same generation). The controller
then re-reads ``/plugins``, so changes reach it within a round trip instead of its sync interval.

The generation lives in this process (the server runs as one); it starts from a random prefix so a
restarted server never answers with a generation a controller saw before the restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets

from aiohttp import web

from webmacs_sdk.errors import ValidationFailed
from webmacs_sdk.keys import HOST
from webmacs_sdk.models import Transaction
from webmacs_sdk.web import json_response

#: Longest a request waits for a change, in seconds.
MAX_WAIT = 30.0


class ChangeFeed:
    """The current generation and a way to wait for the next one."""

    def __init__(self) -> None:
        self._boot = secrets.token_hex(4)
        self._counter = 0
        self._changed = asyncio.Event()

    @property
    def generation(self) -> str:
        return f"{self._boot}-{self._counter}"

    def bump(self) -> None:
        """A change was committed: wake every waiting request."""
        self._counter += 1
        self._changed.set()
        self._changed = asyncio.Event()

    def bump_on_commit(self, tx: Transaction) -> None:
        tx.after_commit(self.bump)

    async def wait_past(self, seen: str, within: float) -> str:
        """The generation once it differs from ``seen``, or the current one after ``within`` seconds."""
        if seen != self.generation:
            return self.generation
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), within)
        return self.generation


CHANGES: web.AppKey[ChangeFeed] = web.AppKey("webmacs_pluginmgr.changes", ChangeFeed)


def changes_for(app: web.Application) -> ChangeFeed:
    return app[HOST].state(CHANGES, ChangeFeed)


async def follow(request: web.Request) -> web.Response:
    """``{"generation": "..."}`` once it differs from ``after`` (long poll of up to ``wait`` seconds)."""
    raw_wait = request.query.get("wait", "25")
    try:
        wait = float(raw_wait)
    except ValueError:
        raise ValidationFailed.single(["query", "wait"], "Input should be a valid number", "float_parsing") from None
    if not 0 <= wait <= MAX_WAIT:
        raise ValidationFailed.single(["query", "wait"], f"Input should be between 0 and {MAX_WAIT:g}")
    generation = await changes_for(request.app).wait_past(request.query.get("after", ""), wait)
    return json_response({"generation": generation})
