"""Over-the-air updates of the controller itself, when it runs under ``webmacs-controller supervise``
(which sets ``WEBMACS_OTA_ROOT``: the A/B installation it runs from).

Once its first batch after start is acknowledged (when :mod:`.otahealth` tells the supervisor it
is healthy), it asks the server every
``WEBMACS_OTA_CHECK_INTERVAL`` seconds for the update offered to controllers; a newer one is
downloaded over the controller's authenticated connection (size-bounded, its SHA-256 compared, written
whole and then renamed), its signature checked here against ``WEBMACS_OTA_TRUSTED_KEYS``, its wheels
installed offline into a new environment beside the running one, and the supervisor asked to
switch. The supervisor stops this process gracefully: batches not yet acknowledged stay in the spool
on disk, and the new version sends them. If the new version does not get a batch acknowledged in
time, the supervisor switches back; the old version reads the outcome, reports it, and never takes
that bundle again. When the server says the version running here was rolled back (``rollback`` in its
offer), the supervisor is asked to switch back to the previous version, which reports
``switched_back``.

Every step is reported to the server (``POST /api/v1/ota/controller/report``). A refused bundle is a
log line saying why, a report, and nothing installed. The OTA modules of the SDK are imported only
here, when an update is handled: checking a signature imports ``cryptography``, which a controller
that is not updating never loads.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import json
import logging
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .api import ApiClient, ApiError
from .settings import ControllerSettings

if TYPE_CHECKING:
    from webmacs_sdk.ota.layout import Layout

log = logging.getLogger("webmacs.controller.ota")

OFFER = "/ota/controller/offer"
REPORT = "/ota/controller/report"
_API_PREFIX = "/api/v1"
_VERSION = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
#: A bundle may unpack to at most this many times its own size.
UNPACK_FACTOR = 4
#: Seconds between looks at the supervisor's files and the health of this version.
TICK = 1.0


class Refused(Exception):
    """The offered bundle is not taken; the message says why (logged and reported as ``refused``)."""


class InstallError(Exception):
    """The bundle was good but could not be installed (reported as ``failed``)."""


class UpdateAgent:
    """Takes offered updates once this version is healthy, and reports the supervisor's verdicts."""

    def __init__(self, settings: ControllerSettings, api: ApiClient, controller_id: str,
                 acknowledged: Callable[[], int]) -> None:
        from webmacs_sdk.ota.layout import Layout

        self._settings = settings
        self._api = api
        self._controller_id = controller_id
        self._acknowledged = acknowledged
        self.layout: Layout = Layout(Path(settings.ota_root).expanduser().absolute())
        self.downloads = self.layout.root / "downloads"
        self._skip_file = self.layout.state / "controller-skip.json"
        self._unsent: list[dict[str, Any]] = []
        self.healthy = False
        #: Set once a switch was asked for: no further update is looked at until the supervisor acts.
        self.switching = False
        #: Rolled-back records this process asked the supervisor to switch back from (asked once).
        self._switch_back_asked: set[str] = set()
        self._enabled = True

    @property
    def running(self) -> str:
        """The version this controller runs: the installation's ``current``, else the package version."""
        version = self.layout.running_version()
        if version:
            return version
        try:
            return importlib.metadata.version("webmacs-controller")
        except importlib.metadata.PackageNotFoundError:
            return "0.0.0"

    async def run(self) -> None:
        """Until cancelled: the supervisor's outcomes, and an update check every interval once healthy."""
        next_check = 0.0
        while True:
            # A version that has not proven itself yet (the supervisor may still switch it back)
            # takes no update.
            self.healthy = self.healthy or self._acknowledged() > 0
            try:
                await self._pass_on_outcome()
                await self._send_reports()
                if self.healthy and self._enabled and not self.switching and time.monotonic() >= next_check:
                    next_check = time.monotonic() + self._settings.ota_check_interval
                    await self.check_once()
            except ApiError as exc:
                log.warning("OTA: asking the server for an update failed: %s", exc)
            except Exception:  # an update problem must never stop the controller's data
                log.exception("OTA: handling an update failed; trying again in %.0f s",
                              self._settings.ota_check_interval)
            await asyncio.sleep(TICK)

    # ---- the supervisor's verdicts --------------------------------------------------------

    async def _pass_on_outcome(self) -> None:
        from webmacs_sdk.ota.layout import take_json

        outcome = await asyncio.to_thread(take_json, self.layout.outcome_file)
        if outcome is None:
            return
        version, result = str(outcome.get("version", "")), str(outcome.get("result", ""))
        reason = str(outcome.get("reason") or "")
        record = str(outcome.get("record") or "")
        if result == "running":
            log.info("OTA: update %s is running: %s", version, reason)
            self._report("running", version, reason, from_version=str(outcome.get("from_version") or ""))
        elif result == "rolled_back":
            log.error("OTA: update %s was rolled back: %s", version, reason)
            await asyncio.to_thread(self._skip, record.rpartition("/")[2])
            self._report("rolled_back", version, reason)
        elif result == "switched_back":
            log.warning("OTA: switched back from update %s: %s", version, reason)
            self._report("switched_back", version, reason)
        else:
            self.switching = False  # nothing was switched: this process keeps running
            log.info("OTA: supervisor: %s %s: %s", version, result, reason)

    # ---- taking an update -----------------------------------------------------------------

    async def check_once(self) -> None:
        """Ask for the offered update and take it when it is newer and not one this controller refused;
        switch back when the server rolled back the version running here."""
        try:
            body = await self._api.request("GET", OFFER, params={"controller_id": self._controller_id,
                                                                 "version": self.running})
        except ApiError as exc:
            if exc.status in (403, 404, 405):
                self._enabled = False
                log.warning("OTA: this server offers controllers no updates (%s); not asking again", exc)
                return
            raise
        if isinstance(back := (body or {}).get("rollback"), dict):
            await self.switch_back(back)
            return
        update = (body or {}).get("update")
        if not isinstance(update, dict):
            return
        sha256 = str(update.get("file_hash_sha256", ""))
        if sha256 in await asyncio.to_thread(self._skipped):
            return
        await self.take(update)

    async def switch_back(self, rollback: dict[str, Any]) -> None:
        """The server rolled back the version running here: ask the supervisor to switch back (once)."""
        version, public_id = str(rollback.get("version", "")), str(rollback.get("public_id", ""))
        if version != self.running or public_id in self._switch_back_asked:
            return
        self._switch_back_asked.add(public_id)
        previous = self.layout.link_target(self.layout.previous)
        if previous is None:
            log.warning("OTA: update %s was rolled back on the server, but no earlier version is installed here "
                        "to switch back to; it keeps running", version)
            return
        from webmacs_sdk.ota.layout import request_rollback

        self.switching = True
        log.warning("OTA: update %s was rolled back on the server; asking the supervisor to switch back to %s",
                    version, previous)
        await asyncio.to_thread(request_rollback, self.layout, version, f"{public_id}/rollback")

    async def take(self, update: dict[str, Any]) -> None:
        """Download, check, install and ask for the switch; a refusal or failure is logged and reported."""
        version = str(update.get("version", "?"))
        sha256 = str(update.get("file_hash_sha256", ""))
        try:
            path = await self._download(update)
            self._report("installing", version)
            await asyncio.to_thread(self._install, path, version)
        except Refused as exc:
            log.error("OTA: bundle %s refused: %s; nothing installed", version, exc)
            await asyncio.to_thread(self._skip, sha256)
            self._report("refused", version, str(exc))
        except InstallError as exc:
            log.error("OTA: bundle %s not installed: %s", version, exc)
            await asyncio.to_thread(self._skip, sha256)
            self._report("failed", version, str(exc))
        else:
            from webmacs_sdk.ota.layout import request_switch

            self.switching = True
            self._report("switching", version, f"installed beside {self.running}; the supervisor switches")
            await self._send_reports()
            await asyncio.to_thread(request_switch, self.layout, version, f"{update.get('public_id')}/{sha256}",
                                    from_version=self.running)
            log.info("OTA: version %s installed; asked the supervisor to switch to it", version)

    async def _download(self, update: dict[str, Any]) -> Path:
        version, sha256 = str(update.get("version", "")), str(update.get("file_hash_sha256", ""))
        size, where = update.get("file_size_bytes"), str(update.get("download_path", ""))
        cap = self._settings.ota_max_bundle_bytes
        if not _VERSION.match(version) or not _SHA256.match(sha256) or not where.startswith(_API_PREFIX + "/"):
            raise Refused(f"the server's offer is malformed: {json.dumps(update)[:300]}")
        if not isinstance(size, int) or size > cap:
            raise Refused(f"the bundle's size {size} exceeds WEBMACS_OTA_MAX_BUNDLE_BYTES ({cap})")
        self._report("downloading", version)
        await asyncio.to_thread(self.downloads.mkdir, parents=True, exist_ok=True)
        incoming = self.downloads / f".incoming-{uuid.uuid4().hex}"
        final = self.downloads / f"controller-{version}.tar.gz"
        try:
            got = await self._api.download(where[len(_API_PREFIX):], incoming, max_bytes=size)
            if got != sha256:
                raise Refused(f"the downloaded bundle's SHA-256 {got[:12]}… is not the offered {sha256[:12]}…")
            await asyncio.to_thread(os.replace, incoming, final)
        except ApiError as exc:
            raise InstallError(f"download failed: {exc}") from None
        finally:
            incoming.unlink(missing_ok=True)
        log.info("OTA: downloaded bundle %s (%d bytes)", version, size)
        return final

    def _install(self, path: Path, version: str) -> None:
        """Check the bundle's signature and contents, then build ``versions/<version>``; the download goes."""
        from webmacs_sdk.ota import bundle, signing
        from webmacs_sdk.ota.install import InstallFailed, build_environment

        staging = self.downloads / f".staging-{uuid.uuid4().hex}"
        try:
            try:
                trusted = signing.load_trusted(_entries(self._settings.ota_trusted_keys))
            except signing.KeyProblem as exc:
                raise Refused(f"WEBMACS_OTA_TRUSTED_KEYS: {exc}") from None
            cap = self._settings.ota_max_bundle_bytes
            try:
                checked = bundle.check(path, staging, trusted, running_version=self.running, target="controller",
                                       max_bytes=cap, max_unpacked=cap * UNPACK_FACTOR)
            except bundle.BundleRejected as exc:
                raise Refused(exc.message) from None
            if checked.manifest.version != version:
                raise Refused(f"the bundle is version {checked.manifest.version}, not the offered {version}")
            log.info("OTA: bundle %s signed by trusted key %s; installing beside %s", version, checked.key_id,
                     self.running)
            try:
                build_environment(self.layout, version, checked.wheel_paths)
            except InstallFailed as exc:
                raise InstallError(str(exc)) from None
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            path.unlink(missing_ok=True)

    # ---- bundles not to take again, and reports -------------------------------------------

    def _skipped(self) -> set[str]:
        try:
            data = json.loads(self._skip_file.read_text())
        except (OSError, ValueError):
            return set()
        return {str(item) for item in data} if isinstance(data, list) else set()

    def _skip(self, sha256: str) -> None:
        """Never take this bundle again (kept in ``state/controller-skip.json``, written whole)."""
        if not _SHA256.match(sha256):
            return
        skipped = self._skipped() | {sha256}
        self.layout.state.mkdir(parents=True, exist_ok=True)
        temporary = self._skip_file.with_name(f".{self._skip_file.name}-{uuid.uuid4().hex}")
        temporary.write_text(json.dumps(sorted(skipped)))
        os.replace(temporary, self._skip_file)

    def _report(self, state: str, update_version: str, message: str = "", from_version: str = "") -> None:
        report = {"controller_id": self._controller_id, "version": self.running, "state": state,
                  "update_version": update_version if _VERSION.match(update_version) else None,
                  "message": message[:2000] or None}
        if _VERSION.match(from_version):
            report["from_version"] = from_version
        self._unsent.append(report)

    async def _send_reports(self) -> None:
        while self._unsent:
            try:
                await self._api.request("POST", REPORT, json=self._unsent[0])
            except ApiError as exc:
                if exc.status is not None and 400 <= exc.status < 500:
                    log.warning("OTA: the server refused the report %s: %s", self._unsent[0]["state"], exc)
                else:
                    return  # server unreachable: sent on a later tick
            self._unsent.pop(0)


def _entries(setting: str) -> list[str]:
    """Trusted keys from the setting: comma-separated ``ed25519:...`` texts or paths of ``.pub`` files."""
    return [item.strip() for item in setting.split(",") if item.strip()]
