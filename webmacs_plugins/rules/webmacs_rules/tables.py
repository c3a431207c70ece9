"""The ``rules`` table (contract §4.1), plus the optional ``hysteresis`` and
``min_duration_seconds`` and the persisted state of each rule's state machine."""

import sqlalchemy as sa

from webmacs_sdk.db import UTCDateTime, key_columns, new_metadata, owner_column

metadata = new_metadata()

#: States of a rule: waiting for its condition, condition holding for less than the minimum
#: duration, fired and not yet re-armed.
ARMED, PENDING, FIRING = "armed", "pending", "firing"

rules = sa.Table(
    "rules",
    metadata,
    *key_columns(),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column(
        "event_public_id",
        sa.String(100),
        sa.ForeignKey("events.public_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("operator", sa.String(50), nullable=False),
    sa.Column("threshold", sa.Float, nullable=False),
    sa.Column("threshold_high", sa.Float),
    sa.Column("action_type", sa.String(100), nullable=False),
    sa.Column("webhook_event_type", sa.String(100)),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true(), index=True),
    sa.Column("cooldown_seconds", sa.Integer, nullable=False, server_default="60"),
    sa.Column("last_triggered_at", UTCDateTime),
    sa.Column("created_on", UTCDateTime, nullable=False),
    owner_column(),
    sa.Column("hysteresis", sa.Float),
    sa.Column("min_duration_seconds", sa.Float, nullable=False, server_default="0"),
    sa.Column("state", sa.String(20), nullable=False, server_default=ARMED),
    sa.Column("state_since", UTCDateTime),
)
