"""The task page: every widget kind, validation with input kept, 和暦 and full-width input, drafts, conflicts."""

from __future__ import annotations

from typing import Any

import lxml.html
from sqlalchemy import func
from sqlalchemy import select

from engine.store.models import Document
from engine.store.models import Event
from engine.store.models import Task
from engine.store.models import TaskDraft
from tests.web.conftest import INTAKE
from tests.web.conftest import ready_task

GOOD_FORM = {
    "client_name": "山田 花子",
    "insured_number": "0123456789",
    "consultation_date": "2026-05-01",
    "route": "phone",
    "consent": "true",
    "goals.0.goal": "自宅で入浴できる",
}


def intake(db_session, case) -> Task:
    return ready_task(db_session, case.id, "intake")


# The page is read as a browser would (parsed HTML, not its exact text), so markup may change while what a
# person sees and submits stays checked.


def html(page: str) -> Any:
    return lxml.html.fromstring(page)


def fields(page: str, name: str, tag: str = "*") -> list[Any]:
    return [e for e in html(page).iter(tag) if e.get("name") == name]


def field(page: str, name: str, tag: str = "*") -> Any:
    found = fields(page, name, tag)
    assert len(found) == 1, f"{len(found)} fields named {name}"
    return found[0]


def field_value(page: str, name: str) -> str:
    element = field(page, name)
    return element.text_content() if element.tag == "textarea" else element.get("value", "")


def checked(page: str, name: str) -> set[str]:
    """The values of the checked boxes and radios named `name`, or the selected options of the select."""
    found = fields(page, name)
    assert found, f"no field {name}"
    if found[0].tag == "select":
        return {o.get("value") for o in found[0].iter("option") if o.get("selected") is not None}
    return {e.get("value") for e in found if e.get("checked") is not None}


def choice_label(page: str, name: str, value: str) -> str:
    """What a person reads beside the radio or checkbox `name`=`value`."""
    [choice] = [e for e in fields(page, name, "input") if e.get("value") == value]
    return " ".join((choice.tail or "").split())


def label_for(page: str, dom_id: str) -> str:
    [label] = [e for e in html(page).iter("label") if e.get("for") == dom_id]
    return label.text_content()


def error_for(page: str, dom_id: str) -> str:
    found = html(page).get_element_by_id(f"{dom_id}-error", None)
    assert found is not None, f"no error shown for {dom_id}"
    hidden = [e for e in found.iter("span") if "visually-hidden" in (e.get("class") or "")]
    assert [e.text_content() for e in hidden] == ["エラー: "], "screen readers hear that it is an error"
    return found.text_content().removeprefix("エラー: ")


def documents(session) -> int:
    return session.scalar(select(func.count()).select_from(Document))


def test_the_page_shows_instructions_and_every_widget_kind(login_as, case, db_session):
    page = login_as("alpha.center").get(f"/tasks/{intake(db_session, case).id}").get_data(as_text=True)
    assert "相談内容を聞き取り、受付票に記録してください。" in page
    assert "令和8年5月8日(金)" in page  # due, in 和暦 with weekday
    assert label_for(page, "f-client_name") == "利用者氏名必須"  # the title, marked required
    assert field(page, "client_name").get("id") == "f-client_name"
    date_input = field(page, "consultation_date")  # date: text, 和暦 accepted
    assert date_input.get("type") == "text" and "input-date" in date_input.get("class")
    assert date_input.get("placeholder") == "例: 令和8年5月1日 / 2026-05-01"
    age = field(page, "age")  # integer
    assert (age.get("id"), age.get("type"), age.get("inputmode"), age.get("value")) == ("f-age", "text", "numeric", "")
    assert [e for e in html(page).iter("input") if e.get("inputmode") == "decimal"]  # number
    assert field(page, "summary").tag == "textarea"  # ui:widget textarea
    assert {e.get("type") for e in fields(page, "route")} == {"radio"}  # enum as radios (ui:widget radio)
    assert "visit" in {e.get("value") for e in fields(page, "route")}
    assert field(page, "care_level").tag == "select"  # enum as select (default)
    consent = field(page, "consent")  # boolean: checkbox
    assert (consent.get("type"), consent.get("value")) == ("checkbox", "true")
    assert choice_label(page, "delegated", "true") == "はい"  # boolean: はい/いいえ
    assert choice_label(page, "delegated", "false") == "いいえ"
    assert choice_label(page, "needs", "meal") == "食事"  # array of enums: checkboxes
    assert {e.get("type") for e in fields(page, "needs")} == {"checkbox"}
    assert fields(page, "goals.0.goal") and fields(page, "goals.1.goal")  # rows, blank ones to fill
    assert fields(page, "goals.0._delete")
    assert "バスや電車で1人で外出していますか" in html(page).text_content()  # ui:labels
    assert choice_label(page, "checklist.2", "0") == "いいえ"
    assert "/static/js/rows.js" in {e.get("src") for e in html(page).iter("script")}


