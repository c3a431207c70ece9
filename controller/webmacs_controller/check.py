"""``webmacs-controller check``: can this controller work against its server, and with which drivers?

Reaches the server, logs in, lists the server's plugin instances and says for each whether its driver
is installed here, will be fetched from the wheelhouse, or is missing. Exit code 0 when the server
was reached and accepted the credentials, 1 otherwise.
"""

from __future__ import annotations

import asyncio
from typing import TextIO

from .api import ApiClient, ApiError
from .drivers import DriverCatalogue
from .httpclient import HttpClient
from .plugindir import PluginDirectory, Wheel
from .settings import ControllerSettings

#: Seconds ``check`` waits for an unreachable server (the controller itself waits WEBMACS_CONNECT_TIMEOUT).
CHECK_TIMEOUT = 10.0


async def check(settings: ControllerSettings, out: TextIO) -> int:
    session = HttpClient(timeout=min(settings.request_timeout, CHECK_TIMEOUT))
    api = ApiClient(settings, session)
    try:
        print(f"server      {settings.api_base}", file=out)
        try:
            await api.login_with_retry(asyncio.Event(), CHECK_TIMEOUT)
            instances = await api.list_plugin_instances()
        except ApiError as exc:
            print(f"error       {exc}", file=out)
            return 1
        who = "API token" if api.uses_api_token else settings.admin_email
        print(f"login       ok ({who})", file=out)
        try:
            wheels = [Wheel.from_listing(item) for item in await api.request("GET", "/plugins/wheelhouse") or ()]
        except ApiError as exc:
            wheels = []
            print(f"wheelhouse  not available ({exc})", file=out)
        directory = PluginDirectory(settings.plugin_dir)
        installed = {i for inst in directory.installed().values() for i in inst.wheel.plugin_ids}
        catalogue = DriverCatalogue()
        if not instances:
            print("instances   none configured on the server", file=out)
        for record in instances:
            pid = str(record.get("plugin_id", ""))
            state = "enabled" if record.get("enabled", True) else "disabled"
            driver = _driver(pid, catalogue, installed, wheels)
            print(f"instance    {record.get('instance_name')!r} ({pid}, {state}): {driver}", file=out)
        return 0
    finally:
        await session.close()


def _driver(pid: str, catalogue: DriverCatalogue, installed: set[str], wheels: list[Wheel]) -> str:
    if pid in installed:
        return "driver installed in the plugin directory"
    if pid in catalogue.available:
        return "driver installed with the controller"
    wheel = next((w for w in wheels if pid in w.plugin_ids), None)
    if wheel is not None:
        return f"driver will be fetched: {wheel.package_name} {wheel.version}"
    return "driver missing: not installed here and no uploaded package provides it"
