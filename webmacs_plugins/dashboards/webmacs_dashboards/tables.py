"""The ``dashboards`` and ``dashboard_widgets`` tables (contract §4.1)."""

import sqlalchemy as sa

from webmacs_sdk.db import UTCDateTime, key_columns, new_metadata, owner_column

metadata = new_metadata()

#: The values of contract §2.4 ``WidgetType``.
WIDGET_TYPES = ("line_chart", "gauge", "stat_card", "actuator_toggle")

dashboards = sa.Table(
    "dashboards",
    metadata,
    *key_columns(),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("is_global", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_on", UTCDateTime, nullable=False),
    owner_column(),
)

dashboard_widgets = sa.Table(
    "dashboard_widgets",
    metadata,
    *key_columns(),
    sa.Column(
        "dashboard_id",
        sa.Integer,
        sa.ForeignKey("dashboards.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("widget_type", sa.String(50), nullable=False),
    sa.Column("title", sa.String(255), nullable=False),
    sa.Column("event_public_id", sa.String(100), sa.ForeignKey("events.public_id", ondelete="SET NULL")),
    sa.Column("x", sa.Integer, nullable=False, server_default="0"),
    sa.Column("y", sa.Integer, nullable=False, server_default="0"),
    sa.Column("w", sa.Integer, nullable=False, server_default="4"),
    sa.Column("h", sa.Integer, nullable=False, server_default="3"),
    sa.Column("config_json", sa.Text),
)
