"""Every number and date a client sends is bounded to what its column holds: an out-of-range value is
a 422, never an overflow in the driver (500). A walk over every request model keeps it that way."""

from __future__ import annotations

import importlib.metadata
import types
import typing
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import annotated_types
import orjson
import pydantic
from pydantic.fields import FieldInfo

from webmacs_sdk.fields import DATETIME_BOUND, INT64_MAX, INT64_MIN
from webmacs_sdk.testing.api import create_event
from webmacs_sdk.web import RequestModel

_BOUNDED_BY_VALIDATOR = (datetime,)
_UNSUPPORTED = (date, time, timedelta, Decimal)


def _request_models() -> list[type[pydantic.BaseModel]]:
    for entry_point in importlib.metadata.entry_points(group="webmacs.plugins"):
        entry_point.load()
    found: list[type[pydantic.BaseModel]] = []
    pending = [RequestModel]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def _problems(annotation: object, metadata: list[object], where: str) -> list[str]:
    """Why a field of this type is not bounded ('' list when it is)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        inner, *extra = typing.get_args(annotation)
        more: list[object] = []
        for item in extra:
            more.extend(item.metadata if isinstance(item, FieldInfo) else [item])
        return _problems(inner, [*metadata, *more], where)
    if origin in (typing.Union, types.UnionType):
        return [p for arg in typing.get_args(annotation) for p in _problems(arg, metadata, where)]
    if origin in (list, tuple, set, frozenset, dict):
        # Constraints on the field (its length) do not bound the items.
        return [p for arg in typing.get_args(annotation) if arg is not Ellipsis for p in _problems(arg, [], where)]
    if annotation is bool or annotation is type(None) or not isinstance(annotation, type):
        return []
    if issubclass(annotation, int):
        low = [m.ge if isinstance(m, annotated_types.Ge) else m.gt for m in metadata
               if isinstance(m, (annotated_types.Ge, annotated_types.Gt))]
        high = [m.le if isinstance(m, annotated_types.Le) else m.lt for m in metadata
                if isinstance(m, (annotated_types.Le, annotated_types.Lt))]
        if not low or not high or max(low) < INT64_MIN or min(high) > INT64_MAX:  # type: ignore[operator]
            return [f"{where}: int without both bounds within 64 bits"]
        return []
    if issubclass(annotation, float):
        finite = any(getattr(m, "allow_inf_nan", True) is False for m in metadata)
        return [] if finite else [f"{where}: float admits inf/NaN (use webmacs_sdk.fields.Float)"]
    if issubclass(annotation, _BOUNDED_BY_VALIDATOR):
        bounded = any(getattr(m, "func", None) is DATETIME_BOUND for m in metadata)
        return [] if bounded else [f"{where}: datetime without the UTC range check (use UtcDatetime)"]
    if issubclass(annotation, _UNSUPPORTED):
        return [f"{where}: {annotation.__name__} has no bounded type in webmacs_sdk.fields"]
    return []


def test_every_number_and_date_of_every_request_model_is_bounded():
    models = _request_models()
    assert len(models) >= 20
    problems = [
        problem
        for model in models
        for name, field in model.model_fields.items()
        for problem in _problems(field.annotation, list(field.metadata), f"{model.__module__}.{model.__name__}.{name}")
    ]
    assert problems == []


def test_the_walk_catches_an_unbounded_field():
    class Careless(RequestModel):
        count: int
        ratio: float | None = None
        when: list[datetime] = []

    try:
        problems = [p for name, f in Careless.model_fields.items()
                    for p in _problems(f.annotation, list(f.metadata), name)]
    finally:
        del Careless
    assert len(problems) == 3


async def test_out_of_range_numbers_and_dates_are_422(full_client, auth_headers):
    client = full_client
    admin = await auth_headers(client, "admin")
    board = await (await client.post("/api/v1/dashboards", json={"name": "B"}, headers=admin)).json()
    widgets = f"/api/v1/dashboards/{board['public_id']}/widgets"
    for field in ("x", "y"):
        resp = await client.post(widgets, json={"widget_type": "gauge", "title": "t", field: 2**31}, headers=admin)
        assert resp.status == 422, (field, await resp.text())
    ok = await client.post(widgets, json={"widget_type": "gauge", "title": "t", "x": 2**31 - 1}, headers=admin)
    assert ok.status == 201

    event_id = await create_event(client, admin, "Temp")
    rule = {"name": "r", "event_public_id": event_id, "operator": "gt", "threshold": 1, "action_type": "log"}
    for extra in ({"cooldown_seconds": 2**31}, {"min_duration_seconds": 1e300}, {"threshold": "inf"},
                  {"hysteresis": "nan"}):
        resp = await client.post("/api/v1/rules", json={**rule, **extra}, headers=admin)
        assert resp.status == 422, (extra, await resp.text())
    largest = await client.post("/api/v1/rules", json={**rule, "cooldown_seconds": 2**31 - 1}, headers=admin)
    assert largest.status == 201

    for when in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"):
        resp = await client.post("/api/v1/tokens", json={"name": "t", "expires_at": when}, headers=admin)
        assert resp.status == 422, (when, await resp.text())
        assert isinstance((await resp.json())["detail"], list)
    point = {"value": 1, "event_public_id": event_id, "timestamp": "0001-01-01T00:00:00+14:00"}
    assert (await client.post("/api/v1/datapoints", json=point, headers=admin)).status == 422

    for query in ("page=99999999999999999999", "page=9223372036854775807", "page_size=1e400"):
        resp = await client.get(f"/api/v1/events?{query}", headers=admin)
        assert resp.status == 422, (query, await resp.text())


async def test_a_telemetry_timestamp_out_of_range_rejects_that_item_only(dataplane_client):
    client, op, event = dataplane_client
    token = op["Authorization"].split(" ", 1)[1]
    ws = await client.ws_connect(f"/ws/controller/telemetry?token={token}&ack=1&controller_id=dates")
    frame = {"seq": 1, "datapoints": [{"value": 1, "event_public_id": event},
                                      {"value": 2, "event_public_id": event, "timestamp": "0001-01-01T00:00:00+14:00"}]}
    await ws.send_str(orjson.dumps(frame).decode())
    assert await ws.receive_json() == {"type": "ack", "seq": 1, "accepted": 1, "rejected": 1, "duplicate": False}
