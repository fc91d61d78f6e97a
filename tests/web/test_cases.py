"""The case page, its diagrams and documents, PDFs, and opening a case."""

from __future__ import annotations

import json
import re
import sys
from datetime import date

from sqlalchemy import select

from engine.store.models import Case
from engine.store.models import Document
from engine.store.models import ProcessInstance
from engine.store.models import Task
from tests.web.conftest import INTAKE
from tests.web.conftest import ready_task
from web import pdf_cache


def diagram(page: str, process_id: str) -> dict:
    found = re.search(
        rf'data-xml-url="([^"]*/{process_id}\.bpmn)" data-completed=\'([^\']*)\' data-current=\'([^\']*)\'', page
    )
    assert found, f"no diagram of {process_id}"
    return {"url": found.group(1), "completed": json.loads(found.group(2)), "current": json.loads(found.group(3))}


def complete_intake(db_session, runtime, case, world) -> Task:
    task = ready_task(db_session, case.id, "intake")
    runtime.complete(db_session, task.id, {**INTAKE, "consultation_date": "2026-05-01"}, world["alpha.center"].actor())
    return task


def test_case_page_shows_the_case_in_japanese(login_as, case, db_session):
    stored = db_session.get(Case, case.id)
    stored.certification_start, stored.certification_end = date(2026, 4, 1), date(2027, 3, 31)
    stored.client_name_kana = "ヤマダ ハナコ"
    db_session.commit()
    page = login_as("alpha.office").get(f"/cases/{case.id}").get_data(as_text=True)
    assert "山田 花子" in page and "ヤマダ ハナコ" in page
    assert "0123456789" in page
    assert "要支援1" in page
    assert "令和8年4月1日 〜 令和9年3月31日" in page
    assert "テスト市A" in page
    for name in ("テスト市A 第一地域包括支援センター", "テスト市A さくら居宅介護支援事業所", "テスト市A 介護保険課"):
        assert name in page
    assert (
        '<dt>居宅介護支援事業所</dt><dd>テスト市A さくら居宅介護支援事業所 <span class="badge">自事業所</span>' in page
    )
    assert "進行中" in page and "新規" in page
    assert "相談受付・利用申込" in page  # the step now waiting
    # The office sees the center's task on the case but cannot open it.
    task = ready_task(db_session, case.id, "intake")
    assert f'href="/tasks/{task.id}"' not in page


def test_diagrams_with_completed_and_current_markers(login_as, case, db_session, runtime, world):
    browser = login_as("alpha.center")
    page = browser.get(f"/cases/{case.id}").get_data(as_text=True)
    before = diagram(page, "new_case")
    assert before["current"] == ["intake"] and "start_new_case" in before["completed"]
    assert 'src="/static/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js"' in page
    assert 'src="/static/js/diagram.js"' in page
    complete_intake(db_session, runtime, case, world)
    page = browser.get(f"/cases/{case.id}").get_data(as_text=True)
    main = diagram(page, "new_case")
    sub = diagram(page, "plan_cycle")
    assert "intake" in main["completed"] and main["current"] == ["call_plan_cycle"]
    assert sub["current"] == ["assessment"] and "start_plan_cycle" in sub["completed"]
    xml = browser.get(main["url"])
    assert xml.status_code == 200 and xml.mimetype == "application/xml"
    assert b'<bpmn:process id="new_case"' in xml.data
    assert b'<bpmn:process id="plan_cycle"' in browser.get(sub["url"]).data
    instance = db_session.scalars(select(ProcessInstance)).one()
    assert browser.get(f"/cases/{case.id}/instances/{instance.id}/nothing.bpmn").status_code == 404
    assert browser.get(f"/cases/{case.id + 1}/instances/{instance.id}/new_case.bpmn").status_code == 404


def test_history_and_documents(login_as, case, db_session, runtime, world):
    complete_intake(db_session, runtime, case, world)
    page = login_as("alpha.center").get(f"/cases/{case.id}").get_data(as_text=True)
    history = page[page.index('id="history-title"') :]
    assert "ケースを登録しました" in history
    assert "「新規」の手続きを開始しました" in history
    assert "「相談受付・利用申込」を完了しました" in history
    assert "地域包括支援センター職員1" in history and "令和8年5月1日(金) 00:00" in history
    document = db_session.scalars(select(Document)).one()
    documents = page[page.index('id="documents-title"') : page.index('id="history-title"')]
    assert "相談受付票" in documents and "第1版" in documents and "地域包括支援センター職員1" in documents
    assert f'href="/documents/{document.id}"' in documents
    assert f'href="/documents/{document.id}.pdf"' in documents


