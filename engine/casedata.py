"""The canonical case variables (CONTRACT.md) and how they move between a case row and instance data."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from engine.models import Case

CASE_COLUMNS = (
    "insured_number",
    "client_name",
    "client_name_kana",
    "care_level",
    "certification_start",
    "certification_end",
    "delegated",
    "care_management_type",
    "plan_start",
    "plan_end",
    "center_org_id",
    "office_org_id",
    "provider_org_id",
)
ORGANISATION_COLUMNS = frozenset({"center_org_id", "office_org_id", "provider_org_id"})
"""A handover (包括⇔居宅) or a change of provider is a form that sets one of these to another organisation's id."""
DATE_COLUMNS = frozenset({"certification_start", "certification_end", "plan_start", "plan_end"})

CANONICAL_DEFAULTS: dict[str, Any] = {
    "care_level": None,
    "certification_start": None,
    "certification_end": None,
    "insured_number": None,
    "delegated": False,
    "care_management_type": None,
    "current_benefit": None,
    "plan_benefit": None,  # the benefit a 暫定 plan is written under (provisional_plan_author), before the result
    "application_type": None,
    "application_date": None,
    "expected_level": None,
    "result_level": None,
    "result_date": None,
    "provisional": False,
    "special_handling": False,
    "checklist_at_program_eligibility": False,  # the checklist was done at the 事業対象者 判定 (A市 000:268-274)
    "superseded": False,  # a newer instance of this process runs in the case (Runtime._supersede_others)
}
"""Every instance starts with these keys so gateway conditions never meet an undefined name."""

CARRIED_KEYS = frozenset(CANONICAL_DEFAULTS) | {"current_benefit", "plan_start", "plan_end"}


def case_to_data(case: Case) -> dict[str, Any]:
    """The data a new instance of this case starts with: defaults, then the case's extra data, then columns."""
    data: dict[str, Any] = dict(CANONICAL_DEFAULTS)
    data.update(case.data or {})
    for column in CASE_COLUMNS:
        value = getattr(case, column)
        if value is not None:
            data[column] = value.isoformat() if isinstance(value, date) else value
    data["case_id"] = case.id
    data["municipality"] = case.municipality
    return data


def apply_to_case(case: Case, data: Mapping[str, Any]) -> list[str]:
    """Copy canonical values from instance data onto the case; return the names that changed."""
    changed = []
    previous_plan = {"plan_start": case.plan_start, "plan_end": case.plan_end}
    for column in CASE_COLUMNS:
        if column not in data or data[column] is None:
            continue
        value = data[column]
        if column in DATE_COLUMNS:
            value = _to_date(value)
            if value is None:
                continue
        if column in ORGANISATION_COLUMNS:
            try:
                value = int(value)
            except (TypeError, ValueError):
                continue
        if column == "care_management_type" and value == "":
            value = None
        if getattr(case, column) != value:
            setattr(case, column, value)
            changed.append(column)
    extra = dict(case.data or {})
    if previous_plan["plan_start"] and ("plan_start" in changed or "plan_end" in changed):
        # The schedule still owes the replaced plan's months until the new plan starts (engine.duties.plans).
        extra["previous_plan"] = {k: v.isoformat() for k, v in previous_plan.items() if v}
    for key in CARRIED_KEYS - set(CASE_COLUMNS):
        if key in data and extra.get(key) != data[key]:
            extra[key] = data[key]
            changed.append(key)
    if extra != (case.data or {}):
        case.data = extra
    return changed


def _to_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None
