"""Update bundles: a tar.gz of ``manifest.json``, its detached Ed25519 signature ``manifest.json.sig``
and ``wheels/*.whl``.

The manifest names the version, the version an installation must at least run to take the bundle
(``min_from_version``), the targets (``server`` and/or ``controller``) and every wheel with its
SHA-256 and size. Only the manifest is signed; the wheels are bound to it by their hashes.

Checking a bundle never trusts the archive: members are read one by one and only the three kinds
of names above, as regular files, are written, by this module, into a fresh directory. This module
imports neither the server nor the controller, so both use it; ``cryptography`` is imported only
when a bundle is built or checked.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tarfile
import zlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.sig"
WHEELS = "wheels"
TARGETS = ("server", "controller")
FORMAT = 1

_VERSION = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
_WHEEL_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]*\.whl$")
_CHUNK = 1024 * 1024


class BundleRejected(Exception):
    """The bundle is refused; ``message`` says why, ``status`` is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def parse_version(text: str) -> tuple[int, int, int]:
    """A strict ``X.Y.Z`` version as a comparable tuple.

    :raises ValueError: anything else (``v1.0.0``, ``1.0``, ``1.0.0rc1``).
    """
    match = _VERSION.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"'{text}' is not a version X.Y.Z")
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


@attrs.frozen
class WheelEntry:
    """One wheel of a bundle: file name (inside ``wheels/``), SHA-256 hex digest, size in bytes."""

    file: str
    sha256: str
    size: int


@attrs.frozen
class Manifest:
    """What a bundle contains and where it may be installed."""

    version: str
    min_from_version: str
    targets: tuple[str, ...]
    wheels: tuple[WheelEntry, ...]
    created: str = ""

    def to_bytes(self) -> bytes:
        data = {
            "format": FORMAT,
            "version": self.version,
            "min_from_version": self.min_from_version,
            "targets": list(self.targets),
            "created": self.created,
            "wheels": [attrs.asdict(wheel) for wheel in self.wheels],
        }
        return json.dumps(data, indent=2, sort_keys=True).encode() + b"\n"

    @classmethod
    def parse(cls, raw: bytes) -> Manifest:
        """:raises BundleRejected: not JSON, or a field missing or malformed."""
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise BundleRejected("manifest.json is not valid JSON.") from None
        if not isinstance(data, dict):
            raise BundleRejected("manifest.json must be an object.")
        if data.get("format") != FORMAT:
            raise BundleRejected(f"manifest format {data.get('format')!r} is not supported (expected {FORMAT}).")
        for name in ("version", "min_from_version"):
            try:
                parse_version(data.get(name))  # type: ignore[arg-type]
            except ValueError:
                raise BundleRejected(f"manifest field '{name}' must be a version X.Y.Z.") from None
        targets = data.get("targets")
        if not isinstance(targets, list) or not targets or any(t not in TARGETS for t in targets):
            raise BundleRejected("manifest field 'targets' must list 'server' and/or 'controller'.")
        wheels = data.get("wheels")
        if not isinstance(wheels, list) or not wheels:
            raise BundleRejected("manifest lists no wheels.")
        entries = []
        for item in wheels:
            if not isinstance(item, dict):
                raise BundleRejected("manifest wheel entries must be objects.")
            file, digest, size = item.get("file"), item.get("sha256"), item.get("size")
            if not isinstance(file, str) or not _WHEEL_NAME.match(file):
                raise BundleRejected(f"manifest names an invalid wheel file {file!r}.")
            if not isinstance(digest, str) or not re.fullmatch(r"[0-9a-f]{64}", digest):
                raise BundleRejected(f"manifest entry of {file} has no SHA-256.")
            if not isinstance(size, int) or size < 0:
                raise BundleRejected(f"manifest entry of {file} has no size.")
            entries.append(WheelEntry(file, digest, size))
        if len({entry.file for entry in entries}) != len(entries):
            raise BundleRejected("manifest lists a wheel twice.")
        return cls(str(data["version"]), str(data["min_from_version"]), tuple(targets), tuple(entries),
                    str(data.get("created", "")))


@attrs.frozen
class CheckedBundle:
    """A bundle whose signature, manifest and wheels were checked; its files are in ``directory``."""

    manifest: Manifest
    key_id: str
    directory: Path

    @property
    def wheel_paths(self) -> list[Path]:
        return [self.directory / WHEELS / wheel.file for wheel in self.manifest.wheels]


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def wheel_version(path: Path) -> tuple[str, str]:
    """Distribution name (normalised) and version from a wheel's file name."""
    parts = path.name[: -len(".whl")].split("-")
    if len(parts) < 5:
        raise ValueError(f"{path.name} is not a wheel file name")
    return re.sub(r"[-_.]+", "-", parts[0]).lower(), parts[1]


