"""The ``users`` table (contract §4.1)."""

import sqlalchemy as sa

from webmacs_sdk.db import UTCDateTime, new_metadata

metadata = new_metadata()

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("public_id", sa.String(100), nullable=False, unique=True),
    sa.Column("email", sa.String(255), nullable=False, unique=True),
    sa.Column("username", sa.String(50), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("role", sa.String(20), nullable=False, server_default="viewer"),
    sa.Column("registered_on", UTCDateTime, nullable=False, server_default=sa.func.now()),
    sa.Column("sso_provider", sa.String(100)),
    sa.Column("sso_subject_id", sa.String(255)),
)
