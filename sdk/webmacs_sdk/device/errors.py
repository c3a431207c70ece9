"""Exceptions raised by device plugins; every message names the plugin that raised it."""

from __future__ import annotations

from webmacs_sdk.errors import PluginError, PluginLoadError

__all__ = [
    "CapabilityNotFoundError",
    "PluginConfigError",
    "PluginConnectionError",
    "PluginError",
    "PluginLoadError",
    "PluginStateError",
    "PluginTimeoutError",
]


class PluginConfigError(PluginError):
    """An instance configuration did not validate against the plugin's ``config_schema``."""


class PluginConnectionError(PluginError):
    """Connecting to the device failed."""


class PluginTimeoutError(PluginError):
    """A device did not answer in time (for drivers that want to distinguish timeouts)."""


class CapabilityNotFoundError(PluginError):
    """The requested channel does not exist on this plugin instance."""

    def __init__(self, plugin_id: str, channel_id: str) -> None:
        self.channel_id = channel_id
        super().__init__(plugin_id, f"Channel '{channel_id}' not found")


class PluginStateError(PluginError):
    """An operation was attempted in a state that does not allow it."""

    def __init__(self, plugin_id: str, current_state: str, expected: str) -> None:
        self.current_state = current_state
        self.expected = expected
        super().__init__(plugin_id, f"Invalid state '{current_state}', expected {expected}")
