"""The web UI in real Chromium against a real server (SQLite and PostgreSQL): an admin's whole
working day, a viewer's limits, keyboard-only sign-in, phone width, axe-core on every page, stale
channels and a dead connection."""

from __future__ import annotations

import csv
import io
import json
import re
import time
import urllib.request

import pytest
from browser_support import AXE
from edge_support import ADMIN_EMAIL, ADMIN_PASSWORD
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
#: What a value card shows before its first value (a JavaScript string literal).
NO_VALUE = "'\u2013'"


def api(site, method, path, body=None, token=None):
    request = urllib.request.Request(f"{site.url}{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(request, timeout=10) as resp:
        return json.loads(resp.read() or b"null")


def admin_token(site):
    return api(site, "POST", "/api/v1/auth/login", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})["access_token"]


def sign_in_with_keyboard(page, site, email, password):
    page.goto(f"{site.url}/")
    assert "/signin" in page.url
    page.keyboard.press("Tab")  # skip link
    page.keyboard.press("Tab")  # brand link
    for _ in range(4):
        if page.evaluate("document.activeElement.id") == "email":
            break
        page.keyboard.press("Tab")
    expect(page.locator("#email")).to_be_focused()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{site.url}/")


def submit(page, form_selector, fields, *, expect_flash):
    form = page.locator(form_selector)
    details = form.locator("xpath=ancestor::details")
    if details.count() and not details.first.evaluate("d => d.open"):
        details.first.locator("summary").click()
    for label, value in fields.items():
        field = form.get_by_label(label, exact=True)
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(label=value)
        else:
            field.fill(str(value))
    with page.expect_navigation():  # after an action the page reloads with a flash message
        form.locator("button[type=submit]").click()
    flash = page.locator("#flash")
    expect(flash).to_be_visible()
    expect(flash).to_have_text(expect_flash)
    expect(flash).to_be_focused()  # focus after the action


def card_values(page):
    return page.locator(".value-card output").all_inner_texts()


