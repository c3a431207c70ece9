"""The ``plugin_instances``, ``channel_mappings`` and ``plugin_packages`` tables (contract §4.1)."""

import sqlalchemy as sa

from webmacs_sdk.db import UTCDateTime, key_columns, new_metadata, owner_column

#: Contract §2.4 ``PluginStatus``.
PLUGIN_STATUSES = ("inactive", "connected", "error", "demo")
#: Contract §2.4 ``ChannelDirection``.
CHANNEL_DIRECTIONS = ("input", "output", "bidirectional")
#: Contract §2.4 ``PluginSource``.
PLUGIN_SOURCES = ("bundled", "uploaded")

metadata = new_metadata()

plugin_instances = sa.Table(
    "plugin_instances",
    metadata,
    *key_columns(),
    sa.Column("plugin_id", sa.String(100), nullable=False, index=True),
    sa.Column("instance_name", sa.String(255), nullable=False, unique=True),
    sa.Column("demo_mode", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("status", sa.String(20), nullable=False, server_default="inactive"),
    sa.Column("config_json", sa.Text),
    sa.Column("error_message", sa.Text),
    sa.Column("created_on", UTCDateTime, nullable=False, server_default=sa.func.now()),
    sa.Column("updated_on", UTCDateTime, nullable=False, server_default=sa.func.now()),
    owner_column(),
)

channel_mappings = sa.Table(
    "channel_mappings",
    metadata,
    *key_columns(),
    sa.Column(
        "plugin_instance_id",
        sa.Integer,
        sa.ForeignKey("plugin_instances.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("channel_id", sa.String(100), nullable=False),
    sa.Column("channel_name", sa.String(255), nullable=False),
    sa.Column("direction", sa.String(20), nullable=False),
    sa.Column("unit", sa.String(50), nullable=False),
    sa.Column(
        "event_public_id",
        sa.String(100),
        sa.ForeignKey("events.public_id", ondelete="SET NULL"),
        index=True,
    ),
    sa.Column("created_on", UTCDateTime, nullable=False, server_default=sa.func.now()),
    sa.UniqueConstraint("plugin_instance_id", "channel_id", name="ix_channel_mappings_plugin_channel"),
)

plugin_packages = sa.Table(
    "plugin_packages",
    metadata,
    *key_columns(),
    sa.Column("package_name", sa.String(255), nullable=False, unique=True),
    sa.Column("version", sa.String(50), nullable=False),
    sa.Column("source", sa.String(20), nullable=False),
    sa.Column("file_path", sa.String(500)),
    sa.Column("file_hash_sha256", sa.String(64)),
    sa.Column("file_size_bytes", sa.Integer),
    sa.Column("plugin_ids", sa.Text, nullable=False, server_default="[]"),
    sa.Column("installed_on", UTCDateTime, nullable=False, server_default=sa.func.now()),
    sa.Column(
        "user_public_id",
        sa.String(100),
        sa.ForeignKey("users.public_id", ondelete="SET NULL"),
        index=True,
    ),
)
