"""The wheelhouse controllers install drivers from, and the list of bundled packages.

``GET /api/v1/plugins/wheelhouse`` lists every uploaded wheel with what a controller needs to fetch
and pin it; ``GET /api/v1/plugins/wheelhouse/{package_name}/{version}/{sha256}`` serves the file
recorded under exactly that name, version and hash. Controllers check the hash and the wheel
themselves before installing it into their own plugin directory.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from aiohttp import web
from packaging.utils import canonicalize_name

from webmacs_pluginmgr import packages
from webmacs_pluginmgr.packages_api import plugin_dir_for
from webmacs_sdk.errors import NotFound
from webmacs_sdk.keys import DATABASE
from webmacs_sdk.web import json_response


async def list_bundled(request: web.Request) -> web.Response:
    """Packages installed with the server (``removable: false``), in the shape of ``/plugins/packages``."""
    async with request.app[DATABASE].connect() as conn:
        rows = await packages.rows(conn, "bundled")
    return json_response([packages.to_response(row) for row in rows])


def _entry(row: packages.Row) -> dict[str, Any]:
    response = packages.to_response(row)
    return {
        "package_name": row.package_name,
        "version": row.version,
        "filename": Path(row.file_path).name,
        "sha256": row.file_hash_sha256,
        "size": row.file_size_bytes,
        "plugin_ids": response["plugin_ids"],
    }


async def _servable(request: web.Request) -> list[packages.Row]:
    async with request.app[DATABASE].connect() as conn:
        rows = await packages.rows(conn, "uploaded")
    return await asyncio.to_thread(_in_wheelhouse, plugin_dir_for(request.app).paths.wheels, rows)


def _in_wheelhouse(wheels: Path, rows: list[packages.Row]) -> list[packages.Row]:
    # Only files inside our own wheelhouse are ever served, whatever a row says.
    home = wheels.resolve()
    return [
        row
        for row in rows
        if row.file_path and row.file_hash_sha256 and Path(row.file_path).resolve().parent == home
    ]


async def list_wheels(request: web.Request) -> web.Response:
    """``[{package_name, version, filename, sha256, size, plugin_ids}]`` of uploaded wheels, oldest first."""
    return json_response([_entry(row) for row in await _servable(request)])


async def download(request: web.Request) -> web.StreamResponse:
    """The wheel recorded under this name, version and SHA-256 (hex); 404 for anything else."""
    name = canonicalize_name(request.match_info["package_name"])
    version, sha256 = request.match_info["version"], request.match_info["sha256"].lower()
    for row in await _servable(request):
        same = canonicalize_name(row.package_name) == name and row.version == version
        if same and row.file_hash_sha256 == sha256:
            path = Path(row.file_path)
            if await asyncio.to_thread(path.is_file):
                return web.FileResponse(
                    path,
                    headers={
                        "Content-Type": "application/octet-stream",
                        "Content-Disposition": f'attachment; filename="{path.name}"',
                    },
                )
    raise NotFound(f"Wheel '{request.match_info['package_name']}' {version} with that SHA-256 not found.")
