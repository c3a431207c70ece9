import importlib.metadata

from webmacs_sdk.device import discover_plugins
from webmacs_sdk.device.testing import DriverConformanceSuite
from webmacs_simulated import SimulatedDevice


class TestSimulatedConformance(DriverConformanceSuite):
    plugin_class = SimulatedDevice


def test_registered_through_entry_point() -> None:
    names = {ep.name for ep in importlib.metadata.entry_points(group="webmacs.plugins")}
    assert "simulated" in names
    assert discover_plugins()["simulated"] is SimulatedDevice


async def test_demo_mode_is_forced() -> None:
    device = SimulatedDevice()
    device.configure({"instance_name": "lab", "demo_mode": False})
    assert device.is_demo_mode
    async with device:
        values = await device.read_all_inputs()
    assert len(values) == 7
    assert 20 <= values["temp_reactor"] <= 500


async def test_same_instance_name_reproduces_noise() -> None:
    a, b = SimulatedDevice(), SimulatedDevice()
    a.configure({"instance_name": "same"})
    b.configure({"instance_name": "same"})
    ch = a.get_channel("pressure_chamber")
    seq_a = [a._simulator.sample(ch, 1.0) for _ in range(5)]
    seq_b = [b._simulator.sample(ch, 1.0) for _ in range(5)]
    assert seq_a == seq_b
    assert len(set(seq_a)) > 1  # a walk, not a constant
