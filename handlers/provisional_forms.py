"""Form handlers of the 暫定ケアプラン flow (processes/*/provisional_plan.bpmn): what the JSON Schemas cannot say.

Sources: 鈴鹿亀山 II 暫定ケアプラン (003_ac00e42d951987eb.txt:775-918); 前橋 別紙2 (004_f6001c94592c1eac.txt:3800-3846);
DOMAIN.md §8. Each check names the seed lines its message rests on.

Registration (handlers/__init__.py): every object in `HANDLERS`, keyed by its `form`; and the plan_draft handler
wrapped: `forms["plan_draft"] = with_confirmed_draft_check(forms.get("plan_draft"))`.

Parameters read (municipality.toml, flattened; none is required):
- `confirmed_draft_on_or_after_result` (bool; default true when `provisional_outcome_route = "preagreed"`, i.e.
  前橋): the 確定 plan's draft, and its consent, must be dated on or after the certification decision date (認定日,
  004:3817, 3841: 原案を作成し、説明・同意・交付の手順を行う — all after the 認定日).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.process_library.forms import FormContext
from engine.process_library.forms import FormHandler
from handlers.base import Handler
from handlers.formchecks import Data
from handlers.formchecks import SimpleHandler
from handlers.formchecks import blank
from handlers.formchecks import day
from handlers.formchecks import japanese_date
from handlers.handover import handover_facts

CARE = ("kaigo1", "kaigo2", "kaigo3", "kaigo4", "kaigo5")
PREVENTIVE = ("shien1", "shien2")
DRAFT_DATE_FIELDS = ("draft_date", "drafted_on", "created_date", "creation_date", "plan_date")
"""Where a plan_draft submission may carry its date (the first present one is checked)."""
CONSENT_DATE_FIELDS = ("consent_date",)


class ProvisionalExplanation(SimpleHandler):
    form = "provisional_explanation"

    def problems(self, submission: Data, data: Data, params: Data) -> dict[str, str]:
        errors = {}
        if submission.get("cost_risk_explained") is not True:
            errors["cost_risk_explained"] = (
                "非該当や見込みより軽い結果では費用が自己負担になる場合があることを、あらかじめ説明してください(003:877)"
            )
        if submission.get("copay_increase_explained") is not True:
            errors["copay_increase_explained"] = (
                "見込みより重い結果では負担する費用が増えることを、あらかじめ説明してください(003:877)"
            )
        return errors


class SpecialHandlingRequest(SimpleHandler):
    form = "special_handling_request"

    def problems(self, submission: Data, data: Data, params: Data) -> dict[str, str]:
        errors = {}
        if data.get("application_type") not in (None, "renewal"):
            errors["request_date"] = "特例取扱いは更新申請の結果が有効期間内に確定しない場合だけです(003:852-856)"
        if submission.get("provisional_plan_attached") is not True:
            errors["provisional_plan_attached"] = "申出書には暫定ケアプランを添付してください(003:856, 917)"
        if submission.get("cooperation_confirmed") is not True:
            errors["cooperation_confirmed"] = (
                "特例は居宅介護支援事業所と地域包括支援センターが連携して暫定プランの作成・支援を行う場合に限られます(003:856)"
            )
        return errors


class ProvisionalHandover(SimpleHandler):
    """The receiver must be the side that serves the result's category (003:858; 004:1021-1024, 2185-2188)."""

    form = "provisional_handover"

    def problems(self, submission: Data, data: Data, params: Data) -> dict[str, str]:
        errors = {}
        result = data.get("result_level")
        target = submission.get("handover_to")
        if result in CARE:
            if target != "office":
                errors["handover_to"] = "認定結果が要介護のため、居宅介護支援事業所に引き継いでください(003:858)"
            elif submission.get("delegated") is not True:
                errors["delegated"] = "要介護の確定プランは居宅介護支援事業所が作成します(「はい」を選んでください)"
        elif result in PREVENTIVE and target != "center":
            errors["handover_to"] = (
                "認定結果が要支援のため、地域包括支援センターに引き継いでください(包括が居宅に委託する場合も、引継ぎ先は包括です)"
                "(003:858; 004:1021-1024)"
            )
        handed, decided = day(submission.get("handover_date")), day(data.get("result_date"))
        if handed and decided and handed < decided:
            errors["handover_date"] = f"引継ぎは認定結果({japanese_date(decided)})の後に行います(003:858)"
        if submission.get("records_handed_over") is not True:
            errors["records_handed_over"] = "暫定ケアプランとその記録を引き継いでください(003:858)"
        return errors

    def derive(self, submission: Data, context: FormContext) -> dict[str, Any]:
        return handover_facts(submission, provisional=True)


