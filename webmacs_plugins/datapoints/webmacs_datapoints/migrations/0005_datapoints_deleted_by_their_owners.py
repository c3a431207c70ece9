"""datapoints: no triggers on the events and experiments tables (PostgreSQL)

Revision ID: datapoints_0005
Revises: datapoints_0004
Create Date: 2026-12-02

Revision 0003 deleted an event's or experiment's datapoints with triggers on ``events`` and
``experiments``: tables of other plugins. Their owners now delete those rows themselves, in the
deletion's transaction and right after the event or experiment row, for every table declared
through ``webmacs_event_referencing_tables`` / ``webmacs_experiment_referencing_tables`` (the
datapoints plugin declares ``datapoints``). The triggers and their functions go; the rows stay
without per-row foreign keys, and ingest keeps locking its batch's events and experiment once.
"""

from alembic import op

revision = "datapoints_0005"
down_revision = "datapoints_0004"
branch_labels = None
depends_on = None

#: What revision 0003 created: trigger function, the table it fires on, the column it deletes by.
_TRIGGERS = {
    "datapoints_forget_event": ("events", "event_id"),
    "datapoints_forget_experiment": ("experiments", "experiment_id"),
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for function, (table, _column) in _TRIGGERS.items():
        op.execute(f"DROP TRIGGER {function} ON {table}")
        op.execute(f"DROP FUNCTION {function}()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for function, (table, column) in _TRIGGERS.items():
        op.execute(
            f"""
            CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                DELETE FROM datapoints WHERE {column} = OLD.id;
                RETURN NULL;
            END
            $$
            """
        )
        op.execute(f"CREATE TRIGGER {function} AFTER DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {function}()")
