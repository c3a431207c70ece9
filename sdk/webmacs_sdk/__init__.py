"""WebMACS SDK: the one import of plugin and device authors.

>>> from webmacs_sdk import hookimpl, RouteTable, Policy

Names are imported on first use, so a device driver or an edge controller that needs three of them
does not pay for the server's (aiohttp's web framework, the models, the specs).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from webmacs_sdk.device import (  # device drivers: the contract's webmacs-plugins-core surface
        CapabilityNotFoundError,
        ChannelDescriptor,
        ChannelDirection,
        ChannelValue,
        ConversionSpec,
        DevicePlugin,
        DiscoveryReport,
        HealthMonitor,
        HealthReport,
        PluginConfigError,
        PluginConnectionError,
        PluginError,
        PluginInstanceConfig,
        PluginMeta,
        PluginRegistry,
        PluginState,
        PluginStateError,
        PluginTimeoutError,
        RetryPolicy,
        SimulationSpec,
        SyncDevicePlugin,
        discover_plugins,
        register_conversion,
        scan_drivers,
    )
    from webmacs_sdk.discovery import DRIVER_GROUP, PluginEntry, find_plugins
    from webmacs_sdk.errors import (
        ApiError,
        AuthenticationFailed,
        BadRequest,
        Conflict,
        Forbidden,
        NotFound,
        PayloadTooLarge,
        PluginConflictError,
        PluginLoadError,
        ServiceUnavailable,
        Unauthorized,
        ValidationFailed,
        WebmacsError,
    )
    from webmacs_sdk.keys import DATABASE, HOST, SETTINGS
    from webmacs_sdk.markers import ENTRY_POINT_GROUP, hookimpl
    from webmacs_sdk.models import (
        DomainEvent,
        IngestBatch,
        IngestResult,
        Principal,
        Rejection,
        RejectReason,
        Role,
        Transaction,
    )
    from webmacs_sdk.specs import (
        AuthBackendSpec,
        CleanupContextSpec,
        EventTypeSpec,
        IngestFilterSpec,
        LiveBusSpec,
        MenuItem,
        MigrationSpec,
        Page,
        Policy,
        Route,
        RouteTable,
        RuleActionSpec,
        RuleOperatorSpec,
        SettingsSpec,
        SignInMethod,
        StorageBackendSpec,
        WidgetTypeSpec,
    )

#: Where each public name lives.
_MODULES: dict[str, tuple[str, ...]] = {
    "webmacs_sdk.device": (
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
    ),
    "webmacs_sdk.discovery": ("DRIVER_GROUP", "PluginEntry", "find_plugins"),
    "webmacs_sdk.errors": (
        "ApiError",
        "AuthenticationFailed",
        "BadRequest",
        "Conflict",
        "Forbidden",
        "NotFound",
        "PayloadTooLarge",
        "PluginConflictError",
        "PluginLoadError",
        "ServiceUnavailable",
        "Unauthorized",
        "ValidationFailed",
        "WebmacsError",
    ),
    "webmacs_sdk.keys": (
        "DATABASE",
        "HOST",
        "SETTINGS",
    ),
    "webmacs_sdk.markers": (
        "ENTRY_POINT_GROUP",
        "hookimpl",
    ),
    "webmacs_sdk.models": (
        "DomainEvent",
        "IngestBatch",
        "IngestResult",
        "Principal",
        "Rejection",
        "RejectReason",
        "Role",
        "Transaction",
    ),
    "webmacs_sdk.specs": (
        "AuthBackendSpec",
        "CleanupContextSpec",
        "EventTypeSpec",
        "IngestFilterSpec",
        "LiveBusSpec",
        "MenuItem",
        "MigrationSpec",
        "Page",
        "Policy",
        "Route",
        "RouteTable",
        "RuleActionSpec",
        "RuleOperatorSpec",
        "SettingsSpec",
        "SignInMethod",
        "StorageBackendSpec",
        "WidgetTypeSpec",
    ),
}
_HOME = {name: module for module, names in _MODULES.items() for name in names}

__version__ = "2.0.0"

__all__ = [  # noqa: RUF022 (grouped: keys, then classes, then functions)
    "DATABASE",
    "DRIVER_GROUP",
    "ENTRY_POINT_GROUP",
    "HOST",
    "SETTINGS",
    "ApiError",
    "AuthBackendSpec",
    "AuthenticationFailed",
    "CleanupContextSpec",
    "IngestFilterSpec",
    "BadRequest",
    "Conflict",
    "DomainEvent",
    "EventTypeSpec",
    "Forbidden",
    "IngestBatch",
    "IngestResult",
    "LiveBusSpec",
    "MenuItem",
    "Page",
    "MigrationSpec",
    "NotFound",
    "PayloadTooLarge",
    "PluginConflictError",
    "PluginEntry",
    "PluginLoadError",
    "Policy",
    "Principal",
    "RejectReason",
    "Rejection",
    "Role",
    "Route",
    "RouteTable",
    "RuleActionSpec",
    "RuleOperatorSpec",
    "ServiceUnavailable",
    "SettingsSpec",
    "StorageBackendSpec",
    "Transaction",
    "Unauthorized",
    "ValidationFailed",
    "WebmacsError",
    "SignInMethod",
    "WidgetTypeSpec",
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
    "PluginMeta",
    "PluginRegistry",
    "PluginState",
    "PluginStateError",
    "PluginTimeoutError",
    "RetryPolicy",
    "SimulationSpec",
    "SyncDevicePlugin",
    "discover_plugins",
    "find_plugins",
    "register_conversion",
    "scan_drivers",
    "hookimpl",
]


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'webmacs_sdk' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOME})
