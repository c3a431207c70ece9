"""datapoint_chunks: compacted datapoints, one row per event, experiment and time window (PostgreSQL)

Revision ID: datapoints_0002
Revises: datapoints_0001
Create Date: 2026-11-23

Rows older than the hold period move from ``datapoints`` into chunks: the points of one event
(and experiment) in one time window (``bin``, ``width_seconds`` long) as three parallel
arrays, ordered by (timestamp, id), with the window's count, min, max, sum and newest point
alongside. A point then costs about 24 bytes instead of ~92, and a chart reads one chunk's
aggregates instead of its points. SQLite deployments keep every row in ``datapoints``; the
table is created on PostgreSQL only.
"""

from alembic import op

revision = "datapoints_0002"
down_revision = "datapoints_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE TABLE datapoint_chunks (
            id BIGINT GENERATED ALWAYS AS IDENTITY
                CONSTRAINT pk_datapoint_chunks PRIMARY KEY,
            bin TIMESTAMP WITH TIME ZONE NOT NULL,
            first_ts TIMESTAMP WITH TIME ZONE NOT NULL,
            last_ts TIMESTAMP WITH TIME ZONE NOT NULL,
            min_id BIGINT NOT NULL,
            max_id BIGINT NOT NULL,
            last_id BIGINT NOT NULL,
            vmin DOUBLE PRECISION NOT NULL,
            vmax DOUBLE PRECISION NOT NULL,
            vsum DOUBLE PRECISION NOT NULL,
            last_value DOUBLE PRECISION NOT NULL,
            event_id INTEGER NOT NULL
                CONSTRAINT fk_datapoint_chunks_event_id_events REFERENCES events (id) ON DELETE CASCADE,
            experiment_id INTEGER
                CONSTRAINT fk_datapoint_chunks_experiment_id_experiments REFERENCES experiments (id)
                ON DELETE CASCADE,
            n INTEGER NOT NULL,
            width_seconds INTEGER NOT NULL,
            ids BIGINT[] NOT NULL,
            tss TIMESTAMP WITH TIME ZONE[] NOT NULL,
            vals DOUBLE PRECISION[] NOT NULL
        )
        """
    )
    # Arrays are read whole and hardly compress (increasing ids and times, float noise):
    # skip TOAST compression, keep out-of-line storage for big chunks.
    for column in ("ids", "tss", "vals"):
        op.execute(f"ALTER TABLE datapoint_chunks ALTER COLUMN {column} SET STORAGE EXTERNAL")
    # Covering: charts and /latest read a chunk's aggregates from the index alone (index-only
    # scans), never the wide rows with their arrays.
    op.execute(
        "CREATE INDEX ix_datapoint_chunks_event_id_last_ts ON datapoint_chunks (event_id, last_ts) "
        "INCLUDE (first_ts, n, vmin, vmax, vsum, last_id, last_value, experiment_id, id)"
    )
    op.execute("CREATE INDEX ix_datapoint_chunks_last_ts ON datapoint_chunks (last_ts)")
    op.execute(
        "CREATE INDEX ix_datapoint_chunks_experiment_id_bin ON datapoint_chunks (experiment_id, bin) "
        "WHERE experiment_id IS NOT NULL"
    )
    op.execute(
        "CREATE INDEX ix_datapoint_chunks_id_range ON datapoint_chunks "
        "USING gist (int8range(min_id, max_id, '[]'))"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        INSERT INTO datapoints (id, "timestamp", value, event_id, experiment_id)
        SELECT unnest(ids), unnest(tss), unnest(vals), event_id, experiment_id FROM datapoint_chunks
        """
    )
    op.execute("DROP TABLE datapoint_chunks")
