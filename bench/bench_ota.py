"""OTA figures: building and signing a bundle of the project's wheels, checking it as the server does,
and building the new version's environment beside the running one (offline install).

    .venv/bin/python bench/bench_ota.py            # all workspace wheels (uv build --all-packages)

Prints each step's wall time, the bundle's size and the new environment's own disk use (hard links
into the running environment are not counted twice)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from webmacs_sdk.ota import bundle, signing
from webmacs_sdk.ota.install import build_environment
from webmacs_sdk.ota.layout import Layout

REPO = Path(__file__).resolve().parents[1]


def _timed(label: str, fn, *args, **kwargs):
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    print(f"{label:<44} {time.perf_counter() - started:8.2f} s")
    return result


def _own_bytes(root: Path) -> int:
    total = 0
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            stat = path.stat()
            if stat.st_nlink == 1:
                total += stat.st_size
    return total


def main() -> None:
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="webmacs-bench-ota-") as scratch:
        work = Path(scratch)
        dist = work / "dist"
        uv = Path(sys.prefix) / "bin" / "uv"
        _timed("uv build --all-packages (wheels)", subprocess.run,
               [str(uv), "build", "--all-packages", "--wheel", "--offline", "--quiet", "--out-dir", str(dist)],
               cwd=REPO, check=True, capture_output=True)
        wheels = sorted(p for p in dist.glob("*.whl") if p.name.startswith("webmacs"))
        pem, public = signing.generate()
        (work / "k.key").write_bytes(pem)
        key = signing.load_private(work / "k.key")
        out = work / "webmacs-update-9.0.0.tar.gz"
        _timed(f"bundle and sign {len(wheels)} wheels", bundle.build, out, wheels, key, version="9.0.0",
               min_from_version="0.0.0", targets=["server"])
        print(f"{'bundle size':<44} {out.stat().st_size / 1e6:8.2f} MB")
        checked = _timed("check (unpack, signature, hashes)", bundle.check, out, work / "staging",
                         [signing.parse_public(public)], running_version="2.0.0", target="server",
                         max_bytes=500 * 2**20, max_unpacked=2 * 2**30)
        layout = Layout(work / "install")
        target = _timed("build environment beside the running one", build_environment, layout, "9.0.0",
                        checked.wheel_paths)
        print(f"{'new environment, bytes not shared':<44} {_own_bytes(target) / 1e6:8.2f} MB")


if __name__ == "__main__":
    main()
