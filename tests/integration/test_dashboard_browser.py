"""The dashboard in a real headless browser (Playwright driving Debian's /usr/bin/chromium).

A uvicorn server on 127.0.0.1 serves a seeded store. Every page must load with no console
error and no request leaving 127.0.0.1 (the assets are vendored; the pages' CSP would refuse a
CDN anyway), the charts must draw the seeded figures, the login form must set an HttpOnly
cookie, the drill-down and the knowledge-base editor must work. Screenshots go to the test's
tmp folder.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from router.settings import APISettings
from tests.conftest import missing_service
from tests.helpers_http import free_port
from tests.unit.reports.conftest import seed_store

pytestmark = pytest.mark.integration
CHROMIUM = os.environ.get("DESKROUTE_TEST_CHROMIUM", "/usr/bin/chromium")
TOKEN = "browser-test-token-0123456789"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    import uvicorn

    from router.api.app import create_app
    from router.store.db import unit_of_work
    from router.store.migrate import upgrade
    from router.store.models import KBEntry

    folder = tmp_path_factory.mktemp("dashboard")
    url = f"sqlite:///{folder / 'dash.db'}"
    upgrade(url)
    ids = seed_store(url)
    with unit_of_work(url) as s:
        s.add(KBEntry(kb="default", source="t.csv", ref="1", title="Shipping",
                      question="How long does shipping take?", answer="We ship in 2 days.",
                      intent="shipping", content_hash="h1"))
    app = create_app(database_url=url, embedded_worker=False)
    app.state.api_settings = APISettings(admin_token=TOKEN)
    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start"
    try:
        yield {"base": f"http://127.0.0.1:{port}", "ids": ids, "shots": folder}
    finally:
        srv.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        missing_service(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM,
                              args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            yield b
        finally:
            b.close()


class Watch:
    """Console errors, failed responses and requests to anywhere but the test server."""

    def __init__(self, page: Any, base: str) -> None:
        self.errors: list[str] = []
        self.foreign: list[str] = []
        self.failed: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("response", lambda r: self.failed.append(f"{r.status} {r.url}")
                if r.status >= 400 and not r.url.endswith("/login") else None)

        def route(r: Any) -> None:
            if r.request.url.startswith(base) or r.request.url.startswith("data:"):
                r.continue_()
            else:
                self.foreign.append(r.request.url)
                r.abort()

        page.route("**/*", route)

    def clean(self) -> None:
        assert self.foreign == [], f"requests left 127.0.0.1: {self.foreign}"
        assert self.errors == [], f"console errors: {self.errors}"
        assert self.failed == [], f"failed responses: {self.failed}"


def _login(page: Any, base: str, token: str = TOKEN) -> None:
    page.goto(f"{base}/dashboard")
    page.fill("input[name=token]", token)
    page.click("section.login button[type=submit]")


def test_login_form_sets_an_httponly_cookie_and_refuses_a_wrong_token(
        server: dict, browser: Any) -> None:
    base = server["base"]
    context = browser.new_context()
    page = context.new_page()
    watch = Watch(page, base)
    page.goto(f"{base}/dashboard")
    assert page.url.startswith(f"{base}/login")  # redirected, not shown
    _login(page, base, "wrong-token-000000000")
    assert "not DESKROUTE_ADMIN_TOKEN" in page.inner_text("[role=alert]")
    page.fill("input[name=token]", TOKEN)
    page.click("section.login button[type=submit]")
    page.wait_for_url(f"{base}/dashboard")
    cookie = next(c for c in context.cookies() if c["name"] == "deskroute_session")
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict"
    assert page.evaluate("document.cookie") == ""  # invisible to scripts
    watch.errors = [e for e in watch.errors if "401" not in e]  # the wrong token's answer
    watch.clean()
    context.close()


def test_overview_charts_render_the_seeded_figures(server: dict, browser: Any) -> None:
    base = server["base"]
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    page = context.new_page()
    watch = Watch(page, base)
    _login(page, base)
    page.goto(f"{base}/dashboard?since=")  # all time: the seeds are dated June 2026
    for chart in ("trend", "routes", "cost", "reasons"):
        page.wait_for_selector(f"#chart-{chart}[data-rendered='1']")
    routes = page.evaluate("""() => {
        const c = document.getElementById('chart-routes').chart;
        return Object.fromEntries(c.data.labels.map((l, i) => [l, c.data.datasets[0].data[i]]));
    }""")
    assert routes == {"slm": 7, "llm": 2, "human": 2, "undecided": 1}
    reasons = page.evaluate("document.getElementById('chart-reasons').chart.data.labels")
    assert set(reasons) == {"signal:legal_threat", "signal:human_request", "low_confidence",
                            "llm_error"}
    pixels = page.evaluate("""() => {
        const c = document.getElementById('chart-routes');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) n++; } return n;
    }""")
    assert pixels > 1000  # something was drawn
    assert "72.7%" in page.inner_text(".cards")  # deflection 8/11
    assert "shipping" in page.inner_text("main")  # worst local accuracy table
    page.screenshot(path=str(server["shots"] / "dashboard.png"), full_page=True)
    watch.clean()
    context.close()


def test_ticket_search_and_drill_down(server: dict, browser: Any) -> None:
    from playwright.sync_api import expect

    base = server["base"]
    context = browser.new_context(viewport={"width": 1300, "height": 1000})
    page = context.new_page()
    watch = Watch(page, base)
    _login(page, base)
    page.goto(f"{base}/dashboard/tickets")
    assert page.inner_text("#ticket-total") == "12"
    page.select_option("select[name=state]", "escalated")
    expect(page.locator("#ticket-total")).to_have_text("3")  # htmx swapped the rows
    page.fill("input[name=q]", "T9")
    expect(page.locator("#ticket-total")).to_have_text("1")
    page.click("#ticket-table tbody a >> nth=0")
    page.wait_for_selector("#decision")
    assert page.url.endswith(f"/dashboard/tickets/{server['ids']['T9']}")
    assert "signal human_request" in page.inner_text("main")
    assert "human" in page.inner_text("#decision")
    page.select_option("select[name=kind]", "resolved")
    page.click("#outcomes button[type=submit]")
    page.wait_for_selector("#outcomes td:text('resolved')")
    assert "confirmed" in page.inner_text(".cards")
    page.screenshot(path=str(server["shots"] / "ticket.png"), full_page=True)
    watch.clean()
    context.close()


def test_knowledge_base_edit_and_retire(server: dict, browser: Any) -> None:
    base = server["base"]
    context = browser.new_context()
    page = context.new_page()
    page.on("dialog", lambda d: d.accept())
    watch = Watch(page, base)
    _login(page, base)
    page.goto(f"{base}/dashboard/kb")
    page.click("#kb-table button:text('Edit')")
    page.fill("textarea[name=answer]", "We ship within 24 hours.")
    page.click("form.kb-edit button[type=submit]")
    page.wait_for_selector("#kb-table td.answer:text('We ship within 24 hours.')")
    page.click("#kb-table button:text('Retire')")
    page.wait_for_selector("#kb-table tr.retired")
    page.screenshot(path=str(server["shots"] / "kb.png"))
    watch.clean()
    context.close()


def test_api_docs_load_without_a_cdn(server: dict, browser: Any) -> None:
    base = server["base"]
    page = browser.new_page()
    watch = Watch(page, base)
    page.goto(f"{base}/docs")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "deskroute" in page.inner_text(".swagger-ui .info .title")
    page.wait_for_selector(".opblock-summary-path[data-path='/tickets/{ticket_id}']")
    watch.clean()
    page.close()
