"""firmware_updates table

Revision ID: ota_0001
Revises:
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "ota_0001"
down_revision = None
branch_labels = ("ota",)
depends_on = ("users_0001",)

STATES = ("pending", "downloading", "verifying", "applying", "completed", "failed", "rolled_back")


def upgrade() -> None:
    op.create_table(
        "firmware_updates",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("public_id", sa.String(100), nullable=False),
        sa.Column("version", sa.String(50), nullable=False),
        sa.Column("changelog", sa.Text),
        sa.Column("file_path", sa.String(500)),
        sa.Column("file_hash_sha256", sa.String(64)),
        sa.Column("file_size_bytes", sa.BigInteger),
        sa.Column("status", sa.String(20), nullable=False, server_default="pending"),
        sa.Column("error_message", sa.Text),
        sa.Column("created_on", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("started_on", sa.DateTime(timezone=True)),
        sa.Column("completed_on", sa.DateTime(timezone=True)),
        sa.Column("user_public_id", sa.String(100)),
        sa.UniqueConstraint("public_id", name="uq_firmware_updates_public_id"),
        sa.UniqueConstraint("version", name="uq_firmware_updates_version"),
        sa.ForeignKeyConstraint(["user_public_id"], ["users.public_id"], ondelete="SET NULL",
                                name="fk_firmware_updates_user_public_id_users"),
        sa.CheckConstraint("status IN ('" + "', '".join(STATES) + "')", name="ck_firmware_updates_status"),
    )
    op.create_index("ix_firmware_updates_status", "firmware_updates", ["status"])


def downgrade() -> None:
    op.drop_table("firmware_updates")
