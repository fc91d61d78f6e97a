"""Validation that matches the labels, on the real forms, through the task page and the API (issue 13, items 3 and 7).

豊川's 相談受付: a required yes/no must be answered, フリガナ is katakana (hiragana typed on the page is converted),
a phone number says what it expects, 利用開始予定日 is not before 相談日, and the desired office is one of the
municipality's registered offices (a select list; 「テスト」 refused by the page and the API alike). What 相談受付
took (生年月日, 性別, 住所, TEL) starts the 利用者基本情報 of the same case. The 基本チェックリスト asks for each
unanswered question once (No.12 may stay unanswered); the モニタリング takes 「令和8年12月」 and questions a phone
call recorded as a home visit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from engine.accounts.demo_staff import demo_organisations
from engine.accounts.demo_staff import demo_user
from engine.execution.runtime import Actor
from engine.store.models import Case
from engine.store.models import Document
from engine.store.models import Task
from tests.web.conftest import PASSWORD
from tests.web.conftest import PASSWORD_HASH
from tests.web.conftest import Browser
from tests.web.conftest import sign_in
from tests.web.test_fuzz_forms import LIBRARY
from tests.web.test_mass_assignment import ask_for
from tests.web.test_mass_assignment import real_app  # noqa: F401 (fixture)
from tests.web.test_mass_assignment import real_services  # noqa: F401 (fixture)
from tests.web.test_tasks import checked
from tests.web.test_tasks import error_for
from tests.web.test_tasks import field
from tests.web.test_tasks import field_value
from tests.web.test_tasks import fields
from tests.web.test_tasks import html

OFFICES = ["豊川市 さくら居宅介護支援事業所", "豊川市 みどり居宅介護支援事業所"]
TYPED = {
    "consultation_date": "令和8年5月1日",
    "consultation_channel": "phone",
    "client_name": "豊川 太郎",
    "client_name_kana": "とよかわ　たろう",
    "birth_date": "昭和19年6月12日",
    "sex": "male",
    "address": "豊川市諏訪1丁目1番地",
    "phone": "０５３３－８９－２１１１",
    "insured_number": "0123456789",
    "care_level": "shien1",
    "certification_start": "令和8年4月1日",
    "certification_end": "令和9年3月31日",
    "card_checked": "true",
    "copay_card_checked": "true",
    "care_management_type": "__empty__",
    "delegated": "true",
    "desired_office": OFFICES[0],
    "service_start_date": "令和8年6月1日",
}


def opened(session, runtime) -> tuple[int, str, str]:
    """A 豊川 case with its 新規 flow at 相談受付; the task id and the login of the center's staff member."""
    orgs = demo_organisations(session, LIBRARY.municipality("toyokawa"))
    staff = {role: demo_user(session, found[0], 1, password_hash=PASSWORD_HASH) for role, found in orgs.items()}
    center = staff["center"]
    actor = Actor(user_id=center.id, organisation_id=center.organisation_id, role="center")
    case = runtime.open_case(
        session,
        "toyokawa",
        actor,
        client_name="豊川 太郎",
        insured_number="0123456789",
        care_level="shien1",
        center_org_id=center.organisation_id,
        office_org_id=orgs["office"][0].id,
        insurer_org_id=orgs["insurer"][0].id,
    )
    runtime.start(session, case.id, "new_case", actor=actor)
    task = session.scalars(select(Task).where(Task.case_id == case.id, Task.state == "ready")).one()
    session.commit()
    return case.id, task.id, center.login


def signed_in(app, login: str, task_id: str) -> tuple[Browser, str]:
    client = app.test_client()
    assert sign_in(client, login).status_code == 302
    browser = Browser(client, None)
    browser.refresh_token(f"/tasks/{task_id}")
    token = client.post("/api/token", json={"login": login, "password": PASSWORD}).get_json()["token"]
    return browser, token


def post(browser: Browser, task_id: str, values: dict[str, Any]):
    return browser.post(f"/tasks/{task_id}", data=MultiDict([*values.items(), ("action", "complete")]))


