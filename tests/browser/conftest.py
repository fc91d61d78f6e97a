"""Browser tests: the real app on a live server, driven through Debian's chromium with Playwright.

Everything here is marked `browser` and skipped (with the reason) when /usr/bin/chromium, Playwright or the built
front-end files are missing. Playwright never downloads a browser here: it launches the system chromium.

Fixtures: `live_app` (the Flask app: real processes/, demo data, a fresh SQLite file), `live_server` (its base
URL), `browser`, `page` (a fresh context per test, Japanese locale), `page_errors` (console errors and uncaught
exceptions of that page) and `login` (signs a demo user in through the sign-in form).

The test app also serves, under /_test/ and only here: `processes/<path>` (the library's files),
`page/<name>?spec=<json>` (tests/browser/fixtures/<name>.html rendered with `spec`) and `print/<form>` (the print
view of a sample document from tests/fixtures/print/).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Blueprint
from flask import Flask
from flask import abort
from flask import render_template_string
from flask import request
from flask import send_from_directory
from werkzeug.serving import make_server

import handlers
from engine.clock import SystemClock
from engine.clock import today as clock_today
from engine.config import Settings
from engine.services import Services
from engine.store.db import upgrade

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PROCESSES = ROOT / "processes"
FIXTURES = HERE / "fixtures"
PRINT_SAMPLES = ROOT / "tests" / "fixtures" / "print"
CHROMIUM = Path("/usr/bin/chromium")
STORY_MUNICIPALITIES = ("toyokawa", "city-a")  # oshu is the modeler test's
VENDOR_VIEWER = ROOT / "web" / "static" / "vendor" / "bpmn-js" / "bpmn-navigated-viewer.production.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _skip_reason() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} がありません(apt-get install chromium、または bash .ci/setup --test)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright がありません(pip install -e '.[test]')"
    if not VENDOR_VIEWER.exists():
        return "web/static/vendor/ がありません(npm ci && npm run build、または bash .ci/setup)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _skip_reason()
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


def _test_routes() -> Blueprint:
    """Pages and files only the test app serves."""
    bp = Blueprint("browser_tests", __name__, url_prefix="/_test")

    @bp.get("/processes/<path:name>")
    def process_file(name: str) -> Any:
        return send_from_directory(PROCESSES, name, mimetype="application/xml" if name.endswith("mn") else None)

    @bp.get("/page/<name>")
    def fixture_page(name: str) -> Any:
        path = FIXTURES / f"{name}.html"
        if not name.replace("_", "").isalnum() or not path.is_file():
            abort(404)
        spec = json.loads(request.args.get("spec", "{}"))
        return render_template_string(path.read_text(encoding="utf-8"), spec=spec)

    @bp.get("/print/<form>")
    def print_view(form: str) -> Any:
        """The browser print view (web.pdf.render_document_html) of a sample in tests/fixtures/print/."""
        from datetime import UTC
        from datetime import date
        from datetime import datetime

        from engine.store.models import Case
        from engine.store.models import Document
        from web.pdf import render_document_html

        path = PRINT_SAMPLES / f"{form}.schema.json"
        if not form.replace("_", "").isalnum() or not path.is_file():
            abort(404)
        schema = json.loads(path.read_text(encoding="utf-8"))
        document = Document(
            form=form,
            title=schema["title"],
            version=1,
            data=schema["examples"][0],
            schema=schema,
            submitted_at=datetime(2026, 5, 1, 5, 30, tzinfo=UTC),
        )
        case = Case(
            municipality="suzuka-kameyama",
            client_name="鈴鹿 花子",
            client_name_kana="スズカ ハナコ",
            insured_number="0123456789",
            care_level="shien2",
            certification_start=date(2026, 4, 1),
            certification_end=date(2027, 3, 31),
            delegated=True,
            data={},
        )
        return render_document_html(document, case, {"center": "第一地域包括支援センター"})

    return bp


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The real app: the processes/ library, handlers, demo organisations/staff/cases, a fresh SQLite file."""
    from web import create_app
    from web import demo

    url = f"sqlite:///{tmp_path_factory.mktemp('live') / 'kaigoflow.sqlite3'}"
    upgrade(url)
    services = Services(
        Settings(database_url=url, processes_dir=PROCESSES, secret_key="browser-tests-key-of-at-least-32-bytes"),
        handlers.form_handlers(),
        handlers.python_decisions(),
    )
    with services.sessions() as session:
        demo.seed(session, services.library)
        if hasattr(demo, "seed_cases"):
            demo.seed_cases(session, services.library, services.runtime())
        # The demo's stories (a plan in force, an overdue モニタリング …) in two municipalities, as of today: one
        # for each width the care manager's day is walked at (tests/browser/test_care_manager_day.py).
        demo.seed_stories(session, services, clock_today(SystemClock()), only=STORY_MUNICIPALITIES)
    # Plain http on 127.0.0.1: the session cookie must not be Secure-only, or the browser would drop it.
    app = create_app(services=services, config={"SESSION_COOKIE_SECURE": False})
    app.register_blueprint(_test_routes())
    yield app
    services.engine.dispose()


@pytest.fixture(scope="session")
def live_server(live_app: Flask) -> Iterator[str]:
    """The base URL of the app served by werkzeug in a background thread on 127.0.0.1 (a free port)."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, live_server: str) -> Iterator[Any]:
    """A page in a fresh browser context (no cookies), Japanese locale, relative URLs against the live server."""
    context = browser.new_context(
        base_url=live_server, locale="ja-JP", timezone_id="Asia/Tokyo", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def page_errors(page: Any) -> list[str]:
    """Console errors (CSP violations included) and uncaught exceptions of `page`, as they happen."""
    errors: list[str] = []

    def on_console(message: Any) -> None:
        if message.type == "error" and not str(message.location.get("url", "")).endswith("/favicon.ico"):
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
    return errors


@pytest.fixture
def login() -> Callable[..., None]:
    """`login(page, login_id, password=demo password)`: sign in through the form at /login, like a person."""
    from web.demo import DEMO_PASSWORD

    def sign_in(page: Any, login_id: str, password: str = DEMO_PASSWORD) -> None:
        response = page.goto("/login")
        assert response is not None and response.status == 200, "サインインのページ (/login) が開けません"
        page.fill("input[name='login']", login_id)
        page.fill("input[name='password']", password)
        with page.expect_navigation():
            page.locator("form:has(input[name='password'])").locator(
                "button[type='submit'], input[type='submit'], button:not([type])"
            ).first.click()
        if page.url.split("?")[0].endswith("/login"):
            alert = page.locator("[role='alert'], .error, .flash-error").first
            message = alert.inner_text() if alert.count() else page.title()
            raise AssertionError(f"{login_id} でサインインできませんでした: {message}")

    return sign_in
