"""Bounded field types for request models: every number and date a client sends fits the column
that stores it, so an out-of-range value is a 422, never an overflow inside the database driver.

Use these instead of bare ``int``, ``float`` and ``datetime`` in a request model; a narrower
``Field(ge=..., le=...)`` is fine as long as both ends are given. A contract test walks every
request model and fails on an int without both bounds, a float that admits inf/NaN, or a datetime
that is not one of the types below.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

#: An ``INTEGER`` column (32-bit on PostgreSQL).
Int32 = Annotated[int, Field(ge=INT32_MIN, le=INT32_MAX)]
#: A count or a duration in whole seconds stored in an ``INTEGER`` column.
NonNegativeInt32 = Annotated[int, Field(ge=0, le=INT32_MAX)]
#: A ``BIGINT`` column.
BigInt = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]
#: A ``DOUBLE PRECISION`` column: any finite float (JSON has no inf/NaN; strings like "inf" are refused).
Float = Annotated[float, Field(allow_inf_nan=False)]
#: A non-negative duration in seconds, at most what an ``INTEGER`` of seconds holds (68 years).
Seconds = Annotated[float, Field(ge=0, le=INT32_MAX, allow_inf_nan=False)]


def _utc_in_range(value: datetime) -> datetime:
    """Aware UTC; naive input counts as UTC. ``0001-01-01T00:00:00+14:00`` lies before year 1 in
    UTC, which no ``datetime`` (and so no driver) can represent: a validation error, not an overflow."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("Datetime is out of range once converted to UTC (years 1 to 9999)") from None


#: A ``TIMESTAMP WITH TIME ZONE`` column; naive input is taken as UTC, the value comes out in UTC.
UtcDatetime = Annotated[datetime, AfterValidator(_utc_in_range)]
#: As :data:`UtcDatetime`, but the client must give an offset (``Z`` or ``+01:00``).
AwareUtcDatetime = Annotated[AwareDatetime, AfterValidator(_utc_in_range)]

#: The validator that makes a datetime field bounded (the contract test looks for it).
DATETIME_BOUND = _utc_in_range

__all__ = [
    "DATETIME_BOUND",
    "INT32_MAX",
    "INT32_MIN",
    "INT64_MAX",
    "INT64_MIN",
    "AwareUtcDatetime",
    "BigInt",
    "Float",
    "Int32",
    "NonNegativeInt32",
    "Seconds",
    "UtcDatetime",
]
