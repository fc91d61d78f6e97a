"""The administrators' pages: comparison and matrix on tests/fixtures/comparelib, and who may see them.

comparelib: `west` and `north` run common's new_case; `east` adds a step, raises the gateway's threshold and
changes a row of the `level` decision table (tests/engine/test_compare.py has the details).
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.accounts.demo_staff import demo_organisations
from engine.accounts.demo_staff import demo_user
from engine.config import Settings
from engine.services import Services
from engine.store.models import Event
from engine.store.models import User
from tests.web.conftest import PASSWORD_HASH
from tests.web.conftest import made_app
from tests.web.conftest import sign_in
from web import demo

COMPARELIB = Path(__file__).resolve().parent.parent / "fixtures" / "comparelib"
COMPARE = "/admin/compare?flow=new_case&left=west&right=east"


@pytest.fixture
def compare_services(database_url: str):
    services = Services(
        Settings(
            database_url=database_url, processes_dir=COMPARELIB, secret_key="test-secret-key-of-at-least-32-bytes"
        ),
        {},
        {},
    )
    yield services
    services.engine.dispose()


@pytest.fixture
def compare_app(compare_services, clock):
    with compare_services.sessions() as session:
        center = demo_organisations(session, compare_services.library.municipality("west"))["center"][0]
        demo_user(session, center, 1, password_hash=PASSWORD_HASH)
        demo.seed_admin(session, compare_services.library, PASSWORD_HASH)
        session.commit()
    with made_app(compare_services, clock, TESTING=True) as app:
        yield app


@pytest.fixture
def admin(compare_app):
    client = compare_app.test_client()
    assert sign_in(client, demo.ADMIN_LOGIN).status_code == 302
    return client


@pytest.fixture
def staff(compare_app):
    client = compare_app.test_client()
    assert sign_in(client, "west-center-1-1").status_code == 302
    return client


def markers(page: str, side: str, process: str) -> dict[str, str]:
    pattern = rf'data-side="{side}" data-process="{process}" data-xml-url="[^"]+" data-markers=\'([^\']*)\''
    found = re.search(pattern, page)
    assert found, f"no {side} diagram of {process}"
    return json.loads(html.unescape(found.group(1)))


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        COMPARE,
        "/admin/compare/diagram.bpmn?flow=new_case&side=east&process=new_case",
        "/admin/matrix?flow=new_case",
        "/admin/matrix.csv?flow=new_case",
    ],
)
def test_staff_without_the_capability_get_404_and_the_attempt_is_logged(staff, compare_services, url):
    response = staff.get(url)
    assert response.status_code == 404
    assert "比較" not in response.get_data(as_text=True)
    with compare_services.sessions() as session:
        denied = session.scalars(select(Event).where(Event.kind == "access_denied")).all()
    assert [e.detail["path"] for e in denied] == [url.split("?")[0]]


def test_strangers_are_sent_to_sign_in(compare_app):
    response = compare_app.test_client().get(COMPARE)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_menu_shows_the_comparison_to_administrators_only(admin, staff):
    assert "市町村の比較" in admin.get("/").get_data(as_text=True)
    assert "市町村の比較" not in staff.get("/").get_data(as_text=True)


def test_compare_page_marks_both_diagrams_and_lists_the_changes(admin):
    response = admin.get(COMPARE)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    right = markers(page, "right", "new_case")
    left = markers(page, "left", "new_case")
    assert right["east_extra_check"] == "kf-added"
    assert "east_extra_check" not in left
    assert left["flow_high"] == right["flow_high"] == "kf-changed"
    assert left["intake"] == right["intake"] == "kf-changed"
    assert markers(page, "left", "plan_cycle") == markers(page, "right", "plan_cycle") == {}
    assert 'data-element="flow_high"' in page and 'data-element="east_extra_check"' in page
    assert "points &gt;= 50" in page and "points &gt;= 60" in page
    assert "翌月5日まで" in page


def test_compare_page_shows_decision_rows_and_parameters_side_by_side(admin):
    page = admin.get(COMPARE).get_data(as_text=True)
    decision = re.search(r'<tr class="decision-changed" data-decision="level">(.*?)</tr>', page, re.S)
    assert decision and "規則が異なる" in decision.group(1)
    assert "band=&#34;high&#34;" in decision.group(1) and "band=&#34;middle&#34;" in decision.group(1)
    row = re.search(r'<tr class="param-different" data-key="deadlines.results_due_day">(.*?)</tr>', page, re.S)
    assert row and re.findall(r"<td>(.*?)</td>", row.group(1))[1:] == ["4", "5", "異なる"]
    assert 'class="param-equal" data-key="deadlines.due_date_shift"' in page


def test_identical_sides_say_there_is_no_difference(admin):
    page = admin.get("/admin/compare?flow=new_case&left=west&right=north").get_data(as_text=True)
    assert 'id="no-difference"' in page
    assert 'li class="change' not in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("flow=new_case&left=west&right=nowhere", "市町村「nowhere」は登録されていません"),
        ("flow=new_case&left=west", "手続きと、比較する2つの市町村を選んでください"),
        ("flow=no_such_flow&left=west&right=east", "手続き「no_such_flow」はテスト西市にありません"),
        ("flow=new_case&left=west%403&right=east", "版 3 はありません"),
        ("flow=new_case&left=west%40x&right=east", "版は「west@2」のように番号で指定してください"),
    ],
)
def test_bad_choices_get_a_japanese_message_and_keep_the_form(admin, query, message):
    response = admin.get(f"/admin/compare?{query}")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert '<option value="west" selected>' in page or "west%40" in query


def test_the_diagram_of_one_side_is_served_as_bpmn(admin):
    response = admin.get("/admin/compare/diagram.bpmn?flow=new_case&side=east&process=new_case")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    assert b'id="east_extra_check"' in response.data
    common = admin.get("/admin/compare/diagram.bpmn?flow=new_case&side=west&process=new_case")
    assert b"east_extra_check" not in common.data
    assert admin.get("/admin/compare/diagram.bpmn?flow=new_case&side=west&process=nope").status_code == 404
    assert admin.get("/admin/compare/diagram.bpmn?flow=new_case&side=nowhere&process=new_case").status_code == 404


def test_matrix_page_and_csv(admin):
    page = admin.get("/admin/matrix?flow=new_case").get_data(as_text=True)
    assert re.search(r'<tr data-step="intake">', page)
    assert '<tr data-municipality="east" data-step="east_extra_check">' in page
    assert "テスト東市" in page and "テスト北市" in page
    response = admin.get("/admin/matrix.csv?flow=new_case")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")
    text = response.data.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("手順ID,手順,標準,テスト東市 有無")
    assert "east_extra_check" in text
    assert admin.get("/admin/matrix.csv?flow=no_such_flow").status_code == 404
    assert admin.get("/admin/matrix?flow=no_such_flow").status_code == 422


def test_demo_data_has_an_administrator(app, web_services, db_session):
    logins = demo.seed(db_session, web_services.library)
    assert demo.ADMIN_LOGIN in [login.login for login in logins]
    user = db_session.scalar(select(User).where(User.login == demo.ADMIN_LOGIN))
    assert user.is_admin
    assert demo.seed(db_session, web_services.library)  # a second run adds nothing and does not fail
    assert len(db_session.scalars(select(User).where(User.is_admin.is_(True))).all()) == 1
    app.config["SHOW_DEMO_LOGINS"] = True  # as `kaigoflow demo` sets it (never on in production)
    page = app.test_client().get("/login").get_data(as_text=True)
    assert demo.ADMIN_LOGIN in page and "管理者(市町村の比較)" in page
