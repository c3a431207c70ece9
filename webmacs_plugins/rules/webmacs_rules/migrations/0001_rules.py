"""rules table

Revision ID: rules_0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "rules_0001"
down_revision = None
branch_labels = ("rules",)
depends_on = ("users_0001", "events_0001")


def upgrade() -> None:
    op.create_table(
        "rules",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("public_id", sa.String(100), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("event_public_id", sa.String(100), nullable=False),
        sa.Column("operator", sa.String(50), nullable=False),
        sa.Column("threshold", sa.Float, nullable=False),
        sa.Column("threshold_high", sa.Float),
        sa.Column("action_type", sa.String(100), nullable=False),
        sa.Column("webhook_event_type", sa.String(100)),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("cooldown_seconds", sa.Integer, nullable=False, server_default="60"),
        sa.Column("last_triggered_at", sa.DateTime(timezone=True)),
        sa.Column("created_on", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("user_public_id", sa.String(100), nullable=False),
        sa.Column("hysteresis", sa.Float),
        sa.Column("min_duration_seconds", sa.Float, nullable=False, server_default="0"),
        sa.Column("state", sa.String(20), nullable=False, server_default="armed"),
        sa.Column("state_since", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("public_id", name="uq_rules_public_id"),
        sa.UniqueConstraint("name", name="uq_rules_name"),
        sa.ForeignKeyConstraint(
            ["event_public_id"],
            ["events.public_id"],
            name="fk_rules_event_public_id_events",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_public_id"], ["users.public_id"], name="fk_rules_user_public_id_users", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_rules_event_public_id", "rules", ["event_public_id"])
    op.create_index("ix_rules_enabled", "rules", ["enabled"])
    op.create_index("ix_rules_user_public_id", "rules", ["user_public_id"])


def downgrade() -> None:
    op.drop_table("rules")
