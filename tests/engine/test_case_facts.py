"""Case facts have one owner (issue 11): only a step that declares a fact (setsCaseFacts) changes it, each change is
an event, the live instances read the current facts, and a running flow is not started twice in a case."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select

from engine.accounts import demo_staff
from engine.cases import facts as casedata
from engine.clock import FixedClock
from engine.errors import ConflictError
from engine.errors import ValidationError
from engine.execution.runtime import Actor
from engine.execution.runtime import Runtime
from engine.store.models import Case
from engine.store.models import Event
from engine.store.models import Organisation
from engine.store.models import Task

MUNICIPALITY = "oshu"  # the common renewal and monthly monitoring diagrams


@pytest.fixture
def world(services):
    clock = FixedClock(date(2026, 8, 3))
    runtime = services.runtime(clock)
    with services.sessions() as session:
        orgs = demo_staff.demo_organisations(session, services.library.municipality(MUNICIPALITY))
        staff = {}
        for role, members in orgs.items():
            user = demo_staff.demo_user(session, members[0])
            staff[role] = Actor(user_id=user.id, organisation_id=members[0].id, role=role)
        ids = {role: [org.id for org in members] for role, members in orgs.items()}
        session.commit()
    return runtime, clock, staff, ids


def open_case(session, runtime: Runtime, ids: dict[str, list[int]], **fields: Any) -> Case:
    base: dict[str, Any] = {
        "care_level": "kaigo2",
        "certification_start": date(2025, 10, 1),
        "certification_end": date(2026, 9, 30),
        "office_org_id": ids["office"][0],
        "insurer_org_id": ids["insurer"][0],
        "provider_org_id": ids["provider"][0],
    }
    base.update(fields)
    return runtime.open_case(session, MUNICIPALITY, **base)


def ready(session, case_id: int, bpmn_id: str) -> list[Task]:
    session.expire_all()
    return list(
        session.scalars(select(Task).where(Task.case_id == case_id, Task.bpmn_id == bpmn_id, Task.state == "ready"))
    )


def complete(session, runtime: Runtime, task: Task, actor: Actor, **given: Any) -> None:
    """The form's example, what the instance knows, then `given` (as the scenario runner fills a form)."""
    loaded = runtime.load(session, task.instance_id)
    form = loaded.resolved.forms[task.form or ""]
    _, _, data = runtime.form_context(session, task.id)
    submission = form.example()
    submission.update({k: data[k] for k in form.schema.get("properties", {}) if data.get(k) is not None})
    submission.update(given)
    runtime.complete(session, task.id, submission, actor)


def fact_events(session, case_id: int) -> list[dict[str, Any]]:
    events = session.scalars(
        select(Event).where(Event.case_id == case_id, Event.kind == "case_fact_changed").order_by(Event.id)
    )
    return [{**event.detail, "actor_id": event.actor_id} for event in events]


def test_a_monitoring_started_before_the_renewal_result_and_completed_after_it_keeps_the_renewals_facts(
    services, world
):
    runtime, _clock, staff, ids = world
    with services.sessions() as session:
        case = open_case(session, runtime, ids)
        runtime.start(session, case.id, "monthly_monitoring", {"month": "2026-08"}, period="2026-08")
        runtime.start(session, case.id, "renewal")
        complete(
            session,
            runtime,
            ready(session, case.id, "renewal_application")[0],
            staff["office"],
            application_date="2026-08-03",
        )
        [entry] = ready(session, case.id, "certification_result_entry")
        complete(
            session,
            runtime,
            entry,
            staff["insurer"],
            result_level="kaigo3",
            result_date="2026-08-20",
            certification_start="2026-10-01",
            certification_end="2028-09-30",
        )
        session.refresh(case)
        assert (case.care_level, case.certification_end) == ("kaigo3", date(2028, 9, 30))

        # The monitoring started with the old record; it now reads the current one and writes none of it back.
        [monitoring] = ready(session, case.id, "monitoring")
        _, _, data = runtime.form_context(session, monitoring.id)
        assert (data["care_level"], data["certification_end"]) == ("kaigo3", "2028-09-30")
        complete(session, runtime, monitoring, staff["office"], month="2026-08", contact_date="2026-08-21")
        session.refresh(case)
        assert case.care_level == "kaigo3"
        assert (case.certification_start, case.certification_end) == (date(2026, 10, 1), date(2028, 9, 30))
        changed = {(e["fact"], e["bpmn_id"]) for e in fact_events(session, case.id)}
        assert changed == {
            ("current_benefit", "decide_certification_application"),  # unknown until the application said it
            ("certification_start", "certification_result_entry"),
            ("certification_end", "certification_result_entry"),
            ("care_level", "decide_certification_result"),
        }  # and nothing from the monitoring


