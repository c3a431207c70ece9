import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from ota_e2e import WheelBuilds


@pytest.fixture(scope="session")
def wheel_builds(tmp_path_factory: pytest.TempPathFactory) -> WheelBuilds:
    """Builds of the project's wheels under other versions, each made once per test session."""
    return WheelBuilds(tmp_path_factory.mktemp("ota-builds"))
