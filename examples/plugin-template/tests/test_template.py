from typing import Any

import pytest

from webmacs_plugin_template import TemplateDevice
from webmacs_sdk.device.testing import DriverConformanceSuite


class TestTemplateConformance(DriverConformanceSuite):
    """Inherits the standard driver tests; the hardware ones run because hardware_config is given."""

    plugin_class = TemplateDevice

    @pytest.fixture
    def hardware_config(self) -> dict[str, Any]:
        return {"address": "127.0.0.1"}


async def test_reads_and_writes_the_device() -> None:
    device = TemplateDevice()
    device.configure({"demo_mode": False})
    async with device:
        assert await device.read("temperature") == 21.5
        assert await device.write("heater", 150) == 100  # clamped to the channel range
