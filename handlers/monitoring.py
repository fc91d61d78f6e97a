"""モニタリング: method and home visit agree, the record fits its month, 特段の事情 is written.

- 自宅訪問 ⇔ 居宅を訪問し面接した. A phone call, a video call (オンライン) or a meeting at the day
  service is not a home visit (003:116, 617).
- The record is for the month the duty was started for (`month` in the instance data) and the
  contact happened in that month.
- When the month requires a home visit (`home_visit_required` in the instance data: the schedule starts each
  month's モニタリング with it, from the monitoring_requirement decision, engine.scheduling.schedule.sync_duties) and
  none took place — a phone call, a video call or a meeting at the day service — the 特段の事情 (the client's reasons,
  never the staff's) must be recorded (003:617 ※; 要介護 004:1837-1857). Video is only for months that do not require a
  home visit, under the conditions recorded by `video_monitoring_conditions` (002:10).
- Where the municipality evaluates at the visit (parameter `visit_month_evaluation`: 豊川 「３ケ月毎に自宅へ訪問し、
  モニタリング及び評価を行う」, 001:247-259), a visit month's record carries the evaluation (目標の達成状況).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.process_library.forms import FormContext
from handlers.base import Handler
from handlers.validators import as_date
from handlers.validators import blank


class Monitoring(Handler):
    form = "monitoring"

    def validate(self, submission: Mapping[str, Any], context: FormContext) -> dict[str, str]:
        errors: dict[str, str] = {}
        method, visited = submission.get("contact_method"), submission.get("home_visit")
        if method == "home_visit" and visited is not True:
            errors["home_visit"] = (
                "方法が「自宅訪問」の場合は、「利用者の居宅を訪問し面接した」を「はい」にしてください"
            )
        elif method != "home_visit" and visited is True:
            errors["home_visit"] = (
                "電話・オンライン(テレビ電話)・通所先等での面接は居宅訪問ではありません。方法を「自宅訪問」にするか、"
                "「利用者の居宅を訪問し面接した」を「いいえ」にしてください"
            )
        month = submission.get("month")
        expected = context.data.get("month")
        if expected and month != expected:
            errors["month"] = f"この記録は{_month_name(expected)}分です(対象月を{_month_name(expected)}にしてください)"
        contact = as_date(submission.get("contact_date"))
        if contact and isinstance(month, str) and f"{contact:%Y-%m}" != month:
            errors["contact_date"] = f"実施日は対象月({_month_name(month)})の日付にしてください"
        if context.data.get("home_visit_required") is True and visited is not True:
            if blank(submission.get("special_circumstances")):
                way = METHOD_NAMES.get(str(method), "居宅訪問以外")
                errors["special_circumstances"] = (
                    f"今月は利用者の居宅を訪問して面接する月です。{way}で済ませた場合は、居宅で面接できなかった"
                    "利用者側の事情(特段の事情)を具体的に記録してください。担当者の都合は特段の事情に当たりません"
                )
        if (
            context.params.get("visit_month_evaluation") is True
            and context.data.get("home_visit_required") is True
            and blank(submission.get("goal_evaluation"))
        ):
            errors["goal_evaluation"] = "居宅を訪問する月はモニタリングとあわせて評価(目標の達成状況)を記録してください"
        return errors


METHOD_NAMES = {"phone": "電話", "video": "テレビ電話(オンライン)", "other_visit": "通所先等での面接"}


def _month_name(month: Any) -> str:
    """「2026年6月」 for "2026-06"; anything else as given (the schema reports a malformed month)."""
    text = str(month)
    if len(text) == 7 and text[4] == "-" and text[:4].isdigit() and text[5:].isdigit():
        return f"{int(text[:4])}年{int(text[5:])}月"
    return text
