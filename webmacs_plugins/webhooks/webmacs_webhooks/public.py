"""The webhooks plugin's public API: what other plugins may import (everything else is private).

Its hook ``webmacs_event_types`` is declared in ``webmacs_webhooks.hookspecs``; implement it
with ``@hookimpl(optionalhook=True)``.
"""

from __future__ import annotations

from webmacs_webhooks.event_types import event_types

__all__ = ["event_types"]
