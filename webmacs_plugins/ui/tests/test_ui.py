"""The layout, pages from plugins, sign-in with the session cookie, CSRF, and the UI's hooks."""

from webmacs_sdk import MenuItem, Page, Policy, SignInMethod, WidgetTypeSpec, hookimpl


class Kiln:
    name = "kiln"

    def __init__(self, folder):
        self.folder = folder

    @hookimpl(optionalhook=True)
    def webmacs_templates(self):
        return [self.folder]

    @hookimpl(optionalhook=True)
    def webmacs_ui_pages(self):
        async def context(request):
            return {"segment": request.match_info.get("public_id", "")}

        return [Page("/kiln", "Kiln schedule", "kiln.html", Policy.OPERATOR, context, menu_order=20),
                Page("/kiln/{id}", "Kiln segment", "kiln.html", Policy.OPERATOR, context, menu_order=None)]

    @hookimpl(optionalhook=True)
    def webmacs_menu_items(self):
        return [MenuItem("Kiln manual", "https://example.com/kiln", Policy.PUBLIC, order=95)]

    @hookimpl(optionalhook=True)
    def webmacs_widget_types(self):
        return [WidgetTypeSpec("kiln_curve", "Kiln firing curve")]

    @hookimpl(optionalhook=True)
    def webmacs_sign_in_methods(self):
        return [SignInMethod("Sign in with Kiln ID", "/auth/kiln/start")]


def kiln(tmp_path):
    (tmp_path / "kiln.html").write_text(
        '{% extends "layout.html" %}{% block content %}<p id="seg">segment={{ segment }}</p>{% endblock %}')
    return Kiln(tmp_path)


async def sign_in(client, email="admin@example.com", password="admin-password-1"):
    resp = await client.post("/api/v1/auth/session", json={"email": email, "password": password})
    assert resp.status == 200, await resp.text()
    return (await resp.json())["csrf_token"]


