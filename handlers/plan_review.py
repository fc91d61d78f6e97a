"""原案の確認・包括意見 (form `plan_review`): where the 評価表 travels with the 原案, the 包括 comments on both.

豊川 (001:311-337): at a plan update the office visits, assesses, then writes the 評価表 and the new 原案 and hands
both to the 包括 together; the 包括 writes its 「包括意見」 on each and returns them. The evaluation step marks the
data (`evaluation_with_plan`, handlers/evaluation.py) when the municipality works this way
(`evaluation_reviewed_with_plan`); this review then needs the 評価表's comment too, and clears the mark so a later
series (a plan change) is not asked for an evaluation it does not carry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.process_library.forms import FormContext
from handlers.base import Handler
from handlers.validators import blank


class PlanReview(Handler):
    form = "plan_review"

    def validate(self, submission: Mapping[str, Any], context: FormContext) -> dict[str, str]:
        if not context.data.get("evaluation_with_plan"):
            return {}
        errors: dict[str, str] = {}
        if blank(submission.get("evaluation_effect")):
            errors["evaluation_effect"] = "評価表が原案と一緒に提出されています。評価表の効果の判定を選んでください"
        if blank(submission.get("evaluation_center_opinion")):
            errors["evaluation_center_opinion"] = (
                "評価表が原案と一緒に提出されています。評価表にも包括意見を記入してください"
            )
        return errors

    def derive(self, submission: Mapping[str, Any], context: FormContext) -> dict[str, Any]:
        return {"evaluation_with_plan": False}
