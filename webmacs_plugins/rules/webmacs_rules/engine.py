"""The rule engine: rules indexed by event in memory, a small state machine per rule, and one
transaction per firing.

Ingestion never waits for it (it runs from the after-commit notifier) and it issues no query per
datapoint: a batch is matched against a dict ``event public id → rules``; the database is touched
only when a rule fires or changes state.

State machine (datapoint time drives ``min_duration_seconds``, wall time drives the cooldown)::

    armed ──condition──▶ pending ──held ≥ min_duration──▶ fire ─▶ firing
      ▲                     │ condition lost                     │
      └─────────────────────┘◀──── re-armed ─────────────────────┘

Re-arming: with ``hysteresis`` unset the rule is level-triggered as upstream (while the condition
holds it fires again whenever the cooldown has passed); with ``hysteresis`` set it is
edge-triggered and re-arms only once the value has gone back past the threshold by that margin,
so a sensor flapping around the threshold fires once.

A firing is ONE transaction: the compare-and-set of ``last_triggered_at`` (an atomic conditional
UPDATE, so concurrent evaluations in several processes fire once per cooldown), the persisted
state, and the action (whose outbox rows or log entries therefore commit with it).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import operator
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import attrs
import sqlalchemy as sa
from aiohttp import web

import webmacs_events as events_api
from webmacs_rules import store
from webmacs_rules.operators import EPSILON, describe, number
from webmacs_rules.registry import registry
from webmacs_rules.settings import RulesSettings
from webmacs_rules.tables import ARMED, FIRING, PENDING, rules
from webmacs_sdk.events import RuleFired
from webmacs_sdk.keys import DATABASE, HOST
from webmacs_sdk.models import IngestBatch
from webmacs_sdk.timefmt import as_utc, utcnow

log = logging.getLogger(__name__)


@attrs.define
class LiveRule:
    """A rule as the engine holds it, with its state machine."""

    id: int
    public_id: str
    name: str
    event_public_id: str
    operator: str
    test: Callable[[float, float, float | None], bool]
    threshold: float
    threshold_high: float | None
    action_type: str
    webhook_event_type: str | None
    cooldown: float
    last_triggered_at: datetime | None
    hysteresis: float | None
    min_duration: float
    state: str
    state_since: datetime | None
    user_public_id: str
    #: The (state, since) the database holds, so only real changes are written.
    saved: tuple[str, datetime | None] = (ARMED, None)

    @property
    def dirty(self) -> bool:
        state, since = self.saved
        # ``since`` matters only while pending (the duration is measured from it).
        return self.state != state or (self.state == PENDING and self.state_since != since)

    def holds(self, value: float) -> bool:
        return self.test(value, self.threshold, self.threshold_high)

    def cleared(self, value: float) -> bool:
        """The value is back past the threshold by the hysteresis margin (on every side)."""
        margin = self.hysteresis or 0.0
        return not (self.holds(value) or self.holds(value - margin) or self.holds(value + margin))

    def move(self, state: str, since: datetime | None = None) -> None:
        self.state, self.state_since = state, since


def may_hold(rule: LiveRule, least: float, most: float, readings: list[float]) -> bool:
    """Whether the condition can hold for some reading, decided from the extremes for the
    built-in operators (conservatively: True may still find no match) and by testing each
    reading for operators other plugins registered."""
    t, h = rule.threshold, rule.threshold_high
    op = rule.operator
    if op == "gt":
        return most > t
    if op == "gte":
        return most >= t
    if op == "lt":
        return least < t
    if op == "lte":
        return least <= t
    if op == "eq":
        return least - EPSILON < t < most + EPSILON
    if op == "between":
        return h is not None and most >= t and least <= h
    if op == "not_between":
        return h is not None and (least < t or most > h)
    test = rule.test
    return any(test(v, t, h) for v in readings)


class RuleEngine:
    """Evaluates committed datapoints against the enabled rules; one per app."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.by_event: dict[str, list[LiveRule]] = {}
        self._stale = True
        self._loaded_at = 0.0
        self._lock = asyncio.Lock()
        self._names: dict[str, tuple[str, str]] = {}
        self.firings = 0

    def invalidate(self) -> None:
        """Re-read the rules before the next batch (called after a rule change commits)."""
        self._stale = True

    async def load(self) -> None:
        operators = registry(self.app).operators
        async with self.app[DATABASE].connect() as conn:
            rows = await store.enabled_rules(conn)
        index: dict[str, list[LiveRule]] = {}
        for row in rows:
            spec = operators.get(row.operator)
            if spec is None:
                log.warning(
                    "rule %r uses the operator %r, which no loaded plugin provides; skipped",
                    row.name,
                    row.operator,
                )
                continue
            index.setdefault(row.event_public_id, []).append(
                LiveRule(
                    id=row.id,
                    public_id=row.public_id,
                    name=row.name,
                    event_public_id=row.event_public_id,
                    operator=row.operator,
                    test=spec.test,
                    threshold=row.threshold,
                    threshold_high=row.threshold_high,
                    action_type=row.action_type,
                    webhook_event_type=row.webhook_event_type,
                    cooldown=float(row.cooldown_seconds),
                    last_triggered_at=row.last_triggered_at,
                    hysteresis=row.hysteresis,
                    min_duration=float(row.min_duration_seconds or 0.0),
                    state=row.state or ARMED,
                    state_since=row.state_since,
                    user_public_id=row.user_public_id,
                    saved=(row.state or ARMED, row.state_since),
                )
            )
        self.by_event = index
        self._names.clear()
        self._stale = False
        self._loaded_at = time.monotonic()

    async def evaluate(self, batch: IngestBatch) -> None:
        async with self._lock:
            reload_every = self.app[HOST].section(RulesSettings).rules_reload_seconds
            if self._stale or time.monotonic() - self._loaded_at > reload_every:
                await self.load()
            index = self.by_event
            if not index:
                return
            rows: dict[str, list[int]] = {}
            for i, event_id in enumerate(batch.event_public_ids):
                if event_id in index:
                    rows.setdefault(event_id, []).append(i)
            if not rows:
                return
            values, stamps = batch.values, batch.timestamps
            # Replayed spools may arrive out of order; rules see each event's readings in time order.
            in_order = all(map(operator.le, stamps, itertools.islice(stamps, 1, None)))
            touched: list[LiveRule] = []
            now = utcnow()
            for event_id, positions in rows.items():
                if not in_order:
                    positions.sort(key=stamps.__getitem__)
                readings = [values[i] for i in positions]
                least, most = min(readings), max(readings)
                for rule in index[event_id]:
                    # The common case costs two comparisons: an armed rule whose condition cannot
                    # hold for any value between the batch's minimum and maximum of this event.
                    if rule.state == ARMED and not may_hold(rule, least, most, readings):
                        continue
                    for i, value in zip(positions, readings, strict=True):
                        if self._advance(rule, value, stamps[i], now):
                            await self._try_fire(rule, value, as_utc(stamps[i]))
                            now = utcnow()
                    if rule.dirty:
                        touched.append(rule)
            await self._persist(touched)

    def _advance(self, rule: LiveRule, value: float, at: datetime, now: datetime) -> bool:
        """Move the state machine by one reading; True when the rule should fire now."""
        holds = rule.holds(value)
        if rule.state == FIRING:
            if rule.hysteresis is None:
                if not holds:
                    rule.move(ARMED)
                    return False
                return self._cooled_down(rule, now, at)  # level-triggered: the cooldown decides
            if rule.cleared(value):
                rule.move(ARMED)
            return False
        if not holds:
            if rule.state == PENDING:
                rule.move(ARMED)
            return False
        if rule.min_duration > 0:
            if rule.state != PENDING or rule.state_since is None:
                rule.move(PENDING, as_utc(at))
                return False
            if (as_utc(at) - rule.state_since).total_seconds() < rule.min_duration:
                return False
        return self._cooled_down(rule, now, at)

    def _cooled_down(self, rule: LiveRule, now: datetime, at: datetime) -> bool:
        last = rule.last_triggered_at
        if last is not None and (now - last).total_seconds() < rule.cooldown:
            # The condition is met but muted by the cooldown: the crossing is consumed.
            rule.move(FIRING, rule.state_since if rule.state == FIRING else as_utc(at))
            return False
        return True

    async def _try_fire(self, rule: LiveRule, value: float, at: datetime) -> None:
        now = utcnow()
        try:
            fired = await self._fire(rule, value, at, now)
        except Exception:
            log.exception("rule %r could not fire; it will be tried again on the next reading", rule.name)
            return
        if fired:
            rule.last_triggered_at = now
            rule.state, rule.state_since = FIRING, at
            rule.saved = (FIRING, at)
            self.firings += 1
        else:
            # Another process fired it within the cooldown (or it was disabled): take its word.
            rule.move(FIRING, at)
            self._stale = True

    async def _fire(self, rule: LiveRule, value: float, at: datetime, now: datetime) -> bool:
        action = registry(self.app).actions.get(rule.action_type)
        cutoff = now - timedelta(seconds=rule.cooldown)
        async with self.app[DATABASE].transaction() as tx:
            result = await tx.conn.execute(
                sa.update(rules)
                .where(
                    rules.c.id == rule.id,
                    rules.c.enabled.is_(True),
                    sa.or_(rules.c.last_triggered_at.is_(None), rules.c.last_triggered_at <= cutoff),
                )
                .values(last_triggered_at=now, state=FIRING, state_since=at)
            )
            if not result.rowcount:
                return False
            name, unit = await self._sensor(tx.conn, rule.event_public_id)
            firing = RuleFired(
                rule=rule.name,
                rule_public_id=rule.public_id,
                event_public_id=rule.event_public_id,
                sensor_name=name,
                unit=unit,
                value=value,
                timestamp=at,
                operator=rule.operator,
                threshold=rule.threshold,
                threshold_high=rule.threshold_high,
                action_type=rule.action_type,
                webhook_event_type=rule.webhook_event_type,
                triggered_at=now,
                user_public_id=rule.user_public_id,
                message=f"Rule '{rule.name}' triggered: {name} = {number(value)} "
                f"({describe(rule.operator, rule.threshold, rule.threshold_high)})",
            )
            if action is None:
                log.warning(
                    "rule %r fired but no loaded plugin provides its action %r", rule.name, rule.action_type
                )
            else:
                await action.run(self.app, tx, firing)
        return True

    async def _sensor(self, conn: Any, event_public_id: str) -> tuple[str, str]:
        if event_public_id not in self._names:
            row = await events_api.by_public_id(conn, event_public_id)
            self._names[event_public_id] = (row.name, row.unit) if row is not None else (event_public_id, "")
        return self._names[event_public_id]

    async def _persist(self, touched: list[LiveRule]) -> None:
        """Write state changes that no firing transaction already wrote, in one transaction."""
        changed = [r for r in touched if r.dirty]
        if not changed:
            return
        try:
            async with self.app[DATABASE].transaction() as tx:
                for rule in changed:
                    await tx.conn.execute(
                        sa.update(rules)
                        .where(rules.c.id == rule.id)
                        .values(state=rule.state, state_since=rule.state_since)
                    )
        except Exception:
            log.exception("persisting rule states failed; they are kept in memory and written next time")
            return
        for rule in changed:
            rule.saved = (rule.state, rule.state_since)


ENGINE: web.AppKey[RuleEngine] = web.AppKey("webmacs_rules.engine", RuleEngine)


def engine(app: web.Application) -> RuleEngine:
    return app[HOST].state(ENGINE, lambda: RuleEngine(app))
