"""SQL expressions (PostgreSQL) that render values exactly as the Python side of the API does,
so bulk reads can leave the formatting to the database."""

from __future__ import annotations

from webmacs_datapoints import ids


def isoformat(text: str, suffix: str) -> str:
    """``datetime.isoformat()`` of a UTC time from ``text``, its ``timestamp`` output under
    DateStyle ISO (which drops trailing fraction zeros; isoformat keeps six digits unless the
    microsecond is 0), followed by ``suffix`` (``'Z'`` or ``'+00:00'``). ``octet_length`` is
    constant time where ``length`` counts characters."""
    return (
        f"replace(CASE WHEN octet_length({text}) IN (19, 26) THEN {text} ELSE rpad({text}, 26, '0') END, ' ', 'T')"
        f" || '{suffix}'"
    )


def utc_text(timestamp: str) -> str:
    """The text the ``isoformat`` expression expects, of a ``timestamptz`` expression."""
    return f"({timestamp} AT TIME ZONE 'UTC')::text"


def public_id(row_id: str) -> str:
    """:func:`webmacs_datapoints.ids.public_id` of a ``bigint`` expression (ids below 2**48:
    the added 2**48 makes ``to_hex`` write 13 digits, the first one dropped)."""
    return f"'{ids.PREFIX}' || substr(to_hex({row_id} + 281474976710656), 2)"
