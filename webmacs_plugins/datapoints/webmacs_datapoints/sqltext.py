"""SQL expressions (PostgreSQL) that render values exactly as the Python side of the API does,
so bulk reads can leave the formatting to the database."""

from __future__ import annotations

from webmacs_datapoints import ids


def isoformat(text: str, suffix: str) -> str:
    """``datetime.isoformat()`` of a UTC time from ``text``, its ``timestamp`` output under
    DateStyle ISO (which drops trailing fraction zeros; isoformat keeps six digits unless the
    microsecond is 0), followed by ``suffix`` (``'Z'`` or ``'+00:00'``)."""
    return (
        f"CASE WHEN length({text}) = 19 THEN overlay({text} placing 'T' from 11 for 1) "
        f"ELSE overlay(rpad({text}, 26, '0') placing 'T' from 11 for 1) END || '{suffix}'"
    )


def utc_text(timestamp: str) -> str:
    """The text the ``isoformat`` expression expects, of a ``timestamptz`` expression."""
    return f"({timestamp} AT TIME ZONE 'UTC')::text"


def public_id(row_id: str) -> str:
    """:func:`webmacs_datapoints.ids.public_id` of a ``bigint`` expression."""
    return f"'{ids.PREFIX}' || lpad(to_hex({row_id}), 12, '0')"