async def test_signed_out_visitor_is_sent_to_sign_in_with_other_methods(make_client, tmp_path):
    client = await make_client("users", "auth", "ui", kiln(tmp_path))
    resp = await client.get("/kiln", allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/signin?next=/kiln"
    page = await (await client.get("/signin?next=/kiln")).text()
    assert 'for="email"' in page and 'for="password"' in page
    assert 'href="/auth/kiln/start"' in page and "Sign in with Kiln ID" in page
    assert (await client.get("/ui/app.js")).status == 200
    assert (await client.get("/ui/../pyproject.toml")).status == 404
    assert (await client.get("/api/v1/nothing-here")).status == 404
    assert (await client.get("/api/v1/nothing-here")).content_type == "application/json"


async def test_page_from_a_plugin_renders_in_the_layout_for_its_role(make_client, auth_headers, tmp_path):
    client = await make_client("users", "auth", "ui", kiln(tmp_path))
    await sign_in(client)
    page = await client.get("/kiln/seg-7")
    html = await page.text()
    assert page.status == 200 and "segment=seg-7" in html
    assert "<h1>Kiln segment</h1>" in html and 'href="/kiln"' in html and 'href="/kiln/{id}"' not in html
    missing = await client.get("/no-such-page", headers={"Accept": "text/html"})
    assert missing.status == 404 and "There is no page at this address." in await missing.text()


class FarewellPage:
    name = "farewell"

    @hookimpl(optionalhook=True)
    def webmacs_sign_out_url(self, request):
        return "/farewell"


async def test_sign_out_goes_where_a_plugin_says_else_to_the_sign_in_page(make_client):
    client = await make_client("users", "auth", "ui")
    await sign_in(client)
    assert 'id="sign-out" class="link" data-next="/signin"' in await (await client.get("/")).text()
    client = await make_client("users", "auth", "ui", FarewellPage())
    await sign_in(client)
    assert 'id="sign-out" class="link" data-next="/farewell"' in await (await client.get("/")).text()


async def test_viewer_gets_the_403_page_and_no_menu_entry(make_client, auth_headers, tmp_path):
    client = await make_client("users", "auth", "ui", kiln(tmp_path))
    headers = await auth_headers(client, "viewer")
    menu = await (await client.get("/api/v1/ui/menu", headers=headers)).json()
    assert "Kiln schedule" not in [i["label"] for i in menu] and "Overview" in [i["label"] for i in menu]
    resp = await client.get("/kiln", headers=headers)
    assert resp.status == 403 and "Your role may not open this page." in await resp.text()


async def test_session_cookie_is_httponly_lax_and_needs_csrf_for_changes(make_client, tmp_path):
    client = await make_client("users", "auth", "ui", "events", kiln(tmp_path))
    body = {"email": "admin@example.com", "password": "admin-password-1"}
    resp = await client.post("/api/v1/auth/session", json=body)
    cookie = resp.headers["Set-Cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    csrf = (await resp.json())["csrf_token"]
    assert (await client.get("/api/v1/auth/me")).status == 200  # a JSON link works in the tab
    event = {"name": "T", "min_value": 0, "max_value": 1, "unit": "C", "type": "sensor"}
    refused = await client.post("/api/v1/events", json=event)
    assert refused.status == 401 and (await refused.json())["detail"] == "CSRF token missing or invalid."
    forged = await client.post("/api/v1/events", json=event, headers={"X-CSRF-Token": "0" * 64})
    assert forged.status == 401
    assert (await client.post("/api/v1/events", json=event, headers={"X-CSRF-Token": csrf})).status == 201
    out = await client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
    assert out.status == 200
    assert (await client.get("/api/v1/auth/me")).status == 401
    assert (await client.get("/", allow_redirects=False)).status == 303


async def test_revoked_session_cookie_cannot_be_replayed(make_client, tmp_path):
    client = await make_client("users", "auth", "ui")
    csrf = await sign_in(client)
    stolen = client.session.cookie_jar.filter_cookies(client.make_url("/"))["webmacs_session"].value
    await client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
    replay = await client.get("/api/v1/auth/me", cookies={"webmacs_session": stolen})
    assert replay.status == 401


async def test_widget_types_list_contributions(make_client, auth_headers, tmp_path):
    client = await make_client("users", "auth", "ui", kiln(tmp_path))
    types = await (await client.get("/api/v1/ui/widget-types", headers=await auth_headers(client))).json()
    assert {"name": "kiln_curve", "label": "Kiln firing curve"} in types


async def test_one_time_admin_password_must_be_replaced_before_anything_else(make_client):
    import sqlalchemy as sa

    from webmacs_sdk.keys import DATABASE
    from webmacs_users.tables import users

    client = await make_client("users", "auth", "ui", "events")
    async with client.app[DATABASE].transaction() as tx:  # as the first start with a printed password leaves it
        await tx.conn.execute(sa.update(users).values(password_change_required=True))
    csrf = await sign_in(client)
    resp = await client.get("/events", allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/account"
    account = await (await client.get("/account")).text()
    assert "You signed in with a one-time password." in account
    me = await (await client.get("/api/v1/auth/me")).json()
    changed = await client.put(f"/api/v1/users/{me['public_id']}", json={"password": "my-own-password-1"},
                               headers={"X-CSRF-Token": csrf})
    assert changed.status == 200, await changed.text()
    client.session.cookie_jar.clear()
    await sign_in(client, password="my-own-password-1")
    assert (await client.get("/events", allow_redirects=False)).status == 200


async def test_first_admin_with_a_printed_password_must_replace_it(make_client):
    from webmacs_sdk.keys import DATABASE
    from webmacs_users import store

    client = await make_client("users", "auth", env={"WEBMACS_INITIAL_ADMIN_PASSWORD": ""})
    async with client.app[DATABASE].connect() as conn:
        row = await store.by_email(conn, "admin@example.com")
    assert row.password_change_required is True


async def test_session_cookie_is_secure_behind_a_trusted_https_proxy(make_client):
    client = await make_client("users", "auth", env={"WEBMACS_TRUSTED_PROXIES": "127.0.0.1/32"})
    body = {"email": "admin@example.com", "password": "admin-password-1"}
    proxied = await client.post("/api/v1/auth/session", json=body, headers={"X-Forwarded-Proto": "https"})
    assert "secure" in proxied.headers["Set-Cookie"].lower()
    plain = await client.post("/api/v1/auth/session", json=body)
    assert "secure" not in plain.headers["Set-Cookie"].lower()


async def test_an_untrusted_peer_cannot_claim_https(make_client):
    client = await make_client("users", "auth")
    body = {"email": "admin@example.com", "password": "admin-password-1"}
    resp = await client.post("/api/v1/auth/session", json=body, headers={"X-Forwarded-Proto": "https"})
    assert "secure" not in resp.headers["Set-Cookie"].lower()


async def test_without_the_chart_library_the_overview_says_so_and_still_works(make_client, monkeypatch):
    from webmacs_ui import assets

    monkeypatch.setattr(assets, "CHART_SCRIPT", "vendor/not-built.js")  # as after a build without npm
    client = await make_client("users", "auth", "ui")
    await sign_in(client)
    page = await (await client.get("/")).text()
    assert "Charts are unavailable" in page and "uPlot" not in page
    assert 'id="cards"' in page and "stream.js" in page
