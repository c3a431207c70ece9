"""The WebMACS hook catalogue: every extension point of the server, one docstring each.

Rules that hold for every hook (DESIGN.md §3):

* Registration and app-shaping hooks are **sync** and run once, inside ``create_app()``,
  before the application is frozen. They return typed specs from ``webmacs_sdk.specs``;
  named backends are chosen by configuration, never by hook order.
* Notification hooks (``webmacs_on_*``) **may be** ``async def``; the core awaits each
  implementation separately and logs, rather than propagates, a failure of one of them.
* ``firstresult`` is used only on sync decision hooks; a contract test rejects an
  ``async`` implementation registered on one.
* Every hook is called through ``pm.hook.<name>(...)``, so pluggy's tracing and
  ``pm.add_hookcall_monitoring`` see each call; notification hooks go through
  ``webmacs_sdk.hooks.call_hook``, which awaits async results and isolates failures.
* A plugin that calls hooks of its own declares their specs in ``webmacs_addhooks``.

Plugins implement these with ``from webmacs_sdk import hookimpl``.
"""


# mypy: disable-error-code="empty-body"

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from webmacs_sdk.device.hookspec import webmacs_register_drivers  # noqa: F401 (part of the catalogue)
from webmacs_sdk.markers import hookspec

if TYPE_CHECKING:
    import argparse

    from aiohttp import web

    from webmacs_sdk.events import DomainEvent
    from webmacs_sdk.models import IngestBatch, Transaction
    from webmacs_sdk.specs import (
        AuthBackendSpec,
        CleanupContextSpec,
        IngestFilterSpec,
        LiveBusSpec,
        MigrationSpec,
        Route,
        SettingsSpec,
        StorageBackendSpec,
    )


# --------------------------------------------------------------------------------------
# Lifecycle and app shaping: sync, called once by create_app()
# --------------------------------------------------------------------------------------


@hookspec(historic=True)
def webmacs_addhooks(pluginmanager: Any) -> None:
    """Add hook specs of this plugin, for hooks that it calls and other plugins implement.

    Sync; historic: called for each plugin right after it is registered (as pytest's
    ``pytest_addhooks``), so the specs exist before the implementations of plugins
    registered later are validated. Call the hooks with ``request.app[HOST].hook()``.

    A plugin implementing a hook another plugin declares marks it
    ``@hookimpl(optionalhook=True)``: the owner may be registered later, or be blocked.
    Call such hooks with ``webmacs_sdk.hooks.call_hook`` (notifications) or ``pm.hook``.

    :param pluginmanager: the plugin manager; call ``pluginmanager.add_hookspecs(module)``.

    Example::

        # webmacs_rules/hookspecs.py
        @hookspec
        def webmacs_register_rule_operators() -> Iterable[RuleOperatorSpec]:
            "Declare comparisons threshold rules can use."

        # webmacs_rules/plugin.py
        @hookimpl
        def webmacs_addhooks(pluginmanager):
            from webmacs_rules import hookspecs
            pluginmanager.add_hookspecs(hookspecs)

    .. versionadded:: 2.1
    """


@hookspec
def webmacs_settings_model() -> Iterable[SettingsSpec]:
    """Declare the settings classes of this plugin.

    Sync; called once while the app is built. Each spec names an attrs class whose fields
    are read from ``WEBMACS_<FIELD>`` environment variables or the ``[plugins.<name>]``
    table of the TOML settings file. Handlers read the filled object with
    ``request.app[HOST].section(MySettings)``.

    :returns: SettingsSpec objects.

    Example::

        @hookimpl
        def webmacs_settings_model():
            return [SettingsSpec("auth", AuthSettings)]

    .. versionadded:: 2.0
    """


