"""Deadlines board, risk lists, recording a duty or a 特段の事情, the case page section, and who may see them."""

from __future__ import annotations

from datetime import date
from datetime import datetime

import pytest
from sqlalchemy import select

from engine.clock import JST
from engine.store.models import Event
from engine.store.models import Risk
from engine.store.models import ScheduleItem
from tests.web.conftest import INTAKE
from tests.web.conftest import ready_task


@pytest.fixture
def scheduled(db_session, runtime, case, world, clock):
    """The case with a plan (April–September 2026) and the intake done by alpha.center, who now holds it."""
    case.plan_start, case.plan_end = date(2026, 4, 1), date(2026, 9, 30)
    case.certification_start, case.certification_end = date(2026, 1, 1), date(2026, 12, 31)
    db_session.commit()
    clock.set(date(2026, 5, 6))  # a Wednesday: this week runs to Sunday 2026-05-10
    intake = ready_task(db_session, case.id, "intake")
    runtime.complete(db_session, intake.id, INTAKE, world["alpha.center"].actor())
    return case


def item(session, case_id: int, key: str) -> ScheduleItem:
    session.expire_all()
    return session.scalars(select(ScheduleItem).where(ScheduleItem.case_id == case_id, ScheduleItem.key == key)).one()


def open_risks(session, case_id: int) -> list[str]:
    session.expire_all()
    return sorted(
        r.key for r in session.scalars(select(Risk).where(Risk.case_id == case_id, Risk.cleared_at.is_(None)))
    )


def test_board_lists_the_organisations_duties_by_overdue_this_week_and_next_month(login_as, scheduled, world):
    page = login_as("alpha.center").get("/deadlines").get_data(as_text=True)
    overdue, rest = page.split('id="week-title"')
    week, next_month = rest.split('id="next-month-title"')
    assert "モニタリング(利用者との接触)" in overdue and "令和8年4月分" in overdue  # April ended unrecorded
    assert "令和8年4月30日(木)" in overdue
    assert "給付管理票の作成・国保連への伝送" in week and "令和8年5月10日(日)" in week
    assert "令和8年6月10日(水)" in next_month and "令和8年6月30日(火)" in next_month
    assert "令和8年5月31日" not in next_month  # May is neither this week nor next month
    assert "山田 花子" in page


def test_board_of_another_organisation_does_not_show_the_case(login_as, scheduled):
    for outsider in ("alpha.center2", "beta.center"):
        page = login_as(outsider).get("/deadlines").get_data(as_text=True)
        assert "山田 花子" not in page
        assert "期限を過ぎた業務はありません" in page


def test_board_and_risks_per_care_manager(login_as, scheduled, world):
    browser = login_as("alpha.center")
    mine = browser.get(f"/deadlines?user={world['alpha.center'].user_id}").get_data(as_text=True)
    theirs = browser.get(f"/deadlines?user={world['alpha.center.b'].user_id}").get_data(as_text=True)
    assert "山田 花子" in mine and "山田 花子" not in theirs
    risks_mine = browser.get("/risks?user=me").get_data(as_text=True)
    risks_theirs = browser.get(f"/risks?user={world['alpha.center.b'].user_id}").get_data(as_text=True)
    assert "モニタリング未実施" in risks_mine
    assert "モニタリング未実施" not in risks_theirs
    # Someone of another organisation is not a colleague: the filter is ignored, the list stays the own one.
    other = browser.get(f"/risks?user={world['beta.center'].user_id}").get_data(as_text=True)
    assert "モニタリング未実施" in other


def test_risk_list_shows_since_severity_and_rule_without_seed_lines(login_as, scheduled):
    page = login_as("alpha.center").get("/risks").get_data(as_text=True)
    assert "令和8年5月1日(金)" in page  # since the day after April ended
    assert "注意(減算なし)" in page  # 要支援: a warning, not 運営基準減算
    assert "004_f6001c94592c1eac.txt" not in page and "1925-1927" not in page  # staff read the rule (issue 13)
    assert "リスクはありません" in login_as("beta.center").get("/risks").get_data(as_text=True)


def test_recording_a_benefit_management_duty_clears_its_overdue_risk(login_as, scheduled, db_session, clock, runtime):
    clock.set(datetime(2026, 5, 11, 9, 0, tzinfo=JST))
    key = "claim_transmission:2026-04"
    runtime.fire_due(db_session)  # the worker's check the day after the due date
    browser = login_as("alpha.center")
    assert "claim_transmission_overdue:2026-04" in open_risks(db_session, scheduled.id)
    row = item(db_session, scheduled.id, key)
    assert row.status == "missed"
    response = browser.post(f"/schedule/{row.id}/done", data={"done_on": "令和8年5月11日"})
    assert response.status_code == 302
    row = item(db_session, scheduled.id, key)
    assert (row.status, row.done_on) == ("done", date(2026, 5, 11))
    assert "claim_transmission_overdue:2026-04" not in open_risks(db_session, scheduled.id)
    event = db_session.scalars(select(Event).where(Event.kind == "duty_recorded")).one()
    assert event.detail["schedule_key"] == key


