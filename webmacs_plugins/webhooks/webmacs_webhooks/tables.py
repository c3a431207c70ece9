"""The ``webhooks``, ``webhook_deliveries`` and ``webhook_delivery_attempts`` tables (contract §4.1).

Beyond the contract: the secret is stored encrypted, a delivery carries its next attempt time
(the outbox schedule), and every attempt is logged in its own row.
"""

import sqlalchemy as sa

from webmacs_sdk.db import UTCDateTime, key_columns, new_metadata, owner_column

metadata = new_metadata()

#: The values of contract §2.4 ``WebhookDeliveryStatus``.
PENDING, DELIVERED, FAILED, DEAD_LETTER = "pending", "delivered", "failed", "dead_letter"

webhooks = sa.Table(
    "webhooks",
    metadata,
    *key_columns(),
    sa.Column("url", sa.String(2048), nullable=False),
    sa.Column("secret", sa.Text),
    sa.Column("events", sa.Text, nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_on", UTCDateTime, nullable=False),
    owner_column(),
)

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    *key_columns(),
    sa.Column("webhook_id", sa.Integer, sa.ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("event_type", sa.String(100), nullable=False, index=True),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("status", sa.String(20), nullable=False, server_default=PENDING),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
    sa.Column("response_code", sa.Integer),
    sa.Column("created_on", UTCDateTime, nullable=False, index=True),
    sa.Column("delivered_on", UTCDateTime),
    sa.Column("next_attempt_at", UTCDateTime),
    #: The dispatcher instance holding the row's lease (handed back when it stops cleanly).
    sa.Column("lease_owner", sa.String(36)),
    sa.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
)

webhook_delivery_attempts = sa.Table(
    "webhook_delivery_attempts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "delivery_id",
        sa.Integer,
        sa.ForeignKey("webhook_deliveries.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("started_on", UTCDateTime, nullable=False),
    sa.Column("duration_ms", sa.Float, nullable=False),
    sa.Column("response_code", sa.Integer),
    sa.Column("error", sa.Text),
    sa.Column("response_excerpt", sa.Text),
)
