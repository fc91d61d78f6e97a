"""担当方式の変更: what the center records decides who writes the plan from the change date on.

- 委託の終了 (001:346-392): the center takes the plan back: planner = center, delegated = false. Only a delegated
  case can end its delegation.
- 委託の開始 (直営 → 委託, 002:11): planner = office, delegated = true, to the office chosen (required). Only a
  case the center writes itself can be delegated.
- 委託先の変更: another office of the municipality; still delegated.
- A 要介護 case is the office's own 居宅介護支援 (no delegation to end or start).
The derived `planner`, `delegated` and `office_org_id` are the facts the step declares (setsCaseFacts); the engine
checks that the office is an office of the municipality.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.process_library.forms import FormContext
from handlers.base import Handler
from handlers.decisions.inputs import CARE


class HandlingChange(Handler):
    form = "delegation_change"

    def validate(self, submission: Mapping[str, Any], context: FormContext) -> dict[str, str]:
        errors: dict[str, str] = {}
        kind = submission.get("change_kind")
        delegated = context.data.get("delegated") is True
        office = _org_id(submission.get("office_org_id"))
        if context.data.get("care_level") in CARE:
            errors["change_kind"] = (
                "要介護の方の居宅介護支援は居宅介護支援事業所が自ら担当します。包括からの委託はありません"
            )
        elif kind == "end_delegation" and not delegated:
            errors["change_kind"] = "このケースは委託していません。委託の終了は選べません"
        elif kind == "start_delegation" and delegated:
            errors["change_kind"] = (
                "このケースはすでに委託しています。委託先を変える場合は「委託先の居宅を変更する」を選んでください"
            )
        elif kind == "change_office" and not delegated:
            errors["change_kind"] = (
                "このケースは委託していません。委託する場合は「直営のケースを居宅へ委託する」を選んでください"
            )
        elif kind == "change_office" and office is not None and office == _org_id(context.data.get("office_org_id")):
            errors["office_org_id"] = "今の委託先と同じ事業所です。新しい委託先を選んでください"
        if kind == "end_delegation" and submission.get("progress_record_received") is not True:
            errors["progress_record_received"] = "委託を終えるときは、委託先の居宅から支援経過記録を受け取ってください"
        return errors

    def derive(self, submission: Mapping[str, Any], context: FormContext) -> dict[str, Any]:
        if submission.get("change_kind") == "end_delegation":
            return {"planner": "center", "delegated": False}
        derived: dict[str, Any] = {"planner": "office", "delegated": True}
        office = _org_id(submission.get("office_org_id"))
        if office is not None:
            derived["office_org_id"] = office
        return derived


def _org_id(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
