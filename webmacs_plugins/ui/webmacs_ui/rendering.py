"""The Jinja2 environment over every template folder plugins contribute (first folder wins)."""

from __future__ import annotations

from pathlib import Path

import jinja2
from aiohttp import web

from webmacs_sdk.keys import HOST

ENVIRONMENT: web.AppKey[jinja2.Environment] = web.AppKey("environment", jinja2.Environment)
OWN_TEMPLATES = Path(__file__).parent / "templates"


def environment(app: web.Application) -> jinja2.Environment:
    def build() -> jinja2.Environment:
        folders = [OWN_TEMPLATES]
        for contributed in app[HOST].hook().webmacs_templates():
            folders.extend(Path(folder) for folder in contributed or ())
        return jinja2.Environment(
            loader=jinja2.FileSystemLoader([str(folder) for folder in folders]),
            autoescape=jinja2.select_autoescape(["html"]),
        )

    return app[HOST].state(ENVIRONMENT, build)


def panel_templates(env: jinja2.Environment) -> list[str]:
    """Every ``panels/*.html`` template, so a plugin adds a panel by shipping a file."""
    return sorted(name for name in env.list_templates() if name.startswith("panels/") and name.endswith(".html"))
