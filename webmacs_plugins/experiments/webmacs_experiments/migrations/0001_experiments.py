"""experiments table, with at most one running experiment

Revision ID: experiments_0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "experiments_0001"
down_revision = None
branch_labels = ("experiments",)
depends_on = ("users_0001",)


def upgrade() -> None:
    op.create_table(
        "experiments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("public_id", sa.String(100), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("started_on", sa.DateTime(timezone=True), nullable=True, server_default=sa.func.now()),
        sa.Column("stopped_on", sa.DateTime(timezone=True), nullable=True),
        sa.Column("user_public_id", sa.String(100), nullable=False),
        sa.UniqueConstraint("public_id", name="uq_experiments_public_id"),
        sa.UniqueConstraint("name", name="uq_experiments_name"),
        sa.ForeignKeyConstraint(
            ["user_public_id"], ["users.public_id"], name="fk_experiments_user_public_id_users",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_experiments_user_public_id", "experiments", ["user_public_id"])
    # Every running row has the same key, so a second running experiment is a unique violation.
    running = sa.text("stopped_on IS NULL")
    op.create_index(
        "uq_experiments_running",
        "experiments",
        [sa.text("(stopped_on IS NULL)")],
        unique=True,
        postgresql_where=running,
        sqlite_where=running,
    )


def downgrade() -> None:
    op.drop_table("experiments")
