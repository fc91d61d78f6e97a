"""The demo's stories: cases at several stages made through the real flows of a municipality, once."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from engine import demo_stories
from engine.scheduling import digest
from engine.store.models import Case
from engine.store.models import ProcessInstance
from engine.store.models import Risk
from engine.store.models import ScheduleItem
from engine.store.models import Task

TODAY = date(2026, 12, 3)


def by_name(session, name: str) -> Case:
    return session.scalars(select(Case).where(Case.client_name == name)).one()


def ready(session, case: Case) -> list[tuple[str, str]]:
    rows = session.scalars(select(Task).where(Task.case_id == case.id, Task.state == "ready")).all()
    return sorted((t.bpmn_id, t.role) for t in rows)


def risks(session, case: Case) -> list[str]:
    return sorted(
        r.code for r in session.scalars(select(Risk).where(Risk.case_id == case.id, Risk.cleared_at.is_(None)))
    )


def test_every_story_is_told_through_toyokawas_flows_once(services):
    with services.sessions() as session:
        report = demo_stories.seed(session, services.library, services.runtime, TODAY, only={"toyokawa"})
        assert len(report) == 5 and not [line for line in report if "途中まで" in line], report
        # 計画実施中: the plan runs from November; December's モニタリング is open, nothing is overdue.
        plan = by_name(session, "山本 和子")
        assert (plan.plan_start, plan.plan_end) == (date(2026, 11, 1), date(2027, 4, 30))
        assert ready(session, plan) == [("monitoring", "center")]
        assert risks(session, plan) == []
        due = session.scalars(
            select(ScheduleItem.due_date).where(ScheduleItem.case_id == plan.id, ScheduleItem.status == "open")
        ).all()
        assert date(2026, 12, 31) in due  # on the 期限 board's 今月
        # モニタリング期限超過: November's month ended with no record.
        overdue = by_name(session, "中村 勇")
        assert "monitoring_missing" in risks(session, overdue)
        assert ("monitoring", "office") in ready(session, overdue)
        # 更新の時期: the certification ends in 45 days, so the 更新 has started.
        renewal = by_name(session, "小林 ミサ")
        assert renewal.certification_end == date(2027, 1, 17)
        assert ("renewal_application", "center") in ready(session, renewal)
        # 暫定プラン: running, waiting for the plan's draft.
        provisional = by_name(session, "加藤 正男")
        keys = session.scalars(
            select(ProcessInstance.process_key).where(
                ProcessInstance.case_id == provisional.id, ProcessInstance.status == "running"
            )
        ).all()
        assert "provisional_plan" in keys
        assert ("plan_draft", "office") in ready(session, provisional)
        # 福祉用具の協議: with the insurer.
        assert ready(session, by_name(session, "吉田 トメ")) == [("insurer_consultation", "insurer")]
        # Each story's history is dated on its own days, not all today.
        assert plan.created_at.date() < TODAY
        # Nothing twice.
        count = len(session.scalars(select(Case)).all())
        assert demo_stories.seed(session, services.library, services.runtime, TODAY, only={"toyokawa"}) == []
        assert len(session.scalars(select(Case)).all()) == count
        # The digest has something true to say: the office's care manager, who holds 中村 勇's case, has last
        # month's duties overdue and the モニタリング nobody has claimed yet.
        office = overdue.office_org_id
        text = digest.render_text(digest.build(session, TODAY, [office]), TODAY)
        person = text.split("■ ")[1]
        assert person.startswith("豊川市 さくら居宅介護支援事業所 居宅介護支援事業所職員1(期限超過 ")
        assert "[期限超過] 11月30日(月) モニタリング(未担当) — 中村 勇" in person
        assert "[期限超過] 11月30日(月) モニタリングの記録 — 中村 勇" in person
