"""説明・同意・署名: a signature written by someone else is recorded as such, with the writer.

前橋 自主点検表: やむを得ず利用者以外の者が代筆する場合は、代筆である旨、代筆者の氏名及び続柄を記載
(004:1731-1735; DOMAIN.md §12).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.process_library.forms import FormContext
from handlers.base import Handler
from handlers.validators import blank


class PlanConsent(Handler):
    form = "plan_consent"

    def validate(self, submission: Mapping[str, Any], context: FormContext) -> dict[str, str]:
        errors: dict[str, str] = {}
        if submission.get("signed_by_proxy") is True:
            if blank(submission.get("proxy_name")):
                errors["proxy_name"] = "代筆の場合は代筆者の氏名を記録してください(004:1733)"
            if blank(submission.get("proxy_relationship")):
                errors["proxy_relationship"] = "代筆の場合は代筆者の続柄を記録してください(004:1733)"
        return errors
