"""Device driver SDK: the base classes, channel model and tools a WebMACS driver author needs."""

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
