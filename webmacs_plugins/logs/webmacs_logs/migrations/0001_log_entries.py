"""log_entries table

Revision ID: logs_0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "logs_0001"
down_revision = None
branch_labels = ("logs",)
depends_on = ("users_0001",)


def upgrade() -> None:
    op.create_table(
        "log_entries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("public_id", sa.String(100), nullable=False),
        sa.Column("content", sa.String(500), nullable=False),
        sa.Column("logging_type", sa.String(20)),
        sa.Column("status_type", sa.String(20), nullable=False, server_default="unread"),
        sa.Column("created_on", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("user_public_id", sa.String(100), nullable=False),
        sa.UniqueConstraint("public_id", name="uq_log_entries_public_id"),
        sa.ForeignKeyConstraint(["user_public_id"], ["users.public_id"], ondelete="CASCADE",
                                name="fk_log_entries_user_public_id_users"),
        sa.CheckConstraint("logging_type IN ('info', 'warning', 'error')", name="ck_log_entries_logging_type"),
        sa.CheckConstraint("status_type IN ('read', 'unread')", name="ck_log_entries_status_type"),
    )
    op.create_index("ix_log_entries_created_on", "log_entries", ["created_on"])
    op.create_index("ix_log_entries_user_public_id", "log_entries", ["user_public_id"])


def downgrade() -> None:
    op.drop_table("log_entries")
