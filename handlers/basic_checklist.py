"""基本チェックリスト (basic checklist): complete answers, a plausible body, and the scores."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.errors import ValidationError
from engine.process_library.forms import FormContext
from handlers.base import Handler
from handlers.decisions.checklist_assessment import bmi_for_display
from handlers.decisions.checklist_assessment import checklist_assessment


class BasicChecklist(Handler):
    """Validate through the checklist_assessment decision and derive its outputs plus `bmi`.

    The form stores the 25 answers as `answers`; the decision's input is `checklist`, so its
    messages about `checklist` are reported on `answers`.
    """

    form = "basic_checklist"

    def validate(self, submission: Mapping[str, Any], context: FormContext) -> dict[str, str]:
        try:
            checklist_assessment(_inputs(submission), context.params)
        except ValidationError as refused:
            return {("answers" if key == "checklist" else key): text for key, text in refused.details.items()}
        return {}

    def derive(self, submission: Mapping[str, Any], context: FormContext) -> dict[str, Any]:
        derived = checklist_assessment(_inputs(submission), context.params)
        derived["bmi"] = bmi_for_display(submission["height_cm"], submission["weight_kg"])
        return derived


def _inputs(submission: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "checklist": submission.get("answers"),
        "height_cm": submission.get("height_cm"),
        "weight_kg": submission.get("weight_kg"),
    }
