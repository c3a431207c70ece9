"""The ``log_entries`` table (contract §4.1)."""

import sqlalchemy as sa

from webmacs_sdk.db import UTCDateTime, key_columns, new_metadata, owner_column

metadata = new_metadata()

LOGGING_TYPES = ("info", "warning", "error")
STATUS_TYPES = ("read", "unread")

log_entries = sa.Table(
    "log_entries",
    metadata,
    *key_columns(),
    sa.Column("content", sa.String(500), nullable=False),
    sa.Column("logging_type", sa.String(20)),
    sa.Column("status_type", sa.String(20), nullable=False, server_default="unread"),
    sa.Column("created_on", UTCDateTime, nullable=False, index=True),
    owner_column(),
)
