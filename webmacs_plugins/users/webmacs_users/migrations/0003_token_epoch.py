"""users.token_epoch: tokens issued before a password or role change stop working

Revision ID: users_0003
Revises: users_0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "users_0003"
down_revision = "users_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("token_epoch", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("token_epoch")
