"""A live portal in a background thread and a real headless Chromium driven by Playwright.

The server has its own database and embedded index, CSRF switched on as in
production, and a handful of case studies made through the services.
"""

from __future__ import annotations

import contextlib

import os
import shutil
import threading
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from cityexchange.extensions import db
from cityexchange.services.demo import load_demo
from tests.conftest import build_app, make_config
from tests.factories import make_case_study, make_user

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
CONTRIBUTOR = {"email": "anna@dortmund.example", "password": "correct horse battery"}

# Three cities share one word, so a city facet has something to narrow.
SEED = [
    ("Brownfield solar park on a former colliery", "Dortmund", 2021),
    ("Brownfield to business park at Phoenix West", "Dortmund", 2019),
    ("Brownfield remediation along the Buffalo River", "Buffalo", 2022),
    ("Brownfield land bank for vacant steel sites", "Pittsburgh", 2020),
]


def _seed() -> None:
    make_user(email=CONTRIBUTOR["email"], password=CONTRIBUTOR["password"], city="Dortmund")
    for title, city, year in SEED:
        make_case_study(title, city=city, year=year, language="en",
                        summary=f"What {city} learned turning brownfield land to new use.",
                        body=f"The brownfield site in {city} was cleaned up and reused.")


def _buffered(app):
    """The app with each response body read whole and its iterable closed at once.

    werkzeug's development server closes the body (a static file is an open file) only
    after draining the socket, which raises when the browser has reset the connection;
    the file then leaks into an unrelated test's ResourceWarning."""
    def wsgi(environ, start_response):
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()
    return wsgi


@contextlib.contextmanager
def serve_portal(directory, seed):
    """A portal (CSRF on) with its own database and index, served on a free local port."""
    app = build_app(make_config(directory, WTF_CSRF_ENABLED=True))
    with app.app_context():
        seed()
        db.session.remove()
    server = make_server("127.0.0.1", 0, _buffered(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            app.extensions["search_engine"].close()
            db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """Base URL of the portal, served on a free port of 127.0.0.1."""
    with serve_portal(tmp_path_factory.mktemp("browser-app"), _seed) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is not on PATH: run tools/run-tests, or "
                    "apt-get install chromium chromium-driver", pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS,
                                             headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server, locale="en-US",
                                  viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def screenshot_dir():
    """Where each scenario leaves its screenshot: test-artifacts/screenshots (git-ignored),
    or CITYEX_SCREENSHOT_DIR."""
    kept = os.environ.get("CITYEX_SCREENSHOT_DIR") or str(ARTIFACTS / "screenshots")
    os.makedirs(kept, exist_ok=True)
    return kept


ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# axe-core from npm (tests/browser/npm/package.json), installed by tools/run-tests.
AXE_JS = Path(__file__).resolve().parent / "npm" / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_JS.exists():
        pytest.fail("axe-core is not installed: run tools/run-tests, or "
                    "npm ci --prefix tests/browser/npm", pytrace=False)
    return AXE_JS.read_text(encoding="utf-8")


@pytest.fixture
def assert_accessible(axe_source):
    """Run axe-core (WCAG 2.1 A/AA rules) on the page as it is; fail on any serious or
    critical violation, naming the rule and the elements."""
    def check(page, what: str = ""):
        # Evaluated through the DevTools protocol: the portal's CSP (script-src 'self')
        # rightly refuses an injected inline <script>.
        page.evaluate(axe_source)
        result = page.evaluate("""() => axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',
                                            'best-practice']}})""")
        bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
        report = "\n".join(
            f"{v['impact']} {v['id']}: {v['help']} — "
            + "; ".join(" ".join(n["target"]) for n in v["nodes"][:5])
            for v in bad)
        assert not bad, f"axe-core on {what or page.url}:\n{report}"
    return check


@pytest.fixture
def log_in(page):
    def log_in_as(email=CONTRIBUTOR["email"], password=CONTRIBUTOR["password"],
                  then="/contribute/"):
        page.goto(then)  # a protected page sends us to the login form and back
        page.fill("#email", email)
        page.fill("#password", password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"**{then}")
    return log_in_as


DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}


@pytest.fixture(scope="session")
def demo_portal(tmp_path_factory):
    """One live portal with the demo data set, for the pages that only read it."""
    with serve_portal(tmp_path_factory.mktemp("demo-portal"), load_demo) as url:
        yield url


@pytest.fixture
def open_page(browser, demo_portal):
    """open_page(path, viewport, locale, javascript) -> a page of the demo portal."""
    contexts = []

    def open_at(path: str, viewport=DESKTOP, locale: str = "en-US", javascript: bool = True):
        context = browser.new_context(base_url=demo_portal, locale=locale, viewport=viewport,
                                      java_script_enabled=javascript)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(path)
        return page

    yield open_at
    for context in contexts:
        context.close()
