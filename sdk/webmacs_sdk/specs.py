"""Typed registration specs returned by the ``webmacs_register_*`` hooks.

The core collects each kind into a name-keyed table; two plugins registering the same
name abort startup with :class:`~webmacs_sdk.errors.PluginConflictError`, and configuration,
not hook order, decides which backend is used.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from webmacs_sdk.models import Principal, Role

if TYPE_CHECKING:
    from collections.abc import Mapping

    from aiohttp import web

    from webmacs_sdk.protocols import AuthBackend, LiveBus, StorageBackend


class Policy(enum.Enum):
    """Who may call a route. Every route declares one; there is no default."""

    PUBLIC = "public"
    AUTHENTICATED = "authenticated"
    OPERATOR = "operator"
    ADMIN = "admin"

    def admits(self, principal: Principal | None) -> bool:
        """Whether ``principal`` (None: signed out) satisfies this policy (role ranks: :class:`Role`)."""
        if self is Policy.PUBLIC:
            return True
        if principal is None:
            return False
        if self is Policy.AUTHENTICATED:
            return True
        return principal.role.at_least(Role(self.value))


Handler = Callable[["web.Request"], Awaitable["web.StreamResponse"]]


@attrs.frozen
class Route:
    """One HTTP or WebSocket route and the policy the core enforces before the handler runs.

    ``path`` is absolute (``/api/v1/events/{public_id}``). Collection routes are served with
    and without a trailing slash. For ``websocket=True`` routes the core authenticates the
    ``?token=`` query parameter and, on failure, accepts and closes with code 1008.
    """

    method: str
    path: str
    handler: Handler
    policy: Policy
    name: str | None = None
    websocket: bool = False
    #: What the API document (``/api/v1/openapi.json``) says of the route: the pydantic models of
    #: its JSON body and query parameters, its success status and response (a model, ``list[Model]``
    #: or a JSON schema dict), and a one-line summary (default: the handler's docstring).
    doc: RouteDoc | None = None


@attrs.frozen
class RouteDoc:
    """The request and response shapes of one route, for the API document."""

    body: type[Any] | None = None
    query: type[Any] | None = None
    response: Any = None
    status: int = 200
    summary: str = ""
    #: The body is ``multipart/form-data`` with these file fields instead of JSON.
    files: tuple[str, ...] = ()


class RouteTable:
    """Collects :class:`Route` objects with decorators, the way ``web.RouteTableDef`` does.

    >>> routes = RouteTable("/api/v1/things")
    >>> @routes.get("", policy=Policy.AUTHENTICATED)
    ... async def list_things(request): ...
    """

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self.routes: list[Route] = []

    def route(
        self, method: str, path: str, *, policy: Policy, websocket: bool = False, **doc: Any
    ) -> Callable[[Handler], Handler]:
        """Register ``handler`` for ``method path``; ``doc`` holds :class:`RouteDoc` fields
        (``body=``, ``query=``, ``response=``, ``status=``, ``summary=``, ``files=``)."""

        def register(handler: Handler) -> Handler:
            self.routes.append(
                Route(method, self.prefix + path, handler, policy, handler.__name__, websocket,
                      RouteDoc(**doc) if doc else None)
            )
            return handler

        return register

    def get(self, path: str, *, policy: Policy, **doc: Any) -> Callable[[Handler], Handler]:
        return self.route("GET", path, policy=policy, **doc)

    def post(self, path: str, *, policy: Policy, **doc: Any) -> Callable[[Handler], Handler]:
        return self.route("POST", path, policy=policy, **doc)

    def put(self, path: str, *, policy: Policy, **doc: Any) -> Callable[[Handler], Handler]:
        return self.route("PUT", path, policy=policy, **doc)

    def patch(self, path: str, *, policy: Policy, **doc: Any) -> Callable[[Handler], Handler]:
        return self.route("PATCH", path, policy=policy, **doc)

    def delete(self, path: str, *, policy: Policy, **doc: Any) -> Callable[[Handler], Handler]:
        return self.route("DELETE", path, policy=policy, **doc)

    def websocket(self, path: str, *, policy: Policy) -> Callable[[Handler], Handler]:
        return self.route("GET", path, policy=policy, websocket=True)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.routes)


@attrs.frozen
class StorageBackendSpec:
    """A datapoint storage backend. ``factory(app)`` returns an async context manager yielding it."""

    name: str
    factory: Callable[[web.Application], AbstractAsyncContextManager[StorageBackend]]
    description: str = ""


@attrs.frozen
class AuthBackendSpec:
    """A credential checker (JWT, API token, ...). Backends are tried by ascending ``priority``."""

    name: str
    factory: Callable[[web.Application], AuthBackend]
    priority: int = 100


@attrs.frozen
class LiveBusSpec:
    """A live fan-out bus (in-process by default; NATS or Redis for several server processes)."""

    name: str
    factory: Callable[[web.Application], AbstractAsyncContextManager[LiveBus]]


@attrs.frozen
class MigrationSpec:
    """An alembic branch owned by one plugin: its ``versions`` folder and branch label.

    ``depends_on`` lists the labels of branches whose tables this one references.
    """

    branch: str
    path: Path
    depends_on: tuple[str, ...] = ()


@attrs.frozen
class SettingsSpec:
    """A plugin's settings class (attrs), filled from ``WEBMACS_*`` env and ``[plugins.<name>]`` TOML."""

    name: str
    cls: type[Any]


