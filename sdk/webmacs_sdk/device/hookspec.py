"""The device-driver hook of the ``webmacs`` pluggy project."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from webmacs_sdk.markers import hookspec

if TYPE_CHECKING:
    from .base import DevicePlugin


@hookspec
def webmacs_register_drivers() -> Iterable[type[DevicePlugin]]:  # type: ignore[empty-body]
    """Return the device driver classes this plugin provides.

    When: called once, synchronously, after the plugin module was loaded from its ``webmacs.plugins``
    entry point: by the controller (to run instances on the hardware) and by the server's plugin catalogue
    (to list drivers and enumerate their channels). Not ``firstresult``: every plugin's result is collected.

    Params: none.

    Returns: an iterable of :class:`~webmacs_sdk.device.DevicePlugin` subclasses, each with a ``meta`` whose
    ``id`` is unique across installed drivers. Return an empty list when the plugin ships no driver.

    Example::

        from webmacs_sdk.markers import hookimpl

        @hookimpl
        def webmacs_register_drivers():
            return [SimulatedDevice]
    """
