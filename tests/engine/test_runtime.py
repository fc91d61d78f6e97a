"""The runtime on a tiny synthetic diagram: transactions, conflicts, validation, timers, persistence."""

from __future__ import annotations

from datetime import date
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy import select

from engine.accounts.demo_staff import demo_organisations
from engine.accounts.demo_staff import demo_user
from engine.errors import ConflictError
from engine.errors import NotFoundError
from engine.errors import ValidationError
from engine.execution.runtime import Actor
from engine.store.models import Case
from engine.store.models import Document
from engine.store.models import Event
from engine.store.models import ProcessInstance
from engine.store.models import SpecVersion
from engine.store.models import Task
from engine.store.models import Timer

GOOD = {"points": 70, "consultation_date": "2026-05-01", "wait_until": "2026-05-10T00:00:00+09:00"}


@pytest.fixture
def staff(session, runtime):
    orgs = demo_organisations(session, runtime.library.municipality("demo"))
    session.commit()
    center, other = orgs["center"]
    return {
        "orgs": orgs,
        "center": Actor(user_id=demo_user(session, center).id, organisation_id=center.id, role="center"),
        "other": Actor(user_id=demo_user(session, other).id, organisation_id=other.id, role="center"),
    }


@pytest.fixture
def case(session, runtime, staff):
    orgs = staff["orgs"]
    session.commit()
    return runtime.open_case(
        session,
        "demo",
        center_org_id=orgs["center"][0].id,
        office_org_id=orgs["office"][0].id,
        care_level="shien1",
    )


def ready(session, case_id):
    return session.scalars(select(Task).where(Task.case_id == case_id, Task.state == "ready")).all()


def count(session, model, **where):
    query = select(func.count()).select_from(model)
    for key, value in where.items():
        query = query.where(getattr(model, key) == value)
    return session.scalar(query)


def test_start_projects_the_first_task_with_role_organisation_and_due_date(session, runtime, case, staff):
    runtime.start(session, case.id, "mini")
    [task] = ready(session, case.id)
    assert (task.bpmn_id, task.name, task.role) == ("intake", "受付", "center")
    assert task.organisation_id == staff["center"].organisation_id
    assert task.due_date == date(2026, 5, 4)  # ready+P3D from the clock's 2026-05-01


def test_invalid_submission_is_refused_per_field_in_japanese_and_changes_nothing(session, runtime, case, staff):
    instance = runtime.start(session, case.id, "mini")
    [task] = ready(session, case.id)
    events_before = count(session, Event)
    with pytest.raises(ValidationError) as refused:
        runtime.complete(session, task.id, {"points": "たくさん"}, staff["center"])
    assert refused.value.details == {
        "consultation_date": "入力してください",
        "points": "形式が違います(整数で入力してください)",
    }
    session.expire_all()
    assert session.get(ProcessInstance, instance.id).version == instance.version
    assert session.get(Task, task.id).state == "ready"
    assert count(session, Event) == events_before
    assert count(session, Document) == 0


def test_double_completion_is_a_conflict_and_logs_one_event(session, runtime, case, staff):
    runtime.start(session, case.id, "mini")
    [task] = ready(session, case.id)
    runtime.complete(session, task.id, {**GOOD, "points": 10}, staff["center"])
    with pytest.raises(ConflictError, match="すでに完了"):
        runtime.complete(session, task.id, {**GOOD, "points": 10}, staff["center"])
    assert count(session, Event, kind="task_completed") == 1
    assert count(session, Document) == 1


def test_stale_completion_loses_on_the_version_check(fixture_services, runtime, case, staff):
    with fixture_services.sessions() as first, fixture_services.sessions() as second:
        runtime.start(first, case.id, "mini")
        [task] = ready(first, case.id)
        # The second session reads the task and its instance before the first one completes it.
        second.get(Task, task.id)
        instance = second.get(ProcessInstance, task.instance_id)
        version_read = instance.version
        runtime.complete(first, task.id, GOOD, staff["center"])
        with pytest.raises(ConflictError):
            runtime.complete(second, task.id, GOOD, staff["center"])
        first.expire_all()
        assert first.get(ProcessInstance, instance.id).version == version_read + 1
        assert count(first, Event, kind="task_completed") == 1


def test_a_user_of_another_organisation_gets_not_found_and_nothing_changes(session, runtime, case, staff):
    runtime.start(session, case.id, "mini")
    [task] = ready(session, case.id)
    with pytest.raises(NotFoundError):
        runtime.complete(session, task.id, GOOD, staff["other"])
    with pytest.raises(NotFoundError):
        runtime.claim(session, task.id, staff["other"])
    assert session.get(Task, task.id).state == "ready"


