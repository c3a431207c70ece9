"""The domain event types webhooks may subscribe to, collected from ``webmacs_event_types``."""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web

from webmacs_sdk.keys import HOST
from webmacs_sdk.specs import EventTypeSpec

_EVENT_TYPES: web.AppKey[tuple[EventTypeSpec, ...]] = web.AppKey("webmacs_webhooks.event_types", tuple)


def event_types(app: web.Application) -> Sequence[EventTypeSpec]:
    """Every event type registered through ``webmacs_event_types``, collected once per app.

    The set of plugins is fixed once the app is built, so the answer never changes afterwards.
    """
    return app[HOST].state(_EVENT_TYPES, lambda: _collect(app))


def _collect(app: web.Application) -> tuple[EventTypeSpec, ...]:
    caller = getattr(app[HOST].hook(), "webmacs_event_types", None)
    if caller is None:  # neither the webhooks plugin nor any implementation is registered
        return ()
    return tuple(spec for specs in caller() if specs is not None for spec in specs)