@hookspec
def webmacs_migrations() -> Iterable[MigrationSpec]:
    """Declare the alembic branch that creates and evolves this plugin's tables.

    Sync; called by the migration runner (``webmacs migrate`` and ``serve`` start). The
    schema is created only through migrations. A branch that references another plugin's
    tables lists that branch in ``depends_on``.

    :returns: MigrationSpec objects (branch label, versions folder).

    Example::

        @hookimpl
        def webmacs_migrations():
            return [MigrationSpec("events", Path(__file__).parent / "migrations", ("users",))]

    .. versionadded:: 2.0
    """


@hookspec
def webmacs_register_routes() -> Iterable[Route]:
    """Contribute HTTP and WebSocket routes, each with its access policy.

    Sync; called once while the app is built, before the router is frozen. Every route
    declares a :class:`~webmacs_sdk.specs.Policy`; the core enforces it (401, then 403)
    before the handler runs and before the body is validated. Collection routes are
    served with and without a trailing slash.

    :returns: Route objects, usually a :class:`~webmacs_sdk.specs.RouteTable`.

    Example::

        routes = RouteTable("/api/v1/things")

        @routes.get("", policy=Policy.AUTHENTICATED)
        async def list_things(request): ...

        @hookimpl
        def webmacs_register_routes():
            return routes

    .. versionadded:: 2.0
    """


@hookspec
def webmacs_cleanup_ctx() -> Iterable[CleanupContextSpec]:
    """Contribute resources with a lifetime (background loops, client sessions, caches).

    Sync; called once while the app is built. Each spec wraps an async generator taking
    the app: code before ``yield`` runs at startup, after ``yield`` at shutdown, in
    reverse order; a partial startup unwinds only what started. Runs after the database,
    storage and live bus are up, ordered by ``spec.order``.

    :returns: CleanupContextSpec objects.

    Example::

        async def dispatcher(app):
            task = app[HOST].spawn(loop(app), name="webhooks.dispatcher")
            yield
            task.cancel()

        @hookimpl
        def webmacs_cleanup_ctx():
            return [CleanupContextSpec("webhooks.dispatcher", dispatcher)]

    .. versionadded:: 2.0
    """


