"""The ``webmacs`` command line: serve, migrate, and the commands plugins add."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from webmacs_core import migrate
from webmacs_core.app import create_app, plugin_manager_for
from webmacs_core.database import open_database
from webmacs_core.plugins import WebmacsPluginManager
from webmacs_core.settings import Settings
from webmacs_sdk.errors import WebmacsError
from webmacs_sdk.serving import ServeLimits, new_event_loop, port_number, serve
from webmacs_sdk.settings import SettingsError, production_secret_key_problem
from webmacs_sdk.startup_errors import explain_startup_error

DESCRIPTION = """\
WebMACS server: real-time sensor monitoring, data acquisition and process automation.

Quick start:
  webmacs serve            start the server on a SQLite file in this directory
                           (the first start creates an admin and prints its password)
  webmacs migrate          create or upgrade the database schema

Configuration comes from WEBMACS_* environment variables (WEBMACS_DATABASE_URL,
WEBMACS_PORT, WEBMACS_DISABLE_PLUGINS, ...) or a TOML file named by WEBMACS_CONFIG;
see docs/configuration.md.
"""


def _serve(args: argparse.Namespace, settings: Settings, pm: WebmacsPluginManager) -> int:
    if problem := production_secret_key_problem(settings.env, settings.secret_key):
        raise SettingsError(problem)
    host = args.host or settings.host
    port = port_number(str(settings.port)) if args.port is None else args.port
    limits = ServeLimits(settings.header_timeout_seconds, settings.body_timeout_seconds)

    def ready(url: str) -> None:
        print(f"WebMACS {settings.version} listening on {url}  (API under /api/v1)", flush=True)

    async def run() -> None:
        await serve(create_app(settings, pm=pm), host, port, limits=limits, ready=ready)

    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        runner.run(run())
    return 0


def _migrate(args: argparse.Namespace, settings: Settings, pm: WebmacsPluginManager) -> int:
    async def run() -> None:
        db = open_database(settings)
        try:
            await migrate.upgrade(db, pm)
        finally:
            await db.engine.dispose()

    asyncio.run(run())
    print("database schema is up to date")
    return 0


def build_parser(pm: WebmacsPluginManager) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="webmacs", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = sub.add_parser("serve", help="run the server (migrates the database first)")
    serve.add_argument("--host", help="address to listen on (WEBMACS_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=port_number, help="port to listen on (WEBMACS_PORT, default 8000)")
    serve.set_defaults(func=_serve)
    sub.add_parser("migrate", help="create or upgrade the database schema").set_defaults(func=_migrate)
    pm.hook.webmacs_cli_commands(subparsers=sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.load()
        pm = plugin_manager_for(settings)
    except (SettingsError, WebmacsError) as exc:
        print(f"webmacs: {exc}", file=sys.stderr)
        return 2
    parser = build_parser(pm)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args, settings, pm) or 0)
    except (SettingsError, WebmacsError) as exc:
        print(f"webmacs: {exc}", file=sys.stderr)
        return 2
    except argparse.ArgumentTypeError as exc:
        print(f"webmacs: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        explained = explain_startup_error(exc, settings.database_url)
        if explained is None:
            raise
        print(f"webmacs: {explained}", file=sys.stderr)
        return 2
