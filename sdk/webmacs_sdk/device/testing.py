"""Conformance kit for driver authors.

Subclass :class:`DriverConformanceSuite` in your own tests and set ``plugin_class``::

    class TestMyDriver(DriverConformanceSuite):
        plugin_class = MyDriver
        default_config = {"host": "127.0.0.1"}

Every test below then runs against your driver in demo mode. Override the ``hardware_config`` fixture to
return a configuration that reaches a real (or locally simulated) device and the hardware tests run too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, ClassVar

import pytest
import pytest_asyncio

from .base import DevicePlugin
from .channels import ChannelDescriptor, ChannelDirection
from .config import PluginInstanceConfig
from .errors import CapabilityNotFoundError, PluginError, PluginStateError
from .health import HealthReport
from .meta import PluginMeta
from .types import PluginState


def _outputs(plugin: DevicePlugin) -> list[ChannelDescriptor]:
    return [c for c in plugin.channels if c.is_writable]


def _inputs(plugin: DevicePlugin) -> list[ChannelDescriptor]:
    return [c for c in plugin.channels if c.is_readable]


class DriverConformanceSuite:
    """Standard behaviour every WebMACS device driver must show; inherit it in a ``Test*`` class."""

    plugin_class: ClassVar[type[DevicePlugin]]
    default_config: ClassVar[dict[str, Any]] = {}

    def make_plugin(self, **overrides: Any) -> DevicePlugin:
        """A configured instance of the driver with ``default_config`` plus ``overrides``."""
        plugin = self.plugin_class()
        plugin.configure({"instance_name": "conformance", **self.default_config, **overrides})
        return plugin

    @pytest_asyncio.fixture
    async def plugin(self) -> AsyncIterator[DevicePlugin]:
        """A configured demo-mode instance, disconnected after the test."""
        plugin = self.make_plugin(demo_mode=True)
        yield plugin
        await plugin.disconnect()

    @pytest.fixture
    def hardware_config(self) -> dict[str, Any] | None:
        """Override to return a config reaching a device; ``None`` skips the hardware tests."""
        return None

    @pytest_asyncio.fixture
    async def hardware_plugin(self, hardware_config: dict[str, Any] | None) -> AsyncIterator[DevicePlugin]:
        """A connected non-demo instance, or a skip when no ``hardware_config`` is provided."""
        if hardware_config is None:
            pytest.skip("no hardware_config for this driver")
        plugin = self.make_plugin(**{**hardware_config, "demo_mode": False})
        await plugin.connect()
        yield plugin
        await plugin.disconnect()

    # ------------------------------------------------------------------ metadata (the upstream 13 begin here)

    def test_meta_is_plugin_meta(self) -> None:
        assert isinstance(self.plugin_class.meta, PluginMeta)

    def test_meta_required_fields(self) -> None:
        meta = self.plugin_class.meta
        assert meta.id and meta.name and meta.version

    def test_meta_id_is_lowercase_without_spaces(self) -> None:
        meta_id = self.plugin_class.meta.id
        assert meta_id == meta_id.lower()
        assert " " not in meta_id

    def test_has_channels(self, plugin: DevicePlugin) -> None:
        assert plugin.channels

    def test_channel_directions_are_enum(self, plugin: DevicePlugin) -> None:
        assert all(isinstance(c.direction, ChannelDirection) for c in plugin.channels)

    def test_channel_ids_unique(self, plugin: DevicePlugin) -> None:
        ids = [c.id for c in plugin.channels]
        assert len(ids) == len(set(ids))

    def test_channels_have_units(self, plugin: DevicePlugin) -> None:
        missing = [c.id for c in plugin.channels if not c.unit]
        assert not missing, f"channels without unit: {missing}"

    async def test_connect_disconnect_cycle(self, plugin: DevicePlugin) -> None:
        await plugin.connect()
        assert plugin.state is PluginState.CONNECTED
        await plugin.disconnect()
        assert plugin.state is PluginState.DISCONNECTED

    async def test_double_disconnect_is_safe(self, plugin: DevicePlugin) -> None:
        await plugin.connect()
        await plugin.disconnect()
        await plugin.disconnect()
        assert plugin.state is PluginState.DISCONNECTED

    async def test_demo_read_returns_values(self, plugin: DevicePlugin) -> None:
        await plugin.connect()
        for channel in _inputs(plugin):
            assert await plugin.read(channel.id) is not None, channel.id

    async def test_demo_write_zero_to_outputs(self, plugin: DevicePlugin) -> None:
        await plugin.connect()
        for channel in _outputs(plugin):
            await plugin.write(channel.id, 0)

    async def test_apply_safe_state_while_connected(self, plugin: DevicePlugin) -> None:
        await plugin.connect()
        applied = await plugin.apply_safe_state()
        expected = {c.id for c in _outputs(plugin) if c.safe_value is not None}
        assert set(applied) == expected

    async def test_health_report_healthy_while_connected(self, plugin: DevicePlugin) -> None:
        await plugin.connect()
        report = plugin.health_check()
        assert isinstance(report, HealthReport)
        assert report.is_healthy
        assert report.to_dict()["is_healthy"] is True

    # ------------------------------------------------------------------ beyond upstream

    def test_meta_to_dict_has_eight_keys(self) -> None:
        assert set(self.plugin_class.meta.to_dict()) == {
            "id", "name", "version", "vendor", "description", "protocol", "url", "tags",
        }

    def test_config_schema_is_exposable(self) -> None:
        assert issubclass(self.plugin_class.config_schema, PluginInstanceConfig)
        schema = self.plugin_class.config_schema.model_json_schema()
        assert "demo_mode" in schema["properties"]

    async def test_demo_values_within_range(self, plugin: DevicePlugin) -> None:
        await plugin.connect()
        for _ in range(3):
            values = await plugin.read_all_inputs()
            assert set(values) == {c.id for c in _inputs(plugin)}
            for channel in _inputs(plugin):
                value = values[channel.id]
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    assert channel.min_value <= value <= channel.max_value, (channel.id, value)

    async def test_writes_are_clamped_to_range(self, plugin: DevicePlugin) -> None:
        await plugin.connect()
        for channel in _outputs(plugin):
            assert await plugin.write(channel.id, channel.max_value + 1000) == channel.max_value
            assert plugin.written_values[channel.id] == channel.max_value
            assert await plugin.write(channel.id, channel.min_value - 1000) == channel.min_value

    async def test_safe_values_applied_on_disconnect(self, plugin: DevicePlugin) -> None:
        await plugin.connect()
        safe = {c.id: c.safe_value for c in _outputs(plugin) if c.safe_value is not None}
        for channel in _outputs(plugin):
            await plugin.write(channel.id, channel.max_value)
        await plugin.disconnect()
        for cid, value in safe.items():
            assert plugin.written_values[cid] == value

    async def test_write_to_input_is_rejected(self, plugin: DevicePlugin) -> None:
        await plugin.connect()
        pure_inputs = [c for c in plugin.channels if c.direction is ChannelDirection.INPUT]
        for channel in pure_inputs:
            with pytest.raises(PluginStateError):
                await plugin.write(channel.id, 1)

    async def test_unknown_channel_is_reported(self, plugin: DevicePlugin) -> None:
        await plugin.connect()
        with pytest.raises(CapabilityNotFoundError) as info:
            await plugin.read("no-such-channel")
        assert str(info.value).startswith(f"[{self.plugin_class.meta.id}]")

    async def test_connect_requires_configure(self) -> None:
        with pytest.raises(PluginError):
            await self.plugin_class().connect()

    async def test_async_context_manager(self, plugin: DevicePlugin) -> None:
        async with plugin as running:
            assert running.state is PluginState.CONNECTED
        assert plugin.state is PluginState.DISCONNECTED

    # ------------------------------------------------------------------ hardware (opt-in)

    async def test_hardware_reads_every_input(self, hardware_plugin: DevicePlugin) -> None:
        values = await hardware_plugin.read_all_inputs()
        missing = [cid for cid, v in values.items() if v is None]
        assert not missing, f"no value for {missing}: {hardware_plugin.last_error}"

    async def test_hardware_safe_state_on_disconnect(self, hardware_plugin: DevicePlugin) -> None:
        safe = {c.id: c.safe_value for c in _outputs(hardware_plugin) if c.safe_value is not None}
        await hardware_plugin.disconnect()
        assert hardware_plugin.state is PluginState.DISCONNECTED
        for cid, value in safe.items():
            assert hardware_plugin.written_values[cid] == value
