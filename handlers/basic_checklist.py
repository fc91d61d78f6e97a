"""基本チェックリスト: the answers must be complete; scores come from the checklist_assessment decision."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.errors import ValidationError
from engine.forms import FormContext
from handlers.base import Handler
from handlers.decisions.checklist_assessment import checklist_assessment


class BasicChecklist(Handler):
    form = "basic_checklist"

    def validate(self, submission: Mapping[str, Any], context: FormContext) -> dict[str, str]:
        try:
            checklist_assessment(_inputs(submission), context.params)
        except ValidationError as exc:
            return {"answers" if k == "checklist" else k: v for k, v in exc.details.items()}
        return {}

    def derive(self, submission: Mapping[str, Any], context: FormContext) -> dict[str, Any]:
        return checklist_assessment(_inputs(submission), context.params)


def _inputs(submission: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "checklist": submission.get("answers"),
        "height_cm": submission.get("height_cm"),
        "weight_kg": submission.get("weight_kg"),
    }
