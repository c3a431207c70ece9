"""The contract's datapoint ``public_id``, derived from the 64-bit row id and parsed back.

``00000000-0000-4000-8000-<12 hex digits>`` is a well-formed UUID string, so clients that
store ids as UUIDs keep working, and nothing but the integer is stored.
"""

from __future__ import annotations

import re

PREFIX = "00000000-0000-4000-8000-"
_PATTERN = re.compile(r"^00000000-0000-4000-8000-([0-9a-f]{12})$")


def public_id(row_id: int) -> str:
    return f"{PREFIX}{row_id:012x}"


def row_id(public: str) -> int | None:
    """The row id of a public id, or None for anything that is not one of ours (→ 404)."""
    match = _PATTERN.match(public)
    return int(match.group(1), 16) if match else None
