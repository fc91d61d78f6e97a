"""A refresh reuses what the refresh before it computed (engine.scheduling.snapshot.Computed: the items and their rows,
the duty and check timers wanted) only where its inputs are the same: after each kind of change the kept copy does
not see, what the refresh leaves equals a recompute from nothing.

test_incremental_refresh.py forgets the kept copies after every step it checks; here they are carried from one change
to the next, as in use, so every refresh under test starts from the work of the one before it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.accounts import demo_staff
from engine.clock import JST
from engine.clock import FixedClock
from engine.execution.runtime import Actor
from engine.scheduling import schedule
from engine.scheduling import snapshot
from engine.store.models import Case
from engine.store.models import Event
from engine.store.models import ScheduleItem
from engine.store.models import Task
from engine.store.models import Timer
from tests.engine.test_incremental_refresh import _state
from tests.engine.test_schedule_worker import open_case


def _equals_a_recompute(session: Session, runtime: Any, case_id: int, what: str) -> None:
    """What the last refresh left (from its kept copy) is what a refresh from nothing computes; the copies this
    process kept are left as they were, so the next change is refreshed from them."""
    carried = dict(snapshot._KEPT)
    try:
        case = session.get(Case, case_id)
        runtime._refresh(session, case)  # today by the clock: the stored rows as the schedule stands now
        incremental = _state(session, case_id)
        schedule._DECISIONS.clear()
        snapshot.keep(session, case_id, None)
        snapshot.forget()
        session.execute(delete(ScheduleItem).where(ScheduleItem.case_id == case_id, ScheduleItem.status == "open"))
        session.execute(
            delete(Timer).where(Timer.case_id == case_id, Timer.kind.in_(("duty", "check")), Timer.fired_at.is_(None))
        )
        session.expire_all()
        runtime._refresh(session, session.get(Case, case_id))
        assert _state(session, case_id) == incremental, f"{what}: the refresh from the kept copy differs"
    finally:
        session.rollback()
        snapshot._KEPT.clear()
        snapshot._KEPT.update(carried)


def _reused(session: Session, case_id: int) -> bool:
    kept = snapshot.held(session, case_id)
    return kept is not None and kept.computed is not None


def test_each_change_the_kept_copy_does_not_see_is_refreshed_as_a_recompute_would(services, monkeypatch):
    reading = schedule._read
    reused: list[bool] = []

    def read(*args: Any) -> Any:
        work = reading(*args)
        reused.append(work.previous is not None)
        return work

    monkeypatch.setattr(schedule, "_read", read)
    clock = FixedClock(datetime(2026, 5, 1, 9, 0, tzinfo=JST))
    runtime = services.runtime(clock)
    case_id, orgs = open_case(services, runtime)
    with services.sessions() as session:
        actor = Actor(
            user_id=demo_staff.demo_user(session, orgs["office"][0]).id,
            organisation_id=orgs["office"][0].id,
            role="office",
        )
        session.commit()

    def monitoring_task(session: Session, month: str) -> str:
        for task in session.scalars(
            select(Task).where(Task.case_id == case_id, Task.state == "ready", Task.bpmn_id == "monitoring")
        ):
            if runtime.form_context(session, task.id)[2].get("month") == month:
                return task.id
        raise AssertionError(f"no ready monitoring task for {month}")

    def complete(session: Session, month: str, **data: Any) -> None:
        task_id = monitoring_task(session, month)
        task = session.get(Task, task_id)
        form = runtime.load(session, task.instance_id).resolved.forms[task.form]
        submission = {**form.example(), "month": month, "contact_date": f"{month}-02", **data}
        runtime.complete(session, task_id, submission, actor)

    def case_change(**values: Any) -> Callable[[Session], None]:
        def change(session: Session) -> None:
            case = session.get(Case, case_id)
            for name, value in values.items():
                setattr(case, name, value)
            session.commit()  # the case row only: the kept copy is still trusted (its generation is unchanged)
            runtime.refresh_schedule(session, case_id)

        return change

    def record(kind: str, key: str, **detail: Any) -> Callable[[Session], None]:
        def change(session: Session) -> None:
            session.add(Event(at=clock.now(), case_id=case_id, kind=kind, detail={"schedule_key": key, **detail}))
            session.commit()
            runtime.refresh_schedule(session, case_id)

        return change

    def at(moment: datetime, fire: bool = True) -> Callable[[Session], None]:
        def change(session: Session) -> None:
            clock.set(moment)
            runtime.refresh_schedule(session, case_id)
            if fire:
                runtime.fire_due(session)

        return change

    changes: list[tuple[str, Callable[[Session], None]]] = [
        ("the first month's duty fired", lambda session: runtime.fire_due(session) and None),
        ("May recorded with a home visit", lambda session: complete(session, "2026-05", home_visit=True)),
        ("the same day again", at(datetime(2026, 5, 2, 9, 0, tzinfo=JST), fire=False)),
        ("July: May's due dates passed, June and July fired", at(datetime(2026, 7, 10, 9, 0, tzinfo=JST))),
        (
            "June recorded late, by phone for the client's reasons",
            lambda session: complete(
                session, "2026-06", contact_method="phone", home_visit=False, special_circumstances="本人の入院のため"
            ),
        ),
        ("across the month's end", at(datetime(2026, 8, 1, 0, 30, tzinfo=JST))),
        ("a manual duty recorded", record("duty_recorded", "claim_transmission:2026-07", done_on="2026-08-01")),
        ("the record withdrawn", record("duty_record_withdrawn", "claim_transmission:2026-07")),
        (
            "a 特段の事情 for a home visit",
            record("special_circumstances_recorded", "home_visit:2026-08", reason="入院"),
        ),
        ("video conditions met", case_change(data={"video_conditions_met": True})),
        ("another office", case_change(office_org_id=orgs["office"][1].id)),
        ("the care level changed", case_change(care_level="kaigo4")),
        ("to 要支援", case_change(care_level="shien2")),
        ("another center", case_change(center_org_id=orgs["center"][1].id)),
        (
            "the certification renewed",
            case_change(certification_start=date(2026, 10, 1), certification_end=date(2027, 9, 30)),
        ),
        ("its start corrected", case_change(certification_start=date(2026, 9, 20))),
        ("the plan changed", case_change(plan_start=date(2026, 8, 1), plan_end=date(2027, 1, 31))),
        ("a month later", at(datetime(2026, 9, 3, 9, 0, tzinfo=JST))),
        ("August recorded in September", lambda session: complete(session, "2026-08", home_visit=True)),
    ]
    with services.sessions() as session:
        runtime.refresh_schedule(session, case_id)
        for what, change in changes:
            assert _reused(session, case_id), f"{what}: no computed work kept to reuse"
            reused.clear()
            change(session)
            assert reused[0], f"{what}: the refresh did not start from the work of the one before"
            _equals_a_recompute(session, runtime, case_id, what)
