"""テレビ電話装置等によるモニタリングの要件: all of them, or none (002:10, 004:1837-1857).

`video_conditions_met` (the case fact the step declares) is true only when the client consented in writing and the
doctor, the providers and the others concerned agreed at a meeting on all three points. A municipality that does not
use video interviews (`video_monitoring = false` in municipality.toml) cannot record them as met.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.process_library.forms import FormContext
from handlers.base import Handler
from handlers.decisions.inputs import param
from handlers.validators import as_date

AGREEMENTS = ("condition_stable", "can_communicate", "providers_share_information")


class VideoMonitoringConditions(Handler):
    form = "video_monitoring_conditions"

    def validate(self, submission: Mapping[str, Any], context: FormContext) -> dict[str, str]:
        errors: dict[str, str] = {}
        if submission.get("written_consent") is True and not submission.get("consent_date"):
            errors["consent_date"] = "文書で同意を得た日を入力してください"
        if any(submission.get(k) is True for k in AGREEMENTS) and not submission.get("meeting_date"):
            errors["meeting_date"] = "関係者の合意を得たサービス担当者会議等の日を入力してください"
        recorded = as_date(submission.get("recorded_on"))
        for field_name, title in (("consent_date", "同意を得た日"), ("meeting_date", "合意を得た会議等の日")):
            day = as_date(submission.get(field_name))
            if recorded and day and day > recorded and field_name not in errors:
                errors[field_name] = f"{title}は記録日以前の日付にしてください"
        if _met(submission) and not _allowed(context):
            errors["written_consent"] = "この市町村ではテレビ電話装置等によるモニタリングを行いません"
        return errors

    def derive(self, submission: Mapping[str, Any], context: FormContext) -> dict[str, Any]:
        return {"video_conditions_met": _met(submission) and _allowed(context)}


def _met(submission: Mapping[str, Any]) -> bool:
    return submission.get("written_consent") is True and all(submission.get(k) is True for k in AGREEMENTS)


def _allowed(context: FormContext) -> bool:
    return bool(param(context.params, "video_monitoring", True, (True, False)))
