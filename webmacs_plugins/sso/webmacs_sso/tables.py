"""Sign-ins in progress and one-time codes, kept in the database so every server process sees them.

Neither table holds anything usable on its own: the browser binding and the one-time code are
stored as SHA-256 digests; rows are deleted when used and purged when expired.
"""

import sqlalchemy as sa

from webmacs_sdk.db import UTCDateTime, new_metadata

metadata = new_metadata()

#: One row per ``/authorize``: what the callback needs, found by the state's id.
sso_logins = sa.Table(
    "sso_logins",
    metadata,
    sa.Column("state_id", sa.String(64), primary_key=True),
    sa.Column("browser_hash", sa.String(64), nullable=False),
    sa.Column("code_verifier", sa.String(128), nullable=False),
    sa.Column("nonce", sa.String(64), nullable=False),
    sa.Column("expires_on", UTCDateTime, nullable=False, index=True),
    #: Set when the web UI started the sign-in: it ends in a browser session and a redirect here.
    sa.Column("return_to", sa.String(300)),
)

#: One row per successful callback until ``/exchange`` redeems it.
sso_codes = sa.Table(
    "sso_codes",
    metadata,
    sa.Column("code_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("expires_on", UTCDateTime, nullable=False, index=True),
)
