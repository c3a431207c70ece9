"""The ``users`` table (contract §4.1)."""

import sqlalchemy as sa

from webmacs_sdk.db import UTCDateTime, key_columns, new_metadata

metadata = new_metadata()

users = sa.Table(
    "users",
    metadata,
    *key_columns(),
    sa.Column("email", sa.String(255), nullable=False, unique=True),
    sa.Column("username", sa.String(50), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("role", sa.String(20), nullable=False, server_default="viewer"),
    sa.Column("registered_on", UTCDateTime, nullable=False, server_default=sa.func.now()),
    sa.Column("sso_provider", sa.String(100)),
    sa.Column("sso_subject_id", sa.String(255)),
    #: Advanced by every password or role change; access tokens carry the epoch they were issued in
    #: and stop working once it moved on.
    sa.Column("token_epoch", sa.Integer, nullable=False, server_default="0"),
    #: Set for a one-time password (the first admin's printed one); cleared when its holder sets
    #: their own. The web UI sends such a user to change it first.
    sa.Column("password_change_required", sa.Boolean, nullable=False, server_default=sa.false()),
)

# Emails and usernames are unique regardless of case: a viewer must not become ``ADMIN@…``/``Admin``.
sa.Index("uq_users_email_lower", sa.func.lower(users.c.email), unique=True)
sa.Index("uq_users_username_lower", sa.func.lower(users.c.username), unique=True)
