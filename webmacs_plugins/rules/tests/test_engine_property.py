"""Property test of the rule state machine against a reference model: for random value sequences
split into random batches, the engine fires exactly at the crossings the model predicts
(level- and edge-triggered, with and without minimum duration), batch boundaries notwithstanding."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from webmacs_rules.engine import LiveRule, RuleEngine
from webmacs_rules.operators import OPERATORS
from webmacs_rules.settings import RulesSettings
from webmacs_sdk.keys import HOST
from webmacs_sdk.models import IngestBatch

GT = {spec.name: spec for spec in OPERATORS}["gt"].test
T0 = datetime(2026, 1, 1, tzinfo=UTC)


class _Host:
    def section(self, cls: type[Any]) -> Any:
        return RulesSettings(rules_reload_seconds=1e9)


def _engine(rule: LiveRule, fired: list[float]) -> RuleEngine:
    engine = RuleEngine({HOST: _Host()})  # type: ignore[arg-type]

    async def fire(rule: LiveRule, value: float, at: Any, now: Any) -> bool:
        fired.append(value)
        return True

    async def persist(touched: list[LiveRule]) -> None:
        return None

    engine._fire = fire  # type: ignore[method-assign]
    engine._persist = persist  # type: ignore[method-assign]
    engine.by_event = {"e": [rule]}
    engine._stale = False
    engine._loaded_at = float("inf")
    return engine


def _rule(hysteresis: float | None, min_duration: float) -> LiveRule:
    return LiveRule(
        id=1,
        public_id="r",
        name="r",
        event_public_id="e",
        operator="gt",
        test=GT,
        threshold=50.0,
        threshold_high=None,
        action_type="log",
        webhook_event_type=None,
        cooldown=0.0,
        last_triggered_at=None,
        hysteresis=hysteresis,
        min_duration=min_duration,
        state="armed",
        state_since=None,
        user_public_id="u",
    )


def model(values: list[float], hysteresis: float | None, min_duration: float) -> list[float]:
    """What should fire: a direct transcription of the documented semantics."""
    fired, armed, since = [], True, None
    for i, v in enumerate(values):
        above = v > 50.0
        if not armed:
            if hysteresis is None:
                if above:
                    fired.append(v)  # level-triggered, cooldown 0
                else:
                    armed = True
            elif v + hysteresis <= 50.0:
                armed = True
            continue
        if not above:
            since = None
            continue
        if min_duration > 0:
            if since is None:
                since = i
                continue
            if i - since < min_duration:
                continue
        fired.append(v)
        armed, since = False, None
    return fired


@pytest.mark.parametrize("hysteresis", [None, 0.0, 3.0])
@pytest.mark.parametrize("min_duration", [0.0, 2.0])
async def test_engine_matches_the_model(hysteresis: float | None, min_duration: float) -> None:
    rng = random.Random(f"{hysteresis}-{min_duration}")
    for _ in range(300):
        values = [round(rng.uniform(40, 60), 1) for _ in range(rng.randint(1, 40))]
        fired: list[float] = []
        engine = _engine(_rule(hysteresis, min_duration), fired)
        position = 0
        while position < len(values):
            size = rng.randint(1, 8)
            chunk = values[position : position + size]
            stamps = [T0 + timedelta(seconds=position + k) for k in range(len(chunk))]
            await engine.evaluate(IngestBatch(["e"] * len(chunk), chunk, stamps))
            position += size
        assert fired == model(values, hysteresis, min_duration), values


async def test_readings_out_of_order_inside_a_batch_are_evaluated_in_time_order() -> None:
    rng = random.Random("shuffled")
    for _ in range(300):
        values = [round(rng.uniform(40, 60), 1) for _ in range(rng.randint(1, 30))]
        fired: list[float] = []
        engine = _engine(_rule(3.0, 2.0), fired)
        position = 0
        while position < len(values):
            size = rng.randint(1, 8)
            pairs = [
                (values[position + k], T0 + timedelta(seconds=position + k))
                for k in range(min(size, len(values) - position))
            ]
            rng.shuffle(pairs)  # a replayed spool: same readings, arrival order scrambled
            await engine.evaluate(
                IngestBatch(["e"] * len(pairs), [v for v, _ in pairs], [t for _, t in pairs])
            )
            position += size
        assert fired == model(values, 3.0, 2.0), values
