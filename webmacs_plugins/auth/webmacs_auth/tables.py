"""Revoked tokens, by identity: ``token`` holds a revoked token's ``jti`` claim, which is useless
without the token's signature."""

import sqlalchemy as sa

from webmacs_sdk.db import UTCDateTime, new_metadata

metadata = new_metadata()

blacklist_tokens = sa.Table(
    "blacklist_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("token", sa.String(500), nullable=False, unique=True),
    sa.Column("blacklisted_on", UTCDateTime, nullable=False, index=True),
)
