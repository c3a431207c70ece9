"""Plugin wheel packages: the malicious corpus of reliability R-24, a good upload end to end, uninstall."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import sys
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

UPLOAD = "/api/v1/plugins/packages/upload"
PLUGINS = ("users", "auth", "events", "plugins", "simulated")


def snapshot(root: Path, skip: Path | None = None) -> dict[str, tuple[int, int]]:
    """Every file below ``root`` (except below ``skip`` and database files) with size and mtime."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        if skip is not None and Path(dirpath).resolve().is_relative_to(skip.resolve()):
            dirnames[:] = []
            continue
        for name in filenames:
            path = Path(dirpath) / name
            if name.startswith("webmacs.db") or name == "secret":
                continue
            st = path.lstat()
            found[str(path.relative_to(root))] = (st.st_size, st.st_mtime_ns)
    return found


def _escaped_into_site_packages() -> list[Path]:
    """Files of the malicious corpus found in any site-packages directory of this interpreter."""
    found = []
    for entry in sys.path:
        site = Path(entry)
        if entry.endswith("site-packages") and site.is_dir():
            found += [site / "escape.py", *site.glob("zz_evil.pth"), *site.glob("abs_escape.py")]
    return [path for path in found if path.exists()]


def files_in(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if not p.is_dir())


@pytest.fixture
async def env(make_client: Any, auth_headers: Any, tmp_path: Path) -> Any:
    # Nested, so that a member escaping with ../../ would land inside tmp_path where we look for it.
    plugin_dir = tmp_path / "srv" / "data" / "plugins"
    client = await make_client(*PLUGINS, env={"WEBMACS_PLUGIN_DIR": str(plugin_dir)})
    client.plugin_dir = plugin_dir
    client.admin = await auth_headers(client, "admin")
    return client


async def upload(client: Any, data: bytes, filename: str, headers: dict[str, str] | None = None) -> Any:
    form = aiohttp.FormData()
    form.add_field("file", data, filename=filename, content_type="application/octet-stream")
    return await client.post(UPLOAD, data=form, headers=headers if headers is not None else client.admin)


