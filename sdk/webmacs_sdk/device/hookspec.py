"""The device-driver hook of the ``webmacs`` pluggy project, and the adapter for driver-class entry points
(:func:`as_plugin`: what a plugin manager registers for whatever an entry point loaded).

The server's catalogue (``webmacs_core.hookspecs``) and the controller both use this one spec. Importing
it costs pluggy only: no driver base class, no validation library.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from webmacs_sdk.markers import hookimpl, hookspec

if TYPE_CHECKING:
    from .base import DevicePlugin


@hookspec
def webmacs_register_drivers() -> Iterable[type[DevicePlugin]]:  # type: ignore[empty-body]
    """Declare device driver classes (:class:`~webmacs_sdk.device.DevicePlugin` subclasses).

    Sync; called once after the plugin was loaded from its entry point: by a controller (to run
    instances on the hardware) and by the server (to build the plugin catalogue: channels, config
    schema). Not ``firstresult``: every plugin's result is collected. Classes are keyed by ``meta.id``,
    which must be unique across installed drivers.

    :returns: DevicePlugin subclasses; an empty list when the plugin ships no driver.

    Example::

        from webmacs_sdk import hookimpl

        @hookimpl
        def webmacs_register_drivers():
            return [ModbusSensor]

    .. versionadded:: 2.0
    """


class DriverClassPlugin:
    """Registers a driver class that an entry point loads directly (``module:DriverClass``, the style of
    WebMACS device wheels) as a plugin implementing :func:`webmacs_register_drivers`."""

    def __init__(self, driver: type[DevicePlugin]) -> None:
        self.driver = driver

    @hookimpl
    def webmacs_register_drivers(self) -> list[type[DevicePlugin]]:
        return [self.driver]


def as_plugin(loaded: object) -> object:
    """What to register for an object an entry point loaded: a driver class without hook implementations
    (``module:DriverClass``) becomes a :class:`DriverClassPlugin`; anything else is registered as it is."""
    if isinstance(loaded, type) and not any(name.startswith("webmacs_") for name in dir(loaded)):
        return DriverClassPlugin(loaded)
    return loaded
