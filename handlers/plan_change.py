"""ケアプラン変更の検討: a change that may be 軽微 rests on the providers' agreement that nothing changed.

The `minor_change` decision reads `change_kind`, `state_changed` and `several_service_types`. Whether the client's
state is unchanged is not the care manager's call alone: it rests on the monitoring and the agreement between the
service providers (003:930-932). So a change of one of the listed kinds, with no change of state, is accepted only
when that agreement is recorded; without it the care manager says the state changed, or picks 「その他」, and the
full series follows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.process_library.forms import FormContext
from handlers.base import Handler


class PlanChangeRequest(Handler):
    form = "plan_change_request"

    def validate(self, submission: Mapping[str, Any], context: FormContext) -> dict[str, str]:
        errors: dict[str, str] = {}
        may_be_minor = submission.get("change_kind") not in (None, "other") and submission.get("state_changed") is False
        if may_be_minor and submission.get("agreed_by_providers") is not True:
            errors["agreed_by_providers"] = (
                "軽微な変更は、利用者の状態に変化がないことをサービス担当者と確認したうえで判断します。"
                "確認できないときは「利用者の状態に変化がある」を「はい」にするか、変更の種類を「その他」にしてください"
            )
        return errors
