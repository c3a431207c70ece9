"""Channel discovery from a PiCtory configuration file (``config.rsc``), without touching hardware."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from webmacs_sdk.device import ChannelDescriptor, ChannelDirection, SimulationSpec

#: Where RevPi OS keeps the PiCtory configuration, newest layout first.
DEFAULT_CONFIG_PATHS = ("/etc/revpi/config.rsc", "/opt/KUNBUS/config.rsc")


@dataclass(frozen=True)
class IoPoint:
    """One IO of the process image as PiCtory declares it."""

    channel_id: str
    io_name: str
    direction: ChannelDirection
    bit_length: int
    default: float
    comment: str


def find_config(configured: str | None) -> Path | None:
    """The configuration file to use: the configured one, else the first default that exists."""
    candidates = [configured] if configured else list(DEFAULT_CONFIG_PATHS)
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def _points(device: dict[str, Any], section: str, direction: ChannelDirection) -> Iterable[IoPoint]:
    prefix = device.get("bmk") or device.get("name") or f"pos{device.get('position')}"
    entries = device.get(section) or {}
    for key in sorted(entries, key=int):
        name, default, bits, _addr, _export, _sort, comment, *_ = entries[key]
        try:
            default_value = float(default)
        except (TypeError, ValueError):
            default_value = 0.0
        yield IoPoint(f"{prefix}__{name}", str(name), direction, int(bits), default_value, str(comment or ""))


def read_io_points(path: Path, device_filter: Iterable[str] = ()) -> list[IoPoint]:
    """Inputs and outputs of every device (or only those whose bmk or name is in ``device_filter``)."""
    config = json.loads(path.read_text(encoding="utf-8"))
    wanted = set(device_filter)
    points: list[IoPoint] = []
    for device in config.get("Devices", []):
        if wanted and not ({device.get("bmk"), device.get("name")} & wanted):
            continue
        points.extend(_points(device, "inp", ChannelDirection.INPUT))
        points.extend(_points(device, "out", ChannelDirection.OUTPUT))
    return points


def guess_unit(point: IoPoint) -> str:
    """Unit from the IO comment (PiCtory has no unit field); single bits are booleans."""
    if point.bit_length == 1:
        return "bool"
    text = point.comment.lower()
    if "°c" in text or "degc" in text or "temp" in text:
        return "°C"
    if "ma" in text.split() or "ma" in text:
        return "mA"
    if "mv" in text or " v" in f" {text}":
        return "V"
    return "raw"


def to_channel(point: IoPoint) -> ChannelDescriptor:
    """Channel descriptor of one IO; the range is the raw range of its bit length."""
    is_bit = point.bit_length == 1
    return ChannelDescriptor(
        id=point.channel_id,
        name=point.io_name,
        direction=point.direction,
        data_type="bool" if is_bit else "int",
        unit=guess_unit(point),
        min_value=0,
        max_value=1 if is_bit else float(2**point.bit_length - 1),
        safe_value=point.default if point.direction is ChannelDirection.OUTPUT else None,
        simulation=SimulationSpec(profile="step", base_value=0.5, amplitude=0.5, period_seconds=5)
        if is_bit
        else SimulationSpec(base_value=2**point.bit_length / 4, amplitude=2**point.bit_length / 8),
        ui_hints={"comment": point.comment} if point.comment else {},
    )


def demo_channels() -> list[ChannelDescriptor]:
    """The 28 channels shown when no PiCtory configuration is available: 14 digital inputs and outputs."""
    channels = [
        ChannelDescriptor(
            id=f"Input_{i}",
            name=f"Input {i}",
            direction=ChannelDirection.INPUT,
            data_type="bool",
            unit="bool",
            max_value=1,
            simulation=SimulationSpec(profile="step", base_value=0.5, amplitude=0.5, period_seconds=2 + i),
        )
        for i in range(1, 15)
    ]
    channels += [
        ChannelDescriptor(
            id=f"Output_{i}",
            name=f"Output {i}",
            direction=ChannelDirection.OUTPUT,
            data_type="bool",
            unit="bool",
            max_value=1,
            safe_value=0,
        )
        for i in range(1, 15)
    ]
    return channels
