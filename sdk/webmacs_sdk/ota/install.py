"""Building a version's environment beside the running one, offline.

The new environment is a fresh virtual environment of the same interpreter. The running
environment's installed packages are linked into it (hard links where the file system allows,
so it costs little space and nothing the running version uses is touched), its console scripts
are copied with their interpreter line pointing at the new environment, and then the bundle's
wheels are installed over them with no package index: ``uv pip install --offline --no-index``
when uv is available, else pip. A dependency the bundle needs and the running environment lacks
must therefore be in the bundle.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Sequence
from pathlib import Path

from webmacs_sdk.ota.layout import COMPLETE_MARKER, Layout


class InstallFailed(Exception):
    """The new environment could not be built; the message is the reason (last lines of output)."""


def _site_packages(prefix: Path) -> Path:
    relative = Path(sysconfig.get_path("purelib")).relative_to(sys.prefix)
    return prefix / relative


def _link_or_copy(source: str, destination: str) -> None:
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)


def _copy_scripts(source: Path, target: Path) -> None:
    """Console scripts of the running environment, re-pointed at the new interpreter."""
    old_python = str(source / "bin" / "python")
    new_line = f"#!{target / 'bin' / 'python'}\n".encode()
    for script in (source / "bin").iterdir():
        name = script.name
        if name.startswith(("python", "activate", "Activate")) or not script.is_file() or script.is_symlink():
            continue
        destination = target / "bin" / name
        if destination.exists():
            continue
        with script.open("rb") as fh:
            first = fh.readline()
        if not (first.startswith(b"#!") and first[2:].decode(errors="replace").startswith(old_python)):
            _link_or_copy(str(script), str(destination))  # a binary or a script for another interpreter
            continue
        destination.write_bytes(new_line + script.read_bytes()[len(first):])
        destination.chmod(script.stat().st_mode & 0o777)


def _installer(python: Path, find_links: Path, wheels: Sequence[Path]) -> list[str]:
    uv = shutil.which("uv", path=os.pathsep.join([str(Path(sys.prefix) / "bin"), os.environ.get("PATH", "")]))
    if uv:
        return [uv, "pip", "install", "--python", str(python), "--offline", "--no-index",
                "--find-links", str(find_links), "--quiet", *map(str, wheels)]
    return [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-index",
            "--find-links", str(find_links), "--quiet", "--disable-pip-version-check", *map(str, wheels)]


def _run(command: list[str], what: str, timeout: float) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise InstallFailed(f"{what} took longer than {timeout:.0f} s") from None
    except OSError as exc:
        raise InstallFailed(f"{what} could not start: {exc}") from None
    if done.returncode != 0:
        tail = " ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
        raise InstallFailed(f"{what} failed: {tail}")


def build_environment(layout: Layout, version: str, wheels: Sequence[Path], *, source: Path | None = None,
                      timeout: float = 600.0) -> Path:
    """Create ``versions/<version>`` from the running environment plus ``wheels``; returns its path.

    An unfinished earlier attempt at the same version is removed first; the running version's
    environment is never touched.

    :raises InstallFailed: with the installer's last lines of output.
    """
    layout.ensure()
    source = source or Path(sys.prefix)
    target = layout.version_dir(version)
    if layout.link_target(layout.current) == version:
        raise InstallFailed(f"version {version} is the running version")
    if target.exists():
        shutil.rmtree(target)
    try:
        _run([sys.executable, "-m", "venv", "--without-pip", str(target)], "creating the environment", timeout)
        shutil.copytree(_site_packages(source), _site_packages(target), dirs_exist_ok=True,
                        copy_function=_link_or_copy, symlinks=True)
        _copy_scripts(source, target)
        if wheels:
            _run(_installer(target / "bin" / "python", wheels[0].parent, wheels), "installing the wheels", timeout)
        (target / COMPLETE_MARKER).write_text(version + "\n")
    except InstallFailed:
        shutil.rmtree(target, ignore_errors=True)
        raise
    except OSError as exc:
        shutil.rmtree(target, ignore_errors=True)
        raise InstallFailed(f"building the environment failed: {exc}") from None
    return target
