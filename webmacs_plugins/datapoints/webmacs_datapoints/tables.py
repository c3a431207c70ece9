"""The ``datapoints`` table (the hot one) and ``telemetry_batches`` (idempotent replays).

A datapoint row holds only fixed-width columns: the 64-bit id, the internal event and
experiment keys, the timestamp and the value. The contract's UUID-shaped ``public_id`` is
derived from the id (:mod:`webmacs_datapoints.ids`), so no 36-character string is stored per row.
"""

import sqlalchemy as sa

from webmacs_sdk.db import UTCDateTime, new_metadata

metadata = new_metadata()

datapoints = sa.Table(
    "datapoints",
    metadata,
    # SQLite's INTEGER PRIMARY KEY is the 64-bit rowid; PostgreSQL gets BIGINT.
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("timestamp", UTCDateTime, nullable=False),
    sa.Column("value", sa.Float, nullable=False),
    sa.Column("event_id", sa.Integer, nullable=False),
    sa.Column("experiment_id", sa.Integer, nullable=True),
)

telemetry_batches = sa.Table(
    "telemetry_batches",
    metadata,
    sa.Column("source_id", sa.String(100), primary_key=True),
    sa.Column("seq", sa.BigInteger, primary_key=True),
    sa.Column("received_on", UTCDateTime, nullable=False),
)
