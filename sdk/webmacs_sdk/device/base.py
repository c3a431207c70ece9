"""The device plugin base class: lifecycle, conversions, clamping, demo mode and safe state."""

from __future__ import annotations

import abc
import logging
from collections.abc import Mapping
from types import TracebackType
from typing import Any, ClassVar, Self

from pydantic import ValidationError

from .channels import ChannelDescriptor, ChannelDirection
from .config import PluginInstanceConfig
from .errors import (
    CapabilityNotFoundError,
    PluginConfigError,
    PluginConnectionError,
    PluginStateError,
)
from .health import HealthReport
from .meta import PluginMeta
from .simulation import Simulator
from .types import ChannelValue, PluginState

_CONNECTABLE = (PluginState.CONFIGURED, PluginState.DISCONNECTED, PluginState.ERROR)
_LIVE = (PluginState.CONNECTED, PluginState.RUNNING)
# After this many hardware failures in a row the instance is marked ``error`` so the health monitor
# reconnects it; a single glitch must not tear down a working connection.
_FAILURES_BEFORE_ERROR = 5


class DevicePlugin(abc.ABC):
    """Base class of every device driver.

    A driver sets the class attributes ``meta`` (and ``config_schema`` when it has own settings) and
    implements :meth:`get_channels`, :meth:`_do_connect`, :meth:`_do_disconnect`, :meth:`_do_read` and
    :meth:`_do_write`. ``_do_read`` returns raw device values and ``_do_write`` receives raw values;
    this class applies conversions, clamps writes to the channel range, serves simulated values in demo
    mode and writes safe values on disconnect.

    Lifecycle: ``discovered`` -> :meth:`configure` -> ``configured`` -> :meth:`connect` -> ``connected`` ->
    :meth:`disconnect` -> ``disconnected``; failures lead to ``error``.
    """

    meta: ClassVar[PluginMeta]
    config_schema: ClassVar[type[PluginInstanceConfig]] = PluginInstanceConfig

    def __init__(self) -> None:
        self._state = PluginState.DISCOVERED
        self._config: PluginInstanceConfig | None = None
        self._channels: dict[str, ChannelDescriptor] = {}
        self._written: dict[str, float] = {}
        self._error_count = 0
        self._consecutive_failures = 0
        self._last_error: str | None = None
        self._reconnect_attempts = 0
        self._simulator = Simulator(self.meta.id)
        self.log = logging.getLogger(f"webmacs.device.{self.meta.id}")

    # ------------------------------------------------------------------ to implement

    @abc.abstractmethod
    def get_channels(self) -> list[ChannelDescriptor]:
        """Return the channels of this instance; called by :meth:`configure` with :attr:`config` set."""

    @abc.abstractmethod
    async def _do_connect(self) -> None:
        """Open the hardware connection (not called in demo mode)."""

    @abc.abstractmethod
    async def _do_disconnect(self) -> None:
        """Close the hardware connection (not called in demo mode)."""

    @abc.abstractmethod
    async def _do_read(self, channel_id: str) -> ChannelValue | None:
        """Read one raw value from the device."""

    @abc.abstractmethod
    async def _do_write(self, channel_id: str, value: float) -> None:
        """Write one raw value (already clamped and converted) to the device."""

    # ------------------------------------------------------------------ properties

    @property
    def plugin_id(self) -> str:
        """The driver id (``meta.id``)."""
        return self.meta.id

    @property
    def state(self) -> PluginState:
        """Current lifecycle state."""
        return self._state

    @property
    def config(self) -> PluginInstanceConfig:
        """The validated configuration; raises :class:`PluginStateError` before :meth:`configure`."""
        if self._config is None:
            raise PluginStateError(self.plugin_id, self._state, "configured")
        return self._config

    @property
    def instance_name(self) -> str:
        """Instance name from the configuration (empty before configure)."""
        return self._config.instance_name if self._config else ""

    @property
    def is_demo_mode(self) -> bool:
        """True when values are simulated instead of read from hardware."""
        return self._config.demo_mode if self._config else True

    @property
    def poll_interval(self) -> float:
        """Seconds between polls requested by the instance configuration."""
        return (self._config.poll_interval_ms if self._config else 1000) / 1000.0

    @property
    def channels(self) -> list[ChannelDescriptor]:
        """A copy of the channel list."""
        return [c.model_copy(deep=True) for c in self._channels.values()]

    @property
    def error_count(self) -> int:
        """Hardware and connection failures since creation."""
        return self._error_count

    @property
    def last_error(self) -> str | None:
        """Message of the most recent failure."""
        return self._last_error

    @property
    def written_values(self) -> dict[str, float]:
        """Last engineering value written per channel (after clamping), in demo mode too."""
        return dict(self._written)

    def get_channel(self, channel_id: str) -> ChannelDescriptor:
        """The descriptor of ``channel_id``; raises :class:`CapabilityNotFoundError` when unknown."""
        try:
            return self._channels[channel_id]
        except KeyError:
            raise CapabilityNotFoundError(self.plugin_id, channel_id) from None

    # ------------------------------------------------------------------ lifecycle

    def configure(self, config: Mapping[str, Any]) -> None:
        """Validate ``config`` with :attr:`config_schema` and load the channel list."""
        if self._state in (PluginState.CONNECTING, PluginState.CONNECTED, PluginState.RUNNING):
            raise PluginStateError(self.plugin_id, self._state, "not connected")
        try:
            self._config = self.config_schema.model_validate(dict(config))
        except ValidationError as exc:
            raise PluginConfigError(self.plugin_id, f"Invalid configuration: {exc}") from exc
        channels = self.get_channels()
        ids = [c.id for c in channels]
        if len(ids) != len(set(ids)):
            raise PluginConfigError(self.plugin_id, "Duplicate channel ids")
        self._channels = {c.id: c for c in channels}
        self._simulator = Simulator(self._config.instance_name or self.plugin_id)
        self._state = PluginState.CONFIGURED

    async def connect(self) -> None:
        """Connect to the device (only marks the state in demo mode)."""
        if self._state not in _CONNECTABLE:
            raise PluginStateError(self.plugin_id, self._state, "configured, disconnected or error")
        self._state = PluginState.CONNECTING
        try:
            if not self.is_demo_mode:
                await self._do_connect()
        except Exception as exc:
            self._state = PluginState.ERROR
            self._record_failure(exc)
            raise PluginConnectionError(self.plugin_id, f"Connection failed: {exc}") from exc
        self._consecutive_failures = 0
        self._reconnect_attempts = 0
        self._state = PluginState.CONNECTED

    async def disconnect(self) -> None:
        """Apply safe values, then close the connection. Never raises; repeated calls are harmless."""
        if self._state not in (*_LIVE, PluginState.ERROR):
            if self._state is PluginState.CONFIGURED:
                self._state = PluginState.DISCONNECTED
            return
        was_live = self._state in _LIVE
        self._state = PluginState.DISCONNECTING
        if was_live:
            await self._apply_safe_values()
        if not self.is_demo_mode:
            try:
                await self._do_disconnect()
            except Exception as exc:
                self._record_failure(exc)
                self.log.warning("%s: disconnect failed: %s", self._label, exc)
        self._state = PluginState.DISCONNECTED

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.disconnect()

    # ------------------------------------------------------------------ IO

    async def read(self, channel_id: str) -> ChannelValue | None:
        """Engineering value of ``channel_id``, or ``None`` when the device did not deliver one."""
        channel = self.get_channel(channel_id)
        if self.is_demo_mode:
            if self._state is PluginState.DISCOVERED:
                raise PluginStateError(self.plugin_id, self._state, "configured")
            return self._simulator.sample(channel)
        if self._state not in _LIVE:
            raise PluginStateError(self.plugin_id, self._state, "connected")
        try:
            raw = await self._do_read(channel_id)
        except Exception as exc:
            self._record_failure(exc)
            self.log.warning("%s: read of %s failed: %s", self._label, channel_id, exc)
            return None
        self._consecutive_failures = 0
        if raw is None or isinstance(raw, (bool, str)):
            return raw
        return channel.read_conversion.convert(raw)

    async def write(self, channel_id: str, value: ChannelValue) -> float:
        """Write an engineering value; it is clamped to the channel range. Returns the value written."""
        channel = self.get_channel(channel_id)
        if not channel.is_writable:
            raise PluginStateError(self.plugin_id, f"input channel '{channel_id}'", "an output channel")
        if not self.is_demo_mode and self._state not in _LIVE:
            raise PluginStateError(self.plugin_id, self._state, "connected")
        clamped = channel.clamp(float(value))
        if not self.is_demo_mode:
            try:
                await self._do_write(channel_id, channel.write_conversion.invert(clamped))
            except Exception as exc:
                self._record_failure(exc)
                raise
            self._consecutive_failures = 0
        self._written[channel_id] = clamped
        return clamped

    async def read_all_inputs(self) -> dict[str, ChannelValue | None]:
        """Read every input and bidirectional channel (override for devices with batch reads)."""
        return {cid: await self.read(cid) for cid, ch in self._channels.items() if ch.is_readable}

    async def apply_safe_state(self) -> dict[str, float]:
        """Write the safe value of every output that has one; returns what was applied."""
        return await self._apply_safe_values()

    def health_check(self) -> HealthReport:
        """Snapshot of state, errors and channel count."""
        return HealthReport(
            plugin_id=self.plugin_id,
            instance_name=self.instance_name,
            state=self._state,
            error_count=self._error_count,
            last_error=self._last_error,
            channel_count=len(self._channels),
            demo_mode=self.is_demo_mode,
            reconnect_attempts=self._reconnect_attempts,
        )

    # ------------------------------------------------------------------ internals

    @property
    def _label(self) -> str:
        return f"{self.plugin_id}/{self.instance_name}" if self.instance_name else self.plugin_id

    def _record_failure(self, exc: BaseException) -> None:
        self._error_count += 1
        self._consecutive_failures += 1
        self._last_error = str(exc) or type(exc).__name__
        if self._state in _LIVE and self._consecutive_failures >= _FAILURES_BEFORE_ERROR:
            self.log.error(
                "%s: %d failures in a row, marking as error", self._label, self._consecutive_failures
            )
            self._state = PluginState.ERROR

    async def _apply_safe_values(self) -> dict[str, float]:
        applied: dict[str, float] = {}
        for channel in self._channels.values():
            if channel.direction is ChannelDirection.INPUT or channel.safe_value is None:
                continue
            value = channel.clamp(channel.safe_value)
            # Safe values go straight to the hardware so they also work while the state is disconnecting.
            try:
                if not self.is_demo_mode:
                    await self._do_write(channel.id, channel.write_conversion.invert(value))
            except Exception as exc:
                self._record_failure(exc)
                self.log.error("%s: safe value for %s not applied: %s", self._label, channel.id, exc)
                continue
            self._written[channel.id] = value
            applied[channel.id] = value
        if applied:
            self.log.info("%s: safe values applied: %s", self._label, applied)
        return applied
