"""The administration pages for organisations and staff (/staff): who may open them, what a municipal
administrator may reach, per-field errors that keep what was typed, one-time passwords shown once, CSV import with
its check, and the forced password change that follows."""

from __future__ import annotations

import html
import io
import shutil

import pytest
from sqlalchemy import func
from sqlalchemy import select

import handlers
from engine.accounts import passwords
from engine.config import Settings
from engine.services import Services
from engine.store.models import Event
from engine.store.models import Organisation
from engine.store.models import User
from tests.conftest import PROCESSES
from tests.web.conftest import CSRF
from tests.web.conftest import PASSWORD
from tests.web.conftest import PASSWORD_HASH
from tests.web.conftest import made_app
from tests.web.conftest import sign_in
from tests.web.conftest import user

NEW_PASSWORD = "Sakura-2026-kaigo"


@pytest.fixture
def admins(db_session, world):
    """alpha.insurer is the administrator of everything; alpha.center2 administers alpha only."""
    db_session.get(User, world["alpha.insurer"].user_id).is_admin = True
    db_session.get(User, world["alpha.center2"].user_id).is_municipal_admin = True
    db_session.commit()
    return world


def test_only_administrators_open_the_pages_others_get_a_logged_404(login_as, admins, db_session):
    browser = login_as("alpha.center")
    assert browser.get("/staff/").status_code == 404
    assert db_session.scalar(select(func.count()).select_from(Event).where(Event.kind == "access_denied")) == 1
    assert "職員・事業所" not in browser.get("/").get_data(as_text=True)
    admin = login_as("alpha.insurer")
    page = admin.get("/staff/").get_data(as_text=True)
    assert "テスト市A 第二地域包括支援センター" in page and "テスト市B 第二地域包括支援センター" in page


def test_a_municipal_administrator_sees_and_reaches_only_their_municipality(login_as, admins, db_session, world):
    browser = login_as("alpha.center2")
    listing = browser.get("/staff/").get_data(as_text=True)
    beta_org = world.orgs["beta.center"]
    assert "テスト市A 第二地域包括支援センター" in listing and "テスト市B" not in listing
    assert browser.get(f"/staff/organisations/{beta_org.id}").status_code == 404
    assert browser.get(f"/staff/users/{world['beta.center'].user_id}").status_code == 404
    response = browser.post(f"/staff/users/{world['beta.center'].user_id}/reset-password")
    assert response.status_code == 404
    assert user(db_session, world["beta.center"].login).must_change_password is False
    assert browser.get(f"/staff/users/{world['alpha.insurer'].user_id}").status_code == 404  # an administrator
    denied = db_session.scalars(select(Event).where(Event.kind == "access_denied")).all()
    assert len(denied) == 4


def test_an_organisation_with_errors_keeps_what_was_typed_then_is_added(login_as, admins, db_session):
    browser = login_as("alpha.insurer")
    form = {
        "municipality": "alpha",
        "kind": "office",
        "name": "つばき居宅介護支援事業所",
        "code": "123",
        "address": "A市1-2",
    }
    refused = browser.post("/staff/organisations/new", form)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "事業所番号は数字10桁で入力してください" in page and 'value="つばき居宅介護支援事業所"' in page
    assert 'value="A市1-2"' in page
    done = browser.post("/staff/organisations/new", {**form, "code": "１２３４５６７８９０"})
    assert done.status_code == 302
    org = db_session.scalar(select(Organisation).where(Organisation.name == "つばき居宅介護支援事業所"))
    assert (org.code, org.role, org.municipality) == ("1234567890", "office", "alpha")
    [added] = db_session.scalars(select(Event).where(Event.kind == "organisation_added")).all()
    assert added.actor_id == admins["alpha.insurer"].user_id and added.detail["via"] == "web"


