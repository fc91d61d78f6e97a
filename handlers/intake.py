"""相談受付・利用申込: the 被保険者番号, the certification period, the kind of care management."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.process_library.forms import FormContext
from handlers import validators
from handlers.base import Handler

CERTIFIED_LEVELS = frozenset({"shien1", "shien2", "kaigo1", "kaigo2", "kaigo3", "kaigo4", "kaigo5"})
"""Levels granted by a certification, which always has a validity period (認定有効期間)."""


class Intake(Handler):
    form = "intake"

    def validate(self, submission: Mapping[str, Any], context: FormContext) -> dict[str, str]:
        errors: dict[str, str] = {}
        if message := validators.insured_number(submission.get("insured_number")):
            errors["insured_number"] = message
        level = submission.get("care_level")
        start, end = submission.get("certification_start"), submission.get("certification_end")
        if level in CERTIFIED_LEVELS:
            for name, value in (("certification_start", start), ("certification_end", end)):
                if validators.blank(value):
                    errors[name] = "要支援・要介護の認定を受けている場合は、被保険者証の認定有効期間を入力してください"
        if message := validators.date_order(start, end, "認定有効期間(開始)", "認定有効期間(終了)"):
            errors["certification_end"] = message
        # 介護予防支援 (予防給付) needs a 要支援 certification; a 事業対象者 is served by
        # 介護予防ケアマネジメント (全国標準, not in the seeds).
        if level == "jigyo" and submission.get("care_management_type") == "":
            errors["care_management_type"] = (
                "事業対象者は介護予防ケアマネジメント(A・B・C)です。介護予防支援(予防給付)は要支援の方だけです"
            )
        return errors

    def derive(self, submission: Mapping[str, Any], context: FormContext) -> dict[str, Any]:
        number = submission.get("insured_number")
        if not isinstance(number, str) or validators.insured_number(number):
            return {}
        return {"insured_number": validators.normalise_width(number).strip()}
