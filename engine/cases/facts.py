"""The case facts: the durable record on the case row, each set only by a step that declares it.

A step (user task or business rule task) names the facts it sets in its `setsCaseFacts` property. When it
completes, each named fact is read from the step's data, typed and checked here, and written to the case; every
change is a `case_fact_changed` event (the runtime writes it). Nothing else in an instance's data reaches the case.
Before each run the case's facts are written into the instance's live tasks (`inject`), so gateways, due rules and
schedules read the current record rather than a copy taken when the instance started.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from engine.errors import ValidationError
from engine.store.models import Case
from engine.store.models import Organisation

CARE_LEVELS = ("kaigo1", "kaigo2", "kaigo3", "kaigo4", "kaigo5")
"""要介護1-5: 居宅介護支援, written by an office; no center is needed (004, 003:1025)."""
LEVELS = ("jigyo", "shien1", "shien2", *CARE_LEVELS, "higaito", "pending")
PLANNERS = ("center", "office")
BENEFITS = ("care", "preventive", "program", "none")
CARE_MANAGEMENT_TYPES = ("A", "B", "C")

FACTS: dict[str, str] = {
    "insured_number": "insured_number",
    "client_name": "text",
    "client_name_kana": "text",
    "care_level": "level",
    "certification_start": "date",
    "certification_end": "date",
    "care_management_type": "care_management_type",
    "current_benefit": "benefit",
    "plan_start": "date",
    "plan_end": "date",
    "planner": "planner",
    "delegated": "bool",
    "center_org_id": "org",
    "office_org_id": "org",
    "provider_org_id": "org",
    "video_conditions_met": "bool",
}
"""Fact name -> kind. Every fact is a column of care_case except those in DATA_FACTS (kept in case.data)."""
DATA_FACTS = frozenset({"current_benefit", "video_conditions_met"})
CASE_COLUMNS = tuple(name for name in FACTS if name not in DATA_FACTS)
ORGANISATION_COLUMNS = frozenset(name for name, kind in FACTS.items() if kind == "org")
DATE_COLUMNS = frozenset(name for name, kind in FACTS.items() if kind == "date")

FACT_TITLES: dict[str, str] = {
    "insured_number": "被保険者番号",
    "client_name": "利用者氏名",
    "client_name_kana": "フリガナ",
    "care_level": "要介護度",
    "certification_start": "認定有効期間(開始)",
    "certification_end": "認定有効期間(終了)",
    "care_management_type": "ケアマネジメントの種類",
    "current_benefit": "給付の種類",
    "plan_start": "計画期間(開始)",
    "plan_end": "計画期間(終了)",
    "planner": "計画作成担当",
    "delegated": "包括からの委託",
    "center_org_id": "地域包括支援センター",
    "office_org_id": "居宅介護支援事業所",
    "provider_org_id": "サービス事業所",
    "video_conditions_met": "テレビ電話等によるモニタリングの条件",
}
"""Japanese names of the facts, for messages and the case page."""

SETS_CASE_FACTS = "setsCaseFacts"
"""The step property that names the facts a step sets (space-separated)."""

CANONICAL_DEFAULTS: dict[str, Any] = {
    "care_level": None,
    "certification_start": None,
    "certification_end": None,
    "insured_number": None,
    "delegated": False,
    "planner": "center",
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


@dataclass(frozen=True)
class FactChange:
    fact: str
    old: Any
    new: Any

    def detail(self) -> dict[str, Any]:
        return {"fact": self.fact, "old": _plain(self.old), "new": _plain(self.new)}


def declared_facts(properties: Mapping[str, str]) -> list[str]:
    """The fact names a step's `setsCaseFacts` property lists (unknown names are lint's business)."""
    return [name for name in (properties.get(SETS_CASE_FACTS) or "").split() if name]


def default_planner(delegated: bool, care_level: str | None, has_center: bool = True) -> str:
    """Who writes the plan when nobody said: the office of a delegated or 要介護 case or of a case with no center
    (居宅介護支援), else the center."""
    return "office" if delegated or (care_level or "") in CARE_LEVELS or not has_center else "center"


def facts_of(case: Case) -> dict[str, Any]:
    """The case's facts as instance data holds them (ISO dates, ints for organisations)."""
    facts: dict[str, Any] = {}
    extra = case.data or {}
    for name in FACTS:
        value = extra.get(name) if name in DATA_FACTS else getattr(case, name)
        facts[name] = value.isoformat() if isinstance(value, date) else value
    return facts


def case_to_data(case: Case) -> dict[str, Any]:
    """The data a new instance of this case starts with: defaults, then the facts the case knows."""
    data: dict[str, Any] = dict(CANONICAL_DEFAULTS)
    data.update(known_facts(case))
    data["case_id"] = case.id
    data["municipality"] = case.municipality
    return data


def known_facts(case: Case) -> dict[str, Any]:
    """The facts the case has a value for; an unknown (None) fact leaves an instance's own value alone."""
    return {name: value for name, value in facts_of(case).items() if value is not None}


def inject(tasks: Any, case: Case) -> None:
    """Write the case's current facts into the data of the given (live) tasks before a run."""
    facts = known_facts(case)
    for task in tasks:
        task.data.update(facts)


