"""Form handlers of the 福祉用具貸与の例外給付 flow (processes/*/equipment_exception.bpmn).

Sources: 鈴鹿亀山 IV (003_ac00e42d951987eb.txt:1019-1195); 前橋 10-11 (004_f6001c94592c1eac.txt:1193-1294);
city-a (000_ac7815af6fd4c390.txt:180-182); DOMAIN.md §9.

The one rule the diagram enforces by its order and these handlers enforce by date: where the insurer's 協議 is
required, the rental does not start before the 確認書 (003:1084-1085); under a 鈴鹿亀山 暫定 plan, not before the
事前協議 (003:1086).

Registration (handlers/__init__.py): every object in `HANDLERS`, keyed by its `form`.

Parameters read (municipality.toml, flattened; none is required):
- `center_meeting_attendance` (existing; city-a `initial_and_light_equipment`): the center must attend the meeting
  that places a 軽度者 rental (000:180-182).
- `equipment_review_days_before` (int, default 30): how many days before the end of the certification period the
  continuation review (継続の必要性の検討) becomes due; the national renewal-support lead time (DOMAIN.md §6.2).
"""

from __future__ import annotations

from datetime import date
from datetime import timedelta
from typing import Any

from engine.process_library.forms import FormContext
from handlers.base import Handler
from handlers.formchecks import Data
from handlers.formchecks import SimpleHandler
from handlers.formchecks import blank
from handlers.formchecks import day
from handlers.formchecks import japanese_date

DOCTOR_FINDINGS = ("i", "ii", "iii")
DEFAULT_REVIEW_DAYS = 30
UNKNOWN_PERIOD_REVIEW_DAYS = 30
"""While the certification is pending (no end date), review 30 days after the start, when the result is due."""


def via_doctor_finding(data: Data) -> bool:
    return (
        data.get("exception_route") == "consultation"
        and data.get("doctor_finding") in DOCTOR_FINDINGS
        and bool(data.get("doctor_confirmed"))
    )


class ServiceMeeting(SimpleHandler):
    form = "equipment_service_meeting"

    def problems(self, submission: Data, data: Data, params: Data) -> dict[str, str]:
        errors = {}
        if (
            params.get("center_meeting_attendance") == "initial_and_light_equipment"
            and data.get("equipment_restricted")
            and not submission.get("center_attended")
        ):
            errors["center_attended"] = (
                "軽度者に係る福祉用具貸与を位置付ける担当者会議には、地域包括支援センターが必ず出席します(000:180-182)"
            )
        if data.get("exception_route") == "care_manager_judgement" and blank(submission, "doctor_information"):
            errors["doctor_information"] = (
                "ア(二)・オ(三)は基本調査の項目がないため、主治の医師から得た情報を記録してください(004:1266-1270)"
            )
        if submission.get("rental_needed") and blank(submission, "reason"):
            errors["reason"] = "貸与が必要と判断した理由を記録してください(004:1199-1201)"
        return errors


class PlanConsent(SimpleHandler):
    form = "equipment_plan_consent"

    def problems(self, submission: Data, data: Data, params: Data) -> dict[str, str]:
        errors = {}
        consent, start = day(submission.get("consent_date")), day(submission.get("rental_start_date"))
        if consent and start and start < consent:
            errors["rental_start_date"] = "貸与は計画への位置付けと利用者の同意の後に始めます(003:1074)"
        if via_doctor_finding(data):
            if blank(submission, "doctor_finding_in_plan"):
                errors["doctor_finding_in_plan"] = "医師の所見を計画に記載してください(004:1290-1291)"
            if blank(submission, "doctor_name_in_plan"):
                errors["doctor_name_in_plan"] = "所見を示した医師の名前を計画に記載してください(004:1290-1291)"
        return errors


class ConsultationSubmission(SimpleHandler):
    form = "consultation_submission"

    def problems(self, submission: Data, data: Data, params: Data) -> dict[str, str]:
        errors = {}
        if submission.get("plan_copy") is not True:
            errors["plan_copy"] = "計画書の写し(利用者の同意のあるもの)を提出してください(003:1078)"
        if submission.get("meeting_record") is not True:
            errors["meeting_record"] = "サービス担当者会議録又は支援経過記録を提出してください(003:1079)"
        if via_doctor_finding(data) and submission.get("doctor_finding_document") is not True:
            errors["doctor_finding_document"] = (
                "医師の医学的な所見に基づき必要性を聴き取った文書(別紙2等)を提出してください(003:1080)"
            )
        submitted, start = day(submission.get("submission_date")), day(data.get("rental_start_date"))
        if submitted and start and submitted > start:
            errors["submission_date"] = (
                f"協議は貸与開始前に行います(貸与開始予定日 {japanese_date(start)}、003:1084)。"
                "開始予定日を見直してください"
            )
        return errors


