"""Channel model: what a device exposes, in which unit and range, and how raw values convert."""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

#: A conversion function: ``(value, params) -> value``.
ConversionFunc = Callable[[float, dict[str, Any]], float]


class ChannelDirection(enum.StrEnum):
    """Whether a channel is read (sensor), written (actuator) or both."""

    INPUT = "input"
    OUTPUT = "output"
    BIDIRECTIONAL = "bidirectional"


def _identity(value: float, params: dict[str, Any]) -> float:
    return value


def _linear(value: float, params: dict[str, Any]) -> float:
    return value * float(params.get("scale", 1.0)) + float(params.get("offset", 0.0))


def _linear_inverse(value: float, params: dict[str, Any]) -> float:
    scale = float(params.get("scale", 1.0))
    # A zero scale has no inverse; 0 keeps hardware writes harmless instead of raising mid-loop.
    return 0.0 if scale == 0 else (value - float(params.get("offset", 0.0))) / scale


def _divide(value: float, params: dict[str, Any]) -> float:
    divisor = float(params.get("divisor", 1.0))
    return 0.0 if divisor == 0 else value / divisor


def _divide_inverse(value: float, params: dict[str, Any]) -> float:
    return value * float(params.get("divisor", 1.0))


def _clamp(value: float, params: dict[str, Any]) -> float:
    low = params.get("min")
    high = params.get("max")
    if low is not None:
        value = max(value, float(low))
    if high is not None:
        value = min(value, float(high))
    return value


_CONVERSIONS: dict[str, tuple[ConversionFunc, ConversionFunc]] = {
    "none": (_identity, _identity),
    "linear": (_linear, _linear_inverse),
    "divide": (_divide, _divide_inverse),
    "clamp": (_clamp, _identity),
}


def register_conversion(name: str, forward: ConversionFunc, inverse: ConversionFunc | None = None) -> None:
    """Add a conversion usable as ``ConversionSpec(type=name)``; without ``inverse`` writes pass through."""
    _CONVERSIONS[name] = (forward, inverse or _identity)


def available_conversions() -> list[str]:
    """Names of every registered conversion."""
    return sorted(_CONVERSIONS)


class ConversionSpec(BaseModel):
    """Raw-to-engineering conversion of a channel; ``convert`` for reads, ``invert`` for writes.

    Parameters (``scale``/``offset``, ``divisor``, ``min``/``max`` or a custom conversion's own) are extra
    fields of the model. An unknown ``type`` behaves as identity so a newer config never crashes a read.
    """

    model_config = ConfigDict(extra="allow")

    type: str = "none"
    # Parameters of the built-in conversions; custom conversions add their own as extra fields.
    scale: float = 1.0
    offset: float = 0.0
    divisor: float = 1.0
    min: float | None = None
    max: float | None = None

    @property
    def params(self) -> dict[str, Any]:
        """The conversion parameters (every field except ``type``, extra fields included)."""
        return self.model_dump(exclude={"type"})

    def convert(self, raw: float) -> float:
        """Raw device value to engineering value."""
        forward, _ = _CONVERSIONS.get(self.type, (_identity, _identity))
        return forward(float(raw), self.params)

    def invert(self, value: float) -> float:
        """Engineering value to the raw value the device expects."""
        _, inverse = _CONVERSIONS.get(self.type, (_identity, _identity))
        return inverse(float(value), self.params)


SimulationProfile = Literal["sine_wave", "sawtooth", "random_walk", "step", "constant"]


class SimulationSpec(BaseModel):
    """How a channel behaves in demo mode (no hardware)."""

    model_config = ConfigDict(extra="ignore")

    profile: SimulationProfile = "sine_wave"
    base_value: float = 0.0
    amplitude: float = Field(default=1.0, ge=0.0)
    period_seconds: float = Field(default=60.0, ge=1.0)
    noise: float = Field(default=0.0, ge=0.0, description="Gaussian sigma added to every sample")


class ChannelDescriptor(BaseModel):
    """One readable and/or writable value of a device."""

    model_config = ConfigDict(extra="ignore")

    id: str
    name: str
    direction: ChannelDirection
    data_type: str = "float"
    unit: str = ""
    min_value: float = 0.0
    max_value: float = 100.0
    read_conversion: ConversionSpec = Field(default_factory=ConversionSpec)
    write_conversion: ConversionSpec = Field(default_factory=ConversionSpec)
    simulation: SimulationSpec = Field(default_factory=SimulationSpec)
    safe_value: float | None = None
    ui_hints: dict[str, str] = Field(default_factory=dict)

    @property
    def is_readable(self) -> bool:
        """Input and bidirectional channels are polled."""
        return self.direction is not ChannelDirection.OUTPUT

    @property
    def is_writable(self) -> bool:
        """Output and bidirectional channels accept writes."""
        return self.direction is not ChannelDirection.INPUT

    def clamp(self, value: float) -> float:
        """Limit ``value`` to the channel range."""
        return min(max(float(value), self.min_value), self.max_value)