def test_a_bad_done_date_changes_nothing(login_as, scheduled, db_session):
    row = item(db_session, scheduled.id, "claim_transmission:2026-04")
    browser = login_as("alpha.center")
    for bad in ("あした", "2099-01-01"):
        response = browser.post(f"/schedule/{row.id}/done", data={"done_on": bad}, follow_redirects=True)
        assert "実施日" in response.get_data(as_text=True)
    assert item(db_session, scheduled.id, "claim_transmission:2026-04").status == "open"
    assert db_session.scalars(select(Event).where(Event.kind == "duty_recorded")).all() == []


def test_special_circumstances_excuse_a_missed_contact(login_as, scheduled, db_session):
    row = item(db_session, scheduled.id, "monitoring_contact:2026-04")
    assert row.status == "missed"
    assert "monitoring_missing:2026-04" in open_risks(db_session, scheduled.id)
    browser = login_as("alpha.center")
    form = browser.get(f"/schedule/{row.id}/special-circumstances")
    assert "利用者の事情" in form.get_data(as_text=True)
    empty = browser.post(f"/schedule/{row.id}/special-circumstances", data={"reason": "  "})
    assert empty.status_code == 422
    assert "具体的に記録してください" in empty.get_data(as_text=True)
    assert item(db_session, scheduled.id, "monitoring_contact:2026-04").status == "missed"
    reason = "本人が入院中で面接できなかった"
    done = browser.post(f"/schedule/{row.id}/special-circumstances", data={"reason": reason})
    assert done.status_code == 302
    row = item(db_session, scheduled.id, "monitoring_contact:2026-04")
    assert row.status == "excused" and row.detail["excuse"] == reason
    # The record itself is still owed: the risk stays until the monitoring record for April arrives.
    assert "monitoring_missing:2026-04" in open_risks(db_session, scheduled.id)


def test_a_record_duty_cannot_be_excused_and_a_flow_duty_cannot_be_ticked(login_as, scheduled, db_session):
    browser = login_as("alpha.center")
    record = item(db_session, scheduled.id, "monitoring_record:2026-04")
    assert browser.get(f"/schedule/{record.id}/special-circumstances").status_code == 404
    response = browser.post(f"/schedule/{record.id}/done", data={}, follow_redirects=True)
    assert "手続きの中で記録します" in response.get_data(as_text=True)
    assert item(db_session, scheduled.id, "monitoring_record:2026-04").status == "missed"


@pytest.mark.parametrize("outsider", ["alpha.center2", "beta.center", "alpha.office"])
def test_others_cannot_act_on_the_duty_404_and_logged(login_as, scheduled, db_session, outsider):
    contact = item(db_session, scheduled.id, "monitoring_contact:2026-04")
    claim = item(db_session, scheduled.id, "claim_transmission:2026-04")
    browser = login_as(outsider)
    assert browser.get(f"/schedule/{contact.id}/special-circumstances").status_code == 404
    assert browser.post(f"/schedule/{contact.id}/special-circumstances", data={"reason": "x"}).status_code == 404
    assert browser.post(f"/schedule/{claim.id}/done", data={}).status_code == 404
    assert item(db_session, scheduled.id, "claim_transmission:2026-04").status == "open"
    denied = db_session.scalars(select(Event).where(Event.kind == "access_denied")).all()
    assert len(denied) == 3 and {e.detail["object"] for e in denied} == {"schedule_item"}


def test_case_page_shows_schedule_and_risks(login_as, scheduled):
    page = login_as("alpha.center").get(f"/cases/{scheduled.id}").get_data(as_text=True)
    assert 'id="schedule-title"' in page and 'id="risks-title"' in page
    assert "モニタリング未実施" in page
    assert "令和8年5月10日(日)" in page
    assert "特段の事情を記録" in page
    # The office sees the case but the center's duties are not its to act on.
    office = login_as("alpha.office").get(f"/cases/{scheduled.id}").get_data(as_text=True)
    assert "モニタリング未実施" in office and "特段の事情を記録" not in office


