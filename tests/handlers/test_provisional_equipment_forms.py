"""Form handlers of the 暫定ケアプラン and 福祉用具例外給付 flows: the checks a JSON Schema cannot make."""

from __future__ import annotations

from datetime import date
from typing import Any

from engine.process_library.forms import FormContext
from handlers import equipment_forms
from handlers import provisional_forms


def ctx(data: dict[str, Any] | None = None, **params: Any) -> FormContext:
    return FormContext(date(2026, 5, 1), "toyokawa", params, data or {})


def test_the_explanation_must_cover_the_cost_risks() -> None:
    handler = provisional_forms.ProvisionalExplanation()
    errors = handler.validate({"cost_risk_explained": False, "copay_increase_explained": True}, ctx())
    assert set(errors) == {"cost_risk_explained"}
    assert "003:877" in errors["cost_risk_explained"]


def test_a_handover_goes_to_the_side_of_the_result() -> None:
    handler = provisional_forms.ProvisionalHandover()
    data = {"result_level": "kaigo1", "result_date": "2026-04-20"}
    ok = {"handover_to": "office", "delegated": True, "handover_date": "2026-04-21", "records_handed_over": True}
    assert handler.validate(ok, ctx(data)) == {}
    assert "handover_to" in handler.validate({**ok, "handover_to": "center"}, ctx(data))
    assert "delegated" in handler.validate({**ok, "delegated": False}, ctx(data))
    assert "handover_date" in handler.validate({**ok, "handover_date": "2026-04-19"}, ctx(data))
    preventive = {"result_level": "shien2", "result_date": "2026-04-20"}
    assert handler.validate({**ok, "handover_to": "center", "delegated": False}, ctx(preventive)) == {}


def test_no_self_plan_for_welfare_recipients_or_program_services() -> None:
    handler = provisional_forms.SelfPlanConsultation()
    errors = handler.validate({"welfare_recipient": True, "self_plan_accepted": True}, ctx())
    assert set(errors) == {"self_plan_accepted", "insurer_instruction"}
    accepted = {
        "program_services_used": True,
        "self_plan_accepted": False,
        "insurer_instruction": "居宅が確定プランを作成",
    }
    assert handler.validate(accepted, ctx()) == {}


def test_the_confirmed_draft_is_dated_on_or_after_the_decision_in_maebashi() -> None:
    check = provisional_forms.with_confirmed_draft_check()
    settling = {"provisional": True, "outcome": "confirm", "result_date": "2026-04-20"}
    early = check.validate({"plan_date": "2026-04-10"}, ctx(settling, provisional_outcome_route="preagreed"))
    assert "plan_date" in early and "004:3817" in early["plan_date"]
    assert check.validate({"plan_date": "2026-04-20"}, ctx(settling, provisional_outcome_route="preagreed")) == {}
    # other municipalities only when the parameter says so; never while the plan is still the 暫定 one
    assert check.validate({"plan_date": "2026-04-10"}, ctx(settling, provisional_outcome_route="minor")) == {}
    assert check.validate({"plan_date": "2026-04-10"}, ctx(settling, confirmed_draft_on_or_after_result=True)) != {}
    drafting = {"provisional": True, "result_date": None}
    assert check.validate({"plan_date": "2026-03-01"}, ctx(drafting, provisional_outcome_route="preagreed")) == {}


def test_the_confirmed_plans_consent_is_dated_on_or_after_the_decision_in_maebashi() -> None:
    from handlers import form_handlers

    check = form_handlers()["plan_consent"]
    settling = {"provisional": True, "outcome": "confirm", "result_date": "2026-04-20"}
    consent = {"consent_date": "2026-04-19", "signer_name": "前橋 花子", "usage_slip_explained": True}
    early = check.validate(consent, ctx(settling, provisional_outcome_route="preagreed"))
    assert "同意日は認定日(2026年4月20日)以降" in early["consent_date"] and "004:3817" in early["consent_date"]
    on_the_day = {**consent, "consent_date": "2026-04-20"}
    assert "consent_date" not in check.validate(on_the_day, ctx(settling, provisional_outcome_route="preagreed"))
    assert "consent_date" not in check.validate(consent, ctx(settling, provisional_outcome_route="minor"))


def test_the_wrapper_keeps_the_inner_handler() -> None:
    class Inner:
        form = "plan_draft"

        def validate(self, submission, context):
            return {"plan_end": "inner"}

        def derive(self, submission, context):
            return {"evaluation_due_at": "x"}

    check = provisional_forms.with_confirmed_draft_check(Inner())
    assert check.validate({}, ctx()) == {"plan_end": "inner"}
    assert check.derive({}, ctx()) == {"evaluation_due_at": "x"}


def test_no_rental_before_the_confirmation() -> None:
    handler = equipment_forms.RentalStart()
    data = {
        "consultation_required": True,
        "confirmation_issued": True,
        "confirmation_date": "2026-05-15",
        "consent_date": "2026-05-12",
        "certification_end": "2027-03-31",
    }
    assert "rental_start_date" in handler.validate({"rental_start_date": "2026-05-14"}, ctx(data))
    assert handler.validate({"rental_start_date": "2026-05-15"}, ctx(data)) == {}
    refused = {**data, "confirmation_issued": False}
    assert "rental_start_date" in handler.validate({"rental_start_date": "2026-05-20"}, ctx(refused))
    advance = {**refused, "provisional_plan_in_use": True, "advance_agreed": True, "consultation_date": "2026-05-22"}
    assert "rental_start_date" in handler.validate({"rental_start_date": "2026-05-20"}, ctx(advance))
    assert handler.validate({"rental_start_date": "2026-05-22"}, ctx(advance)) == {}


def test_the_continuation_review_is_due_before_the_period_ends() -> None:
    handler = equipment_forms.RentalStart()
    data = {"certification_end": "2027-03-31"}
    assert handler.derive({"rental_start_date": "2026-05-20"}, ctx(data)) == {
        "continuation_review_at": "2027-03-01T00:00:00+09:00"
    }
    assert handler.derive({"rental_start_date": "2026-05-20"}, ctx(data, equipment_review_days_before=60)) == {
        "continuation_review_at": "2027-01-30T00:00:00+09:00"
    }
    # pending certification: review 30 days after the start
    assert handler.derive({"rental_start_date": "2026-05-20"}, ctx({})) == {
        "continuation_review_at": "2026-06-19T00:00:00+09:00"
    }


def test_city_a_needs_the_center_at_the_meeting() -> None:
    handler = equipment_forms.ServiceMeeting()
    data = {"equipment_restricted": True, "exception_route": "survey_match"}
    submission = {"center_attended": False, "rental_needed": True, "reason": "起き上がりが困難"}
    assert "center_attended" in handler.validate(
        submission, ctx(data, center_meeting_attendance="initial_and_light_equipment")
    )
    assert handler.validate(submission, ctx(data, center_meeting_attendance="on_request")) == {}


def test_the_doctors_finding_and_name_go_in_the_plan() -> None:
    handler = equipment_forms.PlanConsent()
    data = {"exception_route": "consultation", "doctor_finding": "ii", "doctor_confirmed": True}
    submission = {"consent_date": "2026-05-12", "rental_start_date": "2026-05-20"}
    assert set(handler.validate(submission, ctx(data))) == {"doctor_finding_in_plan", "doctor_name_in_plan"}
    assert (
        handler.validate(
            {**submission, "doctor_finding_in_plan": "がん末期", "doctor_name_in_plan": "亀山一郎"}, ctx(data)
        )
        == {}
    )