def test_admin_runs_the_plant_from_the_browser(browser, site, receiver):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10000)
    sign_in_with_keyboard(page, site, ADMIN_EMAIL, ADMIN_PASSWORD)

    page.goto(f"{site.url}/events")
    submit(page, "#event-create", {"Name": "Tank level", "Unit": "cm", "Minimum": "0", "Maximum": "500"},
           expect_flash="Event created.")
    expect(page.get_by_role("cell", name="Tank level", exact=True)).to_have_count(1)

    page.goto(f"{site.url}/plugins")
    page.locator("#f-plugin-id").select_option("simulated")
    submit(page, "#instance-create", {"Instance name": "Sim line"}, expect_flash="Instance created.")
    expect(page.locator("h3", has_text="Sim line")).to_have_count(1)

    page.goto(f"{site.url}/rules")
    submit(page, "#rule-create", {"Name": "Tank high", "Event": "Tank level", "Threshold": "400",
                                  "Hysteresis": "5", "Holds for (s)": "2", "Cooldown (s)": "30"},
           expect_flash="Rule created.")
    expect(page.locator("tbody")).to_contain_text("Tank level gt 400.0, hysteresis 5.0, for 2.0 s, cooldown 30 s")

    page.goto(f"{site.url}/experiments")
    submit(page, "#experiment-start", {"Name of the new experiment": "Run one"}, expect_flash="Experiment started.")
    expect(page.locator("#running")).to_have_text(re.compile(r"^Running: Run one"))

    token = api(site, "POST", "/api/v1/tokens", {"name": "browser-test controller"}, admin_token(site))["token"]
    site.start_controller(token)

    page.goto(f"{site.url}/")
    page.wait_for_function("() => [...document.querySelectorAll('.value-card:not(.stale) output')]"
                           f".some(o => o.textContent !== {NO_VALUE})", timeout=20000)
    first = card_values(page)
    page.wait_for_function(f"() => JSON.stringify([...document.querySelectorAll('.value-card output')]"
                           f".map(o => o.textContent)) !== {json.dumps(json.dumps(first, ensure_ascii=False))}",
                           timeout=15000)
    expect(page.locator("#conn")).to_have_text("live")
    page.wait_for_function("() => Number(document.getElementById('chart').dataset.points || 0) >= 2", timeout=15000)
    grown_from = int(page.locator("#chart").get_attribute("data-points"))
    page.wait_for_function(f"() => Number(document.getElementById('chart').dataset.points) > {grown_from}",
                           timeout=15000)
    expect(page.locator("#chart canvas")).to_have_count(1)

    # An output has a value only once written: until then it says so, and it never turns stale.
    heater = page.locator(".value-card", has=page.get_by_role("heading", name="Sim line \u2013 Heater Power"))
    expect(heater.locator(".fresh")).to_have_text("output, not written yet")
    expect(heater).not_to_have_class(re.compile(r"\bstale\b"))
    page.get_by_label("Sim line \u2013 Heater Power on").check()
    expect(heater.locator("output")).to_have_text("100.00")
    expect(heater.locator(".fresh")).to_have_text(re.compile(r"^output, set at \d"))

    page.goto(f"{site.url}/experiments")
    with page.expect_navigation():
        page.get_by_role("button", name="Stop").click()
    expect(page.locator("#flash")).to_have_text("Experiment stopped.")
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV of Run one").click()
    rows = list(csv.reader(io.StringIO(download.value.path().read_text())))
    assert len(rows) >= 3, rows[:5]  # a header and the values recorded while the run went on
    numbers = [cell for row in rows[1:] for cell in row if cell.replace(".", "", 1).replace("-", "", 1).isdigit()]
    assert numbers, rows[:5]

    page.goto(f"{site.url}/dashboards")
    submit(page, "#dashboard-create", {"Name of the new dashboard": "Line 1"}, expect_flash="Dashboard created.")
    page.get_by_role("link", name="Line 1").click()
    sim_event = page.locator("#widget-add select[name=event_public_id] option").nth(1).inner_text()
    for kind, title in (("line_chart", "Trend"), ("gauge", "Gauge"), ("stat_card", "Stat"),
                        ("actuator_toggle", "Switch")):
        page.locator("#widget-add").locator("xpath=ancestor::details").evaluate("d => { d.open = true; }")
        page.locator("#f-widget_type").select_option(kind)
        submit(page, "#widget-add", {"Title": title, "Event": sim_event}, expect_flash="Widget added.")
    expect(page.locator(".widget")).to_have_count(4)
    page.wait_for_function(f"() => document.querySelector('.widget[data-type=stat_card] output')"
                           f"?.textContent !== {NO_VALUE}", timeout=10000)
    expect(page.locator(".widget[data-type=line_chart] canvas")).to_have_count(1)
    expect(page.locator(".widget[data-type=gauge] meter")).to_have_count(1)
    expect(page.locator(".widget[data-type=actuator_toggle] input[type=checkbox]")).to_have_count(1)

    page.goto(f"{site.url}/webhooks")
    form = page.locator("#webhook-create")
    form.get_by_label("URL").fill(receiver.url)
    form.get_by_label("experiment.started").check()
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Send test").click()
    expect(page.locator("#flash")).to_have_text("Test delivery queued.")
    page.get_by_role("link", name="Deliveries").click()
    deadline = time.monotonic() + 15
    while "delivered" not in page.locator("#deliveries").inner_text() if page.locator("#deliveries").count() else True:
        assert time.monotonic() < deadline, page.content()[-2000:]
        time.sleep(0.3)
        page.reload()
    assert receiver.received
    delivered = page.locator("#deliveries tbody tr").filter(
        has=page.get_by_role("cell", name="delivered", exact=True)).first
    delivered.locator("details.attempts summary").click()
    delivered.locator("details.attempts li", has_text="HTTP 200").first.wait_for()

    # A stopped controller: its channels turn stale within twice their interval (0.5 s here).
    page.goto(f"{site.url}/")
    sensors = ".value-card:not(.output)"  # outputs hold their last written value: never stale
    page.wait_for_function(f"() => document.querySelectorAll('{sensors}:not(.stale)').length >= 1", timeout=10000)
    time.sleep(2)  # a few updates, so the page has learnt each channel's interval
    stale_after = max(float(v) for v in page.locator(f"{sensors}:not(.stale)").evaluate_all(
        "cs => cs.map(c => c.dataset.staleAfter)"))
    assert stale_after <= 2 * 2.0, stale_after  # learnt from a 0.5 s poll, however busy the machine
    stopped = time.monotonic()
    site.stop_controller()
    page.wait_for_function(f"() => [...document.querySelectorAll('{sensors}')].filter(c => c.querySelector('output')"
                           f".textContent !== {NO_VALUE}).every(c => c.classList.contains('stale'))", timeout=10000)
    # Twice the interval, plus the page's 0.5 s freshness tick and a batch that was in flight.
    assert time.monotonic() - stopped < stale_after + 1.5

    # A stopped server: "disconnected" within 3 s, and back to "live" by itself.
    killed = time.monotonic()
    site.server.kill9()
    page.wait_for_function("() => document.getElementById('conn').textContent.startsWith('disconnected')", timeout=3000)
    assert time.monotonic() - killed < 3
    site.restart_server()
    page.wait_for_function("() => document.getElementById('conn').textContent === 'live'", timeout=10000)
    context.close()


