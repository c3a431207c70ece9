"""Handlers of ``/api/v1/plugins/packages`` (contract §1.15, §2.6.13) and the plugin directory's
start-up.

An upload is streamed to the plugin directory's scratch space under a server-generated name with a
size cap, validated statically (:mod:`webmacs_sdk.wheelcheck`: archive, metadata and entry points, no code
run), checked against what the server already runs, installed with ``installer`` into the isolated
``site-packages`` and recorded. Its drivers join the catalogue the next time it is listed, described
by a sandboxed child process (:mod:`.sandbox`); nothing of the wheel runs in the server. Server-side
feature plugins (routes, tables, hooks) of an uploaded wheel need a restart with the plugin
directory on the path.
"""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
import uuid
from pathlib import Path

import orjson
import sqlalchemy as sa
from aiohttp import web

from webmacs_pluginmgr import packages, plugindir
from webmacs_pluginmgr.catalogue import catalogue_for
from webmacs_pluginmgr.changes import changes_for
from webmacs_pluginmgr.plugindir import PluginPaths
from webmacs_pluginmgr.sandbox import ProbeLimits
from webmacs_pluginmgr.settings import PluginMgrSettings
from webmacs_pluginmgr.tables import plugin_packages
from webmacs_sdk.db import is_unique_violation, new_public_id
from webmacs_sdk.errors import ApiError, BadRequest, Conflict, NotFound, PayloadTooLarge
from webmacs_sdk.keys import DATABASE, HOST, SETTINGS
from webmacs_sdk.timefmt import utcnow
from webmacs_sdk.uploads import file_part, receive_file
from webmacs_sdk.web import json_response, principal, status_response
from webmacs_sdk.wheelcheck import WheelInfo, WheelRejected, sanitise_filename, validate_wheel

log = logging.getLogger(__name__)

_PACKAGE_NAME = re.compile(r"^[a-zA-Z0-9._-]+$")
TOO_LARGE = "Wheel exceeds maximum size (50 MB)."


class PluginDir:
    """The plugin directory of one app and the lock that serialises installs and uninstalls."""

    def __init__(self, paths: PluginPaths) -> None:
        self.paths = paths
        self.lock = asyncio.Lock()


PLUGIN_DIR: web.AppKey[PluginDir] = web.AppKey("webmacs_pluginmgr.plugin_dir", PluginDir)


def plugin_dir_for(app: web.Application) -> PluginDir:
    host = app[HOST]
    return host.state(
        PLUGIN_DIR, lambda: PluginDir(PluginPaths.at(app[SETTINGS].plugin_dir))
    )


async def startup(app: web.Application) -> None:
    """Create the plugin directory, put it on the path (for entry-point metadata), seed bundled rows."""
    state = plugin_dir_for(app)
    paths = state.paths
    await asyncio.to_thread(paths.ensure)
    plugindir.activate(paths)
    await packages.seed_bundled(app[DATABASE], paths)


def probe_limits(app: web.Application) -> ProbeLimits:
    """The time and memory an uploaded package's driver code may use (:mod:`.sandbox`)."""
    settings = app[HOST].section(PluginMgrSettings)
    return ProbeLimits(settings.driver_probe_seconds, settings.driver_probe_memory_mb * 1024 * 1024)


def _rejected(exc: WheelRejected) -> ApiError:
    return ApiError(exc.message, status=exc.status)


async def list_packages(request: web.Request) -> web.Response:
    """Uploaded packages, oldest first (contract §1.15); bundled ones are at ``/plugins/bundled``."""
    async with request.app[DATABASE].connect() as conn:
        rows = await packages.rows(conn, "uploaded")
    return json_response([packages.to_response(row) for row in rows])


