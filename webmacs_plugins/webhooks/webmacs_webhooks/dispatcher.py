"""The background dispatcher: claims due deliveries from the outbox, sends them signed through the
egress guard, logs every attempt and schedules the next one with exponential backoff and jitter.

Nothing is held in memory that the database does not also know: a delivery is claimed by moving
its ``next_attempt_at`` one lease into the future (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so
several server processes share the work), and a process that dies mid-attempt leaves it to be
picked up again when the lease runs out. Retry waits are rows in the schedule, not sleeping tasks,
so a dead endpoint holds no concurrency slot while it waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import aiohttp
import attrs
import sqlalchemy as sa

from webmacs_sdk.egress import EgressClient, EgressDenied
from webmacs_sdk.events import WebhookDeadLettered
from webmacs_sdk.keys import DATABASE, HOST
from webmacs_sdk.timefmt import utcnow
from webmacs_webhooks import signing
from webmacs_webhooks.tables import (
    DEAD_LETTER,
    DELIVERED,
    FAILED,
    PENDING,
    webhook_deliveries,
    webhook_delivery_attempts,
    webhooks,
)

if TYPE_CHECKING:
    from webmacs_webhooks.runtime import Runtime

log = logging.getLogger(__name__)

EXCERPT_BYTES = 500
#: Longest wait of each shutdown step (the server exits within 2 s of SIGTERM).
STOP_TIMEOUT = 0.5


@attrs.frozen
class Claimed:
    """A delivery this process is about to attempt."""

    id: int
    public_id: str
    webhook_id: int
    event_type: str
    payload: str
    attempts: int


@attrs.frozen
class Outcome:
    """What one attempt produced."""

    started_on: Any
    duration_ms: float
    response_code: int | None = None
    error: str | None = None
    excerpt: str | None = None
    blocked: bool = False
    retry_after: float | None = None


def backoff_seconds(
    attempt: int,
    base: float,
    maximum: float,
    *,
    jitter: float,
    scale: float,
    retry_after: float | None = None,
) -> float:
    """The wait after attempt ``attempt`` (1-based): ``base * 2**(attempt-1)`` capped at ``maximum``,
    at least a receiver's ``Retry-After`` (also capped), spread by ``±jitter``, times ``scale``."""
    delay = min(base * (2 ** (attempt - 1)), maximum)
    if retry_after is not None:
        delay = min(max(delay, retry_after), maximum)
    if jitter:
        delay *= 1.0 + random.uniform(-jitter, jitter)
    return max(0.0, delay * scale)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


