"""sso_sessions: the ID token of each web UI session begun by an SSO sign-in, for RP-initiated logout

Revision ID: sso_0003
Revises: sso_0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "sso_0003"
down_revision = "sso_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sso_sessions",
        sa.Column("reference_hash", sa.String(64), nullable=False),
        sa.Column("session_hash", sa.String(64), nullable=False),
        sa.Column("id_token", sa.Text, nullable=False),
        sa.Column("signed_out", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("expires_on", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("reference_hash", name="pk_sso_sessions"),
    )
    op.create_index("ix_sso_sessions_session_hash", "sso_sessions", ["session_hash"])
    op.create_index("ix_sso_sessions_expires_on", "sso_sessions", ["expires_on"])


def downgrade() -> None:
    op.drop_table("sso_sessions")