def test_a_document_is_shown_read_only_with_the_form_macros(login_as, case, db_session, runtime, world):
    complete_intake(db_session, runtime, case, world)
    document = db_session.scalars(select(Document)).one()
    page = login_as("alpha.office").get(f"/documents/{document.id}").get_data(as_text=True)
    assert "相談受付票" in page and "第1版" in page
    assert '<dt class="ro-label">相談日</dt>' in page and "令和8年5月1日" in page
    assert "電話" in page  # the option's title, not "phone"
    assert "自宅で入浴できる" in page
    assert "<input" not in page.split('class="document-body"')[1]


def test_pdf_uses_the_print_module_when_present(login_as, case, db_session, runtime, world, monkeypatch):
    complete_intake(db_session, runtime, case, world)
    document = db_session.scalars(select(Document)).one()
    calls = []

    def render_document_pdf_html(doc, found_case, organisations, **kwargs):
        calls.append((doc.id, found_case.id, organisations, kwargs))
        return "<p>page</p>"

    monkeypatch.setattr(pdf_cache, "render_document_pdf_html", render_document_pdf_html)
    monkeypatch.setattr(pdf_cache, "html_to_pdf", lambda html: b"%PDF-1.7 fake " + html.encode())
    response = login_as("alpha.center").get(f"/documents/{document.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data == b"%PDF-1.7 fake <p>page</p>"
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    [(doc_id, case_id, organisations, kwargs)] = calls
    assert (doc_id, case_id) == (document.id, case.id)
    assert organisations["center"] == "テスト市A 第一地域包括支援センター"
    assert kwargs["recorded_by"] == "地域包括支援センター職員1" and kwargs["municipality_name"] == "テスト市A"


def test_pdf_is_503_in_japanese_when_the_print_module_is_missing(
    login_as, case, db_session, runtime, world, monkeypatch
):
    complete_intake(db_session, runtime, case, world)
    document = db_session.scalars(select(Document)).one()
    monkeypatch.setitem(sys.modules, "web.pdf", None)  # import fails
    monkeypatch.setitem(sys.modules, "web.pdf_cache", None)
    response = login_as("alpha.center").get(f"/documents/{document.id}.pdf")
    assert response.status_code == 503
    assert "PDF 出力は現在利用できません" in response.get_data(as_text=True)


def test_start_a_case(login_as, db_session, world):
    browser = login_as("alpha.center")
    page = browser.get("/cases/new").get_data(as_text=True)
    assert "テスト市A" in page and "テスト市B" not in page
    assert '<option value="new_case" selected>新規</option>' in page
    assert "テスト市A さくら居宅介護支援事業所" in page and "テスト市B さくら" not in page
    response = browser.post(
        "/cases/new",
        data={
            "client_name": "鈴木 一郎",
            "client_name_kana": "スズキ イチロウ",
            "insured_number": "０９８７６５４３２１",
            "care_level": "kaigo1",
            "process_key": "new_case",
            "office_org_id": str(world.orgs["alpha.office"].id),
        },
    )
    assert response.status_code == 302
    case = db_session.scalars(select(Case).where(Case.client_name == "鈴木 一郎")).one()
    assert response.headers["Location"] == f"/cases/{case.id}"
    assert case.insured_number == "0987654321" and case.care_level == "kaigo1"
    assert case.center_org_id == world.orgs["alpha.center"].id  # the user's own
    assert case.office_org_id == world.orgs["alpha.office"].id
    assert case.insurer_org_id == world.orgs["alpha.insurer"].id  # the municipality's insurer, set for them
    assert ready_task(db_session, case.id, "intake").organisation_id == world.orgs["alpha.center"].id
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "ケースを登録し、「新規」を開始しました" in page


def test_the_case_opening_page_sets_the_planner_and_the_delegation(login_as, db_session, world):
    browser = login_as("alpha.center")
    page = browser.get("/cases/new").get_data(as_text=True)
    assert "計画作成担当" in page and "介護予防支援の委託" in page
    office = str(world.orgs["alpha.office"].id)
    base = {
        "client_name": "委託 花子",
        "insured_number": "0987654320",
        "care_level": "shien2",
        "process_key": "new_case",
    }
    refused = browser.post("/cases/new", data={**base, "delegated": "1", "planner": "center"})
    assert refused.status_code == 422
    shown = refused.get_data(as_text=True)
    assert (
        "委託のケースは居宅介護支援事業所が計画を作成します" in shown and "居宅介護支援事業所を選んでください" in shown
    )
    assert 'value="委託 花子"' in shown  # what was typed is kept
    response = browser.post("/cases/new", data={**base, "delegated": "1", "office_org_id": office})
    assert response.status_code == 302
    case = db_session.scalars(select(Case).where(Case.client_name == "委託 花子")).one()
    assert (case.planner, case.delegated) == ("office", True)
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "地域包括支援センターから居宅介護支援事業所へ委託" in page


def test_start_a_case_refuses_bad_input_per_field_and_keeps_it(login_as, db_session, world):
    browser = login_as("alpha.office")
    response = browser.post(
        "/cases/new",
        data={
            "client_name": "",
            "client_name_kana": "suzuki",
            "insured_number": "12-34",
            "process_key": "renewal",
            "center_org_id": str(world.orgs["beta.center"].id),  # another municipality's
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for message in ("入力してください", "カナで入力してください", "10桁の数字で入力してください"):
        assert message in page
    assert page.count("選択肢の中から選んでください") == 4  # the flow and the center, in the summary and at the field
    assert 'value="suzuki"' in page and 'value="12-34"' in page
    assert db_session.scalars(select(Case)).all() == []


def test_only_centers_and_offices_open_cases(login_as):
    response = login_as("alpha.provider").get("/cases/new")
    assert response.status_code == 403
    assert "地域包括支援センターまたは居宅介護支援事業所の職員" in response.get_data(as_text=True)


def test_start_another_flow_on_the_case_page(login_as, case, db_session):
    browser = login_as("alpha.center")
    response = browser.post(f"/cases/{case.id}/start", data={"process_key": "new_case"})
    assert response.status_code == 302
    # new_case already runs in this case: a second copy is refused with a message that says where to go on.
    shown = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "「新規」はこのケースですでに進行中です。進行中の手続きのタスクから続けてください" in shown
    assert len(db_session.scalars(select(ProcessInstance).where(ProcessInstance.case_id == case.id)).all()) == 1
    refused = browser.post(f"/cases/{case.id}/start", data={"process_key": "plan_cycle"})
    assert "開始する手続きを選んでください" in browser.get(refused.headers["Location"]).get_data(as_text=True)


def test_the_case_page_offers_every_startable_flow_by_its_japanese_name(login_as, case):
    page = login_as("alpha.center").get(f"/cases/{case.id}").get_data(as_text=True)
    assert '<option value="service_termination">サービスの終了</option>' in page  # a flow of the case's life
    assert '<option value="new_case">新規</option>' in page
    assert 'value="plan_cycle"' not in page  # called by other flows, never started by hand


def test_only_staff_of_the_planner_or_the_center_start_a_flow(login_as, case, db_session):
    def instances() -> int:
        db_session.expire_all()
        return len(db_session.scalars(select(ProcessInstance).where(ProcessInstance.case_id == case.id)).all())

    before = instances()
    for who in ("alpha.insurer", "alpha.provider", "alpha.office"):  # a direct case: the center writes the plan
        browser = login_as(who)
        assert "手続きを開始する" not in browser.get(f"/cases/{case.id}").get_data(as_text=True)
        refused = browser.post(f"/cases/{case.id}/start", data={"process_key": "service_termination"})
        assert refused.status_code == 403
        said = refused.get_data(as_text=True)
        if who == "alpha.office":  # an office, but not this case's planner
            assert "計画を作成する事業所または地域包括支援センター" in said
        else:  # providers and insurers start nothing anywhere
            assert "サービス事業所・保険者は開始できません" in said
    assert instances() == before
    started = login_as("alpha.center").post(f"/cases/{case.id}/start", data={"process_key": "service_termination"})
    assert started.status_code == 302
    assert instances() == before + 1


def test_the_history_says_which_fact_changed_from_what_to_what_in_japanese(login_as, case, db_session, world):
    from engine.store.models import Event

    office = world.orgs["alpha.office"]
    for fact, old, new in (
        ("care_level", "shien1", "kaigo2"),
        ("certification_end", "2027-03-31", "2028-03-31"),
        ("planner", "center", "office"),
        ("office_org_id", None, office.id),
    ):
        detail = {"fact": fact, "old": old, "new": new, "bpmn_id": "x", "form": None}
        db_session.add(Event(at=case.created_at, kind="case_fact_changed", case_id=case.id, detail=detail))
    db_session.commit()
    page = login_as("alpha.center").get(f"/cases/{case.id}").get_data(as_text=True)
    assert "ケースの記録を変更しました(要介護度: 要支援1 → 要介護2)" in page
    assert "認定有効期間(終了): 令和9年3月31日 → 令和10年3月31日" in page
    assert "計画作成担当: 地域包括支援センター → 居宅介護支援事業所" in page
    assert f"居宅介護支援事業所: 未登録 → {office.name}" in page
    assert "case_fact_changed" not in page and "care_level" not in page
