"""WebMACS SDK: the one import of plugin and device authors.

>>> from webmacs_sdk import hookimpl, RouteTable, Policy

Names are imported on first use, so a device driver or an edge controller that needs three of them
does not pay for the server's (aiohttp's web framework, the models, the specs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from webmacs_sdk.device import __all__ as _DEVICE_NAMES
from webmacs_sdk.lazy import homes, lazy_names

if TYPE_CHECKING:
    # device drivers (the contract's webmacs-plugins-core surface): the names webmacs_sdk.device lists
    from webmacs_sdk.device import *  # noqa: F403
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
    from webmacs_sdk.events import (
        DomainEvent,
        ExperimentStarted,
        ExperimentStopped,
        HealthChanged,
        RuleFired,
        RuleTriggered,
        SensorReading,
        ThresholdExceeded,
        UserDeleted,
        UserLoggedIn,
        UserLoggedInSso,
        WebhookDeadLettered,
        WebhookTest,
    )
    from webmacs_sdk.hooks import HookOutcome, call_hook
    from webmacs_sdk.keys import DATABASE, HOST, SETTINGS
    from webmacs_sdk.markers import ENTRY_POINT_GROUP, hookimpl
    from webmacs_sdk.models import (
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
        OwnedTable,
        Page,
        Policy,
        ReferencingTable,
        Route,
        RouteDoc,
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
    # PluginLoadError is the same class in both; the top level names it from webmacs_sdk.errors.
    "webmacs_sdk.device": tuple(name for name in _DEVICE_NAMES if name != "PluginLoadError"),
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
    "webmacs_sdk.events": (
        "DomainEvent",
        "ExperimentStarted",
        "ExperimentStopped",
        "HealthChanged",
        "RuleFired",
        "RuleTriggered",
        "SensorReading",
        "ThresholdExceeded",
        "UserDeleted",
        "UserLoggedIn",
        "UserLoggedInSso",
        "WebhookDeadLettered",
        "WebhookTest",
    ),
    "webmacs_sdk.hooks": ("HookOutcome", "call_hook"),
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
        "OwnedTable",
        "Page",
        "Policy",
        "ReferencingTable",
        "Route",
        "RouteDoc",
        "RouteTable",
        "RuleActionSpec",
        "RuleOperatorSpec",
        "SettingsSpec",
        "SignInMethod",
        "StorageBackendSpec",
        "WidgetTypeSpec",
    ),
}
_HOME = homes(_MODULES)

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
    "ExperimentStarted",
    "ExperimentStopped",
    "HealthChanged",
    "HookOutcome",
    "RuleFired",
    "RuleTriggered",
    "SensorReading",
    "ThresholdExceeded",
    "UserDeleted",
    "UserLoggedIn",
    "UserLoggedInSso",
    "WebhookDeadLettered",
    "WebhookTest",
    "Forbidden",
    "IngestBatch",
    "IngestResult",
    "LiveBusSpec",
    "MenuItem",
    "Page",
    "MigrationSpec",
    "OwnedTable",
    "ReferencingTable",
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
    "RouteDoc",
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
    "find_plugins",
    "call_hook",
    "hookimpl",
]
__all__.extend(_MODULES["webmacs_sdk.device"])  # the device package lists its names itself


__getattr__, __dir__ = lazy_names(__name__, _HOME)