async def upload_package(request: web.Request) -> web.Response:
    settings = request.app[HOST].section(PluginMgrSettings)
    cap = settings.max_wheel_bytes
    if request.content_length is not None and request.content_length > cap + 64 * 1024:
        raise PayloadTooLarge(TOO_LARGE)
    state = plugin_dir_for(request.app)
    paths = state.paths
    part = await file_part(request)
    try:
        filename = sanitise_filename(part.filename)
    except WheelRejected as exc:
        raise _rejected(exc) from None
    final = paths.wheels / filename
    if final.exists():
        raise Conflict(f"Package '{filename}' already exists.")
    await asyncio.to_thread(paths.ensure)
    # A fresh server-named directory per upload; the (already sanitised) wheel filename is kept
    # inside it because the installer reads the wheel's tags from it.
    scratch_dir = paths.tmp / f"upload-{uuid.uuid4().hex}"
    await asyncio.to_thread(scratch_dir.mkdir)
    scratch = scratch_dir / filename
    try:
        size, sha256 = await receive_file(part, scratch, cap, TOO_LARGE)
        try:
            info = await asyncio.to_thread(validate_wheel, scratch, filename)
        except WheelRejected as exc:
            raise _rejected(exc) from None
        async with state.lock:
            await _install(request, state, info, filename, scratch=scratch, size=size, sha256=sha256)
    finally:
        await asyncio.to_thread(shutil.rmtree, scratch_dir, True)
    changes_for(request.app).bump()
    return status_response(
        f"Plugin package '{info.name}' v{info.version} installed ({size:,} bytes). "
        "Controllers install it when an instance needs it.",
        status=201,
    )


async def _install(
    request: web.Request,
    state: PluginDir,
    info: WheelInfo,
    filename: str,
    *,
    scratch: Path,
    size: int,
    sha256: str,
) -> None:
    paths = state.paths
    db = request.app[DATABASE]
    async with db.connect() as conn:
        existing = await packages.by_name(conn, info.name)
    if existing is not None:
        if existing.source == "bundled":
            raise Conflict(packages.on_server_message(info.name))
        raise Conflict(
            f"Plugin package '{info.name}' is already installed. Remove it first to upload a new version."
        )
    final = paths.wheels / filename
    if final.exists():
        raise Conflict(f"Package '{filename}' already exists.")
    try:
        packages.check_environment(info, packages.known_plugin_ids())
        created = await asyncio.to_thread(plugindir.install_wheel, scratch, paths)
    except WheelRejected as exc:
        raise _rejected(exc) from None
    try:
        await asyncio.to_thread(scratch.replace, final)
        async with db.transaction() as tx:
            await tx.conn.execute(
                sa.insert(plugin_packages).values(
                    public_id=new_public_id(),
                    package_name=info.name,
                    version=info.version[:50],
                    source="uploaded",
                    file_path=str(final),
                    file_hash_sha256=sha256,
                    file_size_bytes=size,
                    plugin_ids=orjson.dumps(list(info.plugin_ids)).decode(),
                    installed_on=utcnow(),
                    user_public_id=principal(request).public_id,
                )
            )
    except BaseException as exc:
        # Nothing of a failed upload stays installed.
        await asyncio.to_thread(plugindir.remove_paths, created)
        final.unlink(missing_ok=True)
        if isinstance(exc, sa.exc.IntegrityError) and is_unique_violation(exc):
            raise Conflict(
                f"Plugin package '{info.name}' is already installed. Remove it first to upload a new version."
            ) from None
        raise
    catalogue_for(request.app).remove_package(info.name)
    log.info("plugin package %s %s installed by %s", info.name, info.version, principal(request).username)


async def delete_package(request: web.Request) -> web.Response:
    public_id = request.match_info["public_id"]
    state = plugin_dir_for(request.app)
    db = request.app[DATABASE]
    async with state.lock:
        async with db.connect() as conn:
            row = (
                await conn.execute(sa.select(plugin_packages).where(plugin_packages.c.public_id == public_id))
            ).first()
        if row is None:
            raise NotFound.entity("Plugin package", public_id)
        if row.source == "bundled":
            raise BadRequest("Bundled plugins cannot be removed.")
        if not _PACKAGE_NAME.match(row.package_name):
            raise BadRequest("Invalid package name.")
        paths = state.paths
        top_level = await asyncio.to_thread(plugindir.uninstall, paths, row.package_name)
        plugindir.unload_modules(paths, top_level)
        catalogue_for(request.app).remove_package(row.package_name)
        if row.file_path:
            await asyncio.to_thread(_remove_wheel, paths, Path(row.file_path))
        async with db.transaction() as tx:
            await tx.conn.execute(sa.delete(plugin_packages).where(plugin_packages.c.id == row.id))
    log.info("plugin package %s uninstalled by %s", row.package_name, principal(request).username)
    changes_for(request.app).bump()
    return status_response(
        f"Plugin package '{row.package_name}' uninstalled. Controllers unload it once no instance uses it."
    )


def _remove_wheel(paths: PluginPaths, wheel: Path) -> None:
    # Only ever delete inside our own wheelhouse, whatever the row says.
    if wheel.resolve().parent == paths.wheels.resolve():
        wheel.unlink(missing_ok=True)
