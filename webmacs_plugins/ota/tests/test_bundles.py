"""Signed bundles: a good one is accepted and recorded; every bad one is refused with a clear 4xx and
a log entry, nothing is recorded, and nothing is written outside the update directory."""

from __future__ import annotations

import json
import random
import tarfile
from pathlib import Path

import aiohttp
from ota_support import PLUGINS, files_under, good_bundle, make_keys, make_wheel, members_of, resign, write_tar

from webmacs_sdk.ota import bundle

CAP = 300_000


async def _upload(client, headers, path: Path, name: str | None = None):
    form = aiohttp.FormData()
    data = path.read_bytes()  # noqa: ASYNC240 (a small test file)
    form.add_field("file", data, filename=name or path.name, content_type="application/gzip")
    resp = await client.post("/api/v1/ota/upload", data=form, headers=headers)
    return resp.status, await resp.json()


def _bad_bundles(work: Path, key: Path, stranger: Path) -> list[tuple[str, Path, int, str]]:
    """(what, bundle, expected status, words of the expected detail)."""
    good = good_bundle(work / "src", key)
    members = members_of(good)
    wheel = next(name for name in members if name.startswith("wheels/"))
    unsigned = {k: v for k, v in members.items() if k != bundle.SIGNATURE}
    tampered_manifest = {**members, bundle.MANIFEST: members[bundle.MANIFEST].replace(b"2.0.1", b"2.0.9")}
    tampered_wheel = {**members, wheel: members[wheel] + b"\0"}
    escape = work / "escaped.txt"
    big = make_wheel(work / "big", "acme_big", payload=random.Random(7).randbytes(CAP + 1000))

    def tar(name: str, files: dict[str, bytes], **kw) -> Path:
        return write_tar(work / f"{name}.tar.gz", files, **kw)

    return [
        ("unsigned", tar("unsigned", unsigned), 400, "not signed"),
        ("wrong key", good_bundle(work / "stranger", stranger), 400, "does not match any trusted key"),
        ("tampered manifest", tar("tm", tampered_manifest), 400, "does not match any trusted key"),
        ("tampered wheel", tar("tw", tampered_wheel), 400, "does not match its SHA-256"),
        ("downgrade", tar("down", resign(members, key, version="1.9.9")), 409, "downgrade refused"),
        ("same version", tar("same", resign(members, key, version="2.0.0")), 409, "already running"),
        ("too new to update from", tar("minfrom", resign(members, key, min_from_version="2.0.1")), 409,
         "needs at least version 2.0.1"),
        ("path traversal", tar("trav", {**members, "../escaped.txt": b"x"}), 400, "'../escaped.txt' is not allowed"),
        ("traversal in wheels/", tar("trav2", {**members, "wheels/../../escaped.whl": b"x"}), 400, "is not allowed"),
        ("absolute path", tar("abs", {**members, str(escape): b"x"}), 400, "is not allowed"),
        ("symlink", tar("sym", members, links={"wheels/evil.whl": (str(escape), tarfile.SYMTYPE)}), 400,
         "is a link"),
        ("hard link", tar("hard", members, links={"wheels/evil.whl": ("manifest.json", tarfile.LNKTYPE)}), 400,
         "is a link"),
        ("missing wheel", tar("missing", {k: v for k, v in members.items() if k != wheel}), 400,
         "missing the wheel"),
        ("unlisted wheel", tar("extra", {**members, "wheels/acme_x-1.0.0-py3-none-any.whl": b"PK"}), 400,
         "does not list"),
        ("not a tar.gz", _write(work / "junk.tar.gz", b"this is not gzip"), 400, "not a readable tar.gz"),
        ("duplicate member", _duplicate(work / "dup.tar.gz", members), 400, "appears twice"),
        ("bad manifest", tar("badjson", resign(members, key, targets=["toaster"])), 400, "'targets'"),
        ("oversize", good_bundle(work / "big", key, wheels=[big]), 413, "exceeds maximum allowed size"),
    ]


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _duplicate(path: Path, members: dict[str, bytes]) -> Path:
    import io

    with tarfile.open(path, "w:gz") as tar:
        for name, data in [*members.items(), (bundle.MANIFEST, members[bundle.MANIFEST])]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