def test_a_municipal_administrator_records_an_offices_proxy_receipt_date_in_wareki(login_as, admins, db_session, world):
    """代理受領委任状の提出日 (豊川 001:8-22): typed in 和暦, refused with the text kept, old -> new and who."""
    browser = login_as("alpha.center2")
    office = world.orgs["alpha.office"]
    office_id = office.id
    url = f"/staff/organisations/{office_id}/proxy-receipt"
    before = office.proxy_receipt_mandate_filed_on  # the demo offices have filed theirs
    assert "代理受領委任状の提出日" in browser.get(f"/staff/organisations/{office_id}").get_data(as_text=True)
    center_page = browser.get(f"/staff/organisations/{world.orgs['alpha.center'].id}").get_data(as_text=True)
    assert "代理受領委任状の提出日" not in center_page  # only a 居宅介護支援事業所 files one
    for typed, message in (("令和7年2月30日", ""), ("令和20年4月1日", "未来の日付は入力できません")):
        refused = browser.post(url, {"proxy_receipt_mandate_filed_on": typed})
        page = html.unescape(refused.get_data(as_text=True))
        assert refused.status_code == 422 and f'value="{typed}"' in page and message in page
    db_session.expire_all()
    assert db_session.get(Organisation, office_id).proxy_receipt_mandate_filed_on == before
    assert browser.post(url, {"proxy_receipt_mandate_filed_on": "R6.10.1"}).status_code == 302
    db_session.expire_all()
    assert db_session.get(Organisation, office_id).proxy_receipt_mandate_filed_on.isoformat() == "2024-10-01"
    assert "令和6年10月1日" in browser.get(f"/staff/organisations/{office_id}").get_data(as_text=True)
    assert browser.post(url, {"proxy_receipt_mandate_filed_on": ""}).status_code == 302
    changed = db_session.scalars(select(Event).where(Event.kind == "organisation_changed").order_by(Event.id)).all()
    assert [e.detail["changes"]["proxy_receipt_mandate_filed_on"] for e in changed] == [
        [before.isoformat(), "2024-10-01"],
        ["2024-10-01", None],
    ]
    assert {e.actor_id for e in changed} == {admins["alpha.center2"].user_id}
    beta_office = world.orgs["beta.office"].id
    assert browser.post(f"/staff/organisations/{beta_office}/proxy-receipt", {}).status_code == 404


def test_a_new_care_manager_gets_a_one_time_password_once_and_must_change_it(app, login_as, admins, db_session, world):
    browser = login_as("alpha.center2")
    form = {
        "login": "cm-tanaka",
        "display_name": "田中 花子",
        "organisation_id": str(world.orgs["alpha.office"].id),
        "job_role": "care_manager",
        "care_manager_number": "",
    }
    refused = browser.post("/staff/users/new", form)
    assert refused.status_code == 422
    assert "介護支援専門員番号(数字8桁)が必須です" in refused.get_data(as_text=True)
    made = browser.post("/staff/users/new", {**form, "care_manager_number": "24000001", "is_admin": "1"})
    assert made.status_code == 422 and "全体の管理者の権限は" in made.get_data(as_text=True)
    made = browser.post("/staff/users/new", {**form, "care_manager_number": "24000001"})
    page = made.get_data(as_text=True)
    assert made.status_code == 200 and "一時パスワード" in page
    one_time = page.split('class="one-time-password">')[1].split("<")[0]
    person = user(db_session, "cm-tanaka")
    assert passwords.matches(person.password_hash, one_time) and person.must_change_password
    assert one_time not in browser.get(f"/staff/users/{person.id}").get_data(as_text=True)  # shown once

    client = app.test_client()
    assert sign_in(client, "cm-tanaka", one_time).status_code == 302
    forced = client.get("/")
    assert forced.status_code == 302 and forced.headers["Location"].endswith("/account/password")
    assert client.get("/cases/new").headers["Location"].endswith("/account/password")
    token = client.post("/api/token", json={"login": "cm-tanaka", "password": one_time})
    assert token.status_code == 403


def test_deactivating_ends_the_sessions_and_keeps_the_name(app, login_as, admins, db_session, world):
    victim = login_as("alpha.center")
    assert victim.get("/").status_code == 200
    admin = login_as("alpha.center2")
    response = admin.post(f"/staff/users/{world['alpha.center'].user_id}/deactivate")
    assert response.status_code == 302
    assert victim.get("/").status_code == 302  # signed out everywhere
    person = user(db_session, world["alpha.center"].login)
    assert (person.active, person.display_name) == (False, "地域包括支援センター職員1")
    assert sign_in(app.test_client(), person.login).status_code == 200  # refused: the form again
    own = admin.post(f"/staff/users/{world['alpha.center2'].user_id}/deactivate")
    assert own.status_code == 302 and user(db_session, world["alpha.center2"].login).active


