"""``webmacs ota keygen|bundle|verify``: the operator's tools, run as the command line runs them."""

from __future__ import annotations

import json

from ota_support import make_wheel, members_of, write_tar

from webmacs_core.cli import main
from webmacs_sdk.ota import bundle


def test_keygen_bundle_verify_round_trip(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["ota", "keygen", "keys/release"]) == 0
    assert oct((tmp_path / "keys/release.key").stat().st_mode & 0o777) == "0o600"
    public = (tmp_path / "keys/release.pub").read_text().strip()
    assert public.startswith("ed25519:")
    assert main(["ota", "keygen", "keys/release"]) == 1
    assert "refusing to overwrite" in capsys.readouterr().err

    wheels = [make_wheel(tmp_path / "dist", "webmacs", "2.1.0"), make_wheel(tmp_path / "dist", "acme_tool", "1.0.0")]
    assert main(["ota", "bundle", "--key", "keys/release.key", "--min-from", "2.0.0",
                 *map(str, wheels)]) == 0
    assert "webmacs-update-2.1.0.tar.gz: version 2.1.0 for server, 2 wheels" in capsys.readouterr().out

    bundle_file = "webmacs-update-2.1.0.tar.gz"
    assert main(["ota", "verify", "--key", "keys/release.pub", bundle_file, "--running", "2.0.0"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["version"] == "2.1.0" and report["min_from_version"] == "2.0.0" and len(report["wheels"]) == 2

    monkeypatch.setenv("WEBMACS_OTA_TRUSTED_KEYS", public)
    assert main(["ota", "verify", "webmacs-update-2.1.0.tar.gz"]) == 0
    capsys.readouterr()
    assert main(["ota", "verify", "webmacs-update-2.1.0.tar.gz", "--running", "2.1.0"]) == 1
    assert capsys.readouterr().err.strip().endswith("bundle version 2.1.0 is the version already running.")
    assert main(["ota", "verify", "webmacs-update-2.1.0.tar.gz", "--target", "controller"]) == 1
    assert "not for the controller" in capsys.readouterr().err

    members = members_of(tmp_path / "webmacs-update-2.1.0.tar.gz")
    members[bundle.MANIFEST] = members[bundle.MANIFEST].replace(b"2.0.0", b"1.0.0")
    write_tar(tmp_path / "tampered.tar.gz", members)
    assert main(["ota", "verify", "tampered.tar.gz"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "does not match any trusted key" in err


def test_bundle_refuses_what_it_cannot_sign(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    main(["ota", "keygen", "k"])
    capsys.readouterr()
    wheel = make_wheel(tmp_path, "acme_tool")
    assert main(["ota", "bundle", "--key", "k.key", str(wheel)]) == 1
    assert "--version is needed" in capsys.readouterr().err
    assert main(["ota", "bundle", "--key", "k.pub", "--version", "1.0.0", str(wheel)]) == 1
    assert "not an unencrypted PEM private key" in capsys.readouterr().err
    assert main(["ota", "bundle", "--key", "k.key", "--version", "v1", str(wheel)]) == 1
    assert "is not a version X.Y.Z" in capsys.readouterr().err