class InsurerConsultation(SimpleHandler):
    form = "insurer_consultation"

    def problems(self, submission: Data, data: Data, params: Data) -> dict[str, str]:
        errors = {}
        held, issued_on = day(submission.get("consultation_date")), day(submission.get("confirmation_date"))
        if submission.get("confirmation_issued"):
            if issued_on is None:
                errors["confirmation_date"] = "確認書の発行日を入力してください(003:1085)"
            elif held and issued_on < held:
                errors["confirmation_date"] = "確認書は協議の後に発行します(003:1085)"
        if submission.get("advance_agreed") and not data.get("provisional_plan_in_use"):
            errors["advance_agreed"] = "事前協議は暫定ケアプランで貸与を始める場合だけです(003:1086)"
        return errors


class RentalStart(Handler):
    """No rental before the 確認書 (or, under a 暫定 plan in 鈴鹿亀山, before the 事前協議); schedules the review."""

    form = "rental_start"

    def validate(self, submission: Data, context: FormContext) -> dict[str, str]:
        data = context.data
        errors: dict[str, str] = {}
        start = day(submission.get("rental_start_date"))
        if start is None:
            return errors
        consent = day(data.get("consent_date"))
        if consent and start < consent:
            errors["rental_start_date"] = "貸与は計画への位置付けと利用者の同意の後に始めます(003:1074)"
        if data.get("consultation_required"):
            if data.get("confirmation_issued"):
                issued_on = day(data.get("confirmation_date"))
                if issued_on and start < issued_on:
                    errors["rental_start_date"] = (
                        f"確認書の発行日({japanese_date(issued_on)})より前に貸与を開始することはできません(003:1084-1085)"
                    )
            elif data.get("provisional_plan_in_use") and data.get("advance_agreed"):
                agreed_on = day(data.get("consultation_date"))
                if agreed_on and start < agreed_on:
                    errors["rental_start_date"] = (
                        f"事前協議({japanese_date(agreed_on)})より前に貸与を開始することはできません(003:1086)"
                    )
            else:
                errors["rental_start_date"] = "保険者の確認書がないため、例外給付として貸与を開始できません(003:1085)"
        return errors

    def derive(self, submission: Data, context: FormContext) -> dict[str, Any]:
        start = day(submission.get("rental_start_date"))
        if start is None:
            return {}
        return {"continuation_review_at": review_moment(start, context.data.get("certification_end"), context.params)}


def review_moment(start: date, certification_end: Any, params: Data) -> str:
    """When the continuation review is due: `equipment_review_days_before` days before the end of the period."""
    end = day(certification_end)
    days = params.get("equipment_review_days_before", DEFAULT_REVIEW_DAYS)
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        days = DEFAULT_REVIEW_DAYS
    when = max(start, end - timedelta(days=days)) if end else start + timedelta(days=UNKNOWN_PERIOD_REVIEW_DAYS)
    return f"{when.isoformat()}T00:00:00+09:00"


class ContinuationReview(SimpleHandler):
    form = "continuation_review"

    def problems(self, submission: Data, data: Data, params: Data) -> dict[str, str]:
        if submission.get("continue_rental") and blank(submission, "reason"):
            return {"reason": "続けて貸与する理由を記録し、計画に記載してください(004:1239-1243)"}
        return {}


class SuzukaKameyamaResultReport(Handler):
    form = "suzuka-kameyama_equipment_result_report"

    def validate(self, submission: Data, context: FormContext) -> dict[str, str]:
        errors = {}
        if submission.get("care_level") == "pending":
            errors["care_level"] = "認定結果が出てから報告してください(003:1086)"
        if submission.get("still_needed") and submission.get("confirmed_plan_submitted") is not True:
            errors["confirmed_plan_submitted"] = (
                "なお例外給付が必要な場合は、確定ケアプランを提出してください(確認書はその後に発行されます、003:1086)"
            )
        return errors

    def derive(self, submission: Data, context: FormContext) -> dict[str, Any]:
        start = day(context.data.get("rental_start_date")) or day(submission.get("report_date"))
        if start is None:
            return {}
        end = submission.get("certification_end") or context.data.get("certification_end")
        return {"continuation_review_at": review_moment(start, end, context.params)}


class SuzukaKameyamaConfirmation(SimpleHandler):
    form = "suzuka-kameyama_equipment_confirmation"

    def problems(self, submission: Data, data: Data, params: Data) -> dict[str, str]:
        if submission.get("result_confirmation_issued") and blank(submission, "confirmation_date"):
            return {"confirmation_date": "確認書の発行日を入力してください(003:1085)"}
        return {}


HANDLERS = (
    ServiceMeeting(),
    PlanConsent(),
    ConsultationSubmission(),
    InsurerConsultation(),
    RentalStart(),
    ContinuationReview(),
    SuzukaKameyamaResultReport(),
    SuzukaKameyamaConfirmation(),
)
