"""The data-plane server for benchmarks: only the plugins the data plane needs, on PostgreSQL."""

from __future__ import annotations

import importlib
import os

from aiohttp import web

from webmacs_core.app import create_app
from webmacs_core.plugins import build_plugin_manager
from webmacs_core.settings import Settings
from webmacs_sdk.serving import new_event_loop

PLUGINS = ("users", "auth", "events", "experiments", "datapoints")


def main() -> None:
    plugins = [(name, importlib.import_module(f"webmacs_{name}")) for name in PLUGINS]
    pm = build_plugin_manager(plugins=plugins, entrypoints=False, strict=True)
    settings = Settings.load(dict(os.environ))
    app = create_app(settings, pm=pm)
    web.run_app(
        app, host="127.0.0.1", port=settings.port, print=None, access_log=None, loop=new_event_loop()
    )


if __name__ == "__main__":
    main()
