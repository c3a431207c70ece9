"""App keys private to the core (plugins use ``webmacs_sdk.keys``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from webmacs_core.host import CoreHost
    from webmacs_core.plugins import WebmacsPluginManager

PLUGIN_MANAGER: web.AppKey[WebmacsPluginManager] = web.AppKey("webmacs.core.plugin_manager")
CORE_HOST: web.AppKey[CoreHost] = web.AppKey("webmacs.core.host")
