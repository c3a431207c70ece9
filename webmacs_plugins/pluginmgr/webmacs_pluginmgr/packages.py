"""Plugin package rows: bundled packages seeded at start, uploaded ones recorded on install."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import logging
from typing import Any

import orjson
import sqlalchemy as sa
from packaging.utils import canonicalize_name
from sqlalchemy.ext.asyncio import AsyncConnection

from webmacs_pluginmgr.plugindir import PluginPaths
from webmacs_pluginmgr.tables import plugin_packages
from webmacs_sdk.db import Database, is_unique_violation, new_public_id
from webmacs_sdk.discovery import find_plugins
from webmacs_sdk.timefmt import iso_z, utcnow
from webmacs_sdk.wheelcheck import WheelInfo, WheelRejected

log = logging.getLogger(__name__)

Row = sa.Row[Any]


def bundled_distributions(paths: PluginPaths) -> dict[str, tuple[str, str, list[str]]]:
    """Installed distributions (outside the plugin directory) that provide WebMACS plugins:
    canonical name → (name, version, plugin ids)."""
    found: dict[str, tuple[str, str, list[str]]] = {}
    for entry in find_plugins():
        if not entry.distribution or entry.location is None or paths.contains(entry.location):
            continue
        key = str(canonicalize_name(entry.distribution))
        _, _, ids = found.setdefault(key, (entry.distribution, entry.version or "", []))
        ids.append(entry.name)
    return {key: (name, version, sorted(ids)) for key, (name, version, ids) in found.items()}


async def seed_bundled(db: Database, paths: PluginPaths) -> None:
    """Make ``plugin_packages`` list every bundled package (contract §8.5 item 45), and only those
    still installed."""
    bundled = bundled_distributions(paths)
    try:
        async with db.transaction() as tx:
            rows = (await tx.conn.execute(sa.select(plugin_packages))).all()
            by_name: dict[str, Row] = {str(canonicalize_name(row.package_name)): row for row in rows}
            for key, (name, version, ids) in bundled.items():
                row = by_name.get(key)
                plugin_ids = orjson.dumps(ids).decode()
                if row is None:
                    await tx.conn.execute(
                        sa.insert(plugin_packages).values(
                            public_id=new_public_id(),
                            package_name=name,
                            version=version[:50],
                            source="bundled",
                            plugin_ids=plugin_ids,
                            installed_on=utcnow(),
                        )
                    )
                elif row.source == "bundled" and (row.version, row.plugin_ids) != (version[:50], plugin_ids):
                    await tx.conn.execute(
                        sa.update(plugin_packages)
                        .where(plugin_packages.c.id == row.id)
                        .values(version=version[:50], plugin_ids=plugin_ids)
                    )
            gone = [row.id for key, row in by_name.items() if row.source == "bundled" and key not in bundled]
            if gone:
                await tx.conn.execute(sa.delete(plugin_packages).where(plugin_packages.c.id.in_(gone)))
    except sa.exc.IntegrityError as exc:
        # Another server process seeded the same rows at the same moment.
        if not is_unique_violation(exc):
            raise
        log.info("bundled plugin packages were seeded concurrently")


async def by_name(conn: AsyncConnection, name: str) -> Row | None:
    wanted = canonicalize_name(name)
    for row in (await conn.execute(sa.select(plugin_packages))).all():
        if canonicalize_name(row.package_name) == wanted:
            return row
    return None


async def rows(conn: AsyncConnection, source: str) -> list[Row]:
    """Package rows of one ``source`` (``uploaded`` or ``bundled``), oldest first."""
    query = (
        sa.select(plugin_packages)
        .where(plugin_packages.c.source == source)
        .order_by(plugin_packages.c.installed_on, plugin_packages.c.id)
    )
    return list((await conn.execute(query)).all())


def on_server_message(name: str) -> str:
    return f"Package '{name}' is already installed on the server and cannot be replaced by an upload."


def check_environment(info: WheelInfo, known_plugin_ids: set[str]) -> None:
    """Refuse a wheel that would shadow what the server already runs.

    :raises WheelRejected: 409 naming the collision.
    """
    try:
        importlib.metadata.distribution(info.name)
    except importlib.metadata.PackageNotFoundError:
        pass
    else:
        raise WheelRejected(on_server_message(info.name), 409)
    for module in info.top_level:
        if importlib.util.find_spec(module) is not None:
            raise WheelRejected(f"Wheel module '{module}' would shadow an installed module.", 409)
    for plugin_id in info.plugin_ids:
        if plugin_id in known_plugin_ids:
            raise WheelRejected(f"Plugin id '{plugin_id}' is already provided by an installed package.", 409)


def known_plugin_ids() -> set[str]:
    """Every plugin name visible to this process."""
    return {entry.name for entry in find_plugins()}


def to_response(row: Row) -> dict[str, Any]:
    """PluginPackageResponse of contract §2.5."""
    try:
        plugin_ids = [str(i) for i in orjson.loads(row.plugin_ids or "[]")]
    except orjson.JSONDecodeError:
        plugin_ids = []
    return {
        "public_id": row.public_id,
        "package_name": row.package_name,
        "version": row.version,
        "source": row.source,
        "plugin_ids": plugin_ids,
        "file_size_bytes": row.file_size_bytes,
        "installed_on": iso_z(row.installed_on),
        "removable": row.source == "uploaded",
    }
