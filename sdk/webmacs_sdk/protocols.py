"""Interfaces of the objects that registration specs build. All I/O methods are async."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from aiohttp import web

    from webmacs_sdk.models import IngestBatch, Principal, Transaction


@runtime_checkable
class AuthBackend(Protocol):
    """Turns a bearer credential into a :class:`Principal`.

    Return ``None`` when the credential is not of this backend's kind (the next backend is
    tried); raise :class:`~webmacs_sdk.errors.AuthenticationFailed` when it is, but is invalid.

    A backend whose credential travels elsewhere than the ``Authorization`` header (a browser's
    session cookie) also defines ``credential(request) -> str | None``: when a request carries no
    bearer token, the core asks each such backend for its credential and lets the first one that
    finds it authenticate the request alone.
    """

    async def authenticate(self, request: web.Request, credential: str) -> Principal | None: ...


@runtime_checkable
class StorageBackend(Protocol):
    """Persists ingest batches. ``write_batch`` runs inside the pipeline's transaction.

    It returns ``False`` (and writes nothing) when the batch's ``(source_id, sequence)``
    was stored before, so replays are idempotent.
    """

    async def write_batch(self, tx: Transaction, batch: IngestBatch) -> bool: ...


class Subscription(Protocol):
    """Messages of one live-bus topic for one consumer."""

    def __aiter__(self) -> AsyncIterator[bytes]: ...

    async def close(self) -> None: ...


@runtime_checkable
class LiveBus(Protocol):
    """Fans encoded messages out to subscribers, in this process or across several."""

    async def publish(self, topic: str, message: bytes) -> None: ...

    def subscribe(self, topic: str) -> Subscription: ...
