"""The experiments plugin's public API: what other plugins may import (everything else is private).

``experiments`` is the table, for queries that join datapoints to their experiment.
"""

from __future__ import annotations

from webmacs_experiments.store import Row, by_public_id
from webmacs_experiments.tables import experiments

__all__ = ["Row", "by_public_id", "experiments"]