def test_each_fact_change_is_an_event_with_old_new_the_step_and_who(services, world):
    runtime, _clock, staff, ids = world
    with services.sessions() as session:
        case = open_case(session, runtime, ids)
        runtime.start(session, case.id, "renewal")
        complete(
            session,
            runtime,
            ready(session, case.id, "renewal_application")[0],
            staff["office"],
            application_date="2026-08-03",
        )
        [entry] = ready(session, case.id, "certification_result_entry")
        complete(
            session,
            runtime,
            entry,
            staff["insurer"],
            result_level="kaigo2",
            result_date="2026-08-20",
            certification_start="2026-10-01",
            certification_end="2028-09-30",
        )
        events = fact_events(session, case.id)
    by_fact = {e["fact"]: e for e in events}
    assert by_fact["certification_end"] == {
        "fact": "certification_end",
        "old": "2026-09-30",
        "new": "2028-09-30",
        "bpmn_id": "certification_result_entry",
        "form": "certification_result_entry",
        "actor_id": staff["insurer"].user_id,
    }
    assert by_fact["current_benefit"]["bpmn_id"] == "decide_certification_application"
    assert "care_level" not in by_fact  # the same level again: no change, no event


def test_a_submission_with_fields_the_form_does_not_have_changes_nothing(services, world):
    runtime, _clock, staff, ids = world
    with services.sessions() as session:
        case = open_case(session, runtime, ids, client_name="奥州 花子", insured_number="0123456789")
        runtime.start(session, case.id, "monthly_monitoring", {"month": "2026-08"}, period="2026-08")
        [monitoring] = ready(session, case.id, "monitoring")
        foreign = {"client_name": "別人", "insured_number": "9999999999", "care_level": "kaigo5"}
        with pytest.raises(ValidationError):
            complete(
                session, runtime, monitoring, staff["office"], month="2026-08", contact_date="2026-08-21", **foreign
            )
        session.expire_all()
        case = session.get(Case, case.id)
        assert (case.client_name, case.insured_number, case.care_level) == ("奥州 花子", "0123456789", "kaigo2")
        assert fact_events(session, case.id) == []
        assert ready(session, case.id, "monitoring")  # still to do


def test_set_facts_types_checks_and_refuses_wrong_values_by_fact(services, world):
    runtime, _clock, _staff, ids = world
    with services.sessions() as session:
        case = open_case(session, runtime, ids)
        changes = casedata.set_facts(
            session,
            case,
            ["plan_start", "office_org_id", "care_level"],
            {"plan_start": "2026-09-01", "office_org_id": str(ids["office"][1]), "care_level": None, "other": 1},
        )
        assert [(c.fact, c.new) for c in changes] == [
            ("plan_start", date(2026, 9, 1)),
            ("office_org_id", ids["office"][1]),
        ]
        center = session.scalar(select(Organisation.id).where(Organisation.id == ids["center"][0]))
        with pytest.raises(ValidationError) as refused:
            casedata.set_facts(
                session,
                case,
                ["office_org_id", "care_level", "planner"],
                {"office_org_id": center, "care_level": "kaigo9", "planner": "x"},
            )
        assert set(refused.value.details) == {"office_org_id", "care_level", "planner"}
        assert case.office_org_id == ids["office"][1] and case.care_level == "kaigo2"


def test_a_step_deciding_the_delegation_moves_the_planner_unless_it_names_it(services, world):
    runtime, _clock, _staff, ids = world
    with services.sessions() as session:
        case = open_case(session, runtime, ids, care_level="shien2", center_org_id=ids["center"][0])
        assert (case.planner, case.delegated) == ("center", False)
        changes = casedata.set_facts(session, case, ["delegated"], {"delegated": True})
        assert [(c.fact, c.old, c.new) for c in changes] == [
            ("delegated", False, True),
            ("planner", "center", "office"),
        ]
        changes = casedata.set_facts(session, case, ["planner", "delegated"], {"planner": "center", "delegated": False})
        assert (case.planner, case.delegated) == ("center", False)


