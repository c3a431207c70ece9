"""events table

Revision ID: events_0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "events_0001"
down_revision = None
branch_labels = ("events",)
depends_on = ("users_0001",)

_TYPES = "'sensor', 'actuator', 'range', 'cmd_button', 'cmd_opened', 'cmd_closed'"


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("public_id", sa.String(100), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("min_value", sa.Float, nullable=False),
        sa.Column("max_value", sa.Float, nullable=False),
        sa.Column("unit", sa.String(255), nullable=False),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("user_public_id", sa.String(100), nullable=False),
        sa.UniqueConstraint("public_id", name="uq_events_public_id"),
        sa.UniqueConstraint("name", name="uq_events_name"),
        sa.CheckConstraint(f"type IN ({_TYPES})", name="ck_events_type"),
        sa.ForeignKeyConstraint(
            ["user_public_id"], ["users.public_id"], name="fk_events_user_public_id_users", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_events_user_public_id", "events", ["user_public_id"])


def downgrade() -> None:
    op.drop_table("events")