def test_a_reset_signs_the_person_out_and_forces_a_new_password(app, login_as, admins, db_session, world):
    victim = login_as("alpha.office")
    admin = login_as("alpha.insurer")
    page = admin.post(f"/staff/users/{world['alpha.office'].user_id}/reset-password").get_data(as_text=True)
    one_time = page.split('class="one-time-password">')[1].split("<")[0]
    assert victim.get("/").status_code == 302
    assert sign_in(app.test_client(), world["alpha.office"].login, PASSWORD).status_code == 200  # old one is gone
    client = app.test_client()
    assert sign_in(client, world["alpha.office"].login, one_time).status_code == 302
    assert client.get("/").headers["Location"].endswith("/account/password")


def csv_file(*lines: str) -> tuple[io.BytesIO, str]:
    return io.BytesIO(("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")), "staff.csv"


def test_a_csv_is_checked_first_then_applied_from_the_checked_page(login_as, admins, db_session, world):
    browser = login_as("alpha.center2")
    bad = csv_file(
        "ログインID,氏名,事業所名,職種", "ok-1,正しい 人,第二地域包括支援センター,保健師", "bad 1,,どこか,看護師"
    )
    checked = browser.post("/staff/import", {"kind": "users", "file": bad}, content_type="multipart/form-data")
    page = checked.get_data(as_text=True)
    assert checked.status_code == 422
    assert "3行目「ログインID」" in page and "3行目「氏名」: 必須です" in page and "3行目「職種」" in page
    assert "この内容で取り込む" not in page
    good = csv_file("ログインID,氏名,事業所名,職種", "hoken-1,保健 花子,テスト市A 第二地域包括支援センター,保健師")
    checked = browser.post("/staff/import", {"kind": "users", "file": good}, content_type="multipart/form-data")
    page = checked.get_data(as_text=True)
    assert checked.status_code == 200 and "問題はありません" in page and "この内容で取り込む" in page
    assert db_session.scalar(select(func.count()).select_from(User).where(User.login == "hoken-1")) == 0
    content = page.split('name="content" value="')[1].split('"')[0]
    applied = browser.post("/staff/import", {"kind": "users", "content": html.unescape(content), "apply": "1"})
    assert applied.status_code == 200 and "1行を取り込みました" in applied.get_data(as_text=True)
    person = user(db_session, "hoken-1")
    assert person.organisation_id == world.orgs["alpha.center2"].id and person.must_change_password


def test_an_administrator_adds_a_municipality_on_the_page_and_others_get_404(tmp_path, database_url, clock):
    """The page of engine/publishing/municipality_new.py, on a copy of the real library (it writes a folder)."""
    root = tmp_path / "processes"
    shutil.copytree(PROCESSES, root)
    settings = Settings(
        database_url=database_url, processes_dir=root, secret_key="t" * 32, cache_dir=tmp_path / "bundles"
    )
    services = Services(settings, handlers.form_handlers(), handlers.python_decisions())
    with services.sessions() as session:
        org = Organisation(municipality="oshu", role="insurer", name="奥州市 長寿社会課", active=True)
        session.add(org)
        session.flush()
        for login, is_admin in (("boss", True), ("clerk", False)):
            session.add(
                User(
                    login=login,
                    display_name=login,
                    password_hash=PASSWORD_HASH,
                    organisation_id=org.id,
                    is_admin=is_admin,
                )
            )
        session.commit()
    try:
        with made_app(services, clock, TESTING=True) as app:
            clerk = app.test_client()
            sign_in(clerk, "clerk")
            assert clerk.get("/processes/new").status_code == 404
            boss = app.test_client()
            sign_in(boss, "boss")
            page = boss.get("/processes/new").get_data(as_text=True)
            token = CSRF.search(page).group(1)
            refused = boss.post("/processes/new", data={"key": "Kita Kami", "name": "北上市", "csrf_token": token})
            assert refused.status_code == 422 and 'value="北上市"' in refused.get_data(as_text=True)
            made = boss.post("/processes/new", data={"key": "kitakami", "name": "北上市", "csrf_token": token})
            assert made.status_code == 302 and made.headers["Location"].endswith("/staff/organisations/new")
        assert (root / "kitakami" / "municipality.toml").is_file()
        with services.sessions() as session:
            assert services.versions.draft(session, "kitakami") is not None
            [created] = session.scalars(select(Event).where(Event.kind == "municipality_created")).all()
            assert created.detail["name"] == "北上市"
    finally:
        services.engine.dispose()
