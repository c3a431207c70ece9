"""The SDK's one wheel installer, shared by the server's plugin directory and the controller's."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from webmacs_sdk.plugindir import install_wheel_files
from webmacs_sdk.wheelcheck import WheelRejected


def written(folder: Path, spec) -> tuple[Path, Path]:
    """The wheel's file and an empty staging directory, in ``folder`` (made)."""
    staging = folder / "staging"
    staging.mkdir(parents=True)
    wheel = folder / spec.filename
    wheel.write_bytes(spec.build())
    return wheel, staging


def test_the_packages_and_dist_info_are_staged_with_the_installer_named(
    tmp_path: Path, wheel_spec: Callable[..., object]
) -> None:
    spec = wheel_spec(module="acme_lib_user")
    # A top-level package called ``lib`` must not collide with where the installer writes first.
    spec.files = {**spec.files, "lib/__init__.py": b"NAME = 'lib'\n", "acme_tool.py": b"X = 1\n"}
    wheel, staging = written(tmp_path, spec)
    entries = install_wheel_files(wheel, staging, installer="webmacs-test")
    assert sorted(entry.name for entry in entries) == sorted(
        ["acme_lib_user", "acme_tool.py", "lib", spec.dist_info]
    )
    assert sorted(path.name for path in staging.iterdir()) == sorted(entry.name for entry in entries)
    assert (staging / "lib" / "__init__.py").read_text() == "NAME = 'lib'\n"
    assert (staging / spec.dist_info / "INSTALLER").read_text() == "webmacs-test\n"


def test_a_wheel_writing_outside_its_packages_or_not_matching_its_record_is_refused(
    tmp_path: Path, wheel_spec: Callable[..., object]
) -> None:
    spec = wheel_spec()
    data_dir = spec.dist_info.removesuffix(".dist-info") + ".data"
    spec.files = {**spec.files, f"{data_dir}/scripts/acme-run": b"#!/bin/sh\n"}
    wheel, staging = written(tmp_path, spec)
    with pytest.raises(WheelRejected, match="wrote scripts outside its packages") as refused:
        install_wheel_files(wheel, staging, installer="webmacs-test")
    assert refused.value.status == 500

    spec = wheel_spec()
    spec.tamper = {next(iter(spec.files)): b"changed after RECORD\n"}
    wheel, staging = written(tmp_path / "tampered", spec)
    with pytest.raises(WheelRejected, match="Plugin install failed") as failed:
        install_wheel_files(wheel, staging, installer="webmacs-test")
    assert failed.value.status == 500
