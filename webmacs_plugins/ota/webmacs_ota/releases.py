"""``GET /ota/check``: the running version against newer records and the latest GitHub release.

The GitHub request goes through the SDK's egress guard like every outbound request of the server.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import attrs
import orjson
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from webmacs_ota.settings import OtaSettings
from webmacs_ota.states import UpdateStatus
from webmacs_ota.tables import firmware_updates
from webmacs_sdk.egress import EgressClient, EgressDenied, EgressPolicy, HostResolver
from webmacs_sdk.ota.bundle import parse_version


@attrs.frozen
class Release:
    """What the latest GitHub release says, or why it could not be read."""

    version: str | None = None
    download_url: str | None = None
    release_url: str | None = None
    error: str | None = None


def _newer(candidate: str | None, than: str) -> bool:
    if candidate is None:
        return False
    try:
        return parse_version(candidate) > parse_version(than)
    except ValueError:
        return False


async def latest_github_release(settings: OtaSettings, resolver: HostResolver | None = None) -> Release:
    """The latest release of ``settings.github_repo``; a 404 means "no releases" and is not an error."""
    repo = settings.github_repo.strip()
    if not repo:
        return Release(error="github_repo not configured")
    url = f"{settings.github_api_url.rstrip('/')}/repos/{repo}/releases/latest"
    policy = EgressPolicy.from_setting(settings.egress_allow)
    try:
        async with EgressClient(policy, resolver=resolver, timeout=settings.ota_check_timeout_seconds,
                                max_response_bytes=1024 * 1024) as client:
            response = await client.get(url, headers={"Accept": "application/vnd.github+json",
                                                      "User-Agent": "webmacs-ota"})
    except EgressDenied as exc:
        return Release(error=exc.reason)
    except TimeoutError:
        return Release(error="Connection timed out")
    except (aiohttp.ClientError, OSError) as exc:
        return Release(error=str(exc) or type(exc).__name__)
    if response.status == 404:
        return Release()
    if response.status != 200:
        return Release(error=f"GitHub API returned {response.status}")
    try:
        data = orjson.loads(response.body)
        tag = str(data.get("tag_name") or "")
    except (orjson.JSONDecodeError, AttributeError):
        return Release(error="GitHub API returned an unreadable release")
    assets = data.get("assets") or []
    download = next((a.get("browser_download_url") for a in assets if isinstance(a, dict) and _is_bundle(a)), None)
    return Release(tag[1:] if tag.startswith("v") else tag or None, download, data.get("html_url"))


def _is_bundle(asset: dict[str, Any]) -> bool:
    name = str(asset.get("name", ""))
    return name.endswith(".tar.gz") and "webmacs-update" in name


async def newest_record(conn: AsyncConnection, running: str) -> str | None:
    """The highest version among pending or completed records that is newer than ``running``."""
    rows = (await conn.execute(
        sa.select(firmware_updates.c.version)
        .where(firmware_updates.c.status.in_([UpdateStatus.PENDING, UpdateStatus.COMPLETED]))
    )).scalars().all()
    newer = [str(v) for v in rows if _newer(v, running)]
    return max(newer, key=parse_version) if newer else None


async def check(conn: AsyncConnection, settings: OtaSettings, running: str,
                resolver: HostResolver | None = None) -> dict[str, Any]:
    """UpdateCheckResponse."""
    record, release = await asyncio.gather(newest_record(conn, running), latest_github_release(settings, resolver))
    candidates = [v for v in (record, release.version) if v is not None and _newer(v, running)]
    latest = max(candidates, key=parse_version) if candidates else None
    return {
        "current_version": running,
        "latest_version": latest,
        "update_available": latest is not None,
        "github_latest_version": release.version,
        "github_download_url": release.download_url,
        "github_release_url": release.release_url,
        "github_error": release.error,
    }
