"""Files shown in a documentation page: every fenced block with ``title="<path>"`` is that file, whole."""

import re
import sys
from pathlib import Path

import pytest

_FENCE = re.compile(r'^```[\w+-]*[ \t]+title="(?P<path>[^"]+)"[^\n]*\n(?P<body>.*?)^```[ \t]*$', re.S | re.M)


def files_of(page: Path) -> dict[str, str]:
    """``{relative path: content}`` of the files a page shows; a path shown twice is an error."""
    files: dict[str, str] = {}
    for match in _FENCE.finditer(page.read_text()):
        path = match["path"]
        assert path not in files, f"{page.name} shows {path} twice"
        files[path] = match["body"]
    return files


def write_project(page: Path, root: Path) -> dict[str, str]:
    """Write the files a page shows under ``root``; returns them."""
    files = files_of(page)
    for path, body in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body)
    return files


class Outcomes:
    """What a pytest run did, test by test (a pytest plugin object)."""

    def __init__(self) -> None:
        self.passed: list[str] = []
        self.skipped: list[str] = []
        self.failed: list[str] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed:
            self.failed.append(f"{report.nodeid}: {report.longreprtext}")
        elif report.skipped:
            self.skipped.append(report.nodeid)
        elif report.when == "call":
            self.passed.append(report.nodeid)


def run_tests(project: Path, package: str, *args: str) -> Outcomes:
    """Run the project's own tests (its pyproject.toml is their configuration), in this process."""

    def forget() -> None:
        for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
            del sys.modules[name]

    outcomes = Outcomes()
    sys.path.insert(0, str(project))
    forget()
    try:
        code = pytest.main(
            [str(project / "tests"), "-q", "-p", "no:cacheprovider", "--import-mode=importlib",
             "--rootdir", str(project), "-c", str(project / "pyproject.toml"), *args],
            plugins=[outcomes],
        )
    finally:
        sys.path.remove(str(project))
        forget()
    assert not outcomes.failed, "\n".join(outcomes.failed)
    assert code == 0, f"pytest exited with {code}"
    return outcomes


def install_metadata(project: Path, site: Path) -> Path:
    """What ``pip install`` leaves for the project in ``site``: a dist-info with its entry points."""
    import tomllib

    metadata = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    info = site / f"{metadata['name'].replace('-', '_')}-{metadata['version']}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {metadata['name']}\nVersion: {metadata['version']}\n")
    lines = []
    for group, entries in metadata.get("entry-points", {}).items():
        lines += [f"[{group}]", *(f"{name} = {value}" for name, value in entries.items()), ""]
    (info / "entry_points.txt").write_text("\n".join(lines))
    return info
