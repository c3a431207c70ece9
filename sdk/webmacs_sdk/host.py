"""The services the core offers plugins while the app runs (``request.app[HOST]``)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    import asyncio

    from aiohttp import web

    from webmacs_sdk.events import DomainEvent
    from webmacs_sdk.models import IngestBatch, IngestResult, Transaction
    from webmacs_sdk.protocols import LiveBus, StorageBackend

T = TypeVar("T")


class Host(Protocol):
    """What a plugin may ask of the core at run time."""

    @property
    def storage(self) -> StorageBackend:
        """The configured storage backend (once the app has started)."""
        ...

    @property
    def live_bus(self) -> LiveBus:
        """The configured live bus (once the app has started)."""
        ...

    def state(self, key: web.AppKey[T], factory: Callable[[], T]) -> T:
        """Per-app runtime state of a plugin, created by ``factory`` on first use.

        The app itself is frozen once it starts; this is where caches, throttles and
        background-task handles live. ``key`` is an AppKey defined in the plugin's module.
        """
        ...

    def section(self, cls: type[T]) -> T:
        """The filled settings object of a class registered with ``webmacs_settings_model``."""
        ...

    async def ingest(self, batch: IngestBatch) -> IngestResult:
        """Validate, filter, store in one transaction, then notify after commit.

        :raises ValidationFailed: never; invalid rows are rejected per datapoint.
        :raises ServiceUnavailable: when the database is unreachable.
        """
        ...

    async def emit(self, tx: Transaction, event: DomainEvent) -> None:
        """Deliver a domain event to every ``webmacs_on_event`` impl inside ``tx``."""
        ...

    def spawn(self, coro: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        """Run a background task that is cancelled at shutdown; its failure is logged, not lost."""
        ...

    def hook(self) -> Any:
        """The pluggy hook relay, for plugins that define and call hooks of their own."""
        ...
