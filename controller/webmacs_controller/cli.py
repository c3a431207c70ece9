"""``webmacs-controller`` command line entry point."""

from __future__ import annotations

import asyncio
import logging
import signal

from .controller import Controller
from .settings import ControllerSettings, SettingsError


async def _main(settings: ControllerSettings) -> int:
    controller = Controller(settings)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, controller.stop)
    return await controller.run()


def main() -> int:
    """Load settings from the environment and run the controller until SIGINT/SIGTERM."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = ControllerSettings.load()
    except (SettingsError, OSError) as exc:
        logging.getLogger("webmacs.controller").error("Invalid configuration: %s", exc)
        return 2
    return asyncio.run(_main(settings))