def test_viewer_is_offered_no_admin_actions(browser, site):
    token = admin_token(site)
    email = f"viewer-{int(time.time() * 1000)}@example.com"
    api(site, "POST", "/api/v1/users", {"email": email, "username": email.split("@", maxsplit=1)[0],
                                        "password": "viewer-password-1", "role": "viewer"}, token)
    context = browser.new_context()
    page = context.new_page()
    sign_in_with_keyboard(page, site, email, "viewer-password-1")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav).to_be_visible()  # a wide screen shows the whole menu, without a menu button
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    expect(nav).to_contain_text("Events")
    expect(nav).not_to_contain_text("Webhooks")
    expect(nav).not_to_contain_text("Rules")
    for path in ("/events", "/experiments", "/dashboards", "/plugins"):
        page.goto(f"{site.url}{path}")
        expect(page.locator("[data-api]"), path).to_have_count(0)
        expect(page.locator("form"), path).to_have_count(0)
    for path in ("/webhooks", "/rules", "/users"):
        response = page.goto(f"{site.url}{path}")
        assert response.status == 403
        expect(page.locator("main")).to_contain_text("Your role may not open this page.")
    assert page.goto(f"{site.url}/api/v1/webhooks").status == 403
    context.close()


def test_every_page_is_accessible_and_fits_a_phone(browser, site):
    if site.url and "sqlite" not in str(site.workdir):
        pytest.skip("markup does not depend on the database: checked once, on SQLite")
    context = browser.new_context(viewport=PHONE, bypass_csp=True)  # to inject axe-core
    page = context.new_page()
    page.goto(f"{site.url}/signin")
    pages = ["/signin"]
    axe = AXE.read_text()
    problems = {}

    def check(path):
        page.goto(f"{site.url}{path}")
        if path.endswith("#dark"):
            assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
        # Pages drawn by their scripts (live cards, widgets, charts) are checked once those settled.
        live = path.split("#")[0] in ("/", "/history") or path.startswith("/dashboards/")
        page.wait_for_load_state("networkidle" if live else "load")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (path, width)
        page.add_script_tag(content=axe)
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
                   if v["impact"] in ("serious", "critical")]
        if serious:
            problems[path] = serious

    check("/signin")
    page.locator("#email").fill(ADMIN_EMAIL)
    page.locator("#password").fill(ADMIN_PASSWORD)
    page.locator("#password").press("Enter")
    page.wait_for_url(f"{site.url}/")
    # The menu is folded behind its button: the page's content starts right under one header row.
    toggle = page.get_by_role("button", name="Menu")
    nav = page.get_by_role("navigation", name="Main")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_hidden()
    assert page.locator("main").bounding_box()["y"] < 80, page.locator("main").bounding_box()
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(nav).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    links = nav.locator("a").evaluate_all("as => as.map(a => a.pathname)")
    page.keyboard.press("Tab")
    expect(nav.locator("a").first).to_be_focused()
    page.keyboard.press("Escape")  # closes the menu and gives the focus back to its button
    expect(nav).to_be_hidden()
    expect(toggle).to_be_focused()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    pages += [p for p in links if not p.startswith("/api") and p != "/health"]
    for extra in page.goto(f"{site.url}/dashboards") and page.locator(".grid a").evaluate_all(
            "as => as.map(a => a.pathname)")[:1]:
        pages.append(extra)
    for path in pages[1:]:
        check(path)
    dark = browser.new_context(viewport=PHONE, bypass_csp=True, color_scheme="dark",
                               storage_state=context.storage_state())
    page = dark.new_page()
    for path in ("/", "/events", "/plugins", "/account"):  # the scheme's colours, on forms, tables, cards
        check(f"{path}#dark")
    dark.close()
    assert not problems, problems
    context.close()
