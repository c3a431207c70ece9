"""The OTA plugin's domain events (``ota.*``); the logs plugin records each ``message``."""

from __future__ import annotations

from typing import Any, ClassVar

import attrs

from webmacs_sdk.events import ENVELOPE, DomainEvent


@attrs.define(kw_only=True)
class OtaEvent(DomainEvent):
    """An update was registered, moved, or a bundle refused; ``details`` join ``message`` in the payload."""

    message: str
    details: dict[str, Any] = attrs.field(factory=dict, metadata={ENVELOPE: True})

    @property
    def payload(self) -> dict[str, Any]:
        return {"message": self.message, **self.details}


@attrs.define(kw_only=True)
class OtaRegistered(OtaEvent):
    """A new update record was created."""

    TYPE: ClassVar[str] = "ota.registered"


@attrs.define(kw_only=True)
class OtaStatusChanged(OtaEvent):
    """An update moved to another status (or was deleted)."""

    TYPE: ClassVar[str] = "ota.status_changed"


@attrs.define(kw_only=True)
class OtaRunning(OtaEvent):
    """The supervisor reports the update's version running (it answered ``/health/ready`` in time)."""

    TYPE: ClassVar[str] = "ota.running"


@attrs.define(kw_only=True)
class OtaFailed(OtaEvent):
    """An update failed."""

    TYPE: ClassVar[str] = "ota.failed"


@attrs.define(kw_only=True)
class OtaRolledBack(OtaEvent):
    """An update was rolled back."""

    TYPE: ClassVar[str] = "ota.rolled_back"


@attrs.define(kw_only=True)
class OtaBundleRefused(OtaEvent):
    """An uploaded bundle was refused."""

    TYPE: ClassVar[str] = "ota.bundle_refused"


@attrs.define(kw_only=True)
class OtaControllerReport(OtaEvent):
    """A controller reported a step of its update, or the version it runs after one."""

    TYPE: ClassVar[str] = "ota.controller"


@attrs.define(kw_only=True)
class OtaControllerFailed(OtaEvent):
    """A controller could not take an update: it refused the bundle, failed to install it, or rolled back."""

    TYPE: ClassVar[str] = "ota.controller_failed"
