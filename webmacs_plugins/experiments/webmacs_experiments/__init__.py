"""WebMACS experiments plugin: the ``experiments`` table, ``/api/v1/experiments`` and the
ingestion stage that tags datapoints with the running experiment.

Starting and stopping emit ``experiment.started`` / ``experiment.stopped`` domain events
(``{"experiment": <name>, "experiment_id": <public_id>}``); the logs and webhooks plugins
react to them. Other plugins read experiments through the names this package exports (``__all__``,
defined in :mod:`webmacs_experiments.public`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from webmacs_experiments import hookspecs, tagging
from webmacs_experiments import pages as ui_pages

# The plugin's public API, listed once in public.py and importable from the package itself.
from webmacs_experiments.public import *  # noqa: F403
from webmacs_experiments.public import __all__ as __all__
from webmacs_experiments.routes import routes
from webmacs_experiments.tables import experiments
from webmacs_sdk import EventTypeSpec, IngestFilterSpec, MigrationSpec, OwnedTable, Route, hookimpl
from webmacs_sdk.events import ExperimentStarted, ExperimentStopped


@hookimpl
def webmacs_addhooks(pluginmanager: Any) -> None:
    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def webmacs_migrations() -> list[MigrationSpec]:
    return [MigrationSpec("experiments", Path(__file__).parent / "migrations", depends_on=("users",))]


@hookimpl
def webmacs_register_routes() -> list[Route]:
    return list(routes)


@hookimpl
def webmacs_ingest_filters() -> list[IngestFilterSpec]:
    return [IngestFilterSpec("experiments.tag", tagging.tag_batch, order=30)]


@hookimpl(optionalhook=True)  # the webhooks plugin's hook
def webmacs_event_types() -> list[EventTypeSpec]:
    return [
        EventTypeSpec(ExperimentStarted.TYPE, "An experiment was started."),
        EventTypeSpec(ExperimentStopped.TYPE, "The running experiment was stopped."),
    ]


@hookimpl(optionalhook=True)
def webmacs_user_owned_tables() -> list[OwnedTable]:
    return [OwnedTable(experiments)]


@hookimpl(optionalhook=True)
def webmacs_ui_pages() -> list[Any]:
    return list(ui_pages.PAGES)
