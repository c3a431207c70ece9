"""plugin_instances, channel_mappings and plugin_packages tables

Revision ID: plugins_0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "plugins_0001"
down_revision = None
branch_labels = ("plugins",)
depends_on = ("users_0001", "events_0001")

_STATUSES = "'inactive', 'connected', 'error', 'demo'"
_DIRECTIONS = "'input', 'output', 'bidirectional'"
_SOURCES = "'bundled', 'uploaded'"


def upgrade() -> None:
    op.create_table(
        "plugin_instances",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("public_id", sa.String(100), nullable=False),
        sa.Column("plugin_id", sa.String(100), nullable=False),
        sa.Column("instance_name", sa.String(255), nullable=False),
        sa.Column("demo_mode", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("status", sa.String(20), nullable=False, server_default="inactive"),
        sa.Column("config_json", sa.Text),
        sa.Column("error_message", sa.Text),
        sa.Column("created_on", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_on", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("user_public_id", sa.String(100), nullable=False),
        sa.UniqueConstraint("public_id", name="uq_plugin_instances_public_id"),
        sa.UniqueConstraint("instance_name", name="uq_plugin_instances_instance_name"),
        sa.CheckConstraint(f"status IN ({_STATUSES})", name="ck_plugin_instances_status"),
        sa.ForeignKeyConstraint(
            ["user_public_id"],
            ["users.public_id"],
            ondelete="CASCADE",
            name="fk_plugin_instances_user_public_id_users",
        ),
    )
    op.create_index("ix_plugin_instances_plugin_id", "plugin_instances", ["plugin_id"])
    op.create_index("ix_plugin_instances_user_public_id", "plugin_instances", ["user_public_id"])

    op.create_table(
        "channel_mappings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("public_id", sa.String(100), nullable=False),
        sa.Column("plugin_instance_id", sa.Integer, nullable=False),
        sa.Column("channel_id", sa.String(100), nullable=False),
        sa.Column("channel_name", sa.String(255), nullable=False),
        sa.Column("direction", sa.String(20), nullable=False),
        sa.Column("unit", sa.String(50), nullable=False),
        sa.Column("event_public_id", sa.String(100)),
        sa.Column("created_on", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("public_id", name="uq_channel_mappings_public_id"),
        sa.UniqueConstraint("plugin_instance_id", "channel_id", name="ix_channel_mappings_plugin_channel"),
        sa.CheckConstraint(f"direction IN ({_DIRECTIONS})", name="ck_channel_mappings_direction"),
        sa.ForeignKeyConstraint(
            ["plugin_instance_id"],
            ["plugin_instances.id"],
            ondelete="CASCADE",
            name="fk_channel_mappings_plugin_instance_id_plugin_instances",
        ),
        sa.ForeignKeyConstraint(
            ["event_public_id"],
            ["events.public_id"],
            ondelete="SET NULL",
            name="fk_channel_mappings_event_public_id_events",
        ),
    )
    op.create_index("ix_channel_mappings_plugin_instance_id", "channel_mappings", ["plugin_instance_id"])
    op.create_index("ix_channel_mappings_event_public_id", "channel_mappings", ["event_public_id"])

    op.create_table(
        "plugin_packages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("public_id", sa.String(100), nullable=False),
        sa.Column("package_name", sa.String(255), nullable=False),
        sa.Column("version", sa.String(50), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("file_path", sa.String(500)),
        sa.Column("file_hash_sha256", sa.String(64)),
        sa.Column("file_size_bytes", sa.Integer),
        sa.Column("plugin_ids", sa.Text, nullable=False, server_default="[]"),
        sa.Column("installed_on", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("user_public_id", sa.String(100)),
        sa.UniqueConstraint("public_id", name="uq_plugin_packages_public_id"),
        sa.UniqueConstraint("package_name", name="uq_plugin_packages_package_name"),
        sa.CheckConstraint(f"source IN ({_SOURCES})", name="ck_plugin_packages_source"),
        sa.ForeignKeyConstraint(
            ["user_public_id"],
            ["users.public_id"],
            ondelete="SET NULL",
            name="fk_plugin_packages_user_public_id_users",
        ),
    )
    op.create_index("ix_plugin_packages_user_public_id", "plugin_packages", ["user_public_id"])


def downgrade() -> None:
    op.drop_table("plugin_packages")
    op.drop_table("channel_mappings")
    op.drop_table("plugin_instances")
