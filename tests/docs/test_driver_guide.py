"""docs/drivers.md works as written: its driver passes the conformance kit, hardware tests included."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from tutorial import files_of, run_tests, write_project

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