def _symlink(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def corpus(spec: Callable[..., Any], sentinel: Path) -> list[tuple[str, bytes, str, int, str]]:
    """(case, wheel bytes, upload filename, expected status, expected words in the detail)."""
    cases: list[tuple[str, bytes, str, int, str]] = []

    def add(case: str, wheel: Any, status: int, words: str, filename: str | None = None) -> None:
        cases.append((case, wheel.build(), filename or wheel.filename, status, words))

    pth = f"import os; open({str(sentinel)!r}, 'w').write('pwned')\n".encode()
    w = spec()
    add("dotdot member", spec(tamper={"../../escape.py": b"x = 1\n"}), 422, "path traversal")
    add("absolute member", spec(tamper={"/tmp/abs_escape.py": b"x = 1\n"}), 422, "absolute path")
    add("backslash member", spec(tamper={"..\\..\\evil.py": b"x = 1\n"}), 422, "backslash")
    add("symlink member", spec(unrecorded=[(_symlink(f"{w.module}/link"), b"/etc/passwd")]), 422, "symlink")
    add("root .pth", spec(files={**w.files, "zz_evil.pth": pth}, module=w.module), 422, ".pth")
    add("nested .pth", spec(files={**w.files, f"{w.module}/x.pth": pth}, module=w.module), 422, ".pth")
    s = spec()
    add(
        "data/scripts",
        spec(
            module=s.module,
            files={**s.files, f"{s.dist_info.replace('.dist-info', '.data')}/scripts/evil": b"#!/bin/sh\n"},
        ),
        422,
        "purelib",
    )
    s = spec()
    add(
        "data/data escape",
        spec(
            module=s.module,
            files={**s.files, f"{s.dist_info.replace('.dist-info', '.data')}/data/../../x.py": b"x=1\n"},
        ),
        422,
        "traversal",
    )
    s = spec()
    add(
        "RECORD hash mismatch",
        spec(module=s.module, tamper={f"{s.module}/__init__.py": b"print('evil')\n"}),
        422,
        "RECORD mismatch",
    )
    add("missing RECORD", spec(record=False), 422, "RECORD")
    s = spec()
    add(
        "file not in RECORD",
        spec(module=s.module, unrecorded=[(f"{s.module}/extra.py", b"x = 1\n")]),
        422,
        "not listed in RECORD",
    )
    s = spec()
    add(
        "duplicate member names",
        spec(module=s.module, unrecorded=[(f"{s.module}/__init__.py", b"x = 2\n")]),
        422,
        "duplicate member",
    )
    add(
        "file outside packages",
        spec(files={**w.files, "README.txt": b"hi"}, module=w.module),
        422,
        "outside the plugin's packages",
    )
    add("no entry point", spec(entry_points=b"[console_scripts]\n"), 422, "[webmacs.plugins]")
    add("no entry_points.txt", spec(entry_points=b""), 422, "[webmacs.plugins]")
    add(
        "console script",
        spec(
            entry_points=f"[webmacs.plugins]\n{w.module} = {w.module}\n"
            f"[console_scripts]\nx = {w.module}:main\n".encode(),
            module=w.module,
        ),
        422,
        "scripts",
    )
    add(
        "entry point into os",
        spec(entry_points=b"[webmacs.plugins]\nboom = os:system\n"),
        422,
        "own packages",
    )
    s = spec()
    add(
        "metadata name != filename",
        spec(module=s.module, metadata=b"Metadata-Version: 2.1\nName: other-thing\nVersion: 1.0\n"),
        422,
        "does not match",
    )
    add(
        "invalid version",
        spec(metadata=b"Metadata-Version: 2.1\nName: x\nVersion: not.a.version!\n"),
        422,
        "Invalid METADATA",
    )
    add(
        "non-UTF-8 METADATA",
        spec(metadata=b"Metadata-Version: 2.1\nName: x\nVersion: 1.0\nSummary: \xff\xfe\n"),
        422,
        "UTF-8",
    )
    add("no METADATA", spec(metadata=b""), 422, "Invalid METADATA")
    cases.append(
        (
            "not a zip",
            b"this is not a zip file at all" * 10,
            "junk-1.0-py3-none-any.whl",
            422,
            "Not a valid ZIP",
        )
    )
    add(
        "shadows aiohttp",
        spec(dist="aiohttp", version="99.0", module=f"m{os.getpid()}x"),
        409,
        "already installed on the server",
    )
    add(
        "shadows webmacs-users",
        spec(dist="webmacs-users", version="9.9", module=f"n{os.getpid()}x"),
        409,
        "already installed on the server",
    )
    add(
        "module collides with core", spec(module="webmacs_core", dist="acme-corecollide"), 409, "would shadow"
    )
    add("client filename traversal", w, 400, "Invalid wheel filename", filename="../../x.whl")
    add("not a .whl", w, 400, "must be a .whl", filename="plugin.zip")
    add("bad wheel filename", w, 400, "Invalid wheel filename", filename="name only.whl")
    return cases


async def test_malicious_wheels_are_refused_and_nothing_is_written(
    env: Any, wheel_spec: Any, tmp_path: Path
) -> None:
    sentinel = tmp_path / "SENTINEL"
    cases = corpus(wheel_spec, sentinel)
    before = snapshot(tmp_path, skip=env.plugin_dir)
    cwd_before = set(os.listdir(os.getcwd()))
    failures = []
    for case, data, filename, status, words in cases:
        resp = await upload(env, data, filename)
        body = await resp.json()
        detail = body.get("detail")
        if resp.status != status or not isinstance(detail, str) or words.lower() not in detail.lower():
            failures.append(f"{case}: {resp.status} {detail!r} (expected {status} with {words!r})")
    assert not failures, "\n".join(failures)
    assert len(cases) >= 25

    # Nothing anywhere else, nothing installed, no scratch files left, no .pth ever executed.
    assert snapshot(tmp_path, skip=env.plugin_dir) == before
    assert not sentinel.exists()
    assert files_in(env.plugin_dir) == []
    assert set(os.listdir(os.getcwd())) - cwd_before == set()
    assert not _escaped_into_site_packages()
    resp = await env.get("/api/v1/plugins/packages", headers=env.admin)
    assert await resp.json() == []


async def test_zip_bomb_is_refused_fast_with_bounded_memory(
    env: Any, wheel_spec: Any, tmp_path: Path
) -> None:
    spec = wheel_spec()
    data = spec.build()
    # Replace METADATA by 200 MB of zeros (≈ 200 KB compressed), streamed into the archive.
    bomb = tmp_path / "bomb.whl"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as out, zipfile.ZipFile(io.BytesIO(data)) as src:
        for item in src.infolist():
            if item.filename.endswith("METADATA"):
                huge = zipfile.ZipInfo(item.filename)
                huge.compress_type = zipfile.ZIP_DEFLATED
                with out.open(huge, "w", force_zip64=True) as fh:
                    chunk = bytes(1024 * 1024)
                    for _ in range(200):
                        fh.write(chunk)
            else:
                out.writestr(item, src.read(item))
    payload = bomb.read_bytes()
    assert len(payload) < 1024 * 1024

    tracemalloc.start()
    started = time.perf_counter()
    resp = await upload(env, payload, spec.filename)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert resp.status == 422
    assert "zip bomb" in (await resp.json())["detail"]
    assert elapsed < 1.0, elapsed
    assert peak < 50 * 1024 * 1024, peak
    assert files_in(env.plugin_dir) == []


async def test_oversize_upload_is_413_and_leaves_nothing(
    make_client: Any, auth_headers: Any, tmp_path: Path
) -> None:
    plugin_dir = tmp_path / "plugins"
    client = await make_client(
        *PLUGINS, env={"WEBMACS_PLUGIN_DIR": str(plugin_dir), "WEBMACS_MAX_WHEEL_BYTES": str(256 * 1024)}
    )
    admin = await auth_headers(client, "admin")

    async def chunks() -> Any:  # no Content-Length: the cap is enforced while streaming
        for _ in range(64):
            yield b"\0" * 16384

    with aiohttp.MultipartWriter("form-data") as writer:
        part = writer.append(chunks(), {"Content-Type": "application/octet-stream"})
        part.set_content_disposition("form-data", name="file", filename="big-1.0-py3-none-any.whl")
        resp = await client.post(UPLOAD, data=writer, headers=admin)
    assert resp.status == 413
    assert (await resp.json())["detail"] == "Wheel exceeds maximum size (50 MB)."
    assert files_in(plugin_dir) == []


async def test_upload_over_50_mb_is_413(env: Any) -> None:
    resp = await upload(env, b"\0" * (50 * 1024 * 1024 + 1), "big-1.0-py3-none-any.whl")
    assert resp.status == 413
    assert (await resp.json())["detail"] == "Wheel exceeds maximum size (50 MB)."
    assert files_in(env.plugin_dir) == []


async def test_only_admins_upload_and_remove(env: Any, auth_headers: Any, wheel_spec: Any) -> None:
    spec = wheel_spec()
    for role in ("viewer", "operator"):
        headers = await auth_headers(env, role)
        resp = await upload(env, spec.build(), spec.filename, headers=headers)
        assert resp.status == 403
        assert (await env.delete("/api/v1/plugins/packages/x", headers=headers)).status == 403
    assert (await upload(env, spec.build(), spec.filename, headers={})).status == 401
    resp = await env.post(UPLOAD, json={}, headers=env.admin)
    assert resp.status == 422
    assert files_in(env.plugin_dir) == []


async def test_good_wheel_installs_appears_in_catalogue_and_uninstalls(
    env: Any, wheel_spec: Any, make_client: Any, auth_headers: Any, tmp_path: Path
) -> None:
    spec = wheel_spec()
    data = spec.build()
    resp = await upload(env, data, spec.filename)
    assert resp.status == 201, await resp.text()
    assert (await resp.json())["message"] == (
        f"Plugin package '{spec.dist}' v1.0 installed ({len(data):,} bytes). "
        "Controllers install it when an instance needs it."
    )
    installed = files_in(env.plugin_dir)
    assert f"wheels/{spec.filename}" in installed
    assert f"site-packages/{spec.module}/__init__.py" in installed
    assert f"site-packages/{spec.dist_info}/RECORD" in installed
    assert not any(p.startswith(".tmp/") for p in installed)

    packages = await (await env.get("/api/v1/plugins/packages", headers=env.admin)).json()
    mine = next(p for p in packages if p["package_name"] == spec.dist)
    assert list(mine) == [
        "public_id",
        "package_name",
        "version",
        "source",
        "plugin_ids",
        "file_size_bytes",
        "installed_on",
        "removable",
    ]
    assert (mine["source"], mine["plugin_ids"], mine["removable"], mine["file_size_bytes"]) == (
        "uploaded",
        [spec.module],
        True,
        len(data),
    )
    assert [p["package_name"] for p in packages] == [spec.dist]  # uploaded packages only
    bundled_list = await (await env.get("/api/v1/plugins/bundled", headers=env.admin)).json()
    bundled = next(p for p in bundled_list if p["package_name"] == "webmacs-simulated")
    assert (bundled["source"], bundled["removable"], bundled["plugin_ids"]) == (
        "bundled",
        False,
        ["simulated"],
    )

    # The wheelhouse serves the file as uploaded, pinned by name, version and SHA-256.
    wheels = await (await env.get("/api/v1/plugins/wheelhouse", headers=env.admin)).json()
    sha256 = hashlib.sha256(data).hexdigest()
    assert wheels == [{"package_name": spec.dist, "version": "1.0", "filename": spec.filename,
                       "sha256": sha256, "size": len(data), "plugin_ids": [spec.module]}]
    url = f"/api/v1/plugins/wheelhouse/{spec.dist}/1.0/{sha256}"
    resp = await env.get(url, headers=env.admin)
    assert resp.status == 200 and await resp.read() == data
    assert (await env.get(url.replace(sha256, "0" * 64), headers=env.admin)).status == 404
    assert (await env.get(url.replace("/1.0/", "/1.1/"), headers=env.admin)).status == 404
    viewer = await auth_headers(env, "viewer")
    assert (await env.get(url, headers=viewer)).status == 403

    catalogue = await (await env.get("/api/v1/plugins/available", headers=env.admin)).json()
    probe = next(p for p in catalogue if p["id"] == spec.module)
    assert probe["name"] == "Acme Probe" and probe["url"] == "https://example.com/probe"
    assert [c["id"] for c in probe["channels"]] == ["level", "pump"]
    resp = await env.post(
        "/api/v1/plugins", json={"plugin_id": spec.module, "instance_name": "Tank"}, headers=env.admin
    )
    assert resp.status == 201
    events = (await (await env.get("/api/v1/events", headers=env.admin)).json())["data"]
    assert {(e["name"], e["type"]) for e in events} == {
        ("Tank \u2013 Level", "sensor"),
        ("Tank \u2013 Pump", "actuator"),
    }

    # The same file again, and the same package under another version: both conflicts.
    resp = await upload(env, data, spec.filename)
    assert (
        resp.status == 409 and (await resp.json())["detail"] == f"Package '{spec.filename}' already exists."
    )
    newer = wheel_spec(module=spec.module, version="1.1")
    resp = await upload(env, newer.build(), newer.filename)
    assert resp.status == 409 and "is already installed. Remove it first" in (await resp.json())["detail"]

    # A restarted server (new app, same directory and database) loads the uploaded driver again.
    again = await make_client(*PLUGINS, env={"WEBMACS_PLUGIN_DIR": str(env.plugin_dir)})
    headers = await auth_headers(again, "admin")
    ids = [p["id"] for p in await (await again.get("/api/v1/plugins/available", headers=headers)).json()]
    assert spec.module in ids

    bundled_resp = await env.delete(f"/api/v1/plugins/packages/{bundled['public_id']}", headers=env.admin)
    assert bundled_resp.status == 400
    assert (await bundled_resp.json())["detail"] == "Bundled plugins cannot be removed."

    resp = await env.delete(f"/api/v1/plugins/packages/{mine['public_id']}", headers=env.admin)
    assert resp.status == 200
    assert (await resp.json())["message"] == (
        f"Plugin package '{spec.dist}' uninstalled. Controllers unload it once no instance uses it."
    )
    assert files_in(env.plugin_dir) == []
    catalogue = await (await env.get("/api/v1/plugins/available", headers=env.admin)).json()
    assert spec.module not in [p["id"] for p in catalogue]
    assert spec.module not in sys.modules
    resp = await env.delete(f"/api/v1/plugins/packages/{mine['public_id']}", headers=env.admin)
    assert resp.status == 404
    assert (await resp.json())["detail"] == f"Plugin package '{mine['public_id']}' not found."

    # After removal the same package can be uploaded again.
    resp = await upload(env, data, spec.filename)
    assert resp.status == 201, await resp.text()
