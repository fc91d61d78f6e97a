"""From nothing to work done, as a municipality adopting kaigoflow would: a fresh `init-db`, the README's "first
administrator" commands, then in the browser the administrator registers a 地域包括支援センター, a 居宅介護支援事業所
and a care manager; the care manager signs in with the one-time password, is made to choose their own, opens a
case and completes its first task."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from datetime import timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from werkzeug.serving import make_server

import handlers
from engine.clock import JST
from engine.config import Settings
from engine.services import Services
from engine.store.models import Document
from engine.store.models import Organisation
from engine.store.models import User
from tests.browser.conftest import PROCESSES
from web.cli import main

ADMIN_PASSWORD = "Oshu-kanri-2026"
CARE_MANAGER_PASSWORD = "Midori-care-2026"


@pytest.fixture
def fresh(tmp_path, monkeypatch) -> Iterator[tuple[str, Services]]:
    """A new database made by init-db, and the first administrator made by the README's commands."""
    url = f"sqlite:///{tmp_path / 'kaigoflow.sqlite3'}"
    monkeypatch.setenv("KAIGOFLOW_DATABASE_URL", url)
    monkeypatch.setenv("KAIGOFLOW_PROCESSES", str(PROCESSES))
    monkeypatch.setenv("KAIGOFLOW_CACHE_DIR", str(tmp_path / "bundles"))
    runner = CliRunner()
    assert runner.invoke(main, ["init-db"]).exit_code == 0
    insurer = runner.invoke(
        main, ["org", "add", "--municipality", "oshu", "--kind", "insurer", "--name", "奥州市 長寿社会課"]
    )
    assert insurer.exit_code == 0, insurer.output
    services = Services(
        Settings(database_url=url, processes_dir=PROCESSES, secret_key="browser-tests-" * 3, cache_dir=tmp_path / "b"),
        handlers.form_handlers(),
        handlers.python_decisions(),
    )
    with services.sessions() as session:
        insurer_id = session.scalar(select(Organisation.id))
    admin = runner.invoke(
        main,
        ["user", "add", "admin", "--org", str(insurer_id), "--name", "運用 管理者", "--admin", "--password-stdin"],
        input=ADMIN_PASSWORD + "\n",
    )
    assert admin.exit_code == 0, admin.output
    yield url, services
    services.engine.dispose()


@pytest.fixture
def server(fresh) -> Iterator[str]:
    from web import create_app

    _, services = fresh
    app = create_app(services=services, config={"SESSION_COOKIE_SECURE": False})
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, name="fresh-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        httpd.server_close()


@pytest.fixture
def new_page(browser, server) -> Iterator[Any]:
    contexts = []

    def make() -> Any:
        context = browser.new_context(base_url=server, locale="ja-JP", timezone_id="Asia/Tokyo")
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def sign_in(page: Any, login: str, password: str) -> None:
    page.goto("/login")
    page.fill("input[name='login']", login)
    page.fill("input[name='password']", password)
    with page.expect_navigation():
        page.locator("form:has(input[name='password']) button[type='submit']").click()


def add_organisation(page: Any, kind: str, name: str, code: str) -> None:
    page.goto("/staff/organisations/new")
    page.select_option("#municipality", "oshu")
    page.select_option("#kind", kind)
    page.fill("#name", name)
    page.fill("#code", code)
    with page.expect_navigation():
        page.get_by_role("button", name="登録する").click()
    assert f"「{name}」を登録しました" in page.inner_text("main")


def test_a_fresh_install_to_a_care_manager_completing_work(new_page, fresh):
    _, services = fresh
    admin = new_page()
    sign_in(admin, "admin", ADMIN_PASSWORD)
    admin.get_by_role("link", name="職員・事業所").click()
    add_organisation(admin, "center", "奥州市 水沢地域包括支援センター", "0370100001")
    add_organisation(admin, "office", "みどり居宅介護支援事業所", "0370100002")

    admin.goto("/staff/users/new")
    admin.fill("#login", "midori-cm")
    admin.fill("#display_name", "緑川 ケア")
    admin.select_option("#organisation_id", label="奥州市 奥州市 水沢地域包括支援センター(地域包括支援センター)")
    admin.select_option("#job_role", "chief_care_manager")
    admin.fill("#care_manager_number", "03000001")
    with admin.expect_navigation():
        admin.get_by_role("button", name="登録する").click()
    one_time = admin.locator(".one-time-password").inner_text()
    assert one_time

    care_manager = new_page()
    sign_in(care_manager, "midori-cm", one_time)
    assert care_manager.url.endswith("/account/password")
    care_manager.fill("#current_password", one_time)
    care_manager.fill("#new_password", CARE_MANAGER_PASSWORD)
    care_manager.fill("#new_password_confirm", CARE_MANAGER_PASSWORD)
    with care_manager.expect_navigation():
        care_manager.get_by_role("button", name="変更する").click()
    assert "パスワードを変更しました" in care_manager.inner_text("main")

    care_manager.goto("/cases/new")
    care_manager.fill("#client_name", "奥州 花子")
    care_manager.fill("#insured_number", "0312345678")
    care_manager.select_option("#care_level", "shien1")
    care_manager.select_option("#office_org_id", label="みどり居宅介護支援事業所")
    with care_manager.expect_navigation():
        care_manager.get_by_role("button", name="登録して開始する").click()
    assert "ケースを登録し" in care_manager.inner_text("main")
    care_manager.goto("/")
    care_manager.get_by_role("link", name="相談受付・利用申込").first.click()
    with care_manager.expect_navigation():
        care_manager.get_by_role("button", name="このタスクを担当する").click()
    today = datetime.now(JST).date()
    care_manager.fill("#f-consultation_date", today.isoformat())
    care_manager.check("input[name='consultation_channel'][value='phone']")
    care_manager.fill("#f-certification_start", (today - timedelta(days=30)).isoformat())
    care_manager.fill("#f-certification_end", (today + timedelta(days=335)).isoformat())
    care_manager.check("#f-card_checked")
    care_manager.check("#f-copay_card_checked")
    care_manager.fill("#f-service_start_date", (today + timedelta(days=14)).isoformat())
    with care_manager.expect_navigation():
        care_manager.get_by_role("button", name="完了する").click()
    assert "field-error" not in care_manager.content(), care_manager.inner_text("main")

    with services.sessions() as session:
        me = session.scalar(select(User).where(User.login == "midori-cm"))
        [document] = session.scalars(select(Document)).all()
        assert (document.form, document.submitted_by_id) == ("intake", me.id)
        assert not me.must_change_password and me.care_manager_number == "03000001"