async def test_bad_bundles_are_refused_and_leave_nothing_behind(make_client, auth_headers, tmp_path):
    key, public = make_keys(tmp_path / "keys")
    stranger, _ = make_keys(tmp_path / "keys", "stranger")
    work = tmp_path / "work"
    work.mkdir()
    cases = _bad_bundles(work, key, stranger)
    updates = tmp_path / "updates"
    env = {"WEBMACS_UPDATE_DIR": str(updates), "WEBMACS_OTA_TRUSTED_KEYS": public,
           "WEBMACS_OTA_MAX_BUNDLE_BYTES": str(CAP)}
    client = await make_client(*PLUGINS, env=env)
    admin = await auth_headers(client)
    good = good_bundle(work / "names", key)
    before = files_under(tmp_path)
    for what, path, status, words in cases:
        assert (path.stat().st_size > CAP) == (what == "oversize"), what
        got, body = await _upload(client, admin, path)
        assert got == status and words in body["detail"], (what, got, body)
    # Client-chosen names are never used as paths.
    assert await _upload(client, admin, good, "../../escaped.tar.gz") == (
        400, {"detail": "Bundle file name may only use letters, digits and . _ + - (no paths)."})
    assert await _upload(client, admin, good, "bundle.zip") == (
        400, {"detail": "File must be a .tar.gz update bundle."})
    assert (await client.post("/api/v1/ota/upload", data=aiohttp.FormData({"other": "x"}), headers=admin)).status == 422

    assert files_under(tmp_path) == before  # nothing new anywhere: not outside, not left in the update directory
    assert not (work / "escaped.txt").exists() and not (tmp_path / "escaped.tar.gz").exists()
    listing = await (await client.get("/api/v1/ota", headers=admin)).json()
    assert listing["total"] == 0
    logs = await (await client.get("/api/v1/logging/?page_size=100", headers=admin)).json()
    refusals = [e for e in logs["data"] if e["content"].startswith("OTA bundle '") and e["logging_type"] == "error"]
    assert len(refusals) == len(cases)


async def test_a_good_bundle_is_kept_and_recorded(make_client, auth_headers, tmp_path):
    key, public = make_keys(tmp_path / "keys")
    updates = tmp_path / "updates"
    env = {"WEBMACS_UPDATE_DIR": str(updates), "WEBMACS_OTA_TRUSTED_KEYS": public}
    client = await make_client(*PLUGINS, env=env)
    admin = await auth_headers(client)
    path = good_bundle(tmp_path, key, version="2.0.1")
    size = path.stat().st_size
    message = f"Bundle 'webmacs-update-2.0.1.tar.gz' uploaded ({size:,} bytes). Update will be applied automatically."
    assert await _upload(client, admin, path) == (201, {"status": "success", "message": message})
    assert (updates / path.name).read_bytes() == path.read_bytes()
    again = await _upload(client, admin, path)
    assert again == (409, {"detail": "Bundle 'webmacs-update-2.0.1.tar.gz' already exists."})
    listing = await (await client.get("/api/v1/ota", headers=admin)).json()
    [record] = listing["data"]
    assert (record["version"], record["status"], record["has_firmware_file"], record["file_size_bytes"]) == (
        "2.0.1", "pending", True, size)
    assert "file_path" not in record
    logs = await (await client.get("/api/v1/logging/?page_size=100", headers=admin)).json()
    assert any("bundle 'webmacs-update-2.0.1.tar.gz' received; not installed" in e["content"] for e in logs["data"])
    # Without the supervisor nothing can be installed: apply says so and changes nothing.
    resp = await client.post(f"/api/v1/ota/{record['public_id']}/apply", headers=admin)
    assert resp.status == 400 and "supervisor" in (await resp.json())["detail"]
    assert (await (await client.get(f"/api/v1/ota/{record['public_id']}", headers=admin)).json())["status"] == "pending"


async def test_untrusted_configuration_is_said_clearly(make_client, auth_headers, tmp_path):
    key, _ = make_keys(tmp_path / "keys")
    client = await make_client(*PLUGINS, env={"WEBMACS_UPDATE_DIR": str(tmp_path / "u")})
    admin = await auth_headers(client)
    status, body = await _upload(client, admin, good_bundle(tmp_path, key))
    assert (status, body["detail"]) == (400, "no trusted OTA keys are configured; no bundle can be accepted.")


def test_manifest_lists_every_wheel_with_its_hash(tmp_path):
    key, _ = make_keys(tmp_path / "keys")
    wheels = [make_wheel(tmp_path / "w", "acme_a"), make_wheel(tmp_path / "w", "acme_b", "2.0.0")]
    path = good_bundle(tmp_path, key, version="3.1.4", min_from="3.0.0", targets=("server", "controller"),
                       wheels=wheels)
    manifest = json.loads(members_of(path)[bundle.MANIFEST])
    assert manifest["version"] == "3.1.4" and manifest["min_from_version"] == "3.0.0"
    assert manifest["targets"] == ["server", "controller"]
    assert [(w["file"], w["sha256"], w["size"]) for w in manifest["wheels"]] == [
        (w.name, bundle.sha256_file(w), w.stat().st_size) for w in wheels]
