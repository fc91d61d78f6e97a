"""Forms of a case's life: plan change (軽微な変更 needs agreement), change of handling, video-monitoring conditions."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from engine.process_library.forms import FormContext
from handlers.handling_change import HandlingChange
from handlers.plan_change import PlanChangeRequest
from handlers.video_monitoring import VideoMonitoringConditions

FORMS = Path(__file__).resolve().parents[2] / "processes" / "common" / "forms"


def example(form: str) -> dict:
    return json.loads((FORMS / f"{form}.schema.json").read_text(encoding="utf-8"))["examples"][0]


def context(data: dict | None = None, **params: object) -> FormContext:
    return FormContext(today=date(2026, 7, 10), municipality="maebashi", params=params, data=data or {})


@pytest.mark.parametrize(
    "changes, refused",
    [
        ({}, False),  # the example: a weekday change, agreed
        ({"agreed_by_providers": False}, True),
        ({"agreed_by_providers": False, "state_changed": True}, False),  # the series follows anyway
        ({"agreed_by_providers": False, "change_kind": "other"}, False),
    ],
)
def test_a_change_that_may_be_minor_needs_the_providers_agreement(changes, refused):
    errors = PlanChangeRequest().validate({**example("plan_change_request"), **changes}, context())
    assert (set(errors) == {"agreed_by_providers"}) is refused
    assert refused or errors == {}


def test_ending_a_delegation_gives_the_plan_back_to_the_center():
    handler = HandlingChange()
    submission = {**example("delegation_change"), "change_kind": "end_delegation"}
    delegated = context({"delegated": True, "office_org_id": 7})
    assert handler.validate(submission, delegated) == {}
    assert handler.derive(submission, delegated) == {"planner": "center", "delegated": False}
    assert set(handler.validate(submission, context({"delegated": False}))) == {"change_kind"}
    missing_record = {**submission, "progress_record_received": False}
    assert set(handler.validate(missing_record, delegated)) == {"progress_record_received"}


def test_delegating_or_moving_a_case_names_the_office():
    handler = HandlingChange()
    start = {**example("delegation_change"), "change_kind": "start_delegation", "office_org_id": "12"}
    assert handler.validate(start, context({"delegated": False})) == {}
    assert handler.derive(start, context()) == {"planner": "office", "delegated": True, "office_org_id": 12}
    assert set(handler.validate(start, context({"delegated": True}))) == {"change_kind"}
    same = {**start, "change_kind": "change_office", "office_org_id": 7}
    assert set(handler.validate(same, context({"delegated": True, "office_org_id": 7}))) == {"office_org_id"}


def test_video_conditions_are_met_only_when_all_are_recorded():
    handler, submission = VideoMonitoringConditions(), example("video_monitoring_conditions")
    assert handler.validate(submission, context()) == {}
    assert handler.derive(submission, context()) == {"video_conditions_met": True}
    partial = {**submission, "can_communicate": False}
    assert handler.derive(partial, context()) == {"video_conditions_met": False}
    late = {**submission, "consent_date": "2026-06-21", "meeting_date": "2026-06-22"}
    assert set(handler.validate(late, context())) == {"consent_date", "meeting_date"}


def test_a_municipality_without_video_monitoring_cannot_record_the_conditions_as_met():
    handler, submission = VideoMonitoringConditions(), example("video_monitoring_conditions")
    assert set(handler.validate(submission, context(video_monitoring=False))) == {"written_consent"}
    withdrawn = {**submission, "written_consent": False}
    assert handler.validate(withdrawn, context(video_monitoring=False)) == {}
    assert handler.derive(withdrawn, context(video_monitoring=False)) == {"video_conditions_met": False}


def test_a_care_case_has_no_delegation_to_change():
    submission = {**example("delegation_change"), "change_kind": "start_delegation", "office_org_id": 12}
    errors = HandlingChange().validate(submission, context({"care_level": "kaigo2", "delegated": False}))
    assert set(errors) == {"change_kind"} and "居宅介護支援" in errors["change_kind"]
