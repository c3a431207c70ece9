"""Domain types shared by the core and plugins: principals, roles, ingest batches, transactions."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import attrs


class Role(enum.StrEnum):
    """The three hierarchical roles of contract §1.3: admin > operator > viewer."""

    VIEWER = "viewer"
    OPERATOR = "operator"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def at_least(self, other: Role) -> bool:
        """True if this role has every privilege of ``other``."""
        return self.rank >= other.rank


_RANKS = {Role.VIEWER: 1, Role.OPERATOR: 2, Role.ADMIN: 3}


@attrs.frozen
class Principal:
    """The authenticated caller of a request, re-loaded from the database on every request.

    ``credential`` is the raw bearer string and ``credential_kind`` says which auth
    backend accepted it (``"jwt"``, ``"api_token"``, ...), so logout can revoke it.
    """

    user_id: int
    public_id: str
    username: str
    email: str
    role: Role
    credential: str = attrs.field(repr=False, default="")
    credential_kind: str = ""
    credential_id: str | None = None
    #: The user signed in with a one-time password and must choose their own (the web UI insists).
    password_change_required: bool = False

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


class RejectReason(enum.StrEnum):
    """Why one datapoint of a batch was not stored."""

    INVALID_VALUE = "invalid_value"
    INVALID_TIMESTAMP = "invalid_timestamp"
    UNKNOWN_EVENT = "unknown_event"
    EVENT_DISABLED = "event_not_enabled"


@attrs.define
class Rejection:
    """One rejected datapoint: its event id as sent, and why."""

    event_public_id: str
    reason: RejectReason


@attrs.define(slots=True)
class IngestBatch:
    """A batch of datapoints on its way through the ingestion pipeline, stored column-wise.

    Column-wise lists keep the hot path cheap: filters drop rows with :meth:`keep`, storage
    turns the columns into COPY records without building an object per datapoint.

    ``event_ids`` holds the storage-internal event key once a filter resolved
    ``event_public_ids``; ``experiment_id``/``experiment_public_id`` tag the whole batch.
    ``source_id``/``sequence`` make a controller's batch idempotent.
    """

    event_public_ids: list[str]
    values: list[float]
    timestamps: list[datetime]
    event_ids: list[int] = attrs.field(factory=list)
    experiment_id: int | None = None
    experiment_public_id: str | None = None
    source_id: str | None = None
    sequence: int | None = None
    received_at: datetime | None = None
    rejected: list[Rejection] = attrs.field(factory=list)
    principal: Principal | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)
    #: Filters must not trust their caches: a retry after a row they resolved was deleted.
    recheck: bool = False

    def __len__(self) -> int:
        return len(self.values)

    def keep(self, mask: Iterable[bool], reason: RejectReason) -> None:
        """Keep the rows whose mask entry is true; record the others as rejected for ``reason``."""
        flags = list(mask)
        if all(flags):
            return
        for flag, event in zip(flags, self.event_public_ids, strict=True):
            if not flag:
                self.rejected.append(Rejection(event, reason))
        self.event_public_ids = [v for v, f in zip(self.event_public_ids, flags, strict=True) if f]
        self.values = [v for v, f in zip(self.values, flags, strict=True) if f]
        self.timestamps = [v for v, f in zip(self.timestamps, flags, strict=True) if f]
        if self.event_ids:
            self.event_ids = [v for v, f in zip(self.event_ids, flags, strict=True) if f]


@attrs.frozen
class IngestResult:
    """What the pipeline did with a batch. ``duplicate`` is true for an already-stored replay."""

    accepted: int
    rejected: tuple[Rejection, ...] = ()
    duplicate: bool = False


class Transaction:
    """A database transaction handed to hooks, with callbacks that run only after it commits.

    ``conn`` is an SQLAlchemy ``AsyncConnection`` inside ``BEGIN``. Work that must not happen
    unless the cause is durable (waking a dispatcher, publishing live) goes in :meth:`after_commit`.
    """

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self._after_commit: list[Callable[[], None]] = []

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` (sync, must not raise) once the transaction committed."""
        self._after_commit.append(callback)

    def run_after_commit(self) -> None:
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()