def test_prefill_only_from_instance_data(login_as, case, db_session):
    page = login_as("alpha.center").get(f"/tasks/{intake(db_session, case).id}").get_data(as_text=True)
    assert field_value(page, "client_name") == "山田 花子"  # case data
    assert field_value(page, "insured_number") == "0123456789"
    assert checked(page, "care_level") == {"shien1"}
    assert checked(page, "delegated") == {"false"}  # the case's delegated=False
    # The schema's example submission is never used to fill the form.
    assert field_value(page, "consultation_date") == ""
    assert checked(page, "route") == set()
    assert field_value(page, "goals.0.goal") == ""


def test_narrative_of_another_document_is_not_carried_into_the_next_form(login_as, case, db_session):
    browser = login_as("alpha.center")
    browser.post(f"/tasks/{intake(db_session, case).id}", data={**GOOD_FORM, "summary": "入浴が不安との相談"})
    assessment = ready_task(db_session, case.id, "assessment")
    page = browser.get(f"/tasks/{assessment.id}").get_data(as_text=True)
    assert field_value(page, "client_name") == "山田 花子"  # a name flows on
    assert "入浴が不安との相談" not in page  # the intake's 相談内容 is not the assessment's 特記事項
    detail = browser.get(f"/api/tasks/{assessment.id}").get_json()
    assert detail["data"]["summary"] == "入浴が不安との相談"  # still there for decisions and checks
    assert "summary" not in detail["prefill"] and detail["prefill"]["client_name"] == "山田 花子"


