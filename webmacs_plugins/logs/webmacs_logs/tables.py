"""The ``log_entries`` table (contract §4.1)."""

import sqlalchemy as sa

from webmacs_sdk.db import UTCDateTime, new_metadata

metadata = new_metadata()

LOGGING_TYPES = ("info", "warning", "error")
STATUS_TYPES = ("read", "unread")

log_entries = sa.Table(
    "log_entries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("public_id", sa.String(100), nullable=False, unique=True),
    sa.Column("content", sa.String(500), nullable=False),
    sa.Column("logging_type", sa.String(20)),
    sa.Column("status_type", sa.String(20), nullable=False, server_default="unread"),
    sa.Column("created_on", UTCDateTime, nullable=False, index=True),
    sa.Column("user_public_id", sa.String(100), sa.ForeignKey("users.public_id", ondelete="CASCADE"),
              nullable=False, index=True),
)
