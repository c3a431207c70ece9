"""Hooks the health plugin calls and other plugins implement (added through ``webmacs_addhooks``).

Implement them with ``@hookimpl(optionalhook=True)``: the health plugin may be registered after
yours, or not be installed at all.
"""

# mypy: disable-error-code="empty-body"

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from webmacs_sdk.markers import hookspec

if TYPE_CHECKING:
    from aiohttp import web


@hookspec
def webmacs_health(app: web.Application) -> dict[str, Any]:
    """Contribute fields to ``GET /health`` (``last_datapoint``, controller liveness...).

    May be async; awaited on every health request, so keep it cheap. Returned mappings are
    merged into the response. A failing implementation is logged and skipped.

    :param app: the running application.
    :returns: a JSON-serialisable mapping.

    Example::

        @hookimpl(optionalhook=True)
        async def webmacs_health(app):
            return {"last_datapoint": await newest_timestamp(app)}

    .. versionadded:: 2.0
    """