def test_claimed_task_cannot_be_completed_by_a_colleague(session, runtime, case, staff):
    runtime.start(session, case.id, "mini")
    [task] = ready(session, case.id)
    org = session.get(Case, case.id).center_org_id
    colleague_user = demo_user(session, session.get(type(staff["orgs"]["center"][0]), org), index=2)
    session.commit()
    colleague = Actor(user_id=colleague_user.id, organisation_id=org, role="center")
    runtime.claim(session, task.id, staff["center"])
    with pytest.raises(ConflictError, match="担当"):
        runtime.complete(session, task.id, GOOD, colleague)
    runtime.release(session, task.id, staff["center"])
    runtime.complete(session, task.id, GOOD, colleague)


def test_decision_routes_and_timer_fires_only_when_due(session, runtime, case, staff, clock):
    runtime.start(session, case.id, "mini")
    [task] = ready(session, case.id)
    runtime.complete(session, task.id, GOOD, staff["center"])
    [timer] = session.scalars(select(Timer).where(Timer.kind == "bpmn")).all()
    assert timer.fire_at.date() == date(2026, 5, 9)  # 2026-05-10 00:00 JST is 05-09 15:00 UTC
    assert runtime.fire_due(session) == 0
    assert ready(session, case.id) == []
    clock.advance(timedelta(days=9))
    assert runtime.fire_due(session) == 0  # due at 2026-05-10 00:00 JST: not before it
    clock.advance(timedelta(seconds=1))
    assert runtime.fire_due(session) == 1
    assert runtime.fire_due(session) == 0
    [review] = ready(session, case.id)
    assert review.bpmn_id == "review"
    assert review.due_date == date(2026, 5, 31)  # month_end of the day it became ready


def test_low_score_takes_the_default_flow_and_ends_the_instance(session, runtime, case, staff):
    instance = runtime.start(session, case.id, "mini")
    [task] = ready(session, case.id)
    runtime.complete(session, task.id, {**GOOD, "points": 10}, staff["center"])
    session.expire_all()
    assert session.get(ProcessInstance, instance.id).status == "completed"
    assert session.get(Case, case.id).status == "open"


def test_end_event_marked_endsCase_ends_the_case(session, runtime, case, staff, clock):
    runtime.start(session, case.id, "mini")
    [task] = ready(session, case.id)
    runtime.complete(session, task.id, GOOD, staff["center"])
    clock.advance(timedelta(days=10))
    runtime.fire_due(session)
    [review] = ready(session, case.id)
    runtime.complete(session, review.id, {"ok": True}, staff["center"])
    session.expire_all()
    assert session.get(Case, case.id).status == "ended"
    with pytest.raises(ConflictError):
        runtime.start(session, case.id, "mini")


def test_instances_are_stored_without_their_spec_which_is_stored_once(session, runtime, case, staff):
    other = runtime.open_case(session, "demo", center_org_id=case.center_org_id)
    first = runtime.start(session, case.id, "mini")
    second = runtime.start(session, other.id, "mini")
    assert count(session, SpecVersion) == 1
    for instance in (first, second):
        state = session.get(ProcessInstance, instance.id).state
        assert "spec" not in state and "subprocess_specs" not in state
    # A reload from the database alone (fresh runtime, empty caches) restores a runnable workflow.
    fresh = type(runtime)(runtime.library, runtime.clock, {}, runtime.python_decisions)
    loaded = fresh.load(session, first.id)
    assert [t.task_spec.bpmn_id for t in loaded.workflow.get_tasks() if t.task_spec.bpmn_id == "intake"]


def test_every_change_is_in_the_event_log_with_who_and_when(session, runtime, case, staff, clock):
    runtime.start(session, case.id, "mini")
    [task] = ready(session, case.id)
    runtime.complete(session, task.id, GOOD, staff["center"])
    kinds = [(e.kind, e.actor_id) for e in session.scalars(select(Event).order_by(Event.id))]
    assert kinds == [
        ("case_opened", None),
        ("instance_started", None),
        ("task_completed", staff["center"].user_id),
    ]
    assert all(e.at == clock.now() for e in session.scalars(select(Event)))


def test_conditions_see_canonical_defaults_when_an_older_instance_lacks_a_key():
    """An instance started before a canonical variable existed still passes gateways that read it."""
    from engine.cases.facts import CANONICAL_DEFAULTS
    from engine.process_library import spiff

    engine = spiff.KaigoflowScriptEngine(decide=lambda *_: {}, defaults=CANONICAL_DEFAULTS)
    old_data = {"delegated": True, "current_benefit": "preventive"}  # no plan_benefit
    assert engine.environment.evaluate('delegated and (plan_benefit or current_benefit) != "care"', old_data) is True
    assert engine.environment.evaluate("plan_benefit", {"plan_benefit": "care"}) == "care"  # the data wins
    bare = spiff.KaigoflowScriptEngine(decide=lambda *_: {})
    with pytest.raises(NameError):
        bare.environment.evaluate("plan_benefit", old_data)