@attrs.frozen
class OwnedTable:
    """A table whose rows belong to a user, by public id in ``column``.

    When a user is deleted, the users plugin hands these rows to the admin deleting it
    (``webmacs_user_owned_tables``), so removing an account never wipes the data it created.
    ``table`` is an SQLAlchemy ``Table``.
    """

    table: Any
    column: str = "user_public_id"


@attrs.frozen
class ReferencingTable:
    """A table whose rows refer to another plugin's rows by internal id in ``column``, without a
    foreign key (a per-row check costs ingest too much, say).

    The plugin owning the referenced rows deletes the referring ones in its deletion's transaction,
    as ``ON DELETE CASCADE`` would: the events plugin asks ``webmacs_event_referencing_tables``, the
    experiments plugin ``webmacs_experiment_referencing_tables``. ``table`` is an SQLAlchemy ``Table``.
    """

    table: Any
    column: str


@attrs.frozen
class RuleOperatorSpec:
    """A comparison a threshold rule can use: ``test(value, threshold, threshold_high) -> bool``."""

    name: str
    test: Callable[[float, float, float | None], bool]
    needs_high: bool = False


@attrs.frozen
class RuleActionSpec:
    """What a rule does when it fires. ``run(app, tx, firing)`` is awaited inside the rule's transaction."""

    name: str
    run: Callable[..., Awaitable[None]]
    description: str = ""


@attrs.frozen
class EventTypeSpec:
    """A domain event type that webhooks may subscribe to (``experiment.started``...)."""

    name: str
    description: str = ""


@attrs.frozen
class IngestFilterSpec:
    """An async stage of the ingestion chain: ``await run(app, batch)`` drops or tags rows in place.

    Filters run in ascending ``order`` before the storage transaction; a filter that rejects
    rows records why with ``batch.keep(mask, reason)``.
    """

    name: str
    run: Callable[..., Awaitable[None]]
    order: int = 100


@attrs.frozen
class CleanupContextSpec:
    """A resource with a lifetime: ``ctx(app)`` is an async generator, as ``app.cleanup_ctx`` takes."""

    name: str
    ctx: Callable[[web.Application], Any]
    order: int = 100


@attrs.frozen
class MenuItem:
    """An entry of the web UI's navigation, contributed by a plugin."""

    label: str
    href: str
    policy: Policy = Policy.AUTHENTICATED
    order: int = 100


@attrs.frozen
class WidgetTypeSpec:
    """A dashboard widget type a plugin contributes to the UI."""

    name: str
    label: str
    template: str | None = None


@attrs.frozen
class Page:
    """A page of the web UI a plugin contributes (``webmacs_ui_pages``), drawn in the ui's layout.

    ``path`` is absolute, one or two segments, the second may be a ``{name}`` placeholder
    (``/dashboards/{public_id}``); it must not shadow an API route. ``template`` names a file in
    the plugin's ``templates/`` folder (found next to the plugin's module, or contributed with
    ``webmacs_templates``); namespace it by the plugin (``kiln/schedule.html``) and extend
    ``layout.html``. ``context(request)`` (async, optional) returns the template's variables; the
    placeholder's value is ``request.match_info["public_id"]``. ``policy`` decides who may open the
    page: the signed-out are sent to sign in, a lower role gets the 403 page. Pages with a
    ``menu_order`` appear in the navigation, ascending.
    """

    path: str
    title: str
    template: str
    policy: Policy = Policy.AUTHENTICATED
    context: Callable[[web.Request], Awaitable[Mapping[str, Any]]] | None = None
    menu_order: int | None = 100


@attrs.frozen
class SignInMethod:
    """An alternative way to sign in, offered on the sign-in page as a link ("Sign in with X").

    ``href`` starts the method's flow (a plugin route that ends by setting the browser session).
    """

    label: str
    href: str
    order: int = 100
