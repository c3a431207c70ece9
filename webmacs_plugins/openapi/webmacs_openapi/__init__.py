"""WebMACS OpenAPI plugin: ``GET /api/v1/openapi.json`` (OpenAPI 3.1, built from the route table of
every loaded plugin), the reference page ``GET /api/v1/docs``, and ``webmacs openapi``, which writes
the document (or its Markdown) for the documentation site."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web

from webmacs_openapi.document import build
from webmacs_openapi.reference import html_page, markdown
from webmacs_sdk import Route, hookimpl
from webmacs_sdk.keys import HOST, SETTINGS
from webmacs_sdk.specs import Policy, RouteTable
from webmacs_sdk.web import json_response

routes = RouteTable("/api/v1")
_DOCUMENT: web.AppKey[dict[str, Any]] = web.AppKey("webmacs_openapi.document")


def _all_routes(results: list[Any]) -> list[Route]:
    return [route for result in results for route in (result or ())]


def document_of(app: web.Application) -> dict[str, Any]:
    """The app's document, built once from the routes its plugins registered."""
    return app[HOST].state(_DOCUMENT, lambda: build(
        _all_routes(app[HOST].hook().webmacs_register_routes()), version=str(app[SETTINGS].version)))


@routes.get("/openapi.json", policy=Policy.PUBLIC, response={"type": "object"})
async def openapi_document(request: web.Request) -> web.Response:
    """The OpenAPI 3.1 document of this server."""
    return json_response(document_of(request.app))


@routes.get("/docs", policy=Policy.PUBLIC)
async def api_reference(request: web.Request) -> web.Response:
    """The API reference page."""
    return web.Response(text=html_page(document_of(request.app)), content_type="text/html")


@hookimpl
def webmacs_register_routes() -> list[Route]:
    return list(routes)


@hookimpl
def webmacs_cli_commands(subparsers: Any) -> None:
    parser = subparsers.add_parser("openapi", help="write the OpenAPI document (or its Markdown) of this server")
    parser.add_argument("--output", "-o", type=Path, help="file to write (default: standard output)")
    parser.add_argument("--markdown", action="store_true", help="the Markdown API reference instead of JSON")
    parser.set_defaults(func=write_document)


def write_document(args: argparse.Namespace, settings: Any, pm: Any) -> int:
    """``webmacs openapi``: the document of the plugins this configuration loads."""
    document = build(_all_routes(pm.hook.webmacs_register_routes()), version=str(settings.version))
    text = markdown(document) if args.markdown else orjson.dumps(document, option=orjson.OPT_INDENT_2).decode()
    if args.output is None:
        sys.stdout.write(text + ("" if text.endswith("\n") else "\n"))
    else:
        args.output.write_text(text + ("" if text.endswith("\n") else "\n"))
        print(f"wrote {args.output}")
    return 0
