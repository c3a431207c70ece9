"""The health plugin's public API: what other plugins may import (everything else is private).

Its hook ``webmacs_health`` is declared in ``webmacs_health.hookspecs``; implement it with
``@hookimpl(optionalhook=True)``.
"""

from __future__ import annotations

from webmacs_health.fields import contributed_fields

__all__ = ["contributed_fields"]
