"""The human-readable API reference, rendered from the OpenAPI document: an HTML page the server
serves (no script, no third-party code) and Markdown for the documentation site."""

from __future__ import annotations

import html
import json
from typing import Any

_METHODS = ("get", "post", "put", "patch", "delete")


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method in _METHODS
        if (operation := item.get(method)) is not None
    ]


def _body_ref(operation: dict[str, Any]) -> str:
    content = operation.get("requestBody", {}).get("content", {})
    for media, value in content.items():
        schema = value.get("schema", {})
        return f"{media}: {schema.get('$ref', 'object').rsplit('/', 1)[-1]}"
    return ""


def markdown(document: dict[str, Any]) -> str:
    """The whole API as Markdown: one table of operations, then each request model's fields."""
    lines = [f"# {document['info']['title']}", "", document["info"]["description"], "",
             "Errors are `{\"detail\": ...}`; 422 carries the list of failed fields. "
             "Authenticate with `Authorization: Bearer <access token or API token>`.", "",
             "| method | path | who | summary | body | query |", "|---|---|---|---|---|---|"]
    for method, path, operation in _operations(document):
        query = ", ".join(p["name"] for p in operation.get("parameters", []) if p["in"] == "query")
        lines.append(f"| {method} | `{path}` | {operation['x-webmacs-policy']} | {operation['summary']} | "
                     f"{_body_ref(operation)} | {query} |")
    lines += ["", "## WebSockets", ""]
    lines += [f"- `{ws['path']}` ({ws['x-webmacs-policy']}): {ws['description']}" for ws in document["x-websockets"]]
    lines += ["", "## Request models", ""]
    for name, schema in document["components"]["schemas"].items():
        properties = schema.get("properties") or {}
        if not properties:
            continue
        required = set(schema.get("required", []))
        lines += [f"### {name}", "", "| field | required | schema |", "|---|---|---|"]
        for field, prop in properties.items():
            lines.append(f"| `{field}` | {'yes' if field in required else ''} | `{json.dumps(prop, sort_keys=True)}` |")
        lines.append("")
    return "\n".join(lines) + "\n"


def html_page(document: dict[str, Any]) -> str:
    """The reference page the server serves at ``/api/v1/docs``."""
    esc = html.escape
    rows = []
    for method, path, operation in _operations(document):
        params = ", ".join(esc(p["name"]) for p in operation.get("parameters", []))
        responses = ", ".join(esc(code) for code in operation["responses"])
        rows.append(
            f"<tr id=\"{esc(operation['operationId'])}\"><td>{method}</td><td><code>{esc(path)}</code></td>"
            f"<td>{esc(operation['x-webmacs-policy'])}</td><td>{esc(operation['summary'])}</td>"
            f"<td>{esc(_body_ref(operation))}</td><td>{params}</td><td>{responses}</td></tr>"
        )
    models = []
    for name, schema in document["components"]["schemas"].items():
        if schema.get("properties"):
            models.append(f"<h3 id=\"model-{esc(name)}\">{esc(name)}</h3>"
                          f"<pre>{esc(json.dumps(schema, indent=2, sort_keys=True))}</pre>")
    sockets = "".join(f"<li><code>{esc(ws['path'])}</code> ({esc(ws['x-webmacs-policy'])})</li>"
                      for ws in document["x-websockets"])
    return (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{esc(document['info']['title'])} reference</title></head><body>"
        f"<h1>{esc(document['info']['title'])}</h1><p>{esc(document['info']['description'])} "
        "The machine-readable document is <a href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a>. "
        "Errors are <code>{\"detail\": ...}</code>; authenticate with "
        "<code>Authorization: Bearer &lt;access token or API token&gt;</code>.</p>"
        "<table><thead><tr><th>method</th><th>path</th><th>who</th><th>summary</th><th>body</th>"
        f"<th>parameters</th><th>responses</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        f"<h2>WebSockets</h2><ul>{sockets}</ul><h2>Models</h2>{''.join(models)}</body></html>"
    )
