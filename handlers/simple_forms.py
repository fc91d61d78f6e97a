"""Cross-field rules of the new-case forms that JSON Schema cannot state."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.forms import FormContext
from handlers import validators
from handlers.base import Handler


class Intake(Handler):
    form = "intake"

    def validate(self, submission: Mapping[str, Any], context: FormContext) -> dict[str, str]:
        errors = {}
        if message := validators.insured_number(submission.get("insured_number")):
            errors["insured_number"] = message
        start, end = submission.get("certification_start"), submission.get("certification_end")
        if start and end and (message := validators.date_order(start, end, "認定有効期間(開始)", "認定有効期間(終了)")):
            errors["certification_end"] = message
        return errors


class Monitoring(Handler):
    form = "monitoring"

    def validate(self, submission: Mapping[str, Any], context: FormContext) -> dict[str, str]:
        errors = {}
        method, visited = submission.get("contact_method"), submission.get("home_visit")
        if method == "home_visit" and not visited:
            errors["home_visit"] = "自宅訪問の場合は「居宅を訪問した」にしてください"
        if method in ("video", "phone", "other_visit") and visited:
            errors["home_visit"] = "自宅訪問でない方法を選んだ場合、「居宅を訪問した」は選べません"
        month = context.data.get("month")
        if month and submission.get("month") != month:
            errors["month"] = f"この記録は {month} 分です"
        contact = str(submission.get("contact_date") or "")
        if month and contact and not contact.startswith(str(submission.get("month"))):
            errors["contact_date"] = "実施日は対象月の日付にしてください"
        return errors


class PlanConsent(Handler):
    form = "plan_consent"

    def validate(self, submission: Mapping[str, Any], context: FormContext) -> dict[str, str]:
        errors = {}
        if submission.get("signed_by_proxy"):  # a proxy signature is noted as such (004:1733)
            if not str(submission.get("proxy_name") or "").strip():
                errors["proxy_name"] = "代筆の場合は代筆者の氏名を入力してください"
            if not str(submission.get("proxy_relationship") or "").strip():
                errors["proxy_relationship"] = "代筆の場合は代筆者の続柄を入力してください"
        return errors


class Evaluation(Handler):
    form = "evaluation"

    def validate(self, submission: Mapping[str, Any], context: FormContext) -> dict[str, str]:
        if submission.get("evaluation_outcome") == "end" and submission.get("next_service") in ("予防給付",):
            return {"next_service": "終了する場合、予防給付は選べません(介護給付・事業・終了のいずれか)"}
        return {}
