"""sso_logins and sso_codes tables

Revision ID: sso_0001
Revises:
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "sso_0001"
down_revision = None
branch_labels = ("sso",)
depends_on = ("users_0001",)


def upgrade() -> None:
    op.create_table(
        "sso_logins",
        sa.Column("state_id", sa.String(64), nullable=False),
        sa.Column("browser_hash", sa.String(64), nullable=False),
        sa.Column("code_verifier", sa.String(128), nullable=False),
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("expires_on", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("state_id", name="pk_sso_logins"),
    )
    op.create_index("ix_sso_logins_expires_on", "sso_logins", ["expires_on"])
    op.create_table(
        "sso_codes",
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("expires_on", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code_hash", name="pk_sso_codes"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE", name="fk_sso_codes_user_id_users"),
    )
    op.create_index("ix_sso_codes_expires_on", "sso_codes", ["expires_on"])


def downgrade() -> None:
    op.drop_table("sso_codes")
    op.drop_table("sso_logins")
