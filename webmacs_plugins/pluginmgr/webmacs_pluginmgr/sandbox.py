"""Running an uploaded package's driver code outside the server (reliability R-24, issue: wheel code
at upload time).

The server never imports code of an uploaded wheel. What the catalogue needs from it (driver meta,
config schema, channels) comes from :mod:`.driver_probe` run in a child interpreter: isolated mode
(``-I``: no user site, no ``PYTHON*`` variables), an empty environment, its own empty working
directory and session, lowered memory and CPU limits, and a wall-clock limit after which its whole
process group is killed. Its answer is bounded in size and parsed as data.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import tempfile
from collections.abc import Mapping
from typing import Any

import attrs

from webmacs_pluginmgr.plugindir import PluginPaths

log = logging.getLogger(__name__)

_MAX_ANSWER = 4 * 1024 * 1024
_STDERR_TAIL = 2000


class DriverProbeFailed(Exception):
    """The child could not describe or configure the driver; ``str(exc)`` says why in one line."""


class DriverConfigRejected(Exception):
    """The driver ran and refused the configuration (its ``PluginConfigError``)."""


@attrs.frozen
class ProbeLimits:
    """What one run of a package's code may cost."""

    seconds: float = 15.0
    memory_bytes: int = 1024 * 1024 * 1024


async def describe_package(paths: PluginPaths, package: str, limits: ProbeLimits) -> list[dict[str, Any]]:
    """Every driver of ``package``: meta, ``config_schema`` and channel dumps of a demo instance.

    :raises DriverProbeFailed: the child failed, ran out of time or memory, or answered nonsense.
    """
    answer = await _run(paths, {"package": package}, limits)
    drivers = answer.get("drivers")
    if not isinstance(drivers, list):
        raise DriverProbeFailed(str(answer.get("error") or "the driver probe gave no driver list"))
    for name, reason in (answer.get("failures") or {}).items():
        log.warning("uploaded package %s: entry point %r gave no driver: %s", package, name, reason)
    return [driver for driver in drivers if isinstance(driver, dict) and isinstance(driver.get("id"), str)]


async def configured_channels(
    paths: PluginPaths, package: str, plugin_id: str, config: Mapping[str, Any], limits: ProbeLimits
) -> list[dict[str, Any]]:
    """The channel dumps of driver ``plugin_id`` configured with ``config``.

    :raises DriverConfigRejected: the driver refused the configuration.
    :raises DriverProbeFailed: anything else went wrong.
    """
    request = {"package": package, "configure": {"plugin_id": plugin_id, "config": dict(config)}}
    answer = await _run(paths, request, limits)
    if "config_error" in answer:
        raise DriverConfigRejected(str(answer["config_error"]))
    channels = answer.get("channels")
    if not isinstance(channels, list):
        raise DriverProbeFailed(str(answer.get("error") or "the driver probe gave no channels"))
    return channels


async def _run(paths: PluginPaths, request: dict[str, Any], limits: ProbeLimits) -> dict[str, Any]:
    request = {
        **request,
        "site": str(paths.site),
        "memory_bytes": limits.memory_bytes,
        "cpu_seconds": max(1, int(limits.seconds)),
    }
    with tempfile.TemporaryDirectory(prefix="probe-", dir=paths.tmp) as workdir:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-I", "-m", "webmacs_pluginmgr.driver_probe",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=workdir,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": workdir, "LANG": "C.UTF-8"},
            start_new_session=True,
        )
        errors = bytearray()
        try:
            raw = await asyncio.wait_for(_exchange(process, json.dumps(request).encode(), errors), limits.seconds)
        except TimeoutError:
            raise DriverProbeFailed(f"the driver code did not finish within {limits.seconds:g} s") from None
        finally:
            _kill_group(process)
            await process.wait()
    tail = errors.decode("utf-8", "replace").strip().splitlines()
    if process.returncode != 0 or not raw:
        why = tail[-1] if tail else f"exit status {process.returncode}"
        if process.returncode in (-signal.SIGKILL, -signal.SIGXCPU) or "MemoryError" in why:
            why = f"it exceeded its time or memory limit ({why})"
        raise DriverProbeFailed(f"the driver code failed: {why}"[:500])
    try:
        answer = json.loads(raw)
    except ValueError:
        raise DriverProbeFailed("the driver probe answered something that is not JSON") from None
    if not isinstance(answer, dict):
        raise DriverProbeFailed("the driver probe answered something that is not an object")
    return answer


async def _exchange(process: asyncio.subprocess.Process, request: bytes, errors: bytearray) -> bytes:
    assert process.stdin is not None and process.stdout is not None and process.stderr is not None
    process.stdin.write(request)
    await process.stdin.drain()
    process.stdin.close()
    answer, _ = await asyncio.gather(_read_capped(process.stdout), _read_tail(process.stderr, errors))
    await process.wait()
    return answer


async def _read_capped(stream: asyncio.StreamReader) -> bytes:
    answer = bytearray()
    while chunk := await stream.read(64 * 1024):
        answer += chunk
        if len(answer) > _MAX_ANSWER:
            raise DriverProbeFailed("the driver probe's answer is too large")
    return bytes(answer)


async def _read_tail(stream: asyncio.StreamReader, tail: bytearray) -> None:
    """Keep only the last lines the child wrote to stderr (its traceback's last line says why)."""
    while chunk := await stream.read(64 * 1024):
        tail += chunk
        del tail[: max(0, len(tail) - _STDERR_TAIL)]


def _kill_group(process: asyncio.subprocess.Process) -> None:
    """The child and anything it started: it runs in its own session, so its group id is its pid."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
