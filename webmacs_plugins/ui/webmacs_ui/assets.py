"""The UI's static files: its own scripts and styles, and the chart library built from npm.

``static/vendor/`` is filled at build time (``build_assets.py``: the wheel's build hook, or ``./wm``
in a source checkout) from the versions ``package-lock.json`` pins; nothing third-party is in the
repository. Without it the pages work and say that charts are unavailable.
"""

from __future__ import annotations

import hashlib
import mimetypes
from functools import cache
from pathlib import Path

from aiohttp import web

STATIC = (Path(__file__).parent / "static").resolve()
VENDOR = STATIC / "vendor"
CHART_SCRIPT = "vendor/uPlot.iife.min.js"
CHART_STYLE = "vendor/uPlot.min.css"
_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}


def charts_available() -> bool:
    """Whether the chart library was built into this installation."""
    return (STATIC / CHART_SCRIPT).is_file()


@cache
def _fingerprint(name: str) -> str:
    return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]


def url(name: str) -> str:
    """The asset's URL with a content fingerprint, so browsers may keep it for a year."""
    return f"/ui/{name}?v={_fingerprint(name)}"


def find(name: str) -> Path | None:
    """The file for ``name`` inside the static folder, or None (no escaping it with ``..``)."""
    path = (STATIC / name).resolve()
    if not path.is_file() or STATIC not in path.parents:
        return None
    return path


async def serve(request: web.Request) -> web.StreamResponse:
    path = find(request.match_info["asset"])
    if path is None:
        raise web.HTTPNotFound()
    content_type = _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    response = web.Response(body=path.read_bytes(), content_type=content_type)
    fingerprinted = request.query.get("v") == _fingerprint(str(path.relative_to(STATIC)))
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable" if fingerprinted else "no-cache"
    response.enable_compression()
    return response
