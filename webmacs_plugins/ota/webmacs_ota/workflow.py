"""The server's side of an update: receive or download a bundle, check it, install it beside the
running version, and ask the supervisor to switch; record what the supervisor reports back.

Each step is a record transition (and so a log entry) committed on its own, so a failure is
persisted as ``failed`` with its reason (upstream lost it with the aborted request).
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import tarfile
import uuid
import zlib
from pathlib import Path
from typing import Any

import aiohttp
import sqlalchemy as sa
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from webmacs_ota import records
from webmacs_ota.events import OtaBundleRefused, OtaRunning, OtaStatusChanged
from webmacs_ota.settings import OtaSettings
from webmacs_ota.states import UpdateStatus, check_transition
from webmacs_ota.tables import firmware_updates
from webmacs_sdk.egress import DownloadTooLarge, EgressClient, EgressDenied, EgressPolicy
from webmacs_sdk.errors import ApiError, BadRequest, NotFound
from webmacs_sdk.keys import DATABASE, HOST, SETTINGS
from webmacs_sdk.models import Principal
from webmacs_sdk.ota import signing
from webmacs_sdk.ota.bundle import MANIFEST, BundleRejected, CheckedBundle, check, sha256_file
from webmacs_sdk.ota.install import InstallFailed, build_environment
from webmacs_sdk.ota.layout import Layout, request_rollback, request_switch, take_json
from webmacs_sdk.timefmt import utcnow

log = logging.getLogger(__name__)

NO_SUPERVISOR = ("This server does not run under the OTA supervisor (WEBMACS_OTA_ROOT is not set); "
                 "bundles are checked and recorded but cannot be installed.")
HASH_FAILED = "SHA-256 hash verification failed"
OFFERED = ("Offered to controllers: each downloads it over its own connection, checks the signature itself, "
           "installs it and switches; their reports follow in the log.")
_MANIFEST_MAX = 1024 * 1024


class Runtime:
    """Per-app OTA state: settings, trusted keys, and the lock that lets one update run at a time."""

    def __init__(self, settings: OtaSettings) -> None:
        self.settings = settings
        self.lock = asyncio.Lock()
        self.layout = Layout(settings.ota_root) if settings.ota_root else None

    @property
    def update_dir(self) -> Path:
        return self.settings.update_dir

    def trusted_keys(self) -> list[Ed25519PublicKey]:
        """:raises BadRequest: a configured key cannot be read (the operator's mistake, said clearly)."""
        try:
            return signing.load_trusted(self.settings.ota_trusted_keys)
        except signing.KeyProblem as exc:
            raise BadRequest(f"OTA trusted keys are misconfigured: {exc}") from None

    def scratch(self, kind: str) -> Path:
        """A fresh server-named path inside the update directory (never a client-chosen name)."""
        base = self.update_dir / f".{kind}"
        base.mkdir(parents=True, exist_ok=True)
        return base / uuid.uuid4().hex


RUNTIME: web.AppKey[Runtime] = web.AppKey("webmacs_ota.runtime", Runtime)


def runtime(app: web.Application) -> Runtime:
    host = app[HOST]
    return host.state(RUNTIME, lambda: Runtime(host.section(OtaSettings)))


def claimed_targets(path: Path) -> tuple[str, ...]:
    """The targets the bundle's manifest names, read before anything is checked; () when unreadable.

    Only used to choose which checks run: the full check then verifies the same manifest's signature.
    """
    try:
        with tarfile.open(path, "r:gz") as tar:
            for member in tar:
                if member.name == MANIFEST and member.isfile() and member.size <= _MANIFEST_MAX:
                    source = tar.extractfile(member)
                    data = json.loads(source.read()) if source is not None else None
                    targets = data.get("targets") if isinstance(data, dict) else None
                    return tuple(str(t) for t in targets) if isinstance(targets, list) else ()
    except (tarfile.TarError, EOFError, zlib.error, OSError, ValueError):
        pass
    return ()


def check_bundle(app: web.Application, path: Path) -> CheckedBundle:
    """Check ``path`` into a fresh staging directory (removed again when the check fails).

    A bundle for the server is checked against the running version (no downgrade); a bundle only
    for controllers is not (each controller checks it against its own version).
    """
    state = runtime(app)
    staging = state.scratch("staging")
    settings = state.settings
    for_server = not for_controllers_only(",".join(claimed_targets(path)))
    try:
        return check(path, staging, state.trusted_keys(),
                     running_version=app[SETTINGS].version if for_server else None,
                     target="server" if for_server else "controller",
                     max_bytes=settings.ota_max_bundle_bytes, max_unpacked=settings.ota_max_unpacked_bytes)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def for_controllers_only(targets: str | None) -> bool:
    """Whether a bundle (``targets`` as stored, comma-separated) is for controllers and not this server."""
    names = str(targets or "").split(",")
    return "controller" in names and "server" not in names


async def refused(app: web.Application, name: str, reason: str, actor: Principal | None) -> None:
    """Log a refused bundle (the refusal itself is the caller's 4xx)."""
    async with app[DATABASE].transaction() as tx:
        await records.emit(app, tx, OtaBundleRefused, f"OTA bundle '{name}' refused: {reason}", actor,
                           bundle=name, reason=reason)


async def _row(app: web.Application, public_id: str) -> Any:
    async with app[DATABASE].connect() as conn:
        row = await records.by_public_id(conn, public_id)
    if row is None:
        raise NotFound.entity(records.LABEL, public_id)
    return row


async def _move(app: web.Application, public_id: str, new: UpdateStatus, actor: Principal | None, *,
                reason: str | None = None, note: str | None = None, **fields: Any) -> Any:
    async with app[DATABASE].transaction() as tx:
        row = await records.by_public_id(tx.conn, public_id)
        if row is None:
            raise NotFound.entity(records.LABEL, public_id)
        await records.transition(app, tx, row, new, actor=actor, reason=reason, note=note, **fields)
    return await _row(app, public_id)


async def _fail(app: web.Application, public_id: str, reason: str, actor: Principal | None) -> None:
    await _move(app, public_id, UpdateStatus.FAILED, actor, reason=reason)


async def apply(app: web.Application, public_id: str, actor: Principal | None, *, download_url: str | None = None,
                file_hash_sha256: str | None = None, background: bool = True) -> None:
    """``POST /ota/{id}/apply``: bookkeeping for a record without a bundle, a real update with one.

    Checks run before the answer (a bad bundle is a 4xx and a ``failed`` record); the install and
    the switch continue in the background, as the web app expects ("Update started").
    """
    state = runtime(app)
    row = await _row(app, public_id)
    has_bundle = download_url is not None or bool(row.file_path)
    check_transition(row.status, UpdateStatus.DOWNLOADING if has_bundle else UpdateStatus.COMPLETED)
    if not has_bundle:
        await _move(app, public_id, UpdateStatus.COMPLETED, actor, note="No bundle recorded: nothing was installed.")
        return
    if state.layout is None and not for_controllers_only(row.targets):
        raise BadRequest(NO_SUPERVISOR)
    if state.lock.locked():
        raise ApiError("Another update is being applied.", status=409)
    async with state.lock:
        row = await _move(app, public_id, UpdateStatus.DOWNLOADING, actor)
        path = Path(row.file_path) if row.file_path else None
        if download_url is not None:
            path = await _download(app, row, download_url, file_hash_sha256, actor)
        elif path is None or not path.is_file():
            await _fail(app, public_id, "the recorded bundle file is missing", actor)
            raise BadRequest("The recorded bundle file is missing.")
        elif row.file_hash_sha256 and await asyncio.to_thread(sha256_file, path) != row.file_hash_sha256:
            await _fail(app, public_id, HASH_FAILED, actor)
            raise BadRequest(HASH_FAILED)
        await _move(app, public_id, UpdateStatus.VERIFYING, actor)
        try:
            checked = await asyncio.to_thread(check_bundle, app, path)
        except BundleRejected as exc:
            await _fail(app, public_id, exc.message, actor)
            raise ApiError(exc.message, status=exc.status) from None
        if checked.manifest.version != row.version:
            shutil.rmtree(checked.directory, ignore_errors=True)
            reason = f"the bundle is version {checked.manifest.version}, not {row.version}"
            await _fail(app, public_id, reason, actor)
            raise BadRequest(f"Bundle version {checked.manifest.version} does not match the update {row.version}.")
        targets = ",".join(checked.manifest.targets)
        if "server" not in checked.manifest.targets:
            shutil.rmtree(checked.directory, ignore_errors=True)
            await _move(app, public_id, UpdateStatus.APPLYING, actor, targets=targets,
                        note=f"Bundle signed by key {checked.key_id}, for controllers.")
            await _move(app, public_id, UpdateStatus.COMPLETED, actor, note=OFFERED)
            return
        if state.layout is None:  # a bundle downloaded from a URL turned out to be for the server
            shutil.rmtree(checked.directory, ignore_errors=True)
            await _fail(app, public_id, NO_SUPERVISOR, actor)
            raise BadRequest(NO_SUPERVISOR)
        await _move(app, public_id, UpdateStatus.APPLYING, actor, targets=targets,
                    note=f"Bundle signed by key {checked.key_id}; installing beside the running version.")
    job = _install_and_hand_off(app, public_id, checked, actor)
    if background:
        app[HOST].spawn(job, name=f"ota.install.{row.version}")
    else:
        await job


async def _download(app: web.Application, row: Any, url: str, expected: str | None,
                    actor: Principal | None) -> Path:
    state = runtime(app)
    settings = state.settings
    target = state.update_dir / f"firmware-{row.version}.tar.gz"
    target.parent.mkdir(parents=True, exist_ok=True)
    policy = EgressPolicy.from_setting(settings.egress_allow)
    try:
        async with EgressClient(policy, timeout=settings.ota_download_timeout_seconds) as client:
            result = await client.download(url, target, max_bytes=settings.ota_max_bundle_bytes)
    except EgressDenied as exc:
        reason = f"download_failed: {exc.reason}"
    except DownloadTooLarge:
        reason = f"download_failed: bundle exceeds {settings.ota_max_bundle_bytes // (1024 * 1024)} MB"
    except TimeoutError:
        reason = "download_failed: timed out"
    except (aiohttp.ClientError, OSError) as exc:
        reason = f"download_failed: {exc or type(exc).__name__}"
    else:
        if result.status != 200:
            reason = f"download_failed: status {result.status}"
        elif expected is not None and result.sha256 != expected.lower():
            target.unlink(missing_ok=True)
            reason = HASH_FAILED
        else:
            async with app[DATABASE].transaction() as tx:
                await tx.conn.execute(sa.update(firmware_updates).where(firmware_updates.c.id == row.id).values(
                    file_path=str(target), file_size_bytes=result.size,
                    file_hash_sha256=expected.lower() if expected else row.file_hash_sha256))
            return target
    await _fail(app, row.public_id, reason, actor)
    raise BadRequest(reason)


async def _install_and_hand_off(app: web.Application, public_id: str, checked: CheckedBundle,
                                actor: Principal | None) -> None:
    state = runtime(app)
    assert state.layout is not None
    layout = state.layout
    version = checked.manifest.version
    try:
        async with state.lock:
            await asyncio.to_thread(build_environment, layout, version, checked.wheel_paths)
    except InstallFailed as exc:
        await _fail(app, public_id, str(exc), actor)
        return
    finally:
        shutil.rmtree(checked.directory, ignore_errors=True)
    # Completed means installed and handed to the supervisor; it reports the health verdict back.
    await _move(app, public_id, UpdateStatus.COMPLETED, actor,
                note=f"Installed; the supervisor switches to {version} and checks its health.")
    request_switch(layout, version, public_id, from_version=app[SETTINGS].version,
                   requested_on=utcnow().isoformat())


async def rollback(app: web.Application, public_id: str, actor: Principal | None) -> None:
    """``POST /ota/{id}/rollback``: completed → rolled_back, and the supervisor switches back when
    this record's version is the one running and an earlier version is installed."""
    state = runtime(app)
    row = await _row(app, public_id)
    check_transition(row.status, UpdateStatus.ROLLED_BACK)
    layout = state.layout
    switch_back = (layout is not None and not for_controllers_only(row.targets)
                   and layout.link_target(layout.current) == row.version
                   and layout.link_target(layout.previous) is not None)
    note = (f"The supervisor switches back to {layout.link_target(layout.previous)}." if switch_back and layout
            else "Nothing to switch: this version is not the one running.")
    if for_controllers_only(row.targets):
        note = ("No longer offered to controllers; those running it switch back to their previous version "
                "when they next ask for updates.")
    await _move(app, public_id, UpdateStatus.ROLLED_BACK, actor, reason="rolled back by an administrator",
                note=note)
    if switch_back and layout is not None:
        request_rollback(layout, row.version, public_id, requested_on=utcnow().isoformat())


async def record_outcome(app: web.Application) -> bool:
    """Record what the supervisor reported (once; the report is removed). True when there was one."""
    layout = runtime(app).layout
    if layout is None:
        return False
    outcome = await asyncio.to_thread(take_json, layout.outcome_file)
    if outcome is None:
        return False
    public_id, version = str(outcome.get("record", "")), str(outcome.get("version", "?"))
    reason = str(outcome.get("reason") or "")
    async with app[DATABASE].transaction() as tx:
        row = await records.by_public_id(tx.conn, public_id)
        if outcome.get("result") == "rolled_back" and row is not None and row.status == UpdateStatus.COMPLETED:
            await records.transition(app, tx, row, UpdateStatus.ROLLED_BACK, reason=reason)
        elif outcome.get("result") == "running":
            await records.emit(app, tx, OtaRunning, f"OTA update {version} is running: {reason}",
                               update_id=public_id, version=version)
        else:
            await records.emit(app, tx, OtaStatusChanged, f"OTA supervisor: {version} {outcome.get('result')}: "
                               f"{reason}", update_id=public_id, version=version)
    return True


INTERRUPTED = "interrupted: the server stopped before this step finished"


async def fail_interrupted(app: web.Application) -> int:
    """At start: records left mid-update (downloading, verifying, applying) by a stopped server are
    failed with the reason, so they can be applied again (failed → pending). Returns how many."""
    moving = (UpdateStatus.DOWNLOADING, UpdateStatus.VERIFYING, UpdateStatus.APPLYING)
    async with app[DATABASE].connect() as conn:
        stuck = (await conn.execute(
            sa.select(firmware_updates.c.public_id).where(firmware_updates.c.status.in_(moving))
        )).scalars().all()
    for public_id in stuck:
        await _fail(app, str(public_id), INTERRUPTED, None)
    return len(stuck)


async def watch_outcomes(app: web.Application) -> None:
    """Background loop: pick up the supervisor's reports while the server runs."""
    while True:
        try:
            await record_outcome(app)
        except Exception:
            log.exception("recording the OTA supervisor's report failed")
        await asyncio.sleep(1.0)
