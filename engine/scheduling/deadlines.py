"""Due dates from a task's `dueRule` (processes/README.md) and the municipality's parameters."""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from datetime import timedelta
from typing import Any

from engine.errors import KaigoflowError

_RULE = re.compile(
    r"^\s*(?P<anchor>[a-z_]+(?:\.[A-Za-z0-9_]+)?)\s*"
    r"(?:(?P<sign>[+-])\s*(?:(?P<dur>P\w+)|days\.(?P<days_param>[A-Za-z0-9_]+)))?\s*$"
)
_DURATION = re.compile(r"^P(?:(?P<y>\d+)Y)?(?:(?P<m>\d+)M)?(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?$")


class DueRuleError(KaigoflowError):
    code = "due_rule"


def check(rule: str) -> str | None:
    """Return a Japanese message when `rule` is not a valid due rule, else None."""
    match = _RULE.match(rule)
    if not match:
        return (
            f"期限ルール「{rule}」の書式が正しくありません"
            "(例: ready+P14D, month_end, data.service_start_date, data.certification_end-days.renewal_support_days)"
        )
    anchor = match["anchor"]
    head = anchor.split(".")[0]
    if head not in ("ready", "month_end", "next_month_day", "data"):
        return f"期限ルール「{rule}」の起点「{head}」は使えません"
    needs_argument = head in ("next_month_day", "data")
    if needs_argument != ("." in anchor):
        return f"期限ルール「{rule}」の起点「{head}」の指定が正しくありません(例: data.certification_end)"
    if match["dur"] and not _DURATION.match(match["dur"]):
        return f"期限ルール「{rule}」の期間「{match['dur']}」が正しくありません"
    return None


@dataclass(frozen=True)
class ParsedRule:
    """A valid dueRule in parts: `anchor` (ready, month_end, next_month_day.N, data.field), then an optional offset."""

    anchor: str
    sign: str = ""
    duration: str = ""
    """An ISO 8601 duration (P14D, P1M)."""
    days_param: str = ""
    """Or a number of days read from this municipality parameter."""


def parse(rule: str) -> ParsedRule:
    """Split a rule into its parts; DueRuleError (Japanese) when it is not a valid rule."""
    problem = check(rule)
    if problem:
        raise DueRuleError(problem)
    match = _RULE.match(rule)
    assert match is not None  # checked above
    return ParsedRule(match["anchor"], match["sign"] or "", match["dur"] or "", match["days_param"] or "")


def duration_parts(duration: str) -> tuple[int, int, int, int]:
    """(years, months, weeks, days) of a valid ISO duration such as P1M2D."""
    parts = _DURATION.match(duration)
    assert parts is not None  # only valid rules reach here
    return tuple(int(parts[unit] or 0) for unit in ("y", "m", "w", "d"))  # type: ignore[return-value]


def parameters(rule: str) -> list[str]:
    """The municipality parameters a valid rule reads (`next_month_day.<name>`, `days.<name>`)."""
    match = _RULE.match(rule)
    if not match:
        return []
    head, _, arg = match["anchor"].partition(".")
    names = [arg] if head == "next_month_day" and not arg.isdigit() else []
    return names + ([match["days_param"]] if match["days_param"] else [])


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def month_end(day: date) -> date:
    return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


def shift(day: date, params: Mapping[str, Any]) -> date:
    """Move a due date off a weekend when the municipality says so; the manuals are silent (CONTRACT.md)."""
    if params.get("due_date_shift") == "previous_business_day":
        while day.weekday() >= 5:
            day -= timedelta(days=1)
    return day


def due_date(rule: str | None, ready: date, data: Mapping[str, Any], params: Mapping[str, Any]) -> date | None:
    """Compute the due date; None when there is no rule or the data it needs is not there yet."""
    if not rule:
        return None
    parsed = parse(rule)
    head, _, arg = parsed.anchor.partition(".")
    base: date | None
    if head == "ready":
        base = ready
    elif head == "month_end":
        base = month_end(ready)
    elif head == "next_month_day":
        day_of_month = int(arg) if arg.isdigit() else int(params.get(arg, 0) or 0)
        if not day_of_month:
            raise DueRuleError(f"期限ルール「{rule}」のパラメータ「{arg}」が市町村設定にありません")
        following = add_months(date(ready.year, ready.month, 1), 1)
        base = following.replace(day=min(day_of_month, calendar.monthrange(following.year, following.month)[1]))
    else:
        base = as_date(data.get(arg))
    if base is None:
        return None
    sign = -1 if parsed.sign == "-" else 1
    if parsed.duration:
        base = apply_duration(base, parsed.duration, sign)
    elif parsed.days_param:
        days = params.get(parsed.days_param)
        if not isinstance(days, int) or isinstance(days, bool):
            name = parsed.days_param
            raise DueRuleError(f"期限ルール「{rule}」のパラメータ「{name}」(日数)が市町村設定にありません")
        base += timedelta(days=sign * days)
    return shift(base, params)


def apply_duration(day: date, duration: str, sign: int) -> date:
    years, months, weeks, days = duration_parts(duration)
    months += years * 12
    days += weeks * 7
    return add_months(day, sign * months) + timedelta(days=sign * days)


def as_date(value: Any) -> date | None:
    """A date, or the date of an ISO string (`2026-05-01`, or a date-time); None for anything else."""
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None
