"""介護予防サービス・支援計画書(原案): periods inside the plan and the certification.

The evaluation month follows from the end of the plan period.

Rules (鈴鹿亀山 記載要領):
- the plan period runs forwards, and each goal's 期間 lies inside it;
- 期間 is set considering the 認定の有効期間 (003:493-495): nothing starts before the
  certification starts or ends after it ends. A plan marked 申請中 (certification_status
  `pending`: a new, 区分変更 or late renewal application, 003:278-280) may run past the old
  validity, so the end is not checked then;
- 目標とする生活: the 1日 or the 1年 goal, either alone is enough (003:312). Only the
  介護予防サービス・支援計画書 has that box: a municipality's own plan form under the same name
  (前橋's 居宅サービス計画書, with `needs` in place of `goals`) is not held to it.

Rule of a municipality (parameter `medical_service_plan_max_months`, set by 豊川 001:137-141):
- a goal served by 訪問リハ・通所リハ・訪問看護 is planned for at most that many months (豊川: one year); the
  other services only inside the certification.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import date
from datetime import timedelta
from typing import Any

from engine.process_library.forms import FormContext
from handlers.base import Handler
from handlers.validators import as_date
from handlers.validators import blank
from handlers.validators import to_wareki

MEDICAL_SERVICE_WORDS = ("訪問リハ", "通所リハ", "訪問看護")
"""The services whose period a municipality may bound more tightly (001:137-141), as a 種別 names them."""


class PlanDraft(Handler):
    form = "plan_draft"

    def validate(self, submission: Mapping[str, Any], context: FormContext) -> dict[str, str]:
        errors: dict[str, str] = {}
        start, end = as_date(submission.get("plan_start")), as_date(submission.get("plan_end"))
        cert_start = as_date(context.data.get("certification_start"))
        cert_end = None if _pending(submission) else as_date(context.data.get("certification_end"))
        if _preventive(submission) and all(blank(submission.get(name)) for name in ("life_goal_day", "life_goal_year")):
            errors["life_goal_day"] = "目標とする生活は1日・1年のどちらかを記載してください(003:312)"
        if start and end and start > end:
            errors["plan_end"] = f"計画期間(終了)は計画期間(開始)({to_wareki(start)})以降の日付にしてください"
        if start and cert_start and start < cert_start:
            errors["plan_start"] = f"計画期間は認定有効期間の開始日({to_wareki(cert_start)})以降にしてください(003:495)"
        if end and cert_end and end > cert_end:
            errors.setdefault(
                "plan_end",
                f"計画期間は認定有効期間の終了日({to_wareki(cert_end)})までにしてください(003:495)",
            )
        for index, goal in enumerate(submission.get("goals") or []):
            if isinstance(goal, Mapping):
                errors.update(_goal_problems(index, goal, start, end, cert_start, cert_end))
                errors.update(
                    _medical_service_period(index, goal, context.params.get("medical_service_plan_max_months"))
                )
        return errors

    def derive(self, submission: Mapping[str, Any], context: FormContext) -> dict[str, Any]:
        start, end = as_date(submission.get("plan_start")), as_date(submission.get("plan_end"))
        if start is None or end is None:
            return {}
        # The evaluation is due in the month the plan period ends (評価月, 003:617);
        # plan_period's timer waits for the first moment of that month, Japan time.
        return {
            "plan_start": start.isoformat(),
            "plan_end": end.isoformat(),
            "evaluation_month": f"{end:%Y-%m}",
            "evaluation_due_at": f"{end:%Y-%m}-01T00:00:00+09:00",
        }


def _goal_problems(
    index: int,
    goal: Mapping[str, Any],
    plan_start: date | None,
    plan_end: date | None,
    cert_start: date | None,
    cert_end: date | None,
) -> dict[str, str]:
    errors: dict[str, str] = {}
    first, last = as_date(goal.get("period_start")), as_date(goal.get("period_end"))
    at = f"goals.{index}"
    if first and last and first > last:
        errors[f"{at}.period_end"] = f"期間(終了)は期間(開始)({to_wareki(first)})以降の日付にしてください"
    if first and plan_start and first < plan_start:
        errors[f"{at}.period_start"] = f"期間は計画期間の中にしてください(計画期間の開始は{to_wareki(plan_start)})"
    elif first and cert_start and first < cert_start:
        errors[f"{at}.period_start"] = f"期間は認定有効期間の中にしてください(開始日は{to_wareki(cert_start)}、003:495)"
    if last and plan_end and last > plan_end:
        errors.setdefault(
            f"{at}.period_end",
            f"期間は計画期間の中にしてください(計画期間の終了は{to_wareki(plan_end)})",
        )
    elif last and cert_end and last > cert_end:
        errors.setdefault(
            f"{at}.period_end",
            f"期間は認定有効期間の中にしてください(終了日は{to_wareki(cert_end)}、003:495)",
        )
    return errors


def _medical_service_period(index: int, goal: Mapping[str, Any], max_months: Any) -> dict[str, str]:
    """A goal served by 訪問リハ・通所リハ・訪問看護 lasts at most `max_months` (no bound when not set)."""
    if not isinstance(max_months, int) or isinstance(max_months, bool):
        return {}
    named = " ".join(str(goal.get(name) or "") for name in ("service_type", "service"))
    word = next((w for w in MEDICAL_SERVICE_WORDS if w in named), None)
    first, last = as_date(goal.get("period_start")), as_date(goal.get("period_end"))
    if word is None or first is None or last is None or last < first:
        return {}
    limit = _months_later(first, max_months) - timedelta(days=1)
    if last <= limit:
        return {}
    return {
        f"goals.{index}.period_end": (f"{word}の期間は{max_months}か月以内({to_wareki(limit)}まで)で設定してください")
    }


def _months_later(day: date, months: int) -> date:
    """The same day `months` later (that month's last day when it is shorter)."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _preventive(submission: Mapping[str, Any]) -> bool:
    """The common 介護予防サービス・支援計画書: its 支援計画 (`goals`) is required."""
    return "goals" in submission


def _pending(submission: Mapping[str, Any]) -> bool:
    return submission.get("certification_status") == "pending"
