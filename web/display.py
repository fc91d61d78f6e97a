"""How codes and dates are shown to staff: Japanese names of codes, 和暦 dates, weekdays, due badges.

The pages use them as Jinja filters (`init_app`), the code by name; reading what staff type is web/date_input.py.
"""

from __future__ import annotations

from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

from flask import Flask

from engine import FACT_TITLES
from engine import FACTS
from engine import FLOW_NAMES as CANONICAL_FLOW_NAMES
from engine import JST
from engine import ROLE_NAMES as CANONICAL_ROLE_NAMES
from engine import SEX_NAMES
from engine import care_level_name
from engine import japanese_dates
from engine import normalise_ascii as normalise_ascii  # re-exported: the web's input helpers live here
from web.stafftext import staff_text

ROLE_NAMES = {
    **CANONICAL_ROLE_NAMES,
    "admin": "管理者(市町村の比較)",
    "process_owner": "業務フロー管理者",
}
FLOW_NAMES = CANONICAL_FLOW_NAMES
CASE_STATUS = {"open": "対応中", "ended": "終了"}
INSTANCE_STATUS = {"running": "進行中", "completed": "完了", "cancelled": "中止", "error": "エラー"}
TASK_STATES = {"ready": "未完了", "completed": "完了", "cancelled": "取消"}
EVENT_NAMES = {
    "case_opened": "ケースを登録しました",
    "instance_started": "手続きを開始しました",
    "instance_completed": "手続きが完了しました",
    "instance_cancelled": "手続きを中止しました(ケース終了)",
    "instance_superseded": "新しい計画期間が始まりました(この手続きは評価のあと終わります)",
    "continuation_skipped": "新しい計画期間がすでにあるため、次の手続きは始めませんでした",
    "task_claimed": "担当しました",
    "task_released": "担当を外れました",
    "task_completed": "完了しました",
    "case_ended": "ケースを終了しました",
    "timer_fired": "期日になりました",
    "timer_failed": "期日の処理に失敗しました",
    "duty_started": "定期業務を開始しました",
    "duty_skipped": "定期業務の開始を見送りました(手続きが進行中)",
    "duty_recorded": "定期業務を済にしました",
    "special_circumstances_recorded": "特段の事情を記録しました",
    "access_denied": "権限のないアクセスがありました",
    "login": "ログインしました",
    "login_failed": "ログインに失敗しました",
    "account_locked": "ログインを一時停止しました",
    "logout": "ログアウトしました",
    "case_exported": "記録一式を出力しました",
    "case_purged": "保存期間を過ぎたケースを削除しました",
    "case_fact_changed": "ケースの記録を変更しました",
}
BENEFIT_NAMES = {"care": "介護給付", "preventive": "予防給付", "program": "総合事業", "none": "なし"}
PLANNER_NAMES = {"center": "地域包括支援センター", "office": "居宅介護支援事業所"}


# -- output --------------------------------------------------------------------------------------------


def to_wareki(value: Any) -> str:
    """令和8年5月15日 for 2026-05-15 (元年 for the first year of an era); '' for no date, the text if not a date."""
    day = japanese_dates.as_date(value)
    if day is None:
        return "" if value in (None, "") else str(value)
    return japanese_dates.to_wareki(day)


def weekday(value: Any) -> str:
    day = japanese_dates.as_date(value)
    return japanese_dates.weekday_name(day) if day else ""


def wareki_weekday(value: Any) -> str:
    """令和8年5月15日(金)."""
    day = japanese_dates.as_date(value)
    return f"{to_wareki(day)}({weekday(day)})" if day else ""


def wareki_datetime(value: datetime | None) -> str:
    """令和8年5月1日(金) 10:32, in Japan time."""
    if value is None:
        return ""
    moment = value.astimezone(JST) if value.tzinfo else value
    return f"{wareki_weekday(moment.date())} {moment:%H:%M}"


def role_name(code: str | None) -> str:
    return ROLE_NAMES.get(code or "", code or "")


def flow_name(key: str | None) -> str:
    return FLOW_NAMES.get(key or "", key or "")


def event_name(kind: str) -> str:
    return EVENT_NAMES.get(kind, kind)


def fact_change(detail: dict[str, Any] | None, org_names: dict[int, str] | None = None) -> str:
    """「要介護度: 要介護2 → 要介護3」 for a case_fact_changed event, in the words of the case page."""
    detail = detail or {}
    fact = str(detail.get("fact") or "")
    title = FACT_TITLES.get(fact, "ケースの記録")
    names = org_names or {}
    return f"{title}: {_fact_value(fact, detail.get('old'), names)} → {_fact_value(fact, detail.get('new'), names)}"


def _fact_value(fact: str, value: Any, org_names: dict[int, str]) -> str:
    if value is None or value == "":
        return "未登録"
    kind = FACTS.get(fact)
    if kind == "level":
        return care_level_name(str(value))
    if kind == "date":
        return to_wareki(value)
    if kind == "planner":
        return PLANNER_NAMES.get(str(value), str(value))
    if kind == "benefit":
        return BENEFIT_NAMES.get(str(value), str(value))
    if kind == "bool":
        return "あり" if value else "なし"
    if kind == "org":
        return org_names.get(int(value), "(登録のない事業所)") if str(value).isdigit() else str(value)
    if kind == "care_management_type":
        return f"介護予防ケアマネジメント{value}"
    if kind == "sex":
        return SEX_NAMES.get(str(value), str(value))
    return str(value)


def due_badge(due: date | None, today: date) -> dict[str, str]:
    """A short relative label and a CSS class for a due date, seen from `today` (Japan's calendar)."""
    if due is None:
        return {"class": "due-none", "text": "期限なし"}
    days = (due - today).days
    if days < 0:
        return {"class": "due-overdue", "text": f"期限切れ({-days}日超過)"}
    if days == 0:
        return {"class": "due-today", "text": "今日まで"}
    if days == 1:
        return {"class": "due-soon", "text": "明日まで"}
    if days <= 7:
        return {"class": "due-soon", "text": f"あと{days}日"}
    return {"class": "due-later", "text": f"あと{days}日"}


def week_end(today: date) -> date:
    """The Sunday that ends the week (Monday to Sunday) `today` is in."""
    return today + timedelta(days=6 - today.weekday())


def init_app(app: Flask) -> None:
    app.add_template_filter(to_wareki, "wareki")
    app.add_template_filter(staff_text, "staff_text")
    app.add_template_filter(wareki_weekday, "wareki_weekday")
    app.add_template_filter(wareki_datetime, "wareki_datetime")
    app.add_template_filter(weekday, "weekday")
    app.add_template_filter(care_level_name, "care_level")
    app.add_template_filter(role_name, "role_name")
    app.add_template_filter(flow_name, "flow_name")
    app.add_template_filter(event_name, "event_name")
    app.add_template_filter(fact_change, "fact_change")
    app.add_template_global(due_badge, "due_badge")
    app.add_template_filter(lambda v: CASE_STATUS.get(v, v), "case_status")
    app.add_template_filter(lambda v: INSTANCE_STATUS.get(v, v), "instance_status")
    app.add_template_filter(lambda v: TASK_STATES.get(v, v), "task_state")


def period_words(period: str | None) -> str:
    """A schedule item's or a flow's period for staff: 令和8年11月分 for a month (`2026-11`), 和暦 for a day."""
    text = (period or "").strip()
    if len(text) == 7:
        month = japanese_dates.to_wareki_month(text)
        return f"{month}分" if month else text
    return japanese_dates.to_wareki(text) or text
