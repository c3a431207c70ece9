"""Deleting an event or experiment deletes its datapoints, which have no foreign keys (PostgreSQL):
the events and experiments plugins delete the rows the datapoints plugin declared to them."""

from __future__ import annotations

import asyncio

import pytest

from webmacs_datapoints.storage import SqlStorage
from webmacs_sdk.keys import DATABASE
from webmacs_sdk.models import IngestBatch
from webmacs_sdk.timefmt import utcnow

ORPHANS = """
SELECT count(*) FROM datapoints d
WHERE NOT EXISTS (SELECT FROM events e WHERE e.id = d.event_id)
   OR (d.experiment_id IS NOT NULL AND NOT EXISTS (SELECT FROM experiments x WHERE x.id = d.experiment_id))
"""


@pytest.fixture
def postgres_only(webmacs_database):
    if webmacs_database.kind != "postgresql":
        pytest.skip("SQLite serialises writers, and keeps the foreign keys of datapoints")


async def scalar(app, sql: str):
    async with app[DATABASE].connect() as conn:
        return (await conn.exec_driver_sql(sql)).scalar()


async def until_a_deletion_waits(app, table: str) -> None:
    """Poll until a ``DELETE FROM <table>`` of this database waits for a lock (generous deadline)."""
    sql = (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        f" AND wait_event_type = 'Lock' AND query ILIKE 'DELETE FROM {table}%'"
    )
    for _ in range(600):
        if await scalar(app, sql):
            return
        await asyncio.sleep(0.05)
    pytest.fail(f"no deletion of {table} ever waited for the ingest batch's lock")


@pytest.mark.parametrize("owner", ["events", "experiments"])
async def test_a_deletion_waiting_for_an_ingest_batch_deletes_what_the_batch_stored(postgres_only, dataplane, owner):
    client, op, (a,) = await dataplane("a")
    app = client.server.app
    assert (await client.post("/api/v1/experiments", json={"name": "run"}, headers=op)).status == 201
    run = (await (await client.get("/api/v1/experiments", headers=op)).json())["data"][0]["public_id"]
    event_id = await scalar(app, f"SELECT id FROM events WHERE public_id = '{a}'")
    experiment_id = await scalar(app, f"SELECT id FROM experiments WHERE public_id = '{run}'")
    batch = IngestBatch([a, a], [1.0, 2.0], [utcnow(), utcnow()], event_ids=[event_id, event_id],
                        experiment_id=experiment_id)
    target = f"/api/v1/events/{a}" if owner == "events" else f"/api/v1/experiments/{run}"

    async with app[DATABASE].transaction() as tx:
        # The batch locks its event and experiment and stores its rows, uncommitted: the deletion
        # must wait for it, and then delete those rows too.
        assert await SqlStorage(is_postgres=True).write_batch(tx, batch)
        deletion = asyncio.ensure_future(client.delete(target, headers=op))
        await until_a_deletion_waits(app, owner)
    resp = await deletion
    assert resp.status == 200, await resp.text()
    assert await scalar(app, "SELECT count(*) FROM datapoints") == 0
    assert await scalar(app, ORPHANS) == 0


async def test_no_plugin_keeps_triggers_on_the_events_and_experiments_tables(postgres_only, dataplane):
    client, _op, _ids = await dataplane()
    triggers = await scalar(
        client.server.app,
        "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal"
        " AND tgrelid IN ('events'::regclass, 'experiments'::regclass)",
    )
    assert triggers == 0


def test_datapoints_are_declared_to_the_owners_of_events_and_experiments():
    import webmacs_datapoints

    [events] = webmacs_datapoints.webmacs_event_referencing_tables()
    [experiments] = webmacs_datapoints.webmacs_experiment_referencing_tables()
    assert (events.table.name, events.column) == ("datapoints", "event_id")
    assert (experiments.table.name, experiments.column) == ("datapoints", "experiment_id")
