"""firmware_updates.targets, and ota_controllers: which controller runs which version

Revision ID: ota_0002
Revises: ota_0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "ota_0002"
down_revision = "ota_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Comma-separated targets of the record's bundle ("server", "controller" or both); NULL: no bundle.
    op.add_column("firmware_updates", sa.Column("targets", sa.String(50)))
    op.create_table(
        "ota_controllers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("controller_id", sa.String(100), nullable=False),
        sa.Column("user_public_id", sa.String(100)),
        sa.Column("version", sa.String(50), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("update_version", sa.String(50)),
        sa.Column("message", sa.Text),
        sa.Column("failed_sha256", sa.String(64)),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("controller_id", name="uq_ota_controllers_controller_id"),
        sa.ForeignKeyConstraint(["user_public_id"], ["users.public_id"], ondelete="SET NULL",
                                name="fk_ota_controllers_user_public_id_users"),
    )


def downgrade() -> None:
    op.drop_table("ota_controllers")
    with op.batch_alter_table("firmware_updates") as batch:
        batch.drop_column("targets")