def build(out: Path, wheels: Sequence[Path], key: Ed25519PrivateKey, *, version: str, min_from_version: str,
          targets: Iterable[str]) -> Manifest:
    """Write a signed bundle of ``wheels`` to ``out``.

    :raises ValueError: bad version, target or wheel name.
    """
    from webmacs_sdk.ota import signing

    parse_version(version)
    parse_version(min_from_version)
    chosen = tuple(dict.fromkeys(targets))
    if not chosen or any(t not in TARGETS for t in chosen):
        raise ValueError("targets must be 'server' and/or 'controller'")
    entries = []
    for wheel in wheels:
        if not _WHEEL_NAME.match(wheel.name):
            raise ValueError(f"{wheel.name} is not a wheel file name")
        entries.append(WheelEntry(wheel.name, sha256_file(wheel), wheel.stat().st_size))
    manifest = Manifest(version, min_from_version, chosen, tuple(entries),
                        datetime.now(UTC).isoformat(timespec="seconds"))
    raw = manifest.to_bytes()
    signature = signing.sign(key, raw)
    with tarfile.open(out, "w:gz") as tar:
        _add_bytes(tar, MANIFEST, raw)
        _add_bytes(tar, SIGNATURE, signature)
        for wheel in wheels:
            tar.add(wheel, arcname=f"{WHEELS}/{wheel.name}", recursive=False)
    return manifest


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    import io

    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def unpack(path: Path, dest: Path, *, max_unpacked: int) -> None:
    """Write the bundle's members into the empty directory ``dest``, refusing anything unexpected.

    Allowed: ``manifest.json``, ``manifest.json.sig``, the ``wheels`` directory and
    ``wheels/<name>.whl`` as regular files, each once. Links, devices, absolute or ``..`` paths and
    any other name refuse the whole bundle; so does more than ``max_unpacked`` bytes in total.

    :raises BundleRejected:
    """
    (dest / WHEELS).mkdir(parents=True)
    seen: set[str] = set()
    total = 0
    try:
        with tarfile.open(path, "r:gz") as tar:
            for member in tar:
                name = member.name
                if member.issym() or member.islnk():
                    raise BundleRejected(f"bundle member '{name}' is a link; links are not allowed.")
                if member.isdir() and name.rstrip("/") == WHEELS:
                    continue
                if not _allowed_name(name):
                    raise BundleRejected(f"bundle member '{name}' is not allowed (only {MANIFEST}, "
                                         f"{SIGNATURE} and {WHEELS}/*.whl).")
                if not member.isfile():
                    raise BundleRejected(f"bundle member '{name}' is not a regular file.")
                if name in seen:
                    raise BundleRejected(f"bundle member '{name}' appears twice.")
                seen.add(name)
                total += member.size
                if total > max_unpacked:
                    raise BundleRejected("bundle unpacks to more than the allowed size.", status=413)
                source = tar.extractfile(member)
                assert source is not None
                with source, (dest / name).open("xb") as out:
                    shutil.copyfileobj(source, out, _CHUNK)
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise BundleRejected(f"bundle is not a readable tar.gz archive ({exc}).") from None


def _allowed_name(name: str) -> bool:
    if name in (MANIFEST, SIGNATURE):
        return True
    head, sep, tail = name.partition("/")
    return head == WHEELS and sep == "/" and bool(_WHEEL_NAME.match(tail))


def check(path: Path, dest: Path, trusted: Sequence[Ed25519PublicKey], *, running_version: str | None,
          target: str, max_bytes: int, max_unpacked: int) -> CheckedBundle:
    """Unpack ``path`` into the fresh directory ``dest`` and check it completely.

    Order: size, archive structure, signature (by a trusted key), manifest, target, version
    (no downgrade, no same version, ``min_from_version`` met), then every wheel against its hash.
    ``running_version`` None skips the version rule (``webmacs ota verify`` without an installation).

    :raises BundleRejected: with the reason; the caller removes ``dest``.
    """
    from webmacs_sdk.ota import signing

    size = path.stat().st_size
    if size > max_bytes:
        raise BundleRejected(f"Bundle exceeds maximum allowed size ({max_bytes // (1024 * 1024)} MB).", status=413)
    unpack(path, dest, max_unpacked=max_unpacked)
    manifest_path, signature_path = dest / MANIFEST, dest / SIGNATURE
    if not manifest_path.exists():
        raise BundleRejected("bundle has no manifest.json.")
    if not signature_path.exists():
        raise BundleRejected("bundle is not signed (no manifest.json.sig).")
    if not trusted:
        raise BundleRejected("no trusted OTA keys are configured; no bundle can be accepted.")
    raw = manifest_path.read_bytes()
    key = signing.verify_any(trusted, raw, signature_path.read_bytes())
    if key is None:
        raise BundleRejected("bundle signature does not match any trusted key (wrong key or altered manifest).")
    manifest = Manifest.parse(raw)
    if target not in manifest.targets:
        raise BundleRejected(f"bundle is for {' and '.join(manifest.targets)}, not for the {target}.")
    if running_version is not None:
        _check_version(manifest, running_version)
    listed = {wheel.file for wheel in manifest.wheels}
    present = {p.name for p in (dest / WHEELS).iterdir()}
    if extra := sorted(present - listed):
        raise BundleRejected(f"bundle contains wheels the manifest does not list: {', '.join(extra)}.")
    for wheel in manifest.wheels:
        file = dest / WHEELS / wheel.file
        if not file.exists():
            raise BundleRejected(f"bundle is missing the wheel {wheel.file}.")
        if file.stat().st_size != wheel.size or sha256_file(file) != wheel.sha256:
            raise BundleRejected(f"wheel {wheel.file} does not match its SHA-256 in the manifest (altered).")
    return CheckedBundle(manifest, key, dest)


def _check_version(manifest: Manifest, running: str) -> None:
    try:
        current = parse_version(running)
    except ValueError:
        raise BundleRejected(f"the running version '{running}' is not X.Y.Z; cannot compare.") from None
    new = parse_version(manifest.version)
    if new == current:
        raise BundleRejected(f"bundle version {manifest.version} is the version already running.", status=409)
    if new < current:
        raise BundleRejected(f"bundle version {manifest.version} is older than the running {running} "
                             "(downgrade refused).", status=409)
    if current < parse_version(manifest.min_from_version):
        raise BundleRejected(f"bundle needs at least version {manifest.min_from_version} to update from; "
                             f"this installation runs {running}.", status=409)


def manifest_summary(manifest: Manifest) -> dict[str, Any]:
    return {"version": manifest.version, "min_from_version": manifest.min_from_version,
            "targets": list(manifest.targets), "wheels": [w.file for w in manifest.wheels]}
