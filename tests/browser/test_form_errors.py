"""A failed submit in a real browser (issue 13, item 3): the page comes back with the focus on the error summary,
whose messages say what each field expects; offices are chosen from a list of the municipality's offices."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engine.execution.runtime import Actor
from engine.store.models import Organisation
from engine.store.models import Task
from engine.store.models import User


def intake_task(live_app: Any) -> str:
    """A new 豊川 case at 相談受付 (the center's first step), opened the way ケースの登録 does."""
    from web.extensions import db

    runtime = live_app.extensions["kaigoflow_runtime"]
    with live_app.app_context():
        session = db.session()
        center = session.scalars(select(User).where(User.login == "toyokawa-center-1-1")).one()
        office = session.scalars(
            select(Organisation).where(Organisation.municipality == "toyokawa", Organisation.role == "office")
        ).first()
        actor = Actor(user_id=center.id, organisation_id=center.organisation_id, role="center")
        case = runtime.open_case(
            session,
            "toyokawa",
            actor,
            client_name="豊川 次郎",
            insured_number="0999999999",
            care_level="shien1",
            center_org_id=center.organisation_id,
            office_org_id=office.id,
        )
        runtime.start(session, case.id, "new_case", actor=actor)
        task = session.scalars(select(Task).where(Task.case_id == case.id, Task.state == "ready")).one()
        session.commit()
        return task.id


def test_a_failed_submit_focuses_the_error_summary_and_offices_are_chosen(page, page_errors, login, live_app):
    task_id = intake_task(live_app)
    login(page, "toyokawa-center-1-1")
    page.goto(f"/tasks/{task_id}")

    office = page.get_by_label("希望する居宅介護支援事業所")
    assert office.evaluate("e => e.tagName") == "SELECT"  # chosen from the list, never typed
    choices = office.locator("option").all_inner_texts()
    assert [t.strip() for t in choices] == [
        "選択してください",
        "豊川市 さくら居宅介護支援事業所",
        "豊川市 みどり居宅介護支援事業所",
    ]

    page.get_by_label("フリガナ").fill("toyokawa jiro")
    page.get_by_label("電話番号").fill("12345")
    with page.expect_navigation():
        page.get_by_role("button", name="完了する").click()

    summary = page.locator("#error-summary")
    assert page.evaluate("document.activeElement && document.activeElement.id") == "error-summary"
    text = summary.inner_text()
    assert "フリガナは全角カタカナで入力してください" in text
    assert "電話番号は 0564-12-3456 のように数字とハイフンで入力してください" in text
    assert "「はい」か「いいえ」を選んでください" in text  # 被保険者証を確認した: a required question, unanswered
    assert "選択肢の中から選んでください" not in text and "書式が違います" not in text
    assert page.get_by_label("フリガナ").input_value() == "toyokawa jiro"  # nothing typed is lost

    summary.get_by_role("link", name="フリガナ", exact=False).first.click()
    assert page.evaluate("document.activeElement && document.activeElement.name") == "client_name_kana"
    assert [e for e in page_errors if "status of 422" not in e] == []  # the refused page's own status is no error
