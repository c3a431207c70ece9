"""``webmacs-controller`` command line: run (the default), ``check``, ``supervise``, ``ota-init``,
``--help``, ``--version``.

Nothing heavy is imported before a command needs it, so ``--help`` and ``--version`` answer at once
and without contacting the server.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .settings import ControllerSettings

DESCRIPTION = """\
WebMACS edge agent: reads the sensor channels of the driver instances configured on the server,
spools readings to disk and streams them to the server; writes output channels from the server's
latest values. Drivers the server's instances need are fetched from its wheelhouse.

Settings come from WEBMACS_* environment variables or a TOML file named by
WEBMACS_CONTROLLER_CONFIG: WEBMACS_SERVER_URL (http://host), WEBMACS_SERVER_PORT (8000),
WEBMACS_API_TOKEN or WEBMACS_ADMIN_EMAIL and WEBMACS_ADMIN_PASSWORD, WEBMACS_SPOOL_PATH,
WEBMACS_PLUGIN_DIR, WEBMACS_TELEMETRY_MODE (websocket | http), WEBMACS_CONNECT_TIMEOUT, ...
"""


def _version() -> str:
    try:
        return version("webmacs-controller")
    except PackageNotFoundError:
        return "unknown"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="webmacs-controller", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--version", action="version", version=f"webmacs-controller {_version()}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("run", help="run the controller until SIGINT/SIGTERM (the default)")
    sub.add_parser(
        "check", help="reach the server, log in, list its instances and whether their drivers are here"
    )
    supervise = sub.add_parser(
        "supervise", help="run webmacs-controller from an A/B installation, switch on updates, roll back unhealthy ones"
    )
    supervise.add_argument("--root", type=Path, help="installation root (default WEBMACS_OTA_ROOT)")
    supervise.add_argument(
        "--ready-timeout", type=float, default=None,
        help="seconds a new version has to get its first batch acknowledged "
        "(default WEBMACS_OTA_READY_TIMEOUT_SECONDS, 120)",
    )
    init = sub.add_parser("ota-init", help="create an A/B installation from this environment (plus wheels)")
    init.add_argument("root", type=Path, help="installation root, e.g. /opt/webmacs-controller-ab")
    init.add_argument("wheels", nargs="*", type=Path, help="wheels to install over this environment's packages")
    init.add_argument("--version", dest="as_version", help="version of the first environment (default: this one)")
    return p


async def _run(settings: ControllerSettings) -> int:
    from .controller import Controller

    controller = Controller(settings)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, controller.stop)
    return await controller.run()


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, load settings and run the command; returns the exit code."""
    args = parser().parse_args(argv)
    from .settings import ControllerSettings, SettingsError

    try:
        settings = ControllerSettings.load()
    except (SettingsError, OSError) as exc:
        print(f"webmacs-controller: invalid configuration: {exc}", file=sys.stderr)
        return 2
    if args.command == "check":
        from .check import check

        return asyncio.run(check(settings, sys.stdout))
    if args.command == "ota-init":
        from .supervise import init

        return init(args.root, args.wheels, args.as_version or _version())
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command == "supervise":
        from .supervise import supervise

        return supervise(settings, args.root, args.ready_timeout)
    return asyncio.run(_run(settings))