def set_facts(session: Session, case: Case, names: list[str], data: Mapping[str, Any]) -> list[FactChange]:
    """Write the named facts from a step's data onto the case; return what changed.

    A named fact absent from the data (or None) leaves the case as it is. A value of the wrong type or an
    organisation of the wrong kind raises ValidationError keyed by the fact, and the caller's transaction is
    rolled back: a step cannot leave a half-written record.
    """
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name in names:
        if name not in FACTS or name not in data or data[name] is None:
            continue
        try:
            values[name] = _typed(session, case, name, data[name])
        except ValueError as exc:
            errors[name] = str(exc)
    if errors:
        raise ValidationError("ケースの記録に書けない値があります", details=errors)
    current = facts_of(case)
    previous_plan = {"plan_start": case.plan_start, "plan_end": case.plan_end}
    changes: list[FactChange] = []
    extra = dict(case.data or {})
    for name, value in values.items():
        old = getattr(case, name) if name not in DATA_FACTS else current.get(name)
        if old == value:
            continue
        if name in DATA_FACTS:
            extra[name] = value
        else:
            setattr(case, name, value)
        changes.append(FactChange(name, old, value))
    if "delegated" in values and "planner" not in names and any(c.fact == "delegated" for c in changes):
        # A step that decides the delegation moves the plan with it (a center that delegates hands the plan to the
        # office, one that takes it back writes it again), unless it names the planner itself.
        planner = default_planner(bool(case.delegated), case.care_level, has_center=case.center_org_id is not None)
        if planner != case.planner:
            changes.append(FactChange("planner", case.planner, planner))
            case.planner = planner
    changed = {c.fact for c in changes}
    if previous_plan["plan_start"] and changed & {"plan_start", "plan_end"}:
        # The schedule still owes the replaced plan's months until the new plan starts (engine.scheduling.duties.plans).
        extra["previous_plan"] = {k: v.isoformat() for k, v in previous_plan.items() if v}
    if extra != (case.data or {}):
        case.data = extra
    return changes


def validate_opening(session: Session, municipality: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The typed facts of a case about to be opened; unknown fields and wrong values are refused in Japanese.

    `planner` defaults from `delegated` and the care level (default_planner). A delegated case needs a center
    (it is the center that delegated) and an office; a case the center plans needs a center; a case an office plans
    needs an office. `insurer_org_id` is accepted too (the insurer of the case, not a fact a step changes).
    """
    allowed = set(FACTS) | {"insurer_org_id"}
    errors = {key: "この項目はケースの開始時に指定できません" for key in fields if key not in allowed}
    probe = Case(municipality=municipality, data={})
    values: dict[str, Any] = {}
    for key, raw in fields.items():
        if key in errors or raw is None or raw == "":
            continue
        try:
            if key == "insurer_org_id":
                values[key] = _organisation(session, probe, key, raw, role="insurer")
            else:
                values[key] = _typed(session, probe, key, raw)
        except ValueError as exc:
            errors[key] = str(exc)
    delegated = bool(values.get("delegated", False))
    values["delegated"] = delegated
    default = default_planner(delegated, values.get("care_level"), has_center=bool(values.get("center_org_id")))
    planner = values.setdefault("planner", default)
    if delegated and planner != "office":
        errors.setdefault("planner", "委託のケースは居宅介護支援事業所が計画を作成します")
    if (delegated or planner == "center") and not values.get("center_org_id"):
        errors.setdefault("center_org_id", "地域包括支援センターを選んでください")
    if (planner == "office" or delegated) and not values.get("office_org_id"):
        errors.setdefault("office_org_id", "居宅介護支援事業所を選んでください")
    if errors:
        raise ValidationError("ケースを開始できません。入力内容を確認してください", details=errors)
    return values


def _typed(session: Session, case: Case, name: str, value: Any) -> Any:
    kind = FACTS[name]
    if kind == "date":
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value)[:10])
        except ValueError:
            raise ValueError("日付を YYYY-MM-DD の形で入力してください") from None
    if kind == "org":
        return _organisation(session, case, name, value, role=name.removesuffix("_org_id"))
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError("「はい」か「いいえ」を選んでください")
        return value
    if kind == "level":
        return _choice(value, LEVELS, "要介護度が正しくありません")
    if kind == "planner":
        return _choice(value, PLANNERS, "計画作成担当は地域包括支援センターか居宅介護支援事業所です")
    if kind == "benefit":
        return _choice(value, BENEFITS, "給付の種類が正しくありません")
    if kind == "care_management_type":
        return None if value == "" else _choice(value, CARE_MANAGEMENT_TYPES, "ケアマネジメントの種類はA・B・Cです")
    if kind == "insured_number":
        text = str(value).strip()
        if not (len(text) == 10 and text.isascii() and text.isdigit()):
            raise ValueError("被保険者番号は10桁の半角数字です")
        return text
    text = str(value).strip()
    if not text or len(text) > 100:
        raise ValueError("1文字以上100文字以内で入力してください")
    return text


def _choice(value: Any, allowed: tuple[str, ...], message: str) -> str:
    if value not in allowed:
        raise ValueError(message)
    return str(value)


def _organisation(session: Session, case: Case, name: str, value: Any, role: str) -> int:
    """An organisation id of the right role in the case's municipality (a handover names one)."""
    try:
        org_id = int(value)
    except (TypeError, ValueError):
        raise ValueError("事業所を選び直してください") from None
    org = session.get(Organisation, org_id)
    if org is None or org.role != role or org.municipality != case.municipality:
        raise ValueError("同じ市町村の該当する事業所を選んでください")
    return org_id


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value