class SelfPlanConsultation(SimpleHandler):
    """総合事業 services and 生活保護 recipients cannot be a self plan (003:848-850): refuse, ask for the insurer."""

    form = "self_plan_consultation"

    def problems(self, submission: Data, data: Data, params: Data) -> dict[str, str]:
        errors = {}
        blocked = []
        if submission.get("welfare_recipient"):
            blocked.append("生活保護受給者")
        if submission.get("program_services_used"):
            blocked.append("総合事業のサービス")
        if blocked and submission.get("self_plan_accepted"):
            errors["self_plan_accepted"] = (
                f"{'・'.join(blocked)}は自己作成扱い(セルフケアプラン扱い)にできません(003:848-850)。"
                "保険者に相談し、その指示を記録してください"
            )
        if blocked and blank(submission, "insurer_instruction"):
            errors["insurer_instruction"] = (
                "自己作成扱いにできないため、保険者に相談して指示を記録してください"
                "(マニュアルに定めなし、DOMAIN.md §14.7)"
            )
        return errors


class ProgramOrSelfPayExplanation(SimpleHandler):
    form = "program_or_self_pay_explanation"

    def problems(self, submission: Data, data: Data, params: Data) -> dict[str, str]:
        if submission.get("self_pay_explained") is not True:
            return {"self_pay_explained": "非該当の場合は費用が自己負担になる場合があることを説明してください(003:877)"}
        return {}


class SuzukaKameyamaResultReview(SimpleHandler):
    form = "suzuka-kameyama_provisional_result_review"

    def problems(self, submission: Data, data: Data, params: Data) -> dict[str, str]:
        if submission.get("plan_changes") and blank(submission, "change_kind"):
            return {"change_kind": "ケアプランに変更がある場合は、変更の種類を選んでください(003:952-988)"}
        return {}


def confirmed_draft_problems(
    submission: Mapping[str, Any],
    data: Mapping[str, Any],
    params: Mapping[str, Any],
    fields: tuple[str, ...] = DRAFT_DATE_FIELDS,
    what: str = "原案は認定日",
) -> dict[str, str]:
    """The 確定 plan's draft is dated on or after the 認定日 (前橋 別紙2, 004:3817, 3841).

    Applies while a 暫定 plan is being settled: the instance data still says `provisional`, holds the
    `provisional_outcome` decision's `outcome` and the result's `result_date`.
    """
    default = params.get("provisional_outcome_route") == "preagreed"
    if not params.get("confirmed_draft_on_or_after_result", default):
        return {}
    if not (data.get("provisional") and data.get("outcome") and data.get("result_date")):
        return {}
    decided = day(data.get("result_date"))
    field = next((name for name in fields if submission.get(name)), None)
    dated = day(submission.get(field)) if field else None
    if field and decided and dated and dated < decided:
        return {field: f"確定版の{what}({japanese_date(decided)})以降の日付にしてください(別紙2、004:3817)"}
    return {}


class ConfirmedPlanDraftCheck(Handler):
    """plan_draft's handler with the 別紙2 date check added; wraps the plan_draft handler written for new_case."""

    form = "plan_draft"
    date_fields = DRAFT_DATE_FIELDS
    what = "原案は認定日"

    def __init__(self, inner: FormHandler | None = None) -> None:
        self.inner = inner

    def validate(self, submission: Data, context: FormContext) -> dict[str, str]:
        errors = dict(self.inner.validate(submission, context)) if self.inner is not None else {}
        found = confirmed_draft_problems(submission, context.data, context.params, self.date_fields, self.what)
        for key, message in found.items():
            errors.setdefault(key, message)
        return errors

    def derive(self, submission: Data, context: FormContext) -> dict[str, Any]:
        return dict(self.inner.derive(submission, context)) if self.inner is not None else {}


def with_confirmed_draft_check(inner: FormHandler | None = None) -> ConfirmedPlanDraftCheck:
    return ConfirmedPlanDraftCheck(inner)


class ConfirmedPlanConsentCheck(ConfirmedPlanDraftCheck):
    """plan_consent's handler with the same check: the 確定 plan's consent is also dated on or after the 認定日
    (004:3817: 認定日以降に原案を作成し、説明・同意・交付の手順を行う)."""

    form = "plan_consent"
    date_fields = CONSENT_DATE_FIELDS
    what = "同意日は認定日"


def with_confirmed_consent_check(inner: FormHandler | None = None) -> ConfirmedPlanConsentCheck:
    return ConfirmedPlanConsentCheck(inner)


HANDLERS = (
    ProvisionalExplanation(),
    SpecialHandlingRequest(),
    ProvisionalHandover(),
    SelfPlanConsultation(),
    ProgramOrSelfPayExplanation(),
    SuzukaKameyamaResultReview(),
)
