"""users.password_change_required: a one-time password (the first admin's printed one) must be
replaced before the web UI lets its holder go anywhere else

Revision ID: users_0004
Revises: users_0003
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "users_0004"
down_revision = "users_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN: a batch table copy on SQLite would lose the lower() unique indexes.
    op.add_column("users", sa.Column("password_change_required", sa.Boolean, nullable=False,
                                     server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("password_change_required")
