"""``GET /health`` (always 200, contract §2.6.14) and ``GET /health/ready`` (503 when degraded)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any, Literal

import pydantic
from aiohttp import web

from webmacs_health.fields import contributed_fields
from webmacs_health.monitor import observe, probe, state
from webmacs_sdk.keys import SETTINGS
from webmacs_sdk.specs import Policy, RouteTable
from webmacs_sdk.web import ResponseModel, json_response

routes = RouteTable()


class HealthResponse(ResponseModel):
    """HealthResponse of contract §2.5; plugins add fields through ``webmacs_health``, so others may appear."""

    model_config = pydantic.ConfigDict(extra="allow")
    status: Literal["ok", "degraded"]
    version: str
    database: Literal["ok", "error"]
    last_datapoint: datetime | None
    uptime_seconds: float | None


async def _report(app: web.Application) -> dict[str, Any]:
    database_ok = await probe(app)
    await observe(app, database_ok)
    report: dict[str, Any] = {
        "status": "ok" if database_ok else "degraded",
        "version": app[SETTINGS].version,
        "database": "ok" if database_ok else "error",
        "last_datapoint": None,
        "uptime_seconds": round(time.monotonic() - state(app).started, 1),
    }
    if database_ok:
        report.update(await contributed_fields(app))
    return report


@routes.get("/health", policy=Policy.PUBLIC, response=HealthResponse)
async def health(request: web.Request) -> web.Response:
    return json_response(await _report(request.app))


@routes.get("/health/ready", policy=Policy.PUBLIC)
async def ready(request: web.Request) -> web.Response:
    report = await _report(request.app)
    return json_response(report, status=200 if report["status"] == "ok" else 503)
