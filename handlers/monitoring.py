"""モニタリング: method and home visit agree, the record fits its month, 特段の事情 is written.

- 自宅訪問 ⇔ 居宅を訪問し面接した. A phone call, a video call (オンライン) or a meeting at the day
  service is not a home visit (003:116, 617).
- The record is for the month the duty was started for (`month` in the instance data) and the
  contact happened in that month.
- When the month requires a home visit (`home_visit_required` in the instance data, from the
  monitoring_requirement decision) and none took place, the 特段の事情 (the client's reasons, never
  the staff's) must be recorded (003:617 ※).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.forms import FormContext
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
            errors["month"] = f"この記録は {expected} 分です(対象月を {expected} にしてください)"
        contact = as_date(submission.get("contact_date"))
        if contact and isinstance(month, str) and f"{contact:%Y-%m}" != month:
            errors["contact_date"] = f"実施日は対象月({month})の日付にしてください"
        if context.data.get("home_visit_required") is True and visited is not True:
            if blank(submission.get("special_circumstances")):
                errors["special_circumstances"] = (
                    "今月は居宅での面接が必要な月です。面接できなかった利用者側の事情(特段の事情)を具体的に"
                    "記録してください(003:617)"
                )
        return errors
