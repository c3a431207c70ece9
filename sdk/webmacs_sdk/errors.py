"""Errors a plugin raises; the core renders each as the contract's ``{"detail": ...}`` body."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class WebmacsError(Exception):
    """Base class of every error defined by WebMACS."""


class PluginConflictError(WebmacsError):
    """Two plugins registered the same backend name, or configuration names an unknown one."""


class PluginError(WebmacsError):
    """Base of every plugin error; ``str(err)`` is ``[<plugin_id>] <message>``."""

    def __init__(self, plugin_id: str, message: str) -> None:
        self.plugin_id = plugin_id
        self.message = message
        super().__init__(f"[{plugin_id}] {message}")


class PluginLoadError(PluginError):
    """A plugin could not be found, imported or registered: a server feature plugin at startup (strict
    mode makes it a startup error) or a device driver the registry or a controller does not have."""


class AuthenticationFailed(WebmacsError):
    """A credential was recognised by an auth backend but rejected.

    ``detail`` is the REST message (``"Invalid or expired token."``); ``ws_reason`` the
    WebSocket close reason of contract §3.2 (``"Invalid or expired token"``).
    """

    def __init__(self, detail: str, ws_reason: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.ws_reason = ws_reason if ws_reason is not None else detail.rstrip(".")


class ApiError(WebmacsError):
    """An HTTP error with a JSON body ``{"detail": detail}`` and optional headers."""

    status: int = 400

    def __init__(
        self,
        detail: str | Sequence[Mapping[str, Any]],
        *,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail if isinstance(detail, str) else "validation error")
        self.detail = detail
        if status is not None:
            self.status = status
        self.headers = dict(headers or {})


class BadRequest(ApiError):
    """400: the request is well-formed JSON but cannot be carried out."""

    status = 400


class Unauthorized(ApiError):
    """401: no usable credential. Carries ``WWW-Authenticate: Bearer`` as the contract requires."""

    status = 401

    def __init__(self, detail: str = "Authentication required.") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(ApiError):
    """403: authenticated, but not allowed."""

    status = 403


class NotFound(ApiError):
    """404: the addressed resource does not exist."""

    status = 404

    @classmethod
    def entity(cls, label: str, public_id: str) -> NotFound:
        """The contract's standard ``"<Entity> '<public_id>' not found."``."""
        return cls(f"{label} '{public_id}' not found.")


class Conflict(ApiError):
    """409: the write collides with existing state (duplicate name, illegal transition)."""

    status = 409


class PayloadTooLarge(ApiError):
    """413: the body exceeds a configured cap."""

    status = 413


class ValidationFailed(ApiError):
    """422 with the contract's list shape ``[{"type", "loc", "msg", "input"?, "ctx"?}]`` or a string."""

    status = 422

    @classmethod
    def single(cls, loc: Sequence[str | int], msg: str, type_: str = "value_error") -> ValidationFailed:
        """One error entry, e.g. ``single(["body", "name"], "Field required", "missing")``."""
        return cls([{"type": type_, "loc": list(loc), "msg": msg}])


class ServiceUnavailable(ApiError):
    """503 with ``Retry-After``: a dependency (the database) is down; the client should retry."""

    status = 503

    def __init__(self, detail: str = "Service temporarily unavailable.", retry_after: int = 5) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})
