"""The events plugin's public API: what other plugins may import (everything else is private).

Events are looked up, created and deleted through these functions; :func:`delete_many` also
drops the app's resolved-id cache, so ingestion rejects the deleted events at once. ``events``
is the table, for queries that join datapoints to their event.
"""

from __future__ import annotations

from webmacs_events.store import Row, by_name, by_public_id, by_public_ids, choices, create, delete_many
from webmacs_events.tables import events

__all__ = ["Row", "by_name", "by_public_id", "by_public_ids", "choices", "create", "delete_many", "events"]
