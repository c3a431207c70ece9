"""Helpers of the OTA tests: keys, small real wheels, good bundles and archives bent in one way, processes."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import os
import signal
import socket
import subprocess
import tarfile
import zipfile
from pathlib import Path

from webmacs_sdk.ota import bundle, signing

PLUGINS = ("users", "auth", "logs", "ota")


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """Stop a process started in its own session and everything it started: TERM, then KILL after 30 s."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def make_keys(directory: Path, name: str = "release") -> tuple[Path, str]:
    """A key pair on disk: the private key's path and the public key's text."""
    pem, public = signing.generate()
    directory.mkdir(parents=True, exist_ok=True)
    private = directory / f"{name}.key"
    private.write_bytes(pem)
    (directory / f"{name}.pub").write_text(public + "\n")
    return private, public


def make_wheel(directory: Path, dist: str = "acme_tool", version: str = "1.0.0", payload: bytes = b"X = 1\n") -> Path:
    """A small valid wheel (one module, correct RECORD)."""
    directory.mkdir(parents=True, exist_ok=True)
    info = f"{dist}-{version}.dist-info"
    members = {
        f"{dist}/__init__.py": payload,
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n".encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    lines = []
    for name, data in members.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        lines.append(f"{name},sha256={digest},{len(data)}")
    lines.append(f"{info}/RECORD,,")
    members[f"{info}/RECORD"] = ("\n".join(lines) + "\n").encode()
    path = directory / f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def good_bundle(directory: Path, key: Path, *, version: str = "2.0.1", min_from: str = "0.0.0",
                targets: tuple[str, ...] = ("server",), wheels: list[Path] | None = None,
                name: str | None = None) -> Path:
    wheels = wheels or [make_wheel(directory / "wheels-src")]
    directory.mkdir(parents=True, exist_ok=True)
    out = directory / (name or f"webmacs-update-{version}.tar.gz")
    bundle.build(out, wheels, signing.load_private(key), version=version, min_from_version=min_from, targets=targets)
    return out


def members_of(path: Path) -> dict[str, bytes]:
    with tarfile.open(path, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}  # type: ignore[union-attr]


def write_tar(path: Path, members: dict[str, bytes], *, links: dict[str, tuple[str, bytes]] | None = None) -> Path:
    """A tar.gz of regular files plus links: ``links[name] = (target, kind)`` with kind SYMTYPE/LNKTYPE."""
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, (target, kind) in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = kind
            info.linkname = target
            tar.addfile(info)
    return path


def resign(members: dict[str, bytes], key: Path, **changes: object) -> dict[str, bytes]:
    """The members with manifest fields changed and the manifest signed again by ``key``."""
    manifest = json.loads(members[bundle.MANIFEST])
    manifest.update(changes)
    raw = json.dumps(manifest).encode()
    return {**members, bundle.MANIFEST: raw, bundle.SIGNATURE: signing.sign(signing.load_private(key), raw)}


def files_under(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() or p.is_symlink()}