def test_refused_fields_get_messages_next_to_them_and_everything_typed_stays(login_as, case, db_session):
    task = intake(db_session, case)
    browser = login_as("alpha.center")
    form = {
        **GOOD_FORM,
        "client_name": "ＡＢＣ 花子",
        "insured_number": "12345",
        "consultation_date": "令和8年13月1日",
        "age": "とても高齢",
        "summary": "長い相談内容\r\n二行目",
        "needs": ["bath", "walk"],
        "goals.0.goal": "",
        "goals.0.until": "R8.6.30",
        "goals.1.goal": "散歩を続ける",
        "checklist.1": "0",
    }
    del form["consent"]
    response = browser.post(f"/tasks/{task.id}", data=form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "入力内容を確認してください" in page
    assert error_for(page, "f-insured_number") == "書式が違います"
    assert error_for(page, "f-consultation_date") == "「令和8年13月1日」は存在しない日付です"
    assert error_for(page, "f-age") == "形式が違います(整数で入力してください)"
    assert error_for(page, "f-goals-0-goal") == "入力してください"
    assert "目標(1行目)・目標: 入力してください" in page  # the summary names the field
    # Everything typed is back, as typed (the full-width name untouched, the bad date as it was written).
    assert field_value(page, "client_name") == "ＡＢＣ 花子"
    assert field_value(page, "insured_number") == "12345"
    assert field_value(page, "consultation_date") == "令和8年13月1日"
    assert field_value(page, "age") == "とても高齢"
    assert field_value(page, "goals.0.until") == "R8.6.30"
    assert field_value(page, "goals.1.goal") == "散歩を続ける"
    assert field_value(page, "summary").replace("\r\n", "\n") == "長い相談内容\n二行目"
    assert checked(page, "needs") == {"bath", "walk"}
    assert checked(page, "checklist.1") == {"0"}
    assert checked(page, "consent") == set()  # left unchecked
    db_session.expire_all()
    assert db_session.get(Task, task.id).state == "ready"
    assert documents(db_session) == 0


def test_wareki_and_full_width_input_is_accepted_and_stored_as_iso(login_as, case, db_session):
    task = intake(db_session, case)
    form = {
        **GOOD_FORM,
        "client_name": "ＡＢＣ 花子",
        "insured_number": "０１２３４５６７８９",
        "consultation_date": "令和8年5月1日",
        "age": "８０",
        "height_cm": "１５２.５",
        "goals.0.until": "R8.6.30",
        "goals.1.goal": "散歩を続ける",
        "goals.1.until": "２０２６／７／１",
        "checklist.0": "1",
        "checklist.1": "0",
        "checklist.2": "1",
        "delegated": "true",
    }
    response = login_as("alpha.center").post(f"/tasks/{task.id}", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    document = db_session.scalars(select(Document)).one()
    assert document.data["consultation_date"] == "2026-05-01"
    assert document.data["insured_number"] == "0123456789"
    assert document.data["client_name"] == "ＡＢＣ 花子"  # names are never normalised
    assert document.data["age"] == 80 and document.data["height_cm"] == 152.5
    assert document.data["goals"] == [
        {"goal": "自宅で入浴できる", "until": "2026-06-30"},
        {"goal": "散歩を続ける", "until": "2026-07-01"},
    ]
    assert document.data["checklist"] == [1, 0, 1]
    assert document.data["consent"] is True and document.data["delegated"] is True
    db_session.expire_all()
    assert db_session.get(Task, task.id).state == "completed"


def test_completion_offers_to_continue_with_the_next_step_claimed_for_the_same_person(
    login_as, case, db_session, world
):
    """After 完了 the completed step's page offers 「続けてこの作業へ」; the step that became ready in the same
    organisation is already the completer's (issue 13, item 6)."""
    browser = login_as("alpha.center")
    task = intake(db_session, case)
    response = browser.post(f"/tasks/{task.id}", data=GOOD_FORM)
    assert response.headers["Location"] == f"/tasks/{task.id}#next-steps"
    following = ready_task(db_session, case.id, "assessment")
    assert following.claimed_by_id == world["alpha.center"].user_id  # not delegated: the center plans
    page = browser.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "「相談受付・利用申込」を完了しました" in page
    assert "次の作業「アセスメント」をあなたの担当にしました" in page
    assert f'href="/tasks/{following.id}">続けてこの作業へ: アセスメント</a>' in page
    assert "あなたの担当" in page
    # A colleague looking at the same completed step sees the next step, held by someone else.
    other = login_as("alpha.center.b").get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "続けてこの作業へ: アセスメント" in other and "他の職員が担当" in other


def test_deleted_and_empty_rows_are_dropped_and_errors_follow_the_rows_kept(login_as, case, db_session):
    task = intake(db_session, case)
    form = {
        **GOOD_FORM,
        "goals.0.goal": "消す行",
        "goals.0._delete": "1",
        "goals.1.goal": "",
        "goals.2.goal": "",
        "goals.2.until": "2026-09-01",
        "goals.3.goal": "残る行",
    }
    page = login_as("alpha.center").post(f"/tasks/{task.id}", data=form).get_data(as_text=True)
    # Kept: the row with only a date (now row 1) and 残る行 (row 2); the error is on the kept row 1.
    assert field_value(page, "goals.0.until") == "2026-09-01"
    assert field_value(page, "goals.1.goal") == "残る行"
    assert error_for(page, "f-goals-0-goal") == "入力してください"
    assert "消す行" not in page


def test_more_rows_without_javascript(login_as, case, db_session):
    task = intake(db_session, case)
    form = {**GOOD_FORM, "goals.1.goal": "二つ目", "action": "add_row"}
    response = login_as("alpha.center").post(f"/tasks/{task.id}", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_value(page, "goals.1.goal") == "二つ目"
    assert fields(page, "goals.3.goal")  # two filled rows, two empty ones
    assert not fields(page, "goals.4.goal")
    db_session.expire_all()
    assert db_session.get(Task, task.id).state == "ready"


def test_draft_is_saved_per_user_and_restored(login_as, case, db_session):
    task = intake(db_session, case)
    browser = login_as("alpha.center")
    response = browser.post(
        f"/tasks/{task.id}", data={"client_name": "山田 花子", "consultation_date": "令和8年5月", "action": "draft"}
    )
    assert response.status_code == 302
    page = browser.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "下書きを保存しました" in page and "保存した下書きを表示しています" in page
    assert field_value(page, "consultation_date") == "令和8年5月"  # even an unfinished date
    assert field_value(page, "insured_number") == ""  # the draft, not the instance data
    draft = db_session.get(TaskDraft, (task.id, browser.person.user_id))
    assert draft.data["values"]["consultation_date"] == "令和8年5月"
    colleague = login_as("alpha.center.b").get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "保存した下書き" not in colleague and field_value(colleague, "insured_number") == "0123456789"
    browser.post(f"/tasks/{task.id}", data={"action": "discard_draft"})
    page = browser.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "保存した下書き" not in page and field_value(page, "insured_number") == "0123456789"


def test_completion_removes_drafts(login_as, case, db_session):
    task = intake(db_session, case)
    browser = login_as("alpha.center")
    browser.post(f"/tasks/{task.id}", data={"client_name": "下書き", "action": "draft"})
    browser.post(f"/tasks/{task.id}", data=GOOD_FORM)
    assert db_session.scalar(select(func.count()).select_from(TaskDraft)) == 0


def test_completed_elsewhere_first_is_a_clear_conflict_and_nothing_typed_is_lost(
    login_as, case, db_session, runtime, world
):
    task = intake(db_session, case)
    browser = login_as("alpha.center")
    browser.get(f"/tasks/{task.id}")
    runtime.complete(db_session, task.id, INTAKE, world["alpha.center.b"].actor())  # a colleague, a moment earlier
    form = {**GOOD_FORM, "summary": "30分かけて書いた記録", "goals.0.goal": "私の目標"}
    response = browser.post(f"/tasks/{task.id}", data=form)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "すでに完了しています" in page and "入力した内容は下に残っています" in page
    assert field_value(page, "summary") == "30分かけて書いた記録"
    assert field_value(page, "goals.0.goal") == "私の目標"
    assert documents(db_session) == 1


def test_a_double_submission_gets_the_conflict_message_not_an_error_page(login_as, case, db_session):
    task = intake(db_session, case)
    browser = login_as("alpha.center")
    first = browser.post(f"/tasks/{task.id}", data=GOOD_FORM)
    second = browser.post(f"/tasks/{task.id}", data=GOOD_FORM)
    assert first.status_code == 302
    assert second.status_code == 409
    page = second.get_data(as_text=True)
    assert "二重送信または他の職員が先に完了" in page
    assert field_value(page, "client_name") == "山田 花子"
    assert documents(db_session) == 1
    assert db_session.scalar(select(func.count()).select_from(Event).where(Event.kind == "task_completed")) == 1


def test_a_task_a_colleague_holds_cannot_be_completed_and_input_is_kept(login_as, case, db_session, runtime, world):
    task = intake(db_session, case)
    runtime.claim(db_session, task.id, world["alpha.center.b"].actor())
    browser = login_as("alpha.center")
    page = browser.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "地域包括支援センター職員2 さんが担当しています" in page
    response = browser.post(f"/tasks/{task.id}", data={**GOOD_FORM, "summary": "記録"})
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert "このタスクは他の職員が担当しています" in text and "記録</textarea>" in text
    db_session.expire_all()
    assert db_session.get(Task, task.id).state == "ready"


def test_claim_and_release_on_the_task_page(login_as, case, db_session):
    task = intake(db_session, case)
    browser = login_as("alpha.center")
    response = browser.post(f"/tasks/{task.id}/claim")
    assert response.headers["Location"] == f"/tasks/{task.id}"
    page = browser.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "担当を外れる" in page and "地域包括支援センター職員1" in page
    browser.post(f"/tasks/{task.id}/release")
    assert "このタスクを担当する" in browser.get(f"/tasks/{task.id}").get_data(as_text=True)


def test_a_completed_task_shows_who_finished_it_and_its_document(login_as, case, db_session):
    task = intake(db_session, case)
    browser = login_as("alpha.center")
    browser.post(f"/tasks/{task.id}", data=GOOD_FORM)
    page = browser.get(f"/tasks/{task.id}").get_data(as_text=True)
    document = db_session.scalars(select(Document)).one()
    assert "地域包括支援センター職員1 さんが" in page and "令和8年5月1日(金)" in page
    links = {a.get("href"): a.text_content() for a in html(page).iter("a")}
    assert f"/documents/{document.id}" in links and "「相談受付票」(第1版)" in html(page).text_content()
    assert "完了する" not in [b.text_content().strip() for b in html(page).iter("button")]


def test_handover_fields_offer_the_organisations_of_that_role_in_the_municipality(app, world):
    from web import formfields
    from web import tasks as task_views

    schema = {"type": "object", "properties": {"office_org_id": {"type": "integer", "title": "引継ぎ先の居宅"}}}
    fields = formfields.build(schema)
    with app.app_context():
        task_views._organisation_choices(fields, "alpha")
    [field] = fields
    assert field.kind == "select"
    assert sorted(o.title for o in field.options) == [
        "テスト市A さくら居宅介護支援事業所",
        "テスト市A みどり居宅介護支援事業所",
    ]
    assert {o.const for o in field.options} == {world.orgs["alpha.office"].id, world.orgs["alpha.office2"].id}
    submission, _ = formfields.to_submission(fields, {"office_org_id": str(world.orgs["alpha.office2"].id)})
    assert submission == {"office_org_id": world.orgs["alpha.office2"].id}
