import json
from pathlib import Path
from typing import Any

import pytest
import revpimodio2

from webmacs_revpi import RevPiDevice
from webmacs_sdk.device import ChannelDirection, PluginConnectionError, discover_plugins
from webmacs_sdk.device.testing import DriverConformanceSuite


def io(
    name: str, bits: int, byte: int, comment: str = "", bit: int | str = "", default: str = "0"
) -> list[Any]:
    return [name, default, str(bits), str(byte), True, "0000", comment, str(bit)]


def dio(bmk: str, name: str, position: int, offset: int, sfx: str = "") -> dict[str, Any]:
    """A DIO-like module: two digital inputs, an analog input, a digital and an analog output.

    IO names are unique across the whole configuration, as PiCtory enforces.
    """
    return {
        "GUID": f"guid-{bmk}",
        "id": "device_DIO",
        "type": "LEFT_RIGHT",
        "productType": "105",
        "position": str(position),
        "name": name,
        "bmk": bmk,
        "inpVariant": 0,
        "outVariant": 0,
        "comment": "",
        "offset": offset,
        "extend": {},
        "mem": {},
        "inp": {
            "0": io(f"Door{sfx}", 1, 0, "door contact", 0),
            "1": io(f"Alarm{sfx}", 1, 0, "", 1),
            "2": io(f"Temp{sfx}", 16, 2, "boiler temp °C"),
        },
        "out": {
            "0": io(f"Pump{sfx}", 1, 4, "", 0),
            "1": io(f"Setpoint{sfx}", 16, 6, "current mA", default="400"),
        },
    }


@pytest.fixture
def pictory(tmp_path: Path) -> dict[str, str]:
    config = {
        "App": {"name": "PiCtory", "version": "2.1", "saveTS": "20260101", "language": "en", "layout": {}},
        "Summary": {"inpTotal": 8, "outTotal": 8},
        "Devices": [dio("Boiler", "DIO_1", 32, 0), dio("Tank", "DIO_2", 33, 8, "_2")],
    }
    rsc = tmp_path / "config.rsc"
    rsc.write_text(json.dumps(config))
    img = tmp_path / "procimg"
    img.write_bytes(bytes(4096))
    return {"configrsc": str(rsc), "procimg": str(img)}


def write_raw(path: str, offset: int, data: bytes) -> None:
    with open(path, "r+b") as img:
        img.seek(offset)
        img.write(data)


def read_raw(path: str) -> bytes:
    return Path(path).read_bytes()


def field_side(files: dict[str, str]) -> Any:
    """The 'wiring' side: revpimodio2 in simulator mode, where inputs are writable and outputs readable."""
    return revpimodio2.RevPiModIO(autorefresh=False, simulator=True, **files)


class TestRevPiConformance(DriverConformanceSuite):
    plugin_class = RevPiDevice

    @pytest.fixture
    def hardware_config(self, pictory: dict[str, str]) -> dict[str, Any]:
        return pictory


class TestRevPiDemoSetConformance(DriverConformanceSuite):
    plugin_class = RevPiDevice
    default_config = {"configrsc": "/nonexistent/config.rsc"}


def test_discovered_by_id() -> None:
    assert discover_plugins()["revpi"] is RevPiDevice


def test_channels_from_pictory(pictory: dict[str, str]) -> None:
    device = RevPiDevice()
    device.configure({**pictory, "device_filter": ["Boiler"]})
    channels = {c.id: c for c in device.channels}
    assert list(channels) == [
        "Boiler__Door",
        "Boiler__Alarm",
        "Boiler__Temp",
        "Boiler__Pump",
        "Boiler__Setpoint",
    ]
    assert channels["Boiler__Door"].unit == "bool" and channels["Boiler__Door"].max_value == 1
    assert channels["Boiler__Temp"].unit == "°C" and channels["Boiler__Temp"].max_value == 65535
    assert channels["Boiler__Setpoint"].unit == "mA"
    assert channels["Boiler__Setpoint"].direction is ChannelDirection.OUTPUT
    assert channels["Boiler__Setpoint"].safe_value == 400


def test_fallback_demo_set_without_config() -> None:
    device = RevPiDevice()
    device.configure({"configrsc": "/nonexistent/config.rsc"})
    ids = [c.id for c in device.channels]
    assert len(ids) == 28 and ids[0] == "Input_1" and ids[-1] == "Output_14"


async def test_reads_inputs_from_the_process_image(pictory: dict[str, str]) -> None:
    field = field_side(pictory)
    field.io.Door.value = True  # first module
    field.io.Temp.value = 215
    field.writeprocimg()
    # second module's analog input written as raw little-endian bytes at offset 8 + 2
    write_raw(pictory["procimg"], 10, (1234).to_bytes(2, "little"))
    field.cleanup()

    device = RevPiDevice()
    device.configure({**pictory, "demo_mode": False})
    async with device:
        values = await device.read_all_inputs()
        assert await device.read("Boiler__Door") is True
    assert values["Boiler__Door"] is True
    assert values["Boiler__Alarm"] is False
    assert values["Boiler__Temp"] == 215
    assert values["Tank__Temp_2"] == 1234


async def test_writes_outputs_to_the_process_image(pictory: dict[str, str]) -> None:
    device = RevPiDevice()
    device.configure({**pictory, "demo_mode": False})
    async with device:
        await device.write("Boiler__Pump", 1)
        assert await device.write("Tank__Setpoint_2", 70000) == 65535  # clamped to 16 bits
        raw = read_raw(pictory["procimg"])
        assert raw[4] & 1 == 1
        assert int.from_bytes(raw[14:16], "little") == 65535
        field = field_side(pictory)
        field.readprocimg()
        assert field.io.Pump.value is True
        field.cleanup()
    # disconnect applied the safe values from the PiCtory defaults
    raw = read_raw(pictory["procimg"])
    assert raw[4] & 1 == 0
    assert int.from_bytes(raw[14:16], "little") == 400


async def test_missing_process_image_fails_connect(pictory: dict[str, str], tmp_path: Path) -> None:
    device = RevPiDevice()
    device.configure({**pictory, "procimg": str(tmp_path / "missing"), "demo_mode": False})
    with pytest.raises(PluginConnectionError):
        await device.connect()
