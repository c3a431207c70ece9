"""Typed application keys of the objects the core puts on the app for plugins.

Plugins read them with ``request.app[SETTINGS]``; they define their own keys in their own
package, where the module-prefixed name keeps them from colliding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from webmacs_sdk.db import Database
    from webmacs_sdk.host import Host
    from webmacs_sdk.models import Principal

#: The core settings object (``webmacs_core.settings.Settings``); plugin sections via ``HOST``.
SETTINGS: web.AppKey[Any] = web.AppKey("webmacs.settings")
#: The database: engine, dialect and transactions.
DATABASE: web.AppKey[Database] = web.AppKey("webmacs.database")
#: The services the core offers plugins at run time (ingestion, domain events, settings sections).
HOST: web.AppKey[Host] = web.AppKey("webmacs.host")

#: The authenticated caller of a request (set by the core before the handler runs).
PRINCIPAL: web.RequestKey[Principal] = web.RequestKey("webmacs.principal")
#: The request's id, as sent back in ``X-Request-ID``.
REQUEST_ID: web.RequestKey[str] = web.RequestKey("webmacs.request_id")
