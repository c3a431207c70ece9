"""Example third-party driver: a Modbus TCP sensor with a valve output, built only on ``webmacs_sdk``.

Register map (Modbus protocol addresses, unit ``unit_id``):

* input register 0: temperature in tenths of °C (``divide`` by 10)
* input register 1: flow rate in hundredths of L/min (``linear`` scale 0.01)
* holding register 0: valve setpoint in hundredths of % (``linear`` 0.01 both ways)
"""

from __future__ import annotations

from pydantic import Field
from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ModbusException

from webmacs_sdk.device import (
    ChannelDescriptor,
    ChannelDirection,
    ChannelValue,
    ConversionSpec,
    DevicePlugin,
    PluginInstanceConfig,
    PluginMeta,
    SimulationSpec,
)
from webmacs_sdk.markers import hookimpl

__all__ = ["ModbusSensorConfig", "ModbusSensorPlugin", "webmacs_register_drivers"]

_INPUT_REGISTERS = {"temperature": 0, "flow_rate": 1}
_HOLDING_REGISTERS = {"valve_setpoint": 0}


class ModbusSensorConfig(PluginInstanceConfig):
    """Where the Modbus TCP device is."""

    host: str = Field(default="192.168.1.1", json_schema_extra={"ui_order": 10})
    port: int = Field(default=502, ge=1, le=65535, json_schema_extra={"ui_order": 11})
    unit_id: int = Field(default=1, ge=0, le=247, json_schema_extra={"ui_order": 12})
    timeout_seconds: float = Field(default=3.0, ge=0.5, le=30, json_schema_extra={"ui_order": 13})


class ModbusSensorPlugin(DevicePlugin):
    """Temperature and flow sensor with a proportional valve, over Modbus TCP."""

    meta = PluginMeta(
        id="modbus_sensor",
        name="Modbus TCP Sensor",
        version="0.1.0",
        vendor="Example Corp",
        description="Reads temperature and flow and drives a valve over Modbus TCP.",
        protocol="modbus-tcp",
        tags=["modbus", "example"],
    )
    config_schema = ModbusSensorConfig

    def __init__(self) -> None:
        super().__init__()
        self._client: AsyncModbusTcpClient | None = None

    @property
    def _cfg(self) -> ModbusSensorConfig:
        config = self.config
        assert isinstance(config, ModbusSensorConfig)
        return config

    def get_channels(self) -> list[ChannelDescriptor]:
        """Two measured inputs and one valve output."""
        return [
            ChannelDescriptor(
                id="temperature",
                name="Temperature",
                direction=ChannelDirection.INPUT,
                unit="°C",
                min_value=0,
                max_value=500,
                read_conversion=ConversionSpec(type="divide", divisor=10),
                simulation=SimulationSpec(base_value=180, amplitude=40, period_seconds=90, noise=0.5),
            ),
            ChannelDescriptor(
                id="flow_rate",
                name="Flow Rate",
                direction=ChannelDirection.INPUT,
                unit="L/min",
                min_value=0,
                max_value=100,
                read_conversion=ConversionSpec(type="linear", scale=0.01),
                simulation=SimulationSpec(profile="random_walk", base_value=40, amplitude=3),
            ),
            ChannelDescriptor(
                id="valve_setpoint",
                name="Valve Setpoint",
                direction=ChannelDirection.OUTPUT,
                unit="%",
                min_value=0,
                max_value=100,
                safe_value=0,
                read_conversion=ConversionSpec(type="linear", scale=0.01),
                write_conversion=ConversionSpec(type="linear", scale=0.01),
            ),
        ]

    async def _do_connect(self) -> None:
        cfg = self._cfg
        client = AsyncModbusTcpClient(cfg.host, port=cfg.port, timeout=cfg.timeout_seconds, retries=1)
        if not await client.connect():
            client.close()
            raise ConnectionError(f"no Modbus TCP device at {cfg.host}:{cfg.port}")
        self._client = client

    async def _do_disconnect(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _require_client(self) -> AsyncModbusTcpClient:
        if self._client is None:
            raise ConnectionError("not connected")
        return self._client

    async def _do_read(self, channel_id: str) -> ChannelValue | None:
        client = self._require_client()
        if channel_id in _INPUT_REGISTERS:
            reply = await client.read_input_registers(
                _INPUT_REGISTERS[channel_id], count=1, device_id=self._cfg.unit_id
            )
        else:
            reply = await client.read_holding_registers(
                _HOLDING_REGISTERS[channel_id], count=1, device_id=self._cfg.unit_id
            )
        if reply.isError():
            raise ModbusException(f"reading {channel_id} failed: {reply}")
        return int(reply.registers[0])

    async def _do_write(self, channel_id: str, value: float) -> None:
        client = self._require_client()
        # Registers hold unsigned 16-bit integers; the SDK already clamped the engineering value.
        raw = max(0, min(round(value), 0xFFFF))
        reply = await client.write_register(_HOLDING_REGISTERS[channel_id], raw, device_id=self._cfg.unit_id)
        if reply.isError():
            raise ModbusException(f"writing {channel_id} failed: {reply}")


@hookimpl
def webmacs_register_drivers() -> list[type[DevicePlugin]]:
    """The Modbus sensor driver."""
    return [ModbusSensorPlugin]
