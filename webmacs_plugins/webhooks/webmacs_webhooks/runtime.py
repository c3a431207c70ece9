"""Per-app runtime state of the webhooks plugin: settings, the secret box, the egress policy,
the dispatcher and the caches of the sampling path."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from aiohttp import web

from webmacs_sdk.egress import EgressPolicy, HostResolver
from webmacs_sdk.keys import DATABASE, HOST, SETTINGS
from webmacs_webhooks import store
from webmacs_webhooks.crypto import SecretBox
from webmacs_webhooks.settings import WebhookSettings

if TYPE_CHECKING:
    from webmacs_webhooks.dispatcher import Dispatcher


class Runtime:
    """Everything the plugin keeps while the app runs (the app itself is frozen)."""

    def __init__(self, app: web.Application) -> None:
        from webmacs_webhooks.dispatcher import Dispatcher

        self.app = app
        self.settings = app[HOST].section(WebhookSettings)
        self.policy = EgressPolicy.from_setting(self.settings.egress_allow)
        self.box = SecretBox(app[SETTINGS].resolved_secret_key())
        #: Name resolution of the egress guard; tests substitute a stub DNS.
        self.resolver: HostResolver | None = None
        self.dispatcher: Dispatcher = Dispatcher(self)
        self._types: set[str] | None = None
        self._types_loaded = 0.0
        #: ``sensor.reading`` sampling: event public id → monotonic time of the last emission.
        self.last_reading: dict[str, float] = {}
        #: The sampling clock; tests substitute one they advance themselves.
        self.clock: Callable[[], float] = time.monotonic
        #: event public id → (name, unit), for the additive payload keys.
        self.event_names: dict[str, tuple[str, str]] = {}

    def use_resolver(self, resolver: HostResolver | None) -> None:
        """Resolve webhook hosts with ``resolver`` (create-time checks and deliveries)."""
        self.resolver = resolver
        self.dispatcher.reset_client()

    def invalidate_subscriptions(self) -> None:
        self._types = None

    async def subscribed_types(self) -> set[str]:
        """Event types some enabled webhook subscribes to (cached; refreshed on change and every 30 s)."""
        if self._types is None or time.monotonic() - self._types_loaded > 30.0:
            async with self.app[DATABASE].connect() as conn:
                self._types = await store.subscribed_types(conn)
            self._types_loaded = time.monotonic()
        return self._types


RUNTIME: web.AppKey[Runtime] = web.AppKey("webmacs_webhooks.runtime", Runtime)


def runtime(app: web.Application) -> Runtime:
    return app[HOST].state(RUNTIME, lambda: Runtime(app))
