"""Route enumeration shared by the contract tests."""

import importlib.metadata
import uuid

from webmacs_core.app import route_table


def installed_plugin_names() -> list[str]:
    return sorted({ep.name for ep in importlib.metadata.entry_points(group="webmacs.plugins")})


def concrete_routes(app):
    """(method, concrete path, route) for every declared route, path parameters filled in."""
    seen = set()
    for name, route in route_table(app).items():
        if name.endswith(".slash") or (route.method, route.path) in seen:
            continue
        seen.add((route.method, route.path))
        path = route.path
        while "{" in path:
            start, end = path.index("{"), path.index("}")
            path = path[:start] + str(uuid.uuid4()) + path[end + 1:]
        yield route.method, path, route