def test_intake_validation_on_the_page_and_the_api_and_what_it_carries_forward(real_app, real_services):  # noqa: F811
    runtime = real_app.extensions["kaigoflow_runtime"]
    with real_services.sessions() as session:
        case_id, task_id, login = opened(session, runtime)
        browser, token = signed_in(real_app, login, task_id)

        page = browser.get(f"/tasks/{task_id}").get_data(as_text=True)
        office = field(page, "desired_office")
        assert office.tag == "select"  # chosen, never typed
        assert [o.get("value") for o in office.iter("option") if o.get("value")] == OFFICES
        assert {e.get("type") for e in fields(page, "card_checked")} == {"radio"}  # required: はい or いいえ

        wrong = {**TYPED, "client_name_kana": "toyokawa taro", "phone": "12345"}
        del wrong["card_checked"]
        response = post(browser, task_id, wrong)
        assert response.status_code == 422
        text = response.get_data(as_text=True)
        assert error_for(text, "f-client_name_kana") == "フリガナは全角カタカナで入力してください(例: トヨカワ タロウ)"
        assert error_for(text, "f-phone") == "電話番号は 0564-12-3456 のように数字とハイフンで入力してください"
        assert error_for(text, "f-card_checked") == "「はい」か「いいえ」を選んでください"
        assert "選択肢の中から選んでください" not in text and "書式が違います" not in text

        wrong = {**TYPED, "desired_office": "テスト", "consultation_date": "令和8年6月10日"}
        response = post(browser, task_id, wrong)
        assert response.status_code == 422
        text = response.get_data(as_text=True)
        assert error_for(text, "f-desired_office") == "登録されている居宅介護支援事業所から選んでください"
        assert error_for(text, "f-service_start_date") == (
            "利用開始予定日は相談日(令和8年6月10日)以降の日付にしてください"
        )

        example = LIBRARY.form("toyokawa", "intake").example()
        api = browser.client.post(
            f"/api/tasks/{task_id}/complete",
            json={**example, "desired_office": "テスト", "phone": "12"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert api.status_code == 422
        assert api.get_json()["errors"] == {"phone": "電話番号は 0564-12-3456 のように数字とハイフンで入力してください"}
        api = browser.client.post(
            f"/api/tasks/{task_id}/complete",
            json={**example, "desired_office": "テスト"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert api.status_code == 422
        assert api.get_json()["errors"] == {"desired_office": "登録されている居宅介護支援事業所から選んでください"}
        session.expire_all()
        assert session.get(Task, task_id).state == "ready"

        assert post(browser, task_id, TYPED).status_code == 302
        session.expire_all()
        document = session.scalars(select(Document).where(Document.task_id == task_id)).one()
        assert document.data["client_name_kana"] == "トヨカワ　タロウ"  # hiragana typed, katakana kept
        assert document.data["phone"] == "0533-89-2111"
        case = session.get(Case, case_id)
        assert {k: case.data.get(k) for k in ("birth_date", "sex", "address", "phone")} == {
            "birth_date": "1944-06-12",
            "sex": "male",
            "address": "豊川市諏訪1丁目1番地",
            "phone": "0533-89-2111",
        }

        # The next step of the case, asked to be the 利用者基本情報: it starts from what 相談受付 took.
        following = session.scalars(select(Task).where(Task.case_id == case_id, Task.state == "ready")).first()
        ask_for(session, runtime, following.id, LIBRARY.form("toyokawa", "assessment"))
        page = browser.get(f"/tasks/{following.id}").get_data(as_text=True)
        assert field_value(page, "address") == "豊川市諏訪1丁目1番地"
        assert field_value(page, "phone") == "0533-89-2111"
        assert field_value(page, "birth_date") == "1944-06-12" and "昭和19年6月12日" in page  # echoed in 和暦
        assert checked(page, "sex") == {"male"}


def test_checklist_and_monitoring_questions_on_the_page(real_app, real_services):  # noqa: F811
    runtime = real_app.extensions["kaigoflow_runtime"]
    with real_services.sessions() as session:
        _, task_id, login = opened(session, runtime)
        browser, _ = signed_in(real_app, login, task_id)

        ask_for(session, runtime, task_id, LIBRARY.form("toyokawa", "basic_checklist"))
        response = post(browser, task_id, {"filled_date": "令和8年5月1日", "height_cm": "150", "weight_kg": "45"})
        assert response.status_code == 422
        text = response.get_data(as_text=True)
        unanswered = [i for i in range(25) if page_error(text, f"f-answers-{i}")]
        assert unanswered == [i for i in range(25) if i != 11]  # No.12 (この回答は使いません) is not asked for
        assert {error_for(text, f"f-answers-{i}") for i in unanswered} == {"回答を選んでください"}
        assert "形式が違います" not in text

        ask_for(session, runtime, task_id, LIBRARY.form("toyokawa", "monitoring"))
        monitoring = {
            "month": "令和8年12月",
            "contact_date": "令和8年12月5日",
            "contact_method": "phone",
            "home_visit": "true",
            "state_changed": "false",
            "plan_change_needed": "false",
            "record": "電話で様子を聞いた",
        }
        response = post(browser, task_id, monitoring)
        assert response.status_code == 422
        text = response.get_data(as_text=True)
        assert page_error(text, "f-month") is None  # 令和8年12月 is a month
        assert "居宅訪問ではありません" in error_for(text, "f-home_visit")


def page_error(page: str, dom_id: str) -> str | None:
    found = html(page).get_element_by_id(f"{dom_id}-error", None)
    return None if found is None else found.text_content()