def test_opening_a_case_refuses_unknown_fields_and_sets_planner_and_delegation(services, world):
    runtime, _clock, _staff, ids = world
    with services.sessions() as session:
        with pytest.raises(ValidationError) as refused:
            open_case(session, runtime, ids, nickname="はなちゃん", planner="insurer")
        assert set(refused.value.details) == {"nickname", "planner"}
        assert "指定できません" in refused.value.details["nickname"]
        with pytest.raises(ValidationError) as refused:
            open_case(session, runtime, ids, care_level="shien1", planner="center")  # the center plans: it is needed
        assert set(refused.value.details) == {"center_org_id"}
        with pytest.raises(ValidationError) as refused:
            open_case(session, runtime, ids, center_org_id=ids["office"][0])  # an office is no center
        assert set(refused.value.details) == {"center_org_id"}
        # 居宅介護支援: an office's own 要介護 case needs no center.
        care = open_case(session, runtime, ids)
        assert (care.planner, care.delegated, care.center_org_id) == ("office", False, None)
        delegated = open_case(
            session, runtime, ids, care_level="shien2", delegated=True, center_org_id=ids["center"][0]
        )
        assert (delegated.planner, delegated.delegated) == ("office", True)
        direct = open_case(session, runtime, ids, care_level="shien2", center_org_id=ids["center"][0])
        assert (direct.planner, direct.delegated) == ("center", False)
        assert session.scalar(select(Case.id).where(Case.client_name == "はなちゃん")) is None


def test_a_running_flow_is_not_started_twice_unless_its_diagram_allows_it(services, world):
    runtime, _clock, _staff, ids = world
    with services.sessions() as session:
        case = open_case(session, runtime, ids)
        runtime.start(session, case.id, "renewal")
        with pytest.raises(ConflictError) as refused:
            runtime.start(session, case.id, "renewal")
        assert "すでに進行中" in refused.value.message and "process_key" in refused.value.details
        # monthly_monitoring (allowParallel): one instance per month may run at once.
        runtime.start(session, case.id, "monthly_monitoring", {"month": "2026-08"}, period="2026-08")
        runtime.start(session, case.id, "monthly_monitoring", {"month": "2026-09"}, period="2026-09")
        assert len(ready(session, case.id, "monitoring")) == 2
        assert len(ready(session, case.id, "renewal_application")) == 1


def test_the_planner_lane_follows_the_case_fact(services, world):
    runtime, _clock, _staff, ids = world
    with services.sessions() as session:
        office_case = open_case(session, runtime, ids, center_org_id=ids["center"][0])  # 要介護: the office plans
        center_case = open_case(session, runtime, ids, care_level="shien1", center_org_id=ids["center"][0])
        for case in (office_case, center_case):
            runtime.start(session, case.id, "monthly_monitoring", {"month": "2026-08"}, period="2026-08")
        [in_office] = ready(session, office_case.id, "monitoring")
        [in_center] = ready(session, center_case.id, "monitoring")
        assert (in_office.role, in_office.organisation_id) == ("office", ids["office"][0])
        assert (in_center.role, in_center.organisation_id) == ("center", ids["center"][0])


def test_a_superseded_instance_writes_no_facts(services, world):
    runtime, _clock, staff, ids = world
    with services.sessions() as session:
        case = open_case(session, runtime, ids)
        old = runtime.start(session, case.id, "renewal")
        newer = runtime.start(session, case.id, "monthly_monitoring", {"month": "2026-08"}, period="2026-08")
        # As when a newer chain continues in the case (Runtime._finish): the old renewal no longer speaks for it.
        with runtime._transaction(session):
            runtime._supersede_others(session, case, newer, staff["office"], "renewal")
        complete(
            session,
            runtime,
            ready(session, case.id, "renewal_application")[0],
            staff["office"],
            application_date="2026-08-03",
        )
        [entry] = ready(session, case.id, "certification_result_entry")
        assert entry.instance_id == old.id
        complete(
            session,
            runtime,
            entry,
            staff["insurer"],
            result_level="kaigo4",
            result_date="2026-08-20",
            certification_start="2026-10-01",
            certification_end="2028-09-30",
        )
        session.refresh(case)
        assert (case.care_level, case.certification_end) == ("kaigo2", date(2026, 9, 30))
        assert fact_events(session, case.id) == []


FORMS = sorted((Path(__file__).resolve().parents[2] / "processes").glob("*/forms/*.schema.json"))


@pytest.mark.parametrize("path", FORMS, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_every_form_refuses_case_facts_it_does_not_have(path):
    """Through the API a completion once carried client_name, insured_number, care_level and center_org_id onto the
    case (issue 11): every form is closed, so a fact a form does not ask for is refused before anything runs."""
    schema = json.loads(path.read_text(encoding="utf-8"))
    foreign = {name: "x" for name in casedata.FACTS if name not in schema.get("properties", {})}
    errors = list(Draft202012Validator(schema).iter_errors({**schema["examples"][0], **foreign}))
    refused = {
        name
        for error in errors
        if error.validator == "additionalProperties"
        for name in foreign
        if name in error.message
    }
    assert refused == set(foreign)
