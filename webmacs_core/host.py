"""The core's implementation of ``webmacs_sdk.host.Host``: the services plugins call at run time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from aiohttp import web

from webmacs_core.ingestion import IngestionPipeline
from webmacs_core.plugins import WebmacsPluginManager
from webmacs_core.settings import Settings
from webmacs_sdk.errors import ServiceUnavailable
from webmacs_sdk.events import DomainEvent
from webmacs_sdk.hooks import call_hook
from webmacs_sdk.models import IngestBatch, IngestResult, Transaction
from webmacs_sdk.protocols import LiveBus, StorageBackend
from webmacs_sdk.specs import SettingsSpec
from webmacs_sdk.timefmt import utcnow

log = logging.getLogger(__name__)
T = TypeVar("T")


class CoreHost:
    """Ingestion, domain events, background tasks and the registries collected at build time."""

    def __init__(self, app: web.Application, pm: WebmacsPluginManager, settings: Settings) -> None:
        self.app = app
        self.pm = pm
        self.settings = settings
        self._sections: dict[type[Any], Any] = {}
        self._section_names = {spec.cls: spec.name for spec in self._settings_specs()}
        self._tasks: set[asyncio.Task[Any]] = set()
        self.pipeline: IngestionPipeline | None = None
        self._storage: StorageBackend | None = None
        self._live_bus: LiveBus | None = None
        self._state: dict[web.AppKey[Any], Any] = {}

    # ---- set by the core's cleanup contexts --------------------------------------------------

    def attach(self, *, storage: StorageBackend | None, live_bus: LiveBus) -> None:
        self._storage = storage
        self._live_bus = live_bus

    def _settings_specs(self) -> list[SettingsSpec]:
        return self.pm.collect("webmacs_settings_model")

    # ---- Host protocol ---------------------------------------------------------------------

    @property
    def storage(self) -> StorageBackend:
        if self._storage is None:
            raise ServiceUnavailable("No storage backend is installed.")
        return self._storage

    @property
    def has_storage(self) -> bool:
        return self._storage is not None

    @property
    def live_bus(self) -> LiveBus:
        assert self._live_bus is not None, "the live bus is available once the app has started"
        return self._live_bus

    def state(self, key: web.AppKey[T], factory: Callable[[], T]) -> T:
        if key not in self._state:
            self._state[key] = factory()
        return self._state[key]

    def section(self, cls: type[T]) -> T:
        if cls not in self._sections:
            name = self._section_names.get(cls)
            if name is None:
                raise KeyError(f"{cls.__name__} is not registered through webmacs_settings_model")
            self._sections[cls] = self.settings.section(name, cls)
        return self._sections[cls]

    async def ingest(self, batch: IngestBatch) -> IngestResult:
        assert self.pipeline is not None, "ingestion is available once the app has started"
        return await self.pipeline.ingest(batch)

    async def emit(self, tx: Transaction, event: DomainEvent) -> None:
        if event.occurred_at is None:
            event.occurred_at = utcnow()
        # Each async implementation runs in its own savepoint: a failing one is rolled back
        # alone, without undoing the cause or the others.
        await call_hook(self.pm.hook.webmacs_on_event, around=tx.conn.begin_nested, app=self.app, tx=tx, event=event)

    def spawn(self, coro: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task %s failed", task.get_name(), exc_info=task.exception())

    async def cancel_tasks(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def hook(self) -> Any:
        return self.pm.hook
