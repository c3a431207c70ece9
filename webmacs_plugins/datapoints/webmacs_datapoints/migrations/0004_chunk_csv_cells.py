"""datapoint_chunks: the CSV export's cells of experiment chunks, rendered once (PostgreSQL)

Revision ID: datapoints_0004
Revises: datapoints_0003
Create Date: 2026-11-29

Formatting a point's CSV row (ISO time, float ``repr``, public id) costs PostgreSQL about two
microseconds, the bulk of an export. Compaction now renders the cells of chunks that belong to
an experiment once: ``csv_heads`` (time, event name and id) and ``csv_tails`` (unit and
datapoint id) per point, with the event's name and unit of that moment (``csv_name``,
``csv_unit``). An export writes head, value, tail while the event still has that name and
unit, and renders the chunk afresh otherwise. The value is left out: its digits would double
the bytes (about 17 a point without it, 36 with it) and ``float8`` text is cheap. Chunks written
before this revision have no cells and are rendered at export.
"""

from alembic import op

revision = "datapoints_0004"
down_revision = "datapoints_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "ALTER TABLE datapoint_chunks ADD COLUMN csv_heads TEXT[], ADD COLUMN csv_tails TEXT[],"
        " ADD COLUMN csv_name VARCHAR(255), ADD COLUMN csv_unit VARCHAR(255)"
    )
    # The cells repeat their event's and the times' leading digits: compressed, a fifth of
    # their size. lz4 compresses them as well as pglz does, and decompresses several times
    # faster; builds without it keep the default.
    lz4 = op.get_bind().exec_driver_sql(
        "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
    )
    if not lz4.scalar():
        return
    for column in ("csv_heads", "csv_tails"):
        op.execute(f"ALTER TABLE datapoint_chunks ALTER COLUMN {column} SET COMPRESSION lz4")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "ALTER TABLE datapoint_chunks DROP COLUMN csv_heads, DROP COLUMN csv_tails, DROP COLUMN csv_name,"
        " DROP COLUMN csv_unit"
    )
