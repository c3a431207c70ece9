"""``/api/v1/ota`` (contract §2.6.11), and the routes controllers update through (``/controller/...``,
``/controllers``). ``/check``, ``/upload`` and those are registered before ``/{public_id}``.

BEAT: an uploaded bundle is checked (Ed25519 signature by a trusted key, manifest, wheel hashes,
target, no downgrade) before it is kept; a refused one is a 4xx with the reason and a log entry.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import pydantic
import sqlalchemy as sa
from aiohttp import web

from webmacs_ota import controllers, records, releases, workflow
from webmacs_ota.events import OtaFailed, OtaStatusChanged
from webmacs_ota.states import UpdateStatus
from webmacs_ota.tables import firmware_updates
from webmacs_sdk.db import conflict_on_duplicate, list_page, row_or_404
from webmacs_sdk.errors import ApiError, BadRequest, Conflict, NotFound, PayloadTooLarge
from webmacs_sdk.keys import DATABASE, HOST, SETTINGS
from webmacs_sdk.ota.bundle import BundleRejected
from webmacs_sdk.specs import Policy, RouteTable
from webmacs_sdk.uploads import file_part, receive_file
from webmacs_sdk.web import (
    Page,
    PageParams,
    RequestModel,
    ResponseModel,
    StatusResponse,
    json_response,
    parse_body,
    parse_query,
    principal,
    read_json,
    status_response,
    validate,
)

routes = RouteTable("/api/v1/ota")

EXISTS = "FirmwareUpdate already exists."
NOT_TAR_GZ = "File must be a .tar.gz update bundle."
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*\.tar\.gz$")
VERSION_PATTERN = r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$"


class FirmwareCreate(RequestModel):
    version: str = pydantic.Field(max_length=50, pattern=VERSION_PATTERN)
    changelog: str | None = None


class ApplyBody(RequestModel):
    download_url: str | None = pydantic.Field(default=None, max_length=2048)
    file_hash_sha256: str | None = pydantic.Field(default=None, min_length=64, max_length=64)


class FirmwareUpdateResponse(ResponseModel):
    """FirmwareUpdateResponse of contract §2.5 (``records.to_response``): never ``file_path``, only
    whether a bundle is recorded; ``user_public_id`` is null once the creator is deleted (BEAT)."""

    public_id: str
    version: str
    changelog: str | None
    file_hash_sha256: str | None
    file_size_bytes: int | None
    status: UpdateStatus
    error_message: str | None
    created_on: datetime
    started_on: datetime | None
    completed_on: datetime | None
    user_public_id: str | None
    has_firmware_file: bool


class UpdateCheckResponse(ResponseModel):
    """UpdateCheckResponse of contract §2.5 (``releases.check``)."""

    current_version: str
    latest_version: str | None
    update_available: bool
    github_latest_version: str | None
    github_download_url: str | None
    github_release_url: str | None
    github_error: str | None


def _not_found(public_id: str) -> NotFound:
    return NotFound.entity(records.LABEL, public_id)


@routes.get("", policy=Policy.ADMIN, query=PageParams, response=Page[FirmwareUpdateResponse])
async def list_updates(request: web.Request) -> web.Response:
    return await list_page(request, sa.select(firmware_updates).order_by(firmware_updates.c.id), records.to_response)


@routes.post("", policy=Policy.ADMIN, body=FirmwareCreate, response=StatusResponse, status=201)
async def create_update(request: web.Request) -> web.Response:
    body = await parse_body(request, FirmwareCreate)
    app = request.app
    async with app[DATABASE].transaction() as tx:
        if await records.by_version(tx.conn, body.version) is not None:
            raise Conflict(EXISTS)
        with conflict_on_duplicate(EXISTS):
            await records.create(app, tx, body.version, body.changelog, principal(request))
    return status_response("Firmware update successfully registered.", status=201)


@routes.get("/check", policy=Policy.AUTHENTICATED, response=UpdateCheckResponse)
async def check_updates(request: web.Request) -> web.Response:
    state = workflow.runtime(request.app)
    async with request.app[DATABASE].connect() as conn:
        result = await releases.check(conn, state.settings, request.app[SETTINGS].version)
    return json_response(result)


@routes.post("/upload", policy=Policy.ADMIN, response=StatusResponse, status=201)
async def upload_bundle(request: web.Request) -> web.Response:
    app = request.app
    state = workflow.runtime(app)
    cap = state.settings.ota_max_bundle_bytes
    too_large = f"Bundle exceeds maximum allowed size ({cap // (1024 * 1024)} MB)."
    part = await file_part(request)
    name = part.filename or ""
    if not name.endswith(".tar.gz"):
        raise BadRequest(NOT_TAR_GZ)
    if not _SAFE_NAME.match(name):
        # BEAT: upstream wrote the client's file name unchecked (``../`` escaped the update directory).
        raise BadRequest("Bundle file name may only use letters, digits and . _ + - (no paths).")
    final = state.update_dir / name
    if final.exists():
        raise Conflict(f"Bundle '{name}' already exists.")
    incoming = state.scratch("incoming")
    try:
        try:
            if request.content_length is not None and request.content_length > cap + 64 * 1024:
                raise PayloadTooLarge(too_large)
            size, digest = await receive_file(part, incoming, cap, too_large)
        except PayloadTooLarge:
            await workflow.refused(app, name, too_large, principal(request))
            raise
        try:
            checked = await asyncio.to_thread(workflow.check_bundle, app, incoming)
        except BundleRejected as exc:
            await workflow.refused(app, name, exc.message, principal(request))
            raise ApiError(exc.message, status=exc.status) from None
        shutil.rmtree(checked.directory, ignore_errors=True)
        if final.exists():
            raise Conflict(f"Bundle '{name}' already exists.")
        await asyncio.to_thread(incoming.replace, final)
    finally:
        incoming.unlink(missing_ok=True)
    targets = ",".join(checked.manifest.targets)
    try:
        public_id = await _record_bundle(app, checked.manifest.version, final, size=size, digest=digest,
                                           targets=targets, actor=principal(request))
    except BaseException:
        final.unlink(missing_ok=True)
        raise
    if state.layout is not None or workflow.for_controllers_only(targets):
        app[HOST].spawn(_apply_logged(app, public_id, principal(request), name), name=f"ota.apply.{name}")
    else:
        version = checked.manifest.version
        async with app[DATABASE].transaction() as tx:
            await records.emit(app, tx, OtaStatusChanged,
                               f"OTA update {version}: bundle '{name}' received; not installed, because this server "
                               "does not run under the OTA supervisor.", principal(request),
                               update_id=public_id, version=version)
    return status_response(
        f"Bundle '{name}' uploaded ({size:,} bytes). Update will be applied automatically.", status=201
    )


async def _apply_logged(app: web.Application, public_id: str, actor: Any, name: str) -> None:
    try:
        await workflow.apply(app, public_id, actor)
    except ApiError as exc:
        # A failed step already failed the record with its log entry; a refusal before the first
        # step (another update running) left it pending, which the log must say.
        async with app[DATABASE].transaction() as tx:
            row = await records.by_public_id(tx.conn, public_id)
            if row is not None and row.status == UpdateStatus.PENDING:
                await records.emit(app, tx, OtaFailed, f"OTA update {row.version} was not applied automatically: "
                                   f"{exc.detail} Apply it when the other update has finished.", actor,
                                   update_id=public_id, version=row.version)
    except Exception:
        workflow.log.exception("applying the uploaded bundle %s failed", name)


def _inside(path: Path, directory: Path) -> bool:
    return path.resolve().parent == directory.resolve()


async def _record_bundle(app: web.Application, version: str, path: Path, *, size: int, digest: str, targets: str,
                         actor: Any) -> str:
    """Attach the bundle to the record of its version (created when there is none)."""
    fields: dict[str, Any] = {"file_path": str(path), "file_size_bytes": size, "file_hash_sha256": digest,
                              "targets": targets}
    async with app[DATABASE].transaction() as tx:
        row = await records.by_version(tx.conn, version)
        if row is None:
            with conflict_on_duplicate(EXISTS):
                return await records.create(app, tx, version, None, actor, **fields)
        if row.status in (UpdateStatus.FAILED, UpdateStatus.ROLLED_BACK):
            await records.transition(app, tx, row, UpdateStatus.PENDING, actor=actor, note="A new bundle was uploaded.",
                                     **fields)
        elif row.status == UpdateStatus.PENDING:
            await tx.conn.execute(sa.update(firmware_updates).where(firmware_updates.c.id == row.id).values(**fields))
        else:
            raise Conflict(f"Update {version} is {row.status}; it cannot take a new bundle.")
        return str(row.public_id)


@routes.get("/controllers", policy=Policy.ADMIN)
async def list_controllers(request: web.Request) -> web.Response:
    """Every controller that asked for updates: the version it runs and its last update report."""
    return json_response(await controllers.listing(request.app))


@routes.get("/controller/offer", policy=Policy.OPERATOR, query=controllers.OfferQuery)
async def controller_offer(request: web.Request) -> web.Response:
    """The update offered to the asking controller (``{"update": null}`` when there is none)."""
    query = parse_query(request, controllers.OfferQuery)
    return json_response(await controllers.offer(request.app, query, principal(request)))


@routes.get("/controller/bundle/{public_id}/{sha256}", policy=Policy.OPERATOR)
async def controller_bundle(request: web.Request) -> web.StreamResponse:
    """The bundle of an offered controller update, by record and SHA-256 (404 for anything else)."""
    path = await controllers.bundle_file(request.app, request.match_info["public_id"], request.match_info["sha256"])
    return web.FileResponse(path, headers={"Content-Type": "application/gzip",
                                           "Content-Disposition": f'attachment; filename="{path.name}"'})


@routes.post("/controller/report", policy=Policy.OPERATOR, body=controllers.ControllerReport, response=StatusResponse)
async def controller_report(request: web.Request) -> web.Response:
    """A controller reports a step of its update, or the version it runs after one."""
    body = await parse_body(request, controllers.ControllerReport)
    await controllers.report(request.app, body, principal(request))
    return status_response("Report recorded.")


@routes.get("/{public_id}", policy=Policy.ADMIN, response=FirmwareUpdateResponse)
async def get_update(request: web.Request) -> web.Response:
    row = await row_or_404(request.app[DATABASE], records.by_public_id, request.match_info["public_id"], records.LABEL)
    return json_response(records.to_response(row))


@routes.post("/{public_id}/apply", policy=Policy.ADMIN, body=ApplyBody, response=StatusResponse)
async def apply_update(request: web.Request) -> web.Response:
    # The web app sends no body; a body, when sent, must be a valid ApplyBody.
    raw = await request.read()
    body = ApplyBody()
    if raw.strip():
        body = validate(ApplyBody, await read_json(request), "body")
    await workflow.apply(request.app, request.match_info["public_id"], principal(request),
                         download_url=body.download_url, file_hash_sha256=body.file_hash_sha256)
    return status_response("Firmware update applied successfully.")


@routes.post("/{public_id}/rollback", policy=Policy.ADMIN, response=StatusResponse)
async def rollback_update(request: web.Request) -> web.Response:
    await workflow.rollback(request.app, request.match_info["public_id"], principal(request))
    return status_response("Firmware update rolled back successfully.")


@routes.delete("/{public_id}", policy=Policy.ADMIN, response=StatusResponse)
async def delete_update(request: web.Request) -> web.Response:
    public_id = request.match_info["public_id"]
    async with request.app[DATABASE].transaction() as tx:
        row = await records.by_public_id(tx.conn, public_id)
        if row is None:
            raise _not_found(public_id)
        await tx.conn.execute(sa.delete(firmware_updates).where(firmware_updates.c.id == row.id))
        if row.file_path:
            bundle = Path(row.file_path)
            if await asyncio.to_thread(_inside, bundle, workflow.runtime(request.app).update_dir):
                tx.after_commit(lambda: bundle.unlink(missing_ok=True))
        await records.emit(request.app, tx, OtaStatusChanged, f"OTA update {row.version} deleted.",
                           principal(request), update_id=public_id, version=row.version)
    return status_response("FirmwareUpdate successfully deleted.")
