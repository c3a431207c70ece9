"""Device driver SDK: the base classes, channel model and tools a WebMACS driver author needs.

Names are imported on first use: the errors and the hook spec cost nothing, the driver base class
brings the validation library it is built on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from webmacs_sdk.lazy import homes, lazy_names

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
_HOME = homes(_MODULES)

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


__getattr__, __dir__ = lazy_names(__name__, _HOME)
