"""``sensor.reading`` events: a sample of the committed datapoints, at most one per event per
interval (5 s by default, as upstream), each emitted in its own short transaction.

This is sampling, not delivery of every datapoint: the stream of readings belongs on the
WebSocket, webhooks get a heartbeat of the current value.
"""

from __future__ import annotations

from aiohttp import web

import webmacs_events as events_api
from webmacs_sdk.events import SensorReading
from webmacs_sdk.keys import DATABASE, HOST
from webmacs_sdk.models import IngestBatch
from webmacs_webhooks.runtime import runtime

READING = SensorReading.TYPE


async def on_datapoints(app: web.Application, batch: IngestBatch) -> None:
    rt = runtime(app)
    if READING not in await rt.subscribed_types():
        return
    interval = rt.settings.webhook_reading_interval_seconds
    now = rt.clock()
    latest: dict[str, int] = {}
    for index, event_id in enumerate(batch.event_public_ids):
        latest[event_id] = index  # the last value of each event in the batch
    due = [(e, i) for e, i in latest.items() if now - rt.last_reading.get(e, -interval - 1.0) >= interval]
    if not due:
        return
    missing = [e for e, _ in due if e not in rt.event_names]
    if missing:
        async with app[DATABASE].connect() as conn:
            for row in await events_api.by_public_ids(conn, missing):
                rt.event_names[row.public_id] = (row.name, row.unit)
    host = app[HOST]
    for event_id, index in due:
        rt.last_reading[event_id] = now
        name, unit = rt.event_names.get(event_id, (None, None))
        reading = SensorReading(sensor=event_id, value=batch.values[index], sensor_name=name, unit=unit,
                                occurred_at=batch.timestamps[index])
        async with app[DATABASE].transaction() as tx:
            await host.emit(tx, reading)
