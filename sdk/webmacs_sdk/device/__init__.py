"""Device driver SDK: the base classes, channel model and tools a WebMACS driver author needs.

Names are imported on first use: the errors and the hook spec cost nothing, the driver base class
brings the validation library it is built on.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .base import DevicePlugin
    from .channels import ChannelDescriptor, ChannelDirection, ConversionSpec, SimulationSpec, register_conversion
    from .config import PluginInstanceConfig, RetryPolicy
    from .discovery import DiscoveryReport, discover_plugins, scan_drivers
    from .errors import (
        CapabilityNotFoundError,
        PluginConfigError,
        PluginConnectionError,
        PluginError,
        PluginLoadError,
        PluginStateError,
        PluginTimeoutError,
    )
    from .health import HealthMonitor, HealthReport
    from .meta import PluginMeta
    from .registry import PluginRegistry
    from .sync import SyncDevicePlugin
    from .types import ChannelValue, PluginState

#: Where each public name lives (sub-modules of this package).
_MODULES: dict[str, tuple[str, ...]] = {
    "base": ("DevicePlugin",),
    "channels": ("ChannelDescriptor", "ChannelDirection", "ConversionSpec", "SimulationSpec", "register_conversion"),
    "config": ("PluginInstanceConfig", "RetryPolicy"),
    "discovery": ("DiscoveryReport", "discover_plugins", "scan_drivers"),
    "errors": (
        "CapabilityNotFoundError",
        "PluginConfigError",
        "PluginConnectionError",
        "PluginError",
        "PluginLoadError",
        "PluginStateError",
        "PluginTimeoutError",
    ),
    "health": ("HealthMonitor", "HealthReport"),
    "meta": ("PluginMeta",),
    "registry": ("PluginRegistry",),
    "sync": ("SyncDevicePlugin",),
    "types": ("ChannelValue", "PluginState"),
}
_HOME = {name: module for module, names in _MODULES.items() for name in names}

__all__ = [
    "CapabilityNotFoundError",
    "ChannelDescriptor",
    "ChannelDirection",
    "ChannelValue",
    "ConversionSpec",
    "DevicePlugin",
    "DiscoveryReport",
    "HealthMonitor",
    "HealthReport",
    "PluginConfigError",
    "PluginConnectionError",
    "PluginError",
    "PluginInstanceConfig",
    "PluginLoadError",
    "PluginMeta",
    "PluginRegistry",
    "PluginState",
    "PluginStateError",
    "PluginTimeoutError",
    "RetryPolicy",
    "SimulationSpec",
    "SyncDevicePlugin",
    "discover_plugins",
    "register_conversion",
    "scan_drivers",
]


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'webmacs_sdk.device' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOME})
