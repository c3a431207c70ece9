"""Every registered route against anonymous, viewer, operator, admin: the declared policy holds.

Routes are enumerated from the router, so a route a later plugin adds joins automatically.
"""

from routes_support import concrete_routes

from webmacs_core.middlewares import ROUTES_KEY
from webmacs_sdk import Policy

ROLE_MESSAGES = {"Operator privileges required.", "Admin privileges required."}
RANK = {None: 0, "viewer": 1, "operator": 2, "admin": 3}
NEEDED = {Policy.PUBLIC: 0, Policy.AUTHENTICATED: 1, Policy.OPERATOR: 2, Policy.ADMIN: 3}


async def _call(client, method, path, headers):
    kwargs = {"headers": headers}
    if method in ("POST", "PUT"):
        kwargs["json"] = {}
    resp = await client.request(method, path, **kwargs)
    body = await resp.json() if resp.content_type == "application/json" else None
    return resp.status, body


async def test_every_route_declares_a_policy(full_client):
    table = full_client.app[ROUTES_KEY]
    for route in full_client.app.router.routes():
        assert route.resource is not None and route.resource.name in table, route


async def test_role_matrix_over_every_route(full_client, auth_headers):
    client = full_client
    principals = {None: {}}
    for role in ("viewer", "operator", "admin"):
        principals[role] = await auth_headers(client, role)
    routes = sorted(concrete_routes(client.app), key=lambda r: r[1].endswith("/logout"))
    checked = 0
    for method, path, route in routes:
        for role, headers in principals.items():
            if route.websocket:
                ws = await client.ws_connect(path, params={"token": headers["Authorization"][7:]} if headers else {})
                try:
                    msg = await ws.receive(timeout=0.5)
                except TimeoutError:
                    msg = None  # open and silent: the telemetry socket never greets
                if RANK[role] < NEEDED[route.policy]:
                    assert ws.close_code == 1008, (path, role, msg)
                else:
                    assert ws.close_code != 1008, (path, role, msg)
                await ws.close()
                checked += 1
                continue
            status, body = await _call(client, method, path, headers)
            detail = body.get("detail") if isinstance(body, dict) else None
            where = (method, path, role, status, detail)
            assert status < 500, where
            if RANK[role] < NEEDED[route.policy]:
                expected = 401 if role is None else 403
                assert status == expected, where
                if expected == 403:
                    assert detail in ROLE_MESSAGES, where
            else:
                assert status != 401, where
                assert not (status == 403 and detail in ROLE_MESSAGES), where
            checked += 1
    assert checked >= 4 * 60
