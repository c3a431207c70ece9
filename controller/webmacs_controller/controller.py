"""The controller process: wires API client, plugin bridge, sensor pump, spool and telemetry together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING

from webmacs_sdk.device.health import HealthMonitor

from .actuators import ActuatorSync
from .api import ApiClient, ApiError
from .bridge import PluginBridge
from .drivers import DriverCatalogue
from .http_telemetry import HttpTelemetry
from .httpclient import HttpClient
from .plugindir import PluginDirectory
from .provisioner import DriverProvisioner
from .sensors import SensorPump
from .settings import ControllerSettings
from .spool import Spool
from .status import StatusReporter
from .telemetry import TelemetryStreamer

if TYPE_CHECKING:
    from webmacs_sdk.device import DevicePlugin

log = logging.getLogger("webmacs.controller")

START_MESSAGE = "Controller started – plugin sensor polling active"  # noqa: RUF001 (upstream text)
STOP_MESSAGE = "Controller shutting down"
#: Seconds one request to the change feed waits for a change (below the request timeout).
CHANGE_WAIT = 20
#: Longest a shutdown waits for each goodbye call (status, log entry) when the server is unreachable.
GOODBYE_TIMEOUT = 3.0


class Controller:
    """One controller run; :meth:`run` returns when ``stop`` is set (or login is refused)."""

    def __init__(
        self, settings: ControllerSettings, drivers: Mapping[str, type[DevicePlugin]] | None = None
    ) -> None:
        self.settings = settings
        self._drivers = drivers
        self.stop_event = asyncio.Event()
        self.spool: Spool | None = None
        self.streamer: TelemetryStreamer | HttpTelemetry | None = None
        self.reporter: StatusReporter | None = None
        self.bridge: PluginBridge | None = None
        self.pump: SensorPump | None = None
        self.provisioner: DriverProvisioner | None = None
        self.sync_now = asyncio.Event()
        self.safe_state_active = False

    def stop(self) -> None:
        """Ask :meth:`run` to shut down."""
        self.stop_event.set()

    async def run(self) -> int:
        """Run until stopped; returns the process exit code."""
        s = self.settings
        session = HttpClient(timeout=s.request_timeout)
        try:
            api = ApiClient(s, session)
            try:
                await api.login_with_retry(self.stop_event, s.connect_timeout)
            except ApiError as exc:  # wrong credentials, or no server within the connect timeout
                log.error("%s", exc)
                return 1
            if self.stop_event.is_set():
                return 0
            drivers = DriverCatalogue(self._drivers)
            log.info("Drivers available: %s", ", ".join(drivers.available) or "none")
            self.spool = spool = Spool(s.spool_path, s.spool_max_bytes)
            log.info(
                "Spool %s: controller id %s, %d batches waiting",
                s.spool_path,
                spool.controller_id,
                spool.pending_count,
            )
            try:
                return await self._run(api, session, spool, drivers)
            finally:
                spool.close()
        finally:
            await session.close()

    async def _run(
        self,
        api: ApiClient,
        session: HttpClient,
        spool: Spool,
        drivers: DriverCatalogue,
    ) -> int:
        s = self.settings
        if s.auto_seed and not s.is_production:
            await self._auto_seed(api)
        sync_now = self.sync_now
        self.provisioner = provisioner = DriverProvisioner(
            api, PluginDirectory(s.plugin_dir), drivers, on_change=sync_now.set
        )
        await asyncio.to_thread(provisioner.load_installed)
        self.bridge = bridge = PluginBridge(api, drivers, provisioner)
        relogin = None if api.uses_api_token else api.login
        streamer: TelemetryStreamer | HttpTelemetry
        if s.telemetry_mode == "http":
            streamer = HttpTelemetry(s.api_base, spool, session, token=lambda: api.token, relogin=relogin)
        else:
            streamer = TelemetryStreamer(
                s.telemetry_url,
                spool,
                token=lambda: api.token,
                relogin=relogin,
                window=s.ack_window,
                connect_timeout=s.request_timeout,
            )
        self.streamer = streamer
        log.info("Telemetry over %s", "REST batches" if s.telemetry_mode == "http" else "the WebSocket")
        self.reporter = reporter = StatusReporter(api, bridge)
        self.pump = pump = SensorPump(spool, streamer.notify, s.max_batch_size, s.dedup_enabled)
        actuators = ActuatorSync(api, bridge, report=pump.record)
        monitor = HealthMonitor()

        watched: dict[str, object] = {}

        async def sync() -> None:
            sync_now.clear()
            await bridge.sync()
            pump.track(bridge.instances)
            for iid in set(watched) - set(bridge.instances):
                monitor.untrack(iid)
                del watched[iid]
            for iid, inst in bridge.instances.items():
                if watched.get(iid) is not inst.plugin:
                    monitor.track(iid, inst.plugin)
                    watched[iid] = inst.plugin

        async def flush() -> None:
            pump.flush()

        async def watchdog() -> None:
            await self._watchdog(api, streamer, bridge, actuators)

        try:
            await sync()
        except ApiError as exc:
            log.error("Initial plugin sync failed (will retry): %s", exc)
        await api.post_log(START_MESSAGE, "info")
        tasks = [
            asyncio.create_task(streamer.run(), name="telemetry"),
            asyncio.create_task(
                self._loop("plugin_sync", sync, s.plugin_sync_interval, wake=sync_now), name="sync"
            ),
            asyncio.create_task(self._follow_changes(api, sync_now), name="changes"),
            asyncio.create_task(self._loop("flush", flush, s.poll_interval), name="flush"),
            asyncio.create_task(self._loop("actuator", actuators.tick, s.poll_interval), name="actuator"),
            asyncio.create_task(self._loop("health", monitor.check_once, 5.0), name="health"),
            asyncio.create_task(self._loop("status", reporter.tick, 1.0), name="status"),
            asyncio.create_task(self._loop("safe_state", watchdog, 1.0), name="watchdog"),
        ]
        if s.ota_root:  # supervised: the supervisor waits for the first acknowledged batch after a switch
            from .otahealth import report_healthy

            tasks.append(asyncio.create_task(report_healthy(s.ota_root, lambda: streamer.acked_batches),
                                             name="ota_health"))
        if s.ota_root and s.ota_trusted_keys:  # and takes the updates the server offers to controllers
            from .ota import UpdateAgent

            agent = UpdateAgent(s, api, spool.controller_id, lambda: streamer.acked_batches)
            tasks.append(asyncio.create_task(agent.run(), name="ota"))
        await self.stop_event.wait()
        log.info("Shutting down")
        for task in tasks[1:]:
            task.cancel()
        await pump.stop()
        await _bounded(reporter.all_inactive(), "status report")
        await bridge.shutdown()
        await provisioner.close()
        await streamer.wait_drained(2.0)
        streamer.stop()
        tasks[0].cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        stats = spool.stats()
        log.info(
            "Stopped: %d batches left in the spool, %d datapoints dropped, %d rejected",
            stats.pending_batches,
            stats.dropped_datapoints,
            stats.rejected_datapoints,
        )
        await _bounded(api.post_log(STOP_MESSAGE, "warning"), "shutdown log entry")
        return 0

    async def _follow_changes(self, api: ApiClient, sync_now: asyncio.Event) -> None:
        """Wake the sync loop as soon as the server's configuration changes (its change feed)."""
        generation = ""
        while True:
            try:
                body = await api.request(
                    "GET", "/plugins/changes", params={"after": generation, "wait": CHANGE_WAIT}
                )
            except ApiError as exc:
                if exc.status in (404, 405):
                    log.info("The server has no change feed: configuration is synced every %.0fs",
                             self.settings.plugin_sync_interval)
                    return
                log.warning("Change feed: %s; retrying", exc)
                await asyncio.sleep(2.0)
                continue
            new = str((body or {}).get("generation", ""))
            if new != generation:
                if generation:
                    log.info("Configuration changed on the server")
                    sync_now.set()
                generation = new

    async def _loop(
        self,
        name: str,
        tick: Callable[[], Awaitable[None]],
        interval: float,
        wake: asyncio.Event | None = None,
    ) -> None:
        """Call ``tick`` every ``interval`` (or when ``wake`` is set); after failures back off 2, 4,
        8 ... 60 s."""
        failures = 0
        while True:
            try:
                await tick()
                failures = 0
                delay = interval
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                delay = min(2.0**failures, 60.0)
                log.warning("%s failed (%s); retrying in %.0fs", name, exc, delay)
            if wake is None or failures:
                await asyncio.sleep(delay)
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), delay)

    async def _watchdog(
        self,
        api: ApiClient,
        streamer: TelemetryStreamer | HttpTelemetry,
        bridge: PluginBridge,
        actuators: ActuatorSync,
    ) -> None:
        contact = max(api.last_contact, streamer.last_contact)
        silent = time.monotonic() - contact
        if silent > self.settings.safe_state_after and not self.safe_state_active:
            applied = await bridge.apply_safe_state()
            actuators.forget()
            self.safe_state_active = True
            log.error("Server unreachable for %.0fs: safe values applied to %d outputs", silent, applied)
        elif silent <= self.settings.safe_state_after and self.safe_state_active:
            self.safe_state_active = False
            log.info("Server reachable again; outputs follow the server's values")

    async def _auto_seed(self, api: ApiClient) -> None:
        """Create the simulated instance on an empty development server."""
        try:
            if any(r.get("enabled", True) for r in await api.list_plugin_instances()):
                return
            if await api.list_events():
                return
            await api.create_plugin_instance(
                {
                    "plugin_id": "simulated",
                    "instance_name": "Simulated Device",
                    "demo_mode": True,
                    "enabled": True,
                }
            )
            log.info("Dev auto-seed: created the 'Simulated Device' instance")
            await api.post_log("Dev auto-seed: created plugin instance 'Simulated Device'", "info")
            await api.post_log("Dev auto-seed: channels of 'Simulated Device' mapped to new events", "info")
        except ApiError as exc:
            log.warning("Dev auto-seed failed: %s", exc)


async def _bounded(call: Awaitable[None], what: str) -> None:
    """Run a goodbye call; give up after :data:`GOODBYE_TIMEOUT` so an offline server cannot stall a stop."""
    try:
        await asyncio.wait_for(call, GOODBYE_TIMEOUT)
    except (TimeoutError, ApiError) as exc:
        log.warning("Skipped the %s: %s", what, exc or "server unreachable")
