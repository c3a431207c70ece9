"""Small shared types of the device SDK."""

from __future__ import annotations

import enum

#: What a channel reads or accepts: numbers for analog IO, bools for digital IO, strings for status text.
ChannelValue = float | int | bool | str


class PluginState(enum.StrEnum):
    """Lifecycle states of a device plugin instance (see :class:`~webmacs_sdk.device.base.DevicePlugin`)."""

    DISCOVERED = "discovered"
    CONFIGURED = "configured"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RUNNING = "running"
    DISCONNECTING = "disconnecting"
    DISCONNECTED = "disconnected"
    ERROR = "error"
