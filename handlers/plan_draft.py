"""介護予防サービス・支援計画書: the plan period sits inside the certification period; the evaluation month follows."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from engine.forms import FormContext
from handlers.base import Handler


class PlanDraft(Handler):
    form = "plan_draft"

    def validate(self, submission: Mapping[str, Any], context: FormContext) -> dict[str, str]:
        errors: dict[str, str] = {}
        start, end = _day(submission.get("plan_start")), _day(submission.get("plan_end"))
        if start and end and start > end:
            errors["plan_end"] = "計画期間(終了)は計画期間(開始)以降にしてください"
        cert_start, cert_end = (
            _day(context.data.get("certification_start")),
            _day(context.data.get("certification_end")),
        )
        if start and cert_start and start < cert_start:
            errors["plan_start"] = f"計画期間は認定有効期間({cert_start.isoformat()}〜)の中にしてください"
        if end and cert_end and end > cert_end and not _pending(submission):
            errors["plan_end"] = f"計画期間は認定有効期間(〜{cert_end.isoformat()})の中にしてください (003:495)"
        for index, goal in enumerate(submission.get("goals") or []):
            first, last = _day(goal.get("period_start")), _day(goal.get("period_end"))
            if first and last and first > last:
                errors[f"goals.{index}.period_end"] = "期間(終了)は期間(開始)以降にしてください"
            if start and end and ((first and first < start) or (last and last > end)):
                errors[f"goals.{index}.period_start"] = "目標の期間は計画期間の中にしてください"
        return errors

    def derive(self, submission: Mapping[str, Any], context: FormContext) -> dict[str, Any]:
        end = _day(submission.get("plan_end"))
        if end is None:
            return {}
        # The evaluation happens in the month the plan period ends (評価月, DOMAIN.md §11.4); plan_period's timer
        # waits for the first day of that month, Japan time.
        return {
            "evaluation_month": f"{end:%Y-%m}",
            "evaluation_due_at": f"{end:%Y-%m}-01T00:00:00+09:00",
        }


def _pending(submission: Mapping[str, Any]) -> bool:
    """申請中 (暫定) plans may run past the old validity (003:278-280)."""
    return submission.get("certification_status") == "pending"


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None
