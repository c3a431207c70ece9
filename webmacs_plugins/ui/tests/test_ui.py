"""The live page and the UI extension points: templates, menu items, widget types."""

from webmacs_sdk import MenuItem, Policy, WidgetTypeSpec, hookimpl


class Kiln:
    name = "kiln"

    def __init__(self, folder):
        self.folder = folder

    @hookimpl
    def webmacs_templates(self):
        return [self.folder]

    @hookimpl
    def webmacs_menu_items(self):
        return [MenuItem("Kiln schedule", "/kiln", Policy.OPERATOR, order=20)]

    @hookimpl
    def webmacs_widget_types(self):
        return [WidgetTypeSpec("kiln_curve", "Kiln firing curve")]


async def test_page_renders_with_contributed_panels_and_public_menu(make_client, tmp_path):
    (tmp_path / "panels").mkdir()
    (tmp_path / "panels" / "kiln.html").write_text("<section id='kiln-panel'>{{ version }}</section>")
    client = await make_client("users", "auth", "ui", Kiln(tmp_path))
    resp = await client.get("/")
    assert resp.status == 200 and resp.content_type == "text/html"
    html = await resp.text()
    assert "<section id='kiln-panel'>2.0.0</section>" in html
    assert 'href="/"' in html and "Kiln schedule" not in html  # operator-only items need a sign-in
    js = await client.get("/ui/app.js")
    assert js.status == 200 and "datapoints_batch" in await js.text()
    assert (await client.get("/ui/../secret")).status == 404


async def test_menu_is_filtered_by_role(make_client, auth_headers, tmp_path):
    client = await make_client("users", "auth", "ui", Kiln(tmp_path))
    viewer = await (await client.get("/api/v1/ui/menu", headers=await auth_headers(client, "viewer"))).json()
    operator = await (await client.get("/api/v1/ui/menu", headers=await auth_headers(client, "operator"))).json()
    admin = await (await client.get("/api/v1/ui/menu", headers=await auth_headers(client, "admin"))).json()
    assert "Kiln schedule" not in [i["label"] for i in viewer]
    assert [i["label"] for i in operator][:2] == ["Live data", "Kiln schedule"]
    assert "Plugins (JSON)" in [i["label"] for i in admin] and "Plugins (JSON)" not in [i["label"] for i in operator]


async def test_widget_types_lists_contributions(make_client, auth_headers, tmp_path):
    client = await make_client("users", "auth", "ui", Kiln(tmp_path))
    types = await (await client.get("/api/v1/ui/widget-types", headers=await auth_headers(client))).json()
    assert {"name": "kiln_curve", "label": "Kiln firing curve"} in types