def _bearer(app, world, key: str) -> dict[str, str]:
    from tests.web.conftest import PASSWORD

    response = app.test_client().post("/api/token", json={"login": world[key].login, "password": PASSWORD})
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def test_api_reads_the_schedule_and_records_a_special_circumstance(app, world, scheduled, db_session):
    client = app.test_client()
    headers = _bearer(app, world, "alpha.center")
    body = client.get(f"/api/cases/{scheduled.id}/schedule", headers=headers).get_json()
    items = {i["key"]: i for i in body["items"]}
    assert items["claim_transmission:2026-04"]["due_date_wareki"] == "令和8年5月10日(日)"
    assert {r["code"] for r in body["risks"]} == {"monitoring_missing"}
    contact = items["monitoring_contact:2026-04"]["id"]
    url = f"/api/schedule/{contact}/special-circumstances"
    refused = client.post(url, json={"reason": ""}, headers=headers)
    assert refused.status_code == 422 and "reason" in refused.get_json()["errors"]
    accepted = client.post(url, json={"reason": "本人の入院"}, headers=headers)
    assert accepted.status_code == 200 and accepted.get_json()["item"]["status"] == "excused"
    claim = items["claim_transmission:2026-04"]["id"]
    done = client.post(f"/api/schedule/{claim}/done", json={"done_on": "2026-05-06"}, headers=headers)
    assert done.get_json()["item"]["done_on"] == "2026-05-06"


def test_api_other_organisations_get_404_and_it_is_logged(app, world, scheduled, db_session):
    client = app.test_client()
    headers = _bearer(app, world, "beta.center")
    contact = item(db_session, scheduled.id, "monitoring_contact:2026-04")
    assert client.get(f"/api/cases/{scheduled.id}/schedule", headers=headers).status_code == 404
    url = f"/api/schedule/{contact.id}/special-circumstances"
    assert client.post(url, json={"reason": "x"}, headers=headers).status_code == 404
    assert item(db_session, scheduled.id, "monitoring_contact:2026-04").status == "missed"
    assert len(db_session.scalars(select(Event).where(Event.kind == "access_denied")).all()) == 2


def test_board_shows_the_rest_of_this_month(login_as, scheduled):
    """A モニタリング due on the 31st is on the board before next month comes (issue 13, item 4)."""
    page = login_as("alpha.center").get("/deadlines").get_data(as_text=True)
    before, month = page.split('id="month-title"')
    month = month.split('id="next-month-title"')[0]
    assert "今月(〜令和8年5月31日(日))" in month
    assert "令和8年5月31日(日)" in month and "山田 花子" in month
    assert "令和8年5月31日" not in before.split('id="week-title"')[1]  # not also in 今週


def test_a_week_that_reaches_next_month_shows_those_days_once(login_as, scheduled, clock, db_session):
    clock.set(date(2026, 5, 28))  # Thursday: the week runs to Sunday 2026-05-31
    page = login_as("alpha.center").get("/deadlines").get_data(as_text=True)
    week = page.split('id="week-title"')[1].split('id="month-title"')[0]
    month = page.split('id="month-title"')[1].split('id="next-month-title"')[0]
    assert "令和8年5月31日(日)" in week
    assert "今週より後で今月が期限の業務はありません" in month


def test_digest_per_person_on_the_board_in_the_api_and_as_text(login_as, scheduled, world, db_session):
    from engine.scheduling import digest

    browser = login_as("alpha.center")
    page = browser.get("/deadlines").get_data(as_text=True)
    section = page.split('id="digest-title"')[1].split("</section>")[0]
    assert "地域包括支援センター職員1" in section  # who holds the case (completed its intake)
    assert "モニタリング" in section and "山田 花子" in section
    body = browser.get("/api/digest").get_json()
    mine = [p for p in body["people"] if p["user_id"] == world["alpha.center"].user_id]
    assert len(mine) == 1
    assert mine[0]["counts"]["overdue"] >= 1  # April's monitoring month ended unrecorded
    assert {line["when"] for line in mine[0]["lines"]} <= {"overdue", "today", "soon"}
    assert browser.get("/api/digest?user=me").get_json()["people"] == mine
    assert login_as("alpha.center.b").get("/api/digest?user=me").get_json()["people"] == []
    assert login_as("beta.center").get("/api/digest").get_json()["people"] == []  # another organisation
    text = digest.render_text(digest.build(db_session, date(2026, 5, 6)), date(2026, 5, 6))
    assert "令和8年5月6日(水) の予定" in text
    assert "■ テスト市A 第一地域包括支援センター 地域包括支援センター職員1" in text
    assert "[期限超過] 4月30日(木) モニタリング(利用者との接触) — 山田 花子" in text
