"""Sign-ins in progress, one-time codes and the web UI's SSO sessions, kept in the database so every
server process sees them.

No table holds anything usable on its own: the browser binding, the one-time code, the session
reference and the session are stored as SHA-256 digests; rows are deleted when used and purged when
expired. The ID token kept for a session only names the user to the IdP at sign-out.
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

#: One row per web UI session begun by an SSO sign-in: the ID token its sign-out hands the IdP
#: (``id_token_hint``), found by the digest of the reference in the browser's cookie.
sso_sessions = sa.Table(
    "sso_sessions",
    metadata,
    sa.Column("reference_hash", sa.String(64), primary_key=True),
    sa.Column("session_hash", sa.String(64), nullable=False, index=True),
    sa.Column("id_token", sa.Text, nullable=False),
    #: Set when the WebMACS session was signed out: only then may the browser go on to the IdP.
    sa.Column("signed_out", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("expires_on", UTCDateTime, nullable=False, index=True),
)
