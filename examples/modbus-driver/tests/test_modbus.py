import tomllib
from collections.abc import AsyncIterator
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import pytest
from pymodbus.client import AsyncModbusTcpClient
from pymodbus.datastore import ModbusDeviceContext, ModbusSequentialDataBlock, ModbusServerContext
from pymodbus.server import ModbusTcpServer

from webmacs_example_modbus import ModbusSensorPlugin
from webmacs_sdk.device import PluginConnectionError, PluginState, scan_drivers
from webmacs_sdk.device.testing import DriverConformanceSuite
from webmacs_sdk.discovery import DRIVER_GROUP, PluginEntry


@pytest.fixture
async def modbus_port() -> AsyncIterator[int]:
    """pymodbus's own TCP server on a free loopback port: IR0 = 215.0 °C, IR1 = 12.34 L/min."""
    # Block address 1 is protocol address 0 (pymodbus keeps the classic one-based data model).
    inputs = ModbusSequentialDataBlock(1, [2150, 1234] + [0] * 14)
    holding = ModbusSequentialDataBlock(1, [4200] + [0] * 15)
    context = ModbusServerContext(devices={1: ModbusDeviceContext(ir=inputs, hr=holding)}, single=False)
    server = ModbusTcpServer(context, address=("127.0.0.1", 0))
    await server.serve_forever(background=True)
    assert server.transport is not None
    yield server.transport.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
    await server.shutdown()


async def holding_register(port: int) -> int:
    client = AsyncModbusTcpClient("127.0.0.1", port=port, timeout=2)
    await client.connect()
    reply = await client.read_holding_registers(0, count=1, device_id=1)
    client.close()
    return int(reply.registers[0])


class TestModbusConformance(DriverConformanceSuite):
    plugin_class = ModbusSensorPlugin

    @pytest.fixture
    def hardware_config(self, modbus_port: int) -> dict[str, Any]:
        return {"host": "127.0.0.1", "port": modbus_port}


def test_discovered_through_entry_point() -> None:
    """The entry point pyproject.toml declares leads a controller to the driver (the example is tested
    from its folder, not installed, so the declaration is read from the file)."""
    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    declared = project["project"]["entry-points"][DRIVER_GROUP]
    entries = [PluginEntry(name, "driver", EntryPoint(name, value, DRIVER_GROUP), None, None, None)
               for name, value in declared.items()]
    assert scan_drivers(entries).drivers["modbus_sensor"] is ModbusSensorPlugin


async def test_reads_converted_registers(modbus_port: int) -> None:
    plugin = ModbusSensorPlugin()
    plugin.configure({"host": "127.0.0.1", "port": modbus_port, "demo_mode": False})
    async with plugin:
        assert await plugin.read_all_inputs() == {"temperature": 215.0, "flow_rate": 12.34}
        assert await plugin.read("valve_setpoint") == 42.0


async def test_writes_scaled_and_clamped_setpoint(modbus_port: int) -> None:
    plugin = ModbusSensorPlugin()
    plugin.configure({"host": "127.0.0.1", "port": modbus_port, "demo_mode": False})
    async with plugin:
        await plugin.write("valve_setpoint", 55.5)
        assert await holding_register(modbus_port) == 5550
        assert await plugin.write("valve_setpoint", 250) == 100
        assert await holding_register(modbus_port) == 10000
    assert await holding_register(modbus_port) == 0  # safe value on disconnect


async def test_unreachable_device_is_a_connection_error(modbus_port: int) -> None:
    plugin = ModbusSensorPlugin()
    plugin.configure({"host": "127.0.0.1", "port": 1, "demo_mode": False, "timeout_seconds": 0.5})
    with pytest.raises(PluginConnectionError):
        await plugin.connect()
    assert plugin.state is PluginState.ERROR
