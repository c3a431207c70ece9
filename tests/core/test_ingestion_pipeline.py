"""The core's ingestion pipeline with inline plugins: validation, filter order, notifications."""

import asyncio
import math
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest

from webmacs_sdk import HOST, IngestBatch, IngestFilterSpec, RejectReason, StorageBackendSpec, hookimpl
from webmacs_sdk.timefmt import utcnow


class MemoryStorage:
    def __init__(self):
        self.rows = []
        self.seen = set()

    async def write_batch(self, tx, batch):
        key = (batch.source_id, batch.sequence)
        if batch.sequence is not None and key in self.seen:
            return False
        self.seen.add(key)
        self.rows.extend(zip(batch.event_public_ids, batch.values, strict=True))
        return True


class Inline:
    name = "inline"

    def __init__(self):
        self.storage = MemoryStorage()
        self.order = []
        self.notified = []
        self.release = asyncio.Event()

    @hookimpl
    def webmacs_register_storage_backends(self):
        @asynccontextmanager
        async def factory(app):
            yield self.storage

        return [StorageBackendSpec("sql", factory)]

    @hookimpl
    def webmacs_ingest_filters(self):
        async def late(app, batch):
            self.order.append("late")

        async def known(app, batch):
            self.order.append("known")
            batch.keep((e != "unknown" for e in batch.event_public_ids), RejectReason.UNKNOWN_EVENT)

        return [IngestFilterSpec("late", late, order=50), IngestFilterSpec("known", known, order=10)]

    @hookimpl
    async def webmacs_on_datapoints(self, app, batch):
        await self.release.wait()
        self.notified.append(list(batch.values))


class Failing:
    name = "failing"

    @hookimpl(tryfirst=True)
    def webmacs_on_datapoints(self, batch):
        raise RuntimeError("this plugin is broken")


def _batch(events, values, **kw):
    now = utcnow()
    return IngestBatch(list(events), list(values), [now] * len(values), **kw)


@pytest.fixture
async def setup(make_client):
    inline = Inline()
    client = await make_client(inline, Failing())
    yield client.app[HOST], inline
    inline.release.set()


async def test_filters_run_in_order_and_reject_with_reasons(setup):
    host, inline = setup
    result = await host.ingest(_batch(["a", "unknown", "b"], [1.0, 2.0, 3.0]))
    assert result.accepted == 2
    assert [(r.event_public_id, r.reason) for r in result.rejected] == [("unknown", RejectReason.UNKNOWN_EVENT)]
    assert inline.order == ["known", "late"]
    assert inline.storage.rows == [("a", 1.0), ("b", 3.0)]


async def test_non_finite_values_and_insane_timestamps_are_rejected(setup):
    host, inline = setup
    now = utcnow()
    batch = IngestBatch(["a"] * 5, [math.nan, math.inf, -math.inf, 1.0, 2.0],
                        [now, now, now, now + timedelta(days=1), now])
    result = await host.ingest(batch)
    assert result.accepted == 1
    reasons = sorted(r.reason.value for r in result.rejected)
    assert reasons == ["invalid_timestamp", "invalid_value", "invalid_value", "invalid_value"]
    assert inline.storage.rows == [("a", 2.0)]


async def test_ack_does_not_wait_for_notifications_and_a_failing_plugin_is_isolated(setup):
    host, inline = setup
    result = await asyncio.wait_for(host.ingest(_batch(["a"], [1.0])), timeout=2)
    assert result.accepted == 1 and inline.notified == []
    inline.release.set()
    for _ in range(100):
        if inline.notified:
            break
        await asyncio.sleep(0.01)
    assert inline.notified == [[1.0]]


async def test_replayed_sequence_is_stored_once(setup):
    host, inline = setup
    first = await host.ingest(_batch(["a"], [1.0], source_id="ctl-1", sequence=7))
    again = await host.ingest(_batch(["a"], [1.0], source_id="ctl-1", sequence=7))
    assert first.accepted == 1 and not first.duplicate
    assert again.duplicate and again.accepted == 0
    assert inline.storage.rows == [("a", 1.0)]
