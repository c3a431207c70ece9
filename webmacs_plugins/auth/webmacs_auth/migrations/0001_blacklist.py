"""blacklist_tokens table

Revision ID: auth_0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "auth_0001"
down_revision = None
branch_labels = ("auth",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blacklist_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token", sa.String(500), nullable=False),
        sa.Column("blacklisted_on", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("token", name="uq_blacklist_tokens_token"),
    )
    op.create_index("ix_blacklist_tokens_blacklisted_on", "blacklist_tokens", ["blacklisted_on"])


def downgrade() -> None:
    op.drop_table("blacklist_tokens")
