"""The datapoints plugin's settings (``WEBMACS_*`` or ``[plugins.datapoints]``)."""

from __future__ import annotations

import attrs
from attrs.validators import ge


@attrs.frozen
class DatapointsSettings:
    """Replays and compaction.

    ``telemetry_dedup_days``: how long a controller batch is remembered, so a replay from its
    spool within that time is stored once; ``telemetry_prune_seconds``: how often older
    records are removed.

    PostgreSQL only: ``compact_after_seconds``: how long a datapoint stays a plain row (the
    newest data, late arrivals); ``chunk_seconds``: the shortest time window of a chunk (an
    event's window is this doubled up to 4 times, until it holds ``chunk_target_points``);
    ``chunk_max_points``: a window with more points of one event is split;
    ``compact_interval_seconds``: how often compaction runs (0 turns it off).
    """

    telemetry_dedup_days: float = 30.0
    telemetry_prune_seconds: float = 3600.0
    compact_after_seconds: float = attrs.field(default=120.0, validator=ge(0))
    chunk_seconds: int = attrs.field(default=60, validator=ge(1))
    chunk_target_points: int = attrs.field(default=32, validator=ge(1))
    chunk_max_points: int = attrs.field(default=10_000, validator=ge(1))
    compact_interval_seconds: float = attrs.field(default=30.0, validator=ge(0))
