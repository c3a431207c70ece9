"""Under ``webmacs-controller supervise``: tells the supervisor that this controller is healthy.

Healthy means the server acknowledged a batch of this process (it reached the server, logged in and
its data was stored). The first time that happens, ``state/healthy.json`` of the A/B installation
gets this process's version and pid; the supervisor, which waits for it after switching to a new
version, rolls the update back when it does not come in time. Unsupervised, nothing of this runs.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

log = logging.getLogger("webmacs.controller.ota")

#: How often the acknowledged-batch counter is looked at until the first acknowledgement.
POLL_SECONDS = 0.2


def _version() -> str:
    try:
        return version("webmacs-controller")
    except PackageNotFoundError:
        return "unknown"


async def report_healthy(ota_root: str, acked_batches: Callable[[], int]) -> None:
    """Write ``state/healthy.json`` once ``acked_batches()`` is above zero, then return."""
    # A counter the telemetry task keeps anyway, read five times a second until the first ack: no
    # hook in the telemetry path, and nothing at all once the controller is healthy.
    while acked_batches() == 0:  # noqa: ASYNC110 (a counter, not an event of the streamers)
        await asyncio.sleep(POLL_SECONDS)
    from webmacs_sdk.ota.layout import Layout, write_json

    healthy = Layout(Path(ota_root)).healthy_file
    data = {"version": _version(), "pid": os.getpid(), "at": datetime.now(UTC).isoformat(timespec="seconds")}
    try:
        await asyncio.to_thread(write_json, healthy, data)
    except OSError as exc:
        log.error("Could not tell the supervisor this controller is healthy (%s): %s", healthy, exc)
        return
    log.info("First batch acknowledged: reported healthy to the supervisor")
