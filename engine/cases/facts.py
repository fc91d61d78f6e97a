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
from engine.vocabulary import ALL_LEVELS
from engine.vocabulary import KAIGO_LEVELS
from engine.vocabulary import read_insured_number

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
    "birth_date": "date",
    "sex": "sex",
    "address": "address",
    "phone": "text",
}
"""Fact name -> kind. Every fact is a column of care_case except those in DATA_FACTS (kept in case.data)."""
PROFILE_FACTS = ("birth_date", "sex", "address", "phone")
"""The person's 生年月日・性別・住所・電話, taken at 相談受付: every later form with a field of the same name
starts from them (`inject`, engine.execution.display.prefill) and every 帳票 prints them (web/print_values.py):
typed only once."""
DATA_FACTS = frozenset({"current_benefit", "video_conditions_met", *PROFILE_FACTS})
CASE_COLUMNS = tuple(name for name in FACTS if name not in DATA_FACTS)
ORGANISATION_COLUMNS = frozenset(name for name, kind in FACTS.items() if kind == "org")
DATE_COLUMNS = frozenset(name for name, kind in FACTS.items() if kind == "date" and name not in DATA_FACTS)
SEXES = {"female": "女", "male": "男"}
ADDRESS_LENGTH = 300

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
    "birth_date": "生年月日",
    "sex": "性別",
    "address": "住所",
    "phone": "電話番号",
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
    "evaluation_with_plan": False,  # the 評価表 goes to the 包括 with the next 原案 (豊川 001:311-337)
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
    return "office" if delegated or (care_level or "") in KAIGO_LEVELS or not has_center else "center"


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
            values[name] = typed_value(session, case, name, data[name])
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
        if old == value or (name in DATA_FACTS and old == stored(value)):
            continue
        if name in DATA_FACTS:
            extra[name] = stored(value)  # case.data is JSON: a date is kept as its ISO text
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


def typed_value(session: Session, case: Case, name: str, value: Any) -> Any:
    """The value of fact `name` in its kind (date, organisation, choice …); ValueError with a Japanese message."""
    kind = FACTS[name]
    if kind == "date":
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value)[:10])
        except ValueError:
            raise ValueError("日付を YYYY-MM-DD の形で入力してください") from None
    if kind == "org":
        return organisation_value(session, case, name, value, role=name.removesuffix("_org_id"))
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError("「はい」か「いいえ」を選んでください")
        return value
    if kind == "level":
        return _choice(value, ALL_LEVELS, "要介護度が正しくありません")
    if kind == "planner":
        return _choice(value, PLANNERS, "計画作成担当は地域包括支援センターか居宅介護支援事業所です")
    if kind == "benefit":
        return _choice(value, BENEFITS, "給付の種類が正しくありません")
    if kind == "sex":
        return _choice(value, tuple(SEXES), "性別は「女」か「男」を選んでください")
    if kind == "address":
        text = str(value).strip()
        if not text or len(text) > ADDRESS_LENGTH:
            raise ValueError(f"1文字以上{ADDRESS_LENGTH}文字以内で入力してください")
        return text
    if kind == "care_management_type":
        return None if value == "" else _choice(value, CARE_MANAGEMENT_TYPES, "ケアマネジメントの種類はA・B・Cです")
    if kind == "insured_number":
        return read_insured_number(value)
    text = str(value).strip()
    if not text or len(text) > 100:
        raise ValueError("1文字以上100文字以内で入力してください")
    return text


def _choice(value: Any, allowed: tuple[str, ...], message: str) -> str:
    if value not in allowed:
        raise ValueError(message)
    return str(value)


def organisation_value(session: Session, case: Case, name: str, value: Any, role: str) -> int:
    """An organisation id of the right role in the case's municipality (a handover names one)."""
    try:
        org_id = int(value)
    except (TypeError, ValueError):
        raise ValueError("事業所を選び直してください") from None
    org = session.get(Organisation, org_id)
    if org is None or org.role != role or org.municipality != case.municipality:
        raise ValueError("同じ市町村の該当する事業所を選んでください")
    return org_id


def stored(value: Any) -> Any:
    """A fact's value as case.data (JSON) keeps it: a date as its ISO text."""
    return _plain(value)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value
