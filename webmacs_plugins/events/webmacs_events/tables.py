"""The ``events`` table (contract §4.1): one row per sensor/actuator channel definition."""

import sqlalchemy as sa

from webmacs_sdk.db import key_columns, new_metadata, owner_column

#: The values of contract §2.4 ``EventType``.
EVENT_TYPES = ("sensor", "actuator", "range", "cmd_button", "cmd_opened", "cmd_closed")

metadata = new_metadata()

events = sa.Table(
    "events",
    metadata,
    *key_columns(),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("min_value", sa.Float, nullable=False),
    sa.Column("max_value", sa.Float, nullable=False),
    sa.Column("unit", sa.String(255), nullable=False),
    sa.Column("type", sa.String(20), nullable=False),
    owner_column(),
)
