"""A task's dueRule in Japanese, with the municipality's parameters filled in (e.g. 翌月4日まで)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.scheduling import deadlines

DATA_FIELD_NAMES = {
    "application_date": "申請日",
    "certification_end": "認定有効期間の終了日",
    "certification_start": "認定有効期間の開始日",
    "evaluation_due_at": "評価予定日",
    "plan_end": "計画期間の終了日",
    "plan_start": "計画期間の開始日",
    "rental_start_date": "貸与開始日",
    "service_start_date": "サービス利用開始日",
    "result_date": "認定結果の日",
}


def describe_due_rule(rule: str | None, params: Mapping[str, Any]) -> str:
    """Say a task's dueRule in Japanese with the municipality's parameters filled in (e.g. 翌月4日まで)."""
    if not rule:
        return "期限なし"
    if deadlines.check(rule):
        return f"期限ルールが不正です({rule})"
    parsed = deadlines.parse(rule)
    sign, duration = parsed.sign, parsed.duration
    head, _, arg = parsed.anchor.partition(".")
    if head == "ready":
        if not duration and not parsed.days_param:
            return "作業可能になった日まで"
        if sign == "+" and duration:
            return f"作業可能になってから{_duration_words(duration)}以内"
        base = "作業可能になった日"
    elif head == "month_end":
        base = "その月の末日"
    elif head == "next_month_day":
        if arg.isdigit():
            day = arg
        else:
            value = params.get(arg)
            day = f"{value}" if value else f"?({arg} 未設定)"
        base = f"翌月{day}日"
    else:
        base = DATA_FIELD_NAMES.get(arg, arg)
    if parsed.days_param:
        days = params.get(parsed.days_param)
        offset = f"{days}日" if days else f"?日({parsed.days_param} 未設定)"
    elif duration:
        offset = _duration_words(duration)
    else:
        return f"{base}まで"
    return f"{base}の{offset}{'後' if sign == '+' else '前'}まで"


def _duration_words(duration: str) -> str:
    units = ("年", "か月", "週間", "日")
    words = [f"{value}{unit}" for value, unit in zip(deadlines.duration_parts(duration), units, strict=True) if value]
    return "".join(words) or "0日"
