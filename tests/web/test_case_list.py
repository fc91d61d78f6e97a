"""The 利用者一覧 (/cases and GET /api/cases), the menu per role, and the duplicate 被保険者番号 warning."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.store.models import Case
from tests.web.conftest import INTAKE
from tests.web.conftest import ready_task


@pytest.fixture
def people(db_session, runtime, world, case):
    """Three more cases of テスト市A (one ended, one handled by the 2nd center) and one of テスト市B."""
    orgs = world.orgs

    def open_one(municipality, who, name, kana, number, level, **orgs_of):
        opened = runtime.open_case(
            db_session,
            municipality,
            world[who].actor(),
            client_name=name,
            client_name_kana=kana,
            insured_number=number,
            care_level=level,
            **orgs_of,
        )
        return opened

    alpha = {"insurer_org_id": orgs["alpha.insurer"].id}
    stored = db_session.get(Case, case.id)
    stored.client_name_kana = "ヤマダ ハナコ"
    db_session.commit()
    suzuki = open_one(
        "alpha",
        "alpha.center",
        "鈴木 一郎",
        "スズキ イチロウ",
        "1111111111",
        "kaigo2",
        center_org_id=orgs["alpha.center"].id,
        office_org_id=orgs["alpha.office"].id,
        **alpha,
    )
    ended = open_one(
        "alpha",
        "alpha.center",
        "佐藤 次郎",
        "さとう じろう",
        "2222222222",
        "shien2",
        center_org_id=orgs["alpha.center"].id,
        **alpha,
    )
    ended_row = db_session.get(Case, ended.id)
    ended_row.status = "ended"
    db_session.commit()
    other = open_one(
        "alpha",
        "alpha.center2",
        "田中 三郎",
        "タナカ サブロウ",
        "3333333333",
        "shien1",
        center_org_id=orgs["alpha.center2"].id,
        **alpha,
    )
    beta = open_one(
        "beta",
        "beta.center",
        "山田 太郎",
        "ヤマダ タロウ",
        "0123456780",
        "shien1",
        center_org_id=orgs["beta.center"].id,
        insurer_org_id=orgs["beta.insurer"].id,
    )
    return {"yamada": case.id, "suzuki": suzuki.id, "sato": ended.id, "tanaka": other.id, "beta": beta.id}


def names(browser, query: str = "") -> list[str]:
    body = browser.get(f"/api/cases{query}").get_json()
    return [item["client_name"] for item in body["items"]]


def test_the_list_shows_only_the_organisations_cases(login_as, people):
    page = login_as("alpha.center").get("/cases").get_data(as_text=True)
    assert "<h1>利用者一覧</h1>" in page
    for name in ("山田 花子", "鈴木 一郎", "佐藤 次郎"):
        assert name in page
    assert "田中 三郎" not in page and "山田 太郎" not in page  # another center's, another municipality's
    assert "3件" in page
    assert f'href="/cases/{people["yamada"]}"' in page


def test_the_insurer_and_the_provider_see_their_cases(login_as, people):
    assert sorted(names(login_as("alpha.insurer"))) == sorted(["山田 花子", "鈴木 一郎", "佐藤 次郎", "田中 三郎"])
    assert names(login_as("alpha.provider")) == ["山田 花子"]  # the only case naming this provider
    assert names(login_as("beta.insurer")) == ["山田 太郎"]


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("やまだ", ["山田 花子"]),  # hiragana finds katakana
        ("ﾔﾏﾀﾞ", ["山田 花子"]),  # half-width katakana
        ("サトウ", ["佐藤 次郎"]),  # katakana finds kana stored in hiragana
        ("山田花子", ["山田 花子"]),  # spaces ignored
        ("鈴木　一郎", ["鈴木 一郎"]),  # full-width space: two words, both must match
        ("０１２３", ["山田 花子"]),  # full-width digits, part of the 被保険者番号
        ("1111-111111", ["鈴木 一郎"]),
        ("ハナコ 鈴木", []),  # every word must match the same person
        ("%", []),  # a LIKE wildcard is a character, not a pattern
    ],
)
def test_search_by_name_kana_or_number(login_as, people, typed, found):
    from urllib.parse import quote

    assert names(login_as("alpha.center"), f"?q={quote(typed)}") == found


def test_filters_sort_and_pages(login_as, people, app, db_session, runtime, world):
    browser = login_as("alpha.center")
    assert names(browser, "?status=ended") == ["佐藤 次郎"]
    assert names(browser, "?status=open&care_level=kaigo2") == ["鈴木 一郎"]
    assert names(browser, "?flow=new_case") == ["山田 花子"]  # the only one with a running 新規
    assert names(browser, "?sort=insured_number") == ["山田 花子", "鈴木 一郎", "佐藤 次郎"]
    assert names(browser, "?sort=newest")[0] == "佐藤 次郎"
    # Kana order: サトウ (hiragana さとう sorts before katakana), スズキ, ヤマダ
    assert names(browser) == ["佐藤 次郎", "鈴木 一郎", "山田 花子"]
    # The care manager: whoever worked on the case's tasks in the planner's organisation
    intake = ready_task(db_session, people["yamada"], "intake")
    runtime.complete(db_session, intake.id, INTAKE, world["alpha.center"].actor())
    me = world["alpha.center"].user_id
    assert names(browser, f"?care_manager={me}") == ["山田 花子"]
    body = browser.get("/api/cases?q=やまだ").get_json()
    assert body["items"][0]["care_manager_name"] == "地域包括支援センター職員1"
    assert body["items"][0]["links"]["page"] == f"/cases/{people['yamada']}"
    assert body["query"] == {"q": "やまだ"}
    page = browser.get(f"/cases?care_manager={me}").get_data(as_text=True)
    assert f'<option value="{me}" selected>' in page
    # Unknown values are ignored, never an error
    assert len(names(browser, "?status=nonsense&care_level=x&sort=y&page=-3")) == 3
    app.config["INBOX_PER_PAGE"] = 2
    first = browser.get("/api/cases").get_json()
    assert (first["total"], first["pages"], len(first["items"])) == (3, 2, 2)
    second = browser.get("/api/cases?page=2").get_json()
    assert [i["client_name"] for i in second["items"]] == ["山田 花子"]
    page = browser.get("/cases?page=2").get_data(as_text=True)
    assert 'rel="prev"' in page and "2 / 2 ページ" in page


def test_the_api_needs_a_sign_in(app, people):
    response = app.test_client().get("/api/cases")
    assert response.status_code == 401


def test_menu_per_role(login_as):
    center = login_as("alpha.center").get("/cases").get_data(as_text=True)
    assert ">利用者一覧</a>" in center and ">ケースの登録</a>" in center
    for who in ("alpha.insurer", "alpha.provider"):
        page = login_as(who).get("/cases").get_data(as_text=True)
        assert ">利用者一覧</a>" in page
        assert "ケースの登録" not in page


NEW = {
    "client_name": "山田 花子",
    "client_name_kana": "ヤマダ ハナコ",
    "insured_number": "0123456789",
    "process_key": "new_case",
}


def test_opening_a_case_warns_about_the_same_insured_number(login_as, case, db_session, world):
    browser = login_as("alpha.center")
    response = browser.post("/cases/new", data={**NEW, "insured_number": "０１２３４５６７８９"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "被保険者番号 ０１２３４５６７８９ のケースがすでにあります" in page
    assert f'href="/cases/{case.id}"' in page  # open the existing case
    assert 'value="山田 花子"' in page  # nothing typed is lost
    assert len(db_session.scalars(select(Case)).all()) == 1  # nothing created
    confirmed = browser.post("/cases/new", data={**NEW, "confirmed_number": "0123456789"})
    assert confirmed.status_code == 302
    assert len(db_session.scalars(select(Case)).all()) == 2  # a new episode, on purpose


def test_a_confirmation_counts_for_that_number_only(login_as, case, db_session, runtime, world):
    runtime.open_case(
        db_session,
        "alpha",
        world["alpha.center2"].actor(),
        client_name="他の方",
        insured_number="5555555555",
        center_org_id=world.orgs["alpha.center2"].id,
    )
    browser = login_as("alpha.center")
    response = browser.post(
        "/cases/new", data={**NEW, "insured_number": "5555555555", "confirmed_number": "0123456789"}
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "他の事業所が担当するケース" in page and "他の方" not in page  # exists, but not whose
    assert len(db_session.scalars(select(Case)).all()) == 2


def test_another_municipalitys_number_is_no_duplicate(login_as, db_session, runtime, world):
    runtime.open_case(
        db_session,
        "beta",
        world["beta.center"].actor(),
        client_name="B市の方",
        insured_number="0123456789",
        center_org_id=world.orgs["beta.center"].id,
    )
    response = login_as("alpha.center").post("/cases/new", data=NEW)
    assert response.status_code == 302