@hookspec
def webmacs_cli_commands(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add sub-commands to the ``webmacs`` command line.

    Sync; called once when the CLI starts. Add a parser with ``subparsers.add_parser`` and
    set ``func`` (``func(args, settings, pm) -> int``) with ``set_defaults``.

    :param subparsers: the CLI's sub-parser collection.

    Example::

        @hookimpl
        def webmacs_cli_commands(subparsers):
            parser = subparsers.add_parser("create-admin", help="create an admin user")
            parser.set_defaults(func=create_admin)   # create_admin(args, settings, pm)

    .. versionadded:: 2.0
    """


@hookspec
def webmacs_startup(app: web.Application) -> None:
    """Notify that the app has started: database migrated, backends up, routes frozen.

    May be async; awaited once per start, in the app's startup, after every cleanup
    context entered. Used for seeding (the first admin) and startup log entries. A failing
    implementation is logged and does not stop the server.

    :param app: the running application.

    Example::

        @hookimpl
        async def webmacs_startup(app):
            await seed_admin(app)

    .. versionadded:: 2.0
    """


# --------------------------------------------------------------------------------------
# Authentication
# --------------------------------------------------------------------------------------


@hookspec
def webmacs_register_auth_backends() -> Iterable[AuthBackendSpec]:
    """Declare credential checkers (JWT, API token, OIDC session...).

    Sync; called once while the app is built. Names are unique (a duplicate is a startup
    error naming both plugins). ``WEBMACS_AUTH_BACKENDS`` chooses and orders them; by
    default every registered backend is used in ascending ``priority``. The core tries
    them in order; the first returned Principal wins, an ``AuthenticationFailed`` answers
    401 at once. With no backend at all every protected route answers 401 (deny by default).

    :returns: AuthBackendSpec objects.

    Example::

        @hookimpl
        def webmacs_register_auth_backends():
            return [AuthBackendSpec("jwt", JwtBackend, priority=50)]

    .. versionadded:: 2.0
    """


# --------------------------------------------------------------------------------------
# Storage and ingestion
# --------------------------------------------------------------------------------------


@hookspec
def webmacs_register_storage_backends() -> Iterable[StorageBackendSpec]:
    """Declare datapoint storage backends.

    Sync; called once while the app is built. ``WEBMACS_STORAGE_BACKEND`` picks one by
    name (default ``"sql"``); an unknown name, or two plugins registering the same name,
    aborts startup. The factory is an async context manager opened at startup.

    :returns: StorageBackendSpec objects.

    Example::

        @hookimpl
        def webmacs_register_storage_backends():
            return [StorageBackendSpec("timescale", TimescaleBackend.open)]

    .. versionadded:: 2.0
    """


@hookspec
def webmacs_ingest_filters() -> Iterable[IngestFilterSpec]:
    """Contribute async stages of the ingestion chain.

    Sync registration; the returned callables are awaited by the core for every batch
    (REST single, REST batch, WebSocket telemetry), in ascending ``order``, after value and
    timestamp validation and before the storage transaction. A stage resolves, rejects
    (``batch.keep(mask, reason)``) or tags (``batch.experiment_id``) rows in place.

    :returns: IngestFilterSpec objects.

    Example::

        async def only_enabled(app, batch):
            batch.keep((e in ENABLED for e in batch.event_public_ids), RejectReason.EVENT_DISABLED)

        @hookimpl
        def webmacs_ingest_filters():
            return [IngestFilterSpec("enabled-events", only_enabled, order=20)]

    .. versionadded:: 2.0
    """


@hookspec
def webmacs_on_datapoints(app: web.Application, batch: IngestBatch) -> None:
    """Notify that a batch of datapoints was committed.

    May be async. Called after commit, in batch order, from a background worker: it never
    delays the acknowledgement, and one failing implementation neither stops the others
    nor the pipeline. Users: live bus publishing, rule evaluation.

    :param app: the running application.
    :param batch: the stored rows (accepted rows only, timestamps set).

    Example::

        @hookimpl
        async def webmacs_on_datapoints(app, batch):
            await app[HOST].live_bus.publish("datapoints", encode(batch))

    .. versionadded:: 2.0
    """


# --------------------------------------------------------------------------------------
# Domain events
# --------------------------------------------------------------------------------------


@hookspec
def webmacs_on_event(app: web.Application, tx: Transaction, event: DomainEvent) -> None:
    """Notify that a domain event happened, inside the transaction of its cause.

    May be async. Each async implementation runs in its own savepoint, so a failing one is
    rolled back and logged without undoing the cause or the others (a sync one cannot
    write to the database; its failure is logged too). Writes made here
    (an outbox row, a log entry) commit atomically with the cause; anything external
    must wait for ``tx.after_commit``.

    :param app: the running application.
    :param tx: the cause's transaction.
    :param event: a :mod:`webmacs_sdk.events` instance (wire name, payload, actor).

    Example::

        @hookimpl
        async def webmacs_on_event(app, tx, event):
            if isinstance(event, ExperimentStarted):
                await write_log(tx, f"Experiment '{event.experiment}' started.")

    .. versionadded:: 2.0
    """


# --------------------------------------------------------------------------------------
# Live data
# --------------------------------------------------------------------------------------


@hookspec
def webmacs_register_live_buses() -> Iterable[LiveBusSpec]:
    """Declare live fan-out buses (in-process ``memory`` by default; NATS, Redis...).

    Sync; called once while the app is built. ``WEBMACS_LIVE_BUS`` picks one by name.

    :returns: LiveBusSpec objects.

    .. versionadded:: 2.0
    """


# --------------------------------------------------------------------------------------
# Device drivers
# --------------------------------------------------------------------------------------


# ``webmacs_register_drivers`` is imported above: controllers call it too, so the SDK owns its spec.
