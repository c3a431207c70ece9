"""The UI's static files: its own scripts and styles, the chart library built from npm, and the
``static/`` folder of every plugin that contributes to the UI (found like its templates).

``static/vendor/`` is filled at build time (``build_assets.py``: the wheel's build hook, or ``./wm``
in a source checkout) from the versions ``package-lock.json`` pins; nothing third-party is in the
repository. Without it the pages work and say that charts are unavailable. A plugin names its
files by its own folder (``static/dashboards/grid.js``) so they cannot collide.
"""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Sequence
from pathlib import Path

from aiohttp import web

STATIC = (Path(__file__).parent / "static").resolve()
CHART_SCRIPT = "vendor/uPlot.iife.min.js"
_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}


def charts_available() -> bool:
    """Whether the chart library was built into this installation."""
    return (STATIC / CHART_SCRIPT).is_file()


class Assets:
    """Static files under the UI's folder and the contributing plugins' ``static/`` folders."""

    def __init__(self, roots: Sequence[Path]) -> None:
        self.roots = [root.resolve() for root in roots]
        self._fingerprints: dict[Path, str] = {}

    def find(self, name: str) -> Path | None:
        """The first file called ``name`` under a root, or None (``..`` cannot escape a root)."""
        for root in self.roots:
            path = (root / name).resolve()
            if path.is_file() and root in path.parents:
                return path
        return None

    def _fingerprint(self, path: Path) -> str:
        if path not in self._fingerprints:
            self._fingerprints[path] = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        return self._fingerprints[path]

    def url(self, name: str) -> str:
        """The asset's URL with a content fingerprint, so browsers may keep it for a year."""
        path = self.find(name)
        return f"/ui/{name}" if path is None else f"/ui/{name}?v={self._fingerprint(path)}"

    async def serve(self, request: web.Request) -> web.StreamResponse:
        path = self.find(request.match_info["asset"])
        if path is None:
            raise web.HTTPNotFound()
        content_type = _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        response = web.Response(body=path.read_bytes(), content_type=content_type)
        fingerprinted = request.query.get("v") == self._fingerprint(path)
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable" if fingerprinted else "no-cache"
        response.enable_compression()
        return response
