"""Who may read which 帳票 (document) of a case: the one home of the rule, for pages, PDFs, the API and the export.

- The planners of the case (地域包括支援センター, 居宅介護支援事業所) read every document of their case.
- The organisation that submitted a document reads it (a provider its 個別サービス計画, the insurer its 確認書).
- Beyond that, a form names the other parties that read it: READERS below for the forms of processes/, or the
  keyword `x-readers` (a list of roles: "provider", "insurer") in a form's schema, which process owners use for a
  form of their own municipality and which takes precedence over the table. A form in neither is for the planners
  only (and its submitter): an assessment, a 所内決裁 or a monitoring record stays with those who plan the care.

A provider reads the plan and what concerns its own service; an insurer reads what is submitted to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.accounts.demo_staff import PLANNER_ROLES
from engine.accounts.demo_staff import STAFF_ROLES
from engine.store.models import Case

KEYWORD = "x-readers"
PROVIDER = frozenset({"provider"})
INSURER = frozenset({"insurer"})

READERS: dict[str, frozenset[str]] = {
    # The plan as the providers receive it, and what concerns their service (個別サービス計画, 福祉用具の貸与).
    "plan_draft": PROVIDER,
    "plan_consent": PROVIDER,
    "plan_delivery": PROVIDER,
    "minor_change_record": PROVIDER,
    "service_meeting": PROVIDER,
    "equipment_service_meeting": PROVIDER,
    "equipment_plan_consent": PROVIDER,
    "individual_plan": PROVIDER,
    "individual_plan_receipt": PROVIDER,
    "rental_start": PROVIDER,
    "oshu_post_assessment": PROVIDER,
    "maebashi_survey_copy_to_provider": PROVIDER,
    # What is submitted to the insurer (届出, 申請, 申出, 協議) and what it issues itself.
    "plan_request_notification": INSURER,
    "notification_acceptance": INSURER,
    "renewal_application": INSURER,
    "level_change_application": INSURER,
    "special_handling_request": INSURER,
    "special_handling_receipt": INSURER,
    "consultation_submission": INSURER,
    "insurer_consultation": INSURER,
    "certification_materials": INSURER,
    "certification_result_entry": INSURER,
    "city-a_program_eligibility": INSURER,
    "suzuka-kameyama_equipment_confirmation": INSURER,
    "suzuka-kameyama_equipment_result_report": INSURER,
    "toyokawa_commission_notice": INSURER,
}


def reader_roles(form: str, schema: Mapping[str, Any] | None) -> frozenset[str]:
    """The roles on a case that read documents of this form (the planners always; the submitter besides)."""
    declared = (schema or {}).get(KEYWORD)
    if isinstance(declared, list):
        extra = frozenset(role for role in declared if role in STAFF_ROLES)
    else:
        extra = READERS.get(form, frozenset())
    return frozenset(PLANNER_ROLES) | extra


def positions(case: Case, organisation_id: int) -> frozenset[str]:
    """The roles an organisation holds on a case (usually one; none when it is not on the case)."""
    return frozenset(role for role in STAFF_ROLES if getattr(case, f"{role}_org_id") == organisation_id)


def may_read(
    case: Case, form: str, schema: Mapping[str, Any] | None, organisation_id: int, submitted_by_org: int | None
) -> bool:
    """Whether this organisation may read a document of `form` in `case` that `submitted_by_org` submitted."""
    held = positions(case, organisation_id)
    if not held:
        return False
    if submitted_by_org is not None and submitted_by_org == organisation_id:
        return True
    return bool(held & reader_roles(form, schema))


def may_export(case: Case, organisation_id: int) -> bool:
    """The whole record (運営指導 用の記録一式) is the planners' record: providers and insurers get none of it."""
    return bool(positions(case, organisation_id) & frozenset(PLANNER_ROLES))