class Dispatcher:
    """Delivers outbox rows; one per app, started and stopped by the plugin's cleanup context."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.app = rt.app
        self.settings = rt.settings
        self._wake = asyncio.Event()
        self._stopping = False
        self._global = asyncio.Semaphore(self.settings.webhook_concurrency)
        self._endpoints: dict[int, asyncio.Semaphore] = {}
        self._inflight: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop_task: asyncio.Task[None] | None = None
        self._client: EgressClient | None = None
        #: Marks the leases this dispatcher holds, so a clean stop hands exactly those back.
        self.instance = str(uuid.uuid4())

    # ---- lifecycle --------------------------------------------------------------------------

    @property
    def client(self) -> EgressClient:
        if self._client is None:
            self._client = EgressClient(
                self.rt.policy,
                resolver=self.rt.resolver,
                timeout=self.settings.webhook_timeout_seconds,
                max_response_bytes=self.settings.webhook_max_response_bytes,
                limit=self.settings.webhook_concurrency,
            )
        return self._client

    def reset_client(self) -> None:
        old, self._client = self._client, None
        if old is not None:
            self.app[HOST].spawn(old.close(), name="webhooks.client-close")

    def start(self) -> None:
        self._loop_task = self.app[HOST].spawn(self._run(), name="webhooks.dispatcher")

    async def stop(self) -> None:
        """Stop sending; deliveries cut off mid-attempt are handed back to the schedule at once.

        Every step is bounded in time, so the server still exits within its shutdown budget: a
        cancelled delivery ends at its next await (an SQL statement in progress is interrupted and
        its transaction rolled back), and a row not handed back is picked up when its lease runs
        out. Deliveries and the hand-back run as the host's tasks, which the core cancels and awaits
        before it closes the database, so none of them is left running on a disposed engine.
        """
        self._stopping = True
        tasks = [t for t in (self._loop_task, *self._tasks) if t is not None]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=STOP_TIMEOUT)
        hand_back = self.app[HOST].spawn(self._hand_back(), name="webhooks.hand-back")
        with contextlib.suppress(Exception):
            # Shielded: the time bound must not cut the hand-back off inside its transaction.
            await asyncio.wait_for(asyncio.shield(hand_back), STOP_TIMEOUT)
        if self._client is not None:
            client, self._client = self._client, None
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.close(), STOP_TIMEOUT)

    async def _hand_back(self) -> None:
        """Release every lease this dispatcher still holds (attempts cut off by the stop)."""
        d = webhook_deliveries
        async with self.app[DATABASE].transaction() as tx:
            await tx.conn.execute(
                sa.update(d)
                .where(d.c.lease_owner == self.instance, d.c.status == PENDING)
                .values(next_attempt_at=utcnow(), lease_owner=None)
            )

    def poke(self) -> None:
        """Look at the outbox now (called after a commit that wrote deliveries)."""
        self._wake.set()

    @property
    def busy(self) -> int:
        return len(self._inflight)

    # ---- the loop ---------------------------------------------------------------------------

    async def _run(self) -> None:
        poll = self.settings.webhook_poll_seconds
        # The flag, not only the cancellation, ends the loop: a cancellation that arrives as the
        # wait ends can be lost (asyncio.wait_for before Python 3.12), and the loop would then
        # poll a closed database until the event loop is torn down, which then never finishes.
        while not self._stopping:
            self._wake.clear()
            try:
                for claimed in await self._claim():
                    self._inflight.add(claimed.id)
                    task = self.app[HOST].spawn(self._deliver(claimed), name=f"webhooks.delivery-{claimed.id}")
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
                delay = await self._next_due_in(poll)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("webhook outbox scan failed; retrying in %.1f s", poll)
                delay = poll
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._wake.wait()

    def _capacity(self) -> int:
        return max(self.settings.webhook_concurrency * 4, 20) - len(self._inflight)

    async def _claim(self) -> list[Claimed]:
        capacity = self._capacity()
        if capacity <= 0:
            return []
        d = webhook_deliveries
        db = self.app[DATABASE]
        now = utcnow()
        query = (
            sa.select(d.c.id, d.c.public_id, d.c.webhook_id, d.c.event_type, d.c.payload, d.c.attempts)
            .where(d.c.status == PENDING, d.c.next_attempt_at <= now)
            .order_by(d.c.next_attempt_at, d.c.id)
            .limit(capacity)
        )
        if self._inflight:
            query = query.where(d.c.id.notin_(self._inflight))
        if db.is_postgres:
            query = query.with_for_update(skip_locked=True)
        async with db.transaction() as tx:
            rows = (await tx.conn.execute(query)).all()
            if rows:
                lease = now + timedelta(seconds=self.settings.webhook_lease_seconds)
                await tx.conn.execute(
                    sa.update(d)
                    .where(d.c.id.in_([r.id for r in rows]))
                    .values(next_attempt_at=lease, lease_owner=self.instance)
                )
        return [Claimed(r.id, r.public_id, r.webhook_id, r.event_type, r.payload, r.attempts) for r in rows]

    async def _next_due_in(self, poll: float) -> float:
        if self._capacity() <= 0:
            return poll  # a finishing delivery pokes the loop
        d = webhook_deliveries
        query = sa.select(sa.func.min(d.c.next_attempt_at)).where(d.c.status == PENDING)
        if self._inflight:
            query = query.where(d.c.id.notin_(self._inflight))
        async with self.app[DATABASE].connect() as conn:
            due = (await conn.execute(query)).scalar_one_or_none()
        if due is None:
            return poll
        from webmacs_sdk.timefmt import as_utc

        return min(poll, max(0.0, (as_utc(due) - utcnow()).total_seconds()))

    # ---- one delivery -----------------------------------------------------------------------

    async def _deliver(self, claimed: Claimed) -> None:
        endpoint = self._endpoints.setdefault(
            claimed.webhook_id, asyncio.Semaphore(self.settings.webhook_endpoint_concurrency)
        )
        try:
            # The endpoint slot first: deliveries queued behind a slow endpoint hold no global slot.
            async with endpoint, self._global:
                await self._attempt(claimed)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("webhook delivery %s failed unexpectedly; it is retried after its lease", claimed.public_id)
        finally:
            self._inflight.discard(claimed.id)
            self.poke()

    async def _attempt(self, claimed: Claimed) -> None:
        async with self.app[DATABASE].connect() as conn:
            hook = (await conn.execute(sa.select(webhooks).where(webhooks.c.id == claimed.webhook_id))).first()
        if hook is None:
            return  # deleted with its deliveries
        if not hook.enabled:
            await self._finish_without_attempt(claimed, "Webhook disabled.")
            return
        try:
            secret = self.rt.box.open(hook.secret)
        except ValueError as exc:
            await self._finish_without_attempt(claimed, str(exc))
            return
        outcome = await self._send(hook.url, secret, claimed)
        await self._record(claimed, hook, outcome)

    async def _send(self, url: str, secret: str | None, claimed: Claimed) -> Outcome:
        body = claimed.payload.encode("utf-8")
        headers = signing.headers(secret, claimed.public_id, int(time.time()), body)
        started_on = utcnow()
        started = time.monotonic()

        def elapsed() -> float:
            return (time.monotonic() - started) * 1000.0

        try:
            response = await self.client.post(url, data=body, headers=headers)
        except EgressDenied as exc:
            return Outcome(started_on, elapsed(), error=f"Blocked: {exc.reason}", blocked=True)
        except TimeoutError:
            return Outcome(started_on, elapsed(), error="Timeout")
        except (aiohttp.ClientError, OSError) as exc:
            return Outcome(started_on, elapsed(), error=f"Transport error: {exc}")
        excerpt = response.body[:EXCERPT_BYTES].decode("utf-8", errors="replace")
        if response.status < 300:
            return Outcome(started_on, elapsed(), response.status, excerpt=excerpt)
        return Outcome(
            started_on,
            elapsed(),
            response.status,
            error=f"HTTP {response.status}",
            excerpt=excerpt,
            retry_after=_retry_after(response.headers.get("Retry-After")),
        )

    async def _record(self, claimed: Claimed, hook: Any, outcome: Outcome) -> None:
        s = self.settings
        attempt = claimed.attempts + 1
        now = utcnow()
        values: dict[str, Any] = {"attempts": attempt, "response_code": outcome.response_code, "lease_owner": None}
        dead = False
        disable = False
        if outcome.error is None:
            values.update(status=DELIVERED, delivered_on=now, next_attempt_at=None)
        else:
            values["last_error"] = outcome.error
            if outcome.blocked:
                values.update(status=FAILED, next_attempt_at=None)
            elif outcome.response_code == 410 or attempt >= s.webhook_max_attempts:
                # 410 Gone: the receiver asks us to stop (Standard Webhooks); the endpoint is disabled.
                disable = outcome.response_code == 410
                dead = True
                values.update(status=DEAD_LETTER, next_attempt_at=None)
            else:
                wait = backoff_seconds(
                    attempt,
                    s.webhook_backoff_base_seconds,
                    s.webhook_backoff_max_seconds,
                    jitter=s.webhook_backoff_jitter,
                    scale=s.webhook_time_scale,
                    retry_after=outcome.retry_after,
                )
                values["next_attempt_at"] = now + timedelta(seconds=wait)
        d = webhook_deliveries
        a = webhook_delivery_attempts
        async with self.app[DATABASE].transaction() as tx:
            # The log numbers attempts over the delivery's whole life (a redelivery continues it);
            # ``attempts`` on the delivery counts the current budget.
            logged = (
                await tx.conn.execute(sa.select(sa.func.max(a.c.attempt)).where(a.c.delivery_id == claimed.id))
            ).scalar_one_or_none()
            await tx.conn.execute(
                sa.insert(a).values(
                    delivery_id=claimed.id,
                    attempt=(logged or 0) + 1,
                    started_on=outcome.started_on,
                    duration_ms=round(outcome.duration_ms, 3),
                    response_code=outcome.response_code,
                    error=outcome.error,
                    response_excerpt=outcome.excerpt,
                )
            )
            result = await tx.conn.execute(
                sa.update(d).where(d.c.id == claimed.id, d.c.status == PENDING).values(**values)
            )
            if disable:
                await tx.conn.execute(sa.update(webhooks).where(webhooks.c.id == hook.id).values(enabled=False))
                self.rt.invalidate_subscriptions()
            if dead and result.rowcount:
                await self.app[HOST].emit(
                    tx,
                    WebhookDeadLettered(
                        webhook_id=hook.public_id,
                        url=hook.url,
                        event_type=claimed.event_type,
                        user_public_id=hook.user_public_id,
                    ),
                )
        if dead:
            log.warning(
                "webhook delivery %s of %s to %s dead-lettered after %d attempt(s): %s",
                claimed.public_id,
                claimed.event_type,
                hook.url,
                attempt,
                outcome.error,
            )

    async def _finish_without_attempt(self, claimed: Claimed, reason: str) -> None:
        async with self.app[DATABASE].transaction() as tx:
            await tx.conn.execute(
                sa.update(webhook_deliveries)
                .where(webhook_deliveries.c.id == claimed.id, webhook_deliveries.c.status == PENDING)
                .values(status=FAILED, last_error=reason, next_attempt_at=None, lease_owner=None)
            )
