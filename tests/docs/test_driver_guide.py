"""docs/drivers.md works as written: its driver passes the conformance kit, hardware tests included."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from tutorial import files_of, install_metadata, run_tests, write_project

from webmacs_sdk.discovery import find_plugins

PAGE = Path(__file__).resolve().parents[2] / "docs" / "drivers.md"


def test_the_guide_shows_a_whole_driver_with_its_tests():
    assert {"pyproject.toml", "acme_kiln_io/__init__.py", "tests/test_kiln_io.py"} <= set(files_of(PAGE))


def test_the_driver_passes_the_conformance_kit_and_its_own_tests(tmp_path):
    write_project(PAGE, tmp_path)
    outcomes = run_tests(tmp_path, "acme_kiln_io")
    assert not outcomes.skipped, f"skipped: {outcomes.skipped}"  # the hardware tests ran on the stand-in files
    conformance = [n for n in outcomes.passed if "TestKilnIoConformance" in n]
    assert any("test_hardware_safe_state_on_disconnect" in n for n in conformance)
    assert len(outcomes.passed) - len(conformance) == 2


def test_installed_it_is_found_as_a_driver_without_being_imported(tmp_path):
    project, site = tmp_path / "project", tmp_path / "site"
    write_project(PAGE, project)
    install_metadata(project, site)
    found = {entry.name: entry for entry in find_plugins(path=[site])}
    assert found["kiln_io"].kind == "driver" and "acme_kiln_io" not in sys.modules
    assert found["kiln_io"].distribution == "acme-kiln-io"
