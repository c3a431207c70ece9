"""The data-plane server for benchmarks: only the plugins the data plane needs, on PostgreSQL."""

from __future__ import annotations

import gc
import importlib
import os

from aiohttp import web

from webmacs_core.app import create_app
from webmacs_core.plugins import build_plugin_manager
from webmacs_core.settings import Settings

PLUGINS = ("users", "auth", "events", "experiments", "datapoints")


def main() -> None:
    plugins = [(name, importlib.import_module(f"webmacs_{name}")) for name in PLUGINS]
    pm = build_plugin_manager(plugins=plugins, entrypoints=False, strict=True)
    settings = Settings.load(dict(os.environ))
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    app = create_app(settings, pm=pm)
    if os.environ.get("WEBMACS_BENCH_GC_FREEZE") == "1":

        async def freeze(_: web.Application) -> None:
            # Objects alive after startup (modules, plugins, SQLAlchemy metadata) are never
            # garbage: keep them out of every later full collection.
            gc.freeze()

        app.on_startup.append(freeze)
    web.run_app(
        app, host="127.0.0.1", port=settings.port, print=None, access_log=None
    )


if __name__ == "__main__":
    main()
