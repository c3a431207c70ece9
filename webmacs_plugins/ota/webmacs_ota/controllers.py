"""Updates for controllers: what is offered to them, the bundle download, and what they report back.

A record whose bundle targets ``controller`` and that is ``completed`` is *offered*: a controller
asking with a running version older than the newest such record gets its version, size, SHA-256 and
download path, and fetches the bundle over its own authenticated connection (the operator policy,
like the driver wheelhouse). The controller checks the signature itself, installs and switches under
its own supervisor, and reports each step; the last report of every controller is kept (which
controller runs which version) and written to the log. A bundle a controller could not take is
not offered to that controller again. Rolling the record back stops offering it to all, and a
controller still running its version is told to switch back (``rollback`` in the offer): its
supervisor goes back to the version it ran before, and it reports ``switched_back``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pydantic
import sqlalchemy as sa
from aiohttp import web

from webmacs_ota import records, workflow
from webmacs_ota.events import OtaControllerFailed, OtaControllerReport
from webmacs_ota.states import UpdateStatus
from webmacs_ota.tables import firmware_updates, ota_controllers
from webmacs_sdk.errors import NotFound
from webmacs_sdk.keys import DATABASE
from webmacs_sdk.models import Principal
from webmacs_sdk.ota.bundle import parse_version
from webmacs_sdk.timefmt import iso_z, utcnow
from webmacs_sdk.web import RequestModel

VERSION_PATTERN = r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$"
CONTROLLER_ID = r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"
#: What a controller may report; the last three mean it could not take ``update_version``.
STATES = ("downloading", "installing", "switching", "running", "refused", "failed", "rolled_back",
          "switched_back")
FAILED_STATES = frozenset({"refused", "failed", "rolled_back"})
BUNDLE_PATH = "/api/v1/ota/controller/bundle"


class OfferQuery(RequestModel):
    """Who asks (the controller's id, as on its telemetry connection) and the version it runs."""

    controller_id: str = pydantic.Field(min_length=1, max_length=100, pattern=CONTROLLER_ID)
    version: str = pydantic.Field(max_length=50, pattern=VERSION_PATTERN)


class ControllerReport(RequestModel):
    """One step of a controller's update, or its verdict."""

    controller_id: str = pydantic.Field(min_length=1, max_length=100, pattern=CONTROLLER_ID)
    version: str = pydantic.Field(max_length=50, pattern=VERSION_PATTERN)
    state: str = pydantic.Field(pattern="^(" + "|".join(STATES) + ")$")
    update_version: str | None = pydantic.Field(default=None, max_length=50, pattern=VERSION_PATTERN)
    #: With ``running`` after a switch: the version switched from.
    from_version: str | None = pydantic.Field(default=None, max_length=50, pattern=VERSION_PATTERN)
    message: str | None = pydantic.Field(default=None, max_length=2000)


def is_for_controllers(row: Any) -> bool:
    return "controller" in (row.targets or "").split(",")


def offer_response(row: Any) -> dict[str, Any]:
    """``update`` of ``GET /ota/controller/offer``: what a controller needs to fetch and pin the bundle."""
    return {
        "public_id": row.public_id,
        "version": row.version,
        "file_size_bytes": row.file_size_bytes,
        "file_hash_sha256": row.file_hash_sha256,
        "download_path": f"{BUNDLE_PATH}/{row.public_id}/{row.file_hash_sha256}",
    }


def rollback_response(row: Any) -> dict[str, Any]:
    """``rollback`` of ``GET /ota/controller/offer``: the rolled-back update the controller runs."""
    return {"public_id": row.public_id, "version": row.version, "reason": row.error_message}


async def rolled_back(conn: Any, running: str) -> Any:
    """The controller record of version ``running`` if it was rolled back, else None."""
    row = await records.by_version(conn, running)
    return row if row is not None and row.status == UpdateStatus.ROLLED_BACK and is_for_controllers(row) else None


async def offered(conn: Any, running: str, skip: str | None) -> Any:
    """The newest completed controller record newer than ``running`` whose bundle is not ``skip``
    (a SHA-256), or None."""
    rows = (await conn.execute(sa.select(firmware_updates).where(
        firmware_updates.c.status == UpdateStatus.COMPLETED,
        firmware_updates.c.file_path.is_not(None),
        firmware_updates.c.file_hash_sha256.is_not(None),
    ))).all()
    current = parse_version(running)
    newer = [row for row in rows if is_for_controllers(row) and row.file_hash_sha256 != skip
             and parse_version(row.version) > current]
    return max(newer, key=lambda row: parse_version(row.version), default=None)


async def _upsert(conn: Any, controller_id: str, caller: Principal, **values: Any) -> Any:
    """Create or update the controller's row; returns the row as it was before (None when new)."""
    table = ota_controllers
    before = (await conn.execute(sa.select(table).where(table.c.controller_id == controller_id))).first()
    values = {"user_public_id": caller.public_id, "last_seen": utcnow(), **values}
    if before is None:
        values.setdefault("state", "running")
        await conn.execute(sa.insert(table).values(controller_id=controller_id, **values))
    else:
        await conn.execute(sa.update(table).where(table.c.id == before.id).values(**values))
    return before


async def offer(app: web.Application, query: OfferQuery, caller: Principal) -> dict[str, Any]:
    """Record that the controller asked (and what it runs); answer the update offered to it, or,
    when the version it runs was rolled back, that it should switch back (then no update)."""
    async with app[DATABASE].transaction() as tx:
        before = await _upsert(tx.conn, query.controller_id, caller, version=query.version)
        back = await rolled_back(tx.conn, query.version)
        row = None if back is not None else await offered(tx.conn, query.version,
                                                          before.failed_sha256 if before is not None else None)
    return {"update": offer_response(row) if row is not None else None,
            "rollback": rollback_response(back) if back is not None else None}


async def bundle_file(app: web.Application, public_id: str, sha256: str) -> Path:
    """The bundle of an offered record with exactly that SHA-256 (only files inside the update directory)."""
    async with app[DATABASE].connect() as conn:
        row = await records.by_public_id(conn, public_id)
    missing = NotFound(f"No controller update '{public_id}' with that SHA-256 is offered.")
    if (row is None or row.status != UpdateStatus.COMPLETED or not is_for_controllers(row) or not row.file_path
            or row.file_hash_sha256 != sha256.lower()):
        raise missing
    path = Path(row.file_path)
    home = workflow.runtime(app).update_dir

    def servable() -> bool:
        return path.resolve().parent == home.resolve() and path.is_file()

    if not await asyncio.to_thread(servable):
        raise missing
    return path


def _describe(report: ControllerReport, previous_version: str | None) -> str:
    who = f"OTA controller {report.controller_id}"
    target = report.update_version or "?"
    if report.state == "running":
        previous_version = report.from_version or previous_version
        was = f" (was {previous_version})" if previous_version and previous_version != report.version else ""
        text = f"{who} runs version {report.version}{was}"
    elif report.state in FAILED_STATES:
        verb = {"refused": "refused", "failed": "could not install", "rolled_back": "rolled back"}[report.state]
        text = f"{who} {verb} update {target}; it runs {report.version}"
    elif report.state == "switched_back":
        text = f"{who} switched back from update {target} to version {report.version}"
    else:
        text = f"{who} ({report.version}): {report.state} update {target}"
    return f"{text}: {report.message}" if report.message else f"{text}."


async def report(app: web.Application, body: ControllerReport, caller: Principal) -> None:
    """Keep the controller's report and write it to the log (an ``ota.controller`` event)."""
    async with app[DATABASE].transaction() as tx:
        values: dict[str, Any] = {"version": body.version, "state": body.state,
                                  "update_version": body.update_version, "message": body.message}
        update = await records.by_version(tx.conn, body.update_version) if body.update_version else None
        if body.state in FAILED_STATES and update is not None and update.file_hash_sha256:
            values["failed_sha256"] = update.file_hash_sha256
        before = await _upsert(tx.conn, body.controller_id, caller, **values)
        kind = OtaControllerFailed if body.state in FAILED_STATES else OtaControllerReport
        await records.emit(app, tx, kind, _describe(body, before.version if before else None), caller,
                           controller_id=body.controller_id, version=body.version, state=body.state,
                           update_version=body.update_version, update_id=update.public_id if update else None)


def controller_response(row: Any) -> dict[str, Any]:
    return {
        "controller_id": row.controller_id,
        "user_public_id": row.user_public_id,
        "version": row.version,
        "state": row.state,
        "update_version": row.update_version,
        "message": row.message,
        "last_seen": iso_z(row.last_seen),
    }


async def listing(app: web.Application) -> list[dict[str, Any]]:
    """Every controller that asked for updates, most recently seen first."""
    async with app[DATABASE].connect() as conn:
        rows = (await conn.execute(sa.select(ota_controllers).order_by(ota_controllers.c.last_seen.desc()))).all()
    return [controller_response(row) for row in rows]
