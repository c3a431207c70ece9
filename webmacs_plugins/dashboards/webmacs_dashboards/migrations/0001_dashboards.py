"""dashboards and dashboard_widgets tables

Revision ID: dashboards_0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "dashboards_0001"
down_revision = None
branch_labels = ("dashboards",)
depends_on = ("users_0001", "events_0001")


def upgrade() -> None:
    op.create_table(
        "dashboards",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("public_id", sa.String(100), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("is_global", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_on", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("user_public_id", sa.String(100), nullable=False),
        sa.UniqueConstraint("public_id", name="uq_dashboards_public_id"),
        sa.ForeignKeyConstraint(
            ["user_public_id"],
            ["users.public_id"],
            name="fk_dashboards_user_public_id_users",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_dashboards_user_public_id", "dashboards", ["user_public_id"])
    op.create_table(
        "dashboard_widgets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("public_id", sa.String(100), nullable=False),
        sa.Column("dashboard_id", sa.Integer, nullable=False),
        sa.Column("widget_type", sa.String(50), nullable=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("event_public_id", sa.String(100)),
        sa.Column("x", sa.Integer, nullable=False, server_default="0"),
        sa.Column("y", sa.Integer, nullable=False, server_default="0"),
        sa.Column("w", sa.Integer, nullable=False, server_default="4"),
        sa.Column("h", sa.Integer, nullable=False, server_default="3"),
        sa.Column("config_json", sa.Text),
        sa.UniqueConstraint("public_id", name="uq_dashboard_widgets_public_id"),
        sa.ForeignKeyConstraint(
            ["dashboard_id"],
            ["dashboards.id"],
            name="fk_dashboard_widgets_dashboard_id_dashboards",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_public_id"],
            ["events.public_id"],
            name="fk_dashboard_widgets_event_public_id_events",
            ondelete="SET NULL",
        ),
    )
    op.create_index("ix_dashboard_widgets_dashboard_id", "dashboard_widgets", ["dashboard_id"])
    op.create_index("ix_dashboard_widgets_event_public_id", "dashboard_widgets", ["event_public_id"])


def downgrade() -> None:
    op.drop_table("dashboard_widgets")
    op.drop_table("dashboards")
