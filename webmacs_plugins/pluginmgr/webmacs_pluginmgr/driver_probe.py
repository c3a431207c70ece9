"""The child side of :mod:`.sandbox`: imports one uploaded package's drivers and describes them.

Run as ``python -I -m webmacs_pluginmgr.driver_probe`` with a JSON request on stdin; answers one
JSON object on stdout. It lowers its own memory and CPU limits before any code of the wheel is
imported, so whatever the wheel does at import or in ``configure()`` costs at most those limits,
in this throw-away process and never in the server.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import resource
import sys
from typing import Any

from webmacs_pluginmgr.catalogue import meta_response
from webmacs_pluginmgr.plugindir import distribution_in


def _limit(memory_bytes: int, cpu_seconds: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _distribution(site: str, package: str) -> importlib.metadata.Distribution:
    dist = distribution_in(site, package)
    if dist is None:
        raise LookupError(f"package {package!r} is not installed in the plugin directory")
    return dist


def _describe(cls: Any) -> dict[str, Any]:
    entry = meta_response(cls)
    try:
        entry["channels"] = _channels(cls, {"instance_name": cls.meta.id, "demo_mode": True})
    except Exception:
        entry["channels"] = None
    return entry


def _channels(cls: Any, config: dict[str, Any]) -> list[dict[str, Any]]:
    plugin = cls()
    plugin.configure(config)
    return [channel.model_dump(mode="json") for channel in plugin.channels]


def run(request: dict[str, Any]) -> dict[str, Any]:
    """Describe every driver of ``request["package"]``, or, with ``configure``, list the channels of
    one driver configured as asked (``{"plugin_id": ..., "config": {...}}``)."""
    from webmacs_sdk.device import PluginConfigError, scan_drivers
    from webmacs_sdk.discovery import find_plugins

    site = request["site"]
    sys.path.append(site)
    dist = _distribution(site, request["package"])
    report = scan_drivers(find_plugins(distributions=[dist]))
    configure = request.get("configure")
    if configure is None:
        return {
            "drivers": [_describe(cls) for _, cls in sorted(report.drivers.items())],
            "failures": report.failures,
        }
    cls = report.drivers.get(configure["plugin_id"])
    if cls is None:
        return {"error": f"driver {configure['plugin_id']!r} is not in package {request['package']!r}"}
    try:
        return {"channels": _channels(cls, configure["config"])}
    except PluginConfigError as exc:
        return {"config_error": str(exc)}


def main() -> int:
    request = json.loads(sys.stdin.read())
    # The answer goes to the real stdout; anything the wheel prints lands on stderr instead.
    answer_stream = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    _limit(int(request["memory_bytes"]), int(request["cpu_seconds"]))
    try:
        answer = run(request)
    except BaseException as exc:  # the parent reports whatever the wheel raised
        answer = {"error": f"{type(exc).__name__}: {exc}"[:500]}
    answer_stream.write(json.dumps(answer, default=str))
    answer_stream.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
