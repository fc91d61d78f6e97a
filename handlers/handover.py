"""The handover (包括⇔居宅) forms: which case facts the handover sets (processes/README.md, "Case facts").

A handover to the office (a 要介護 result) ends any delegation: the office goes on as the planner under its own
居宅介護支援 contract (豊川 001:413-425; 003:1025). A handover to the center (要支援・事業対象者) gives the plan back to
the center, which decides afresh whether to delegate (003:605). A 暫定 handover to the center may say the center
delegates the 確定 plan to an office (003:858): then the case stays delegated.

The forms' `delegated` field reads "the office writes the next plan" (as the staff answer it); the facts derived
here are what the case records: `planner` and `delegated` (only: a center delegated to an office).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.forms import FormContext
from handlers.base import Handler


def handover_facts(submission: Mapping[str, Any], provisional: bool = False) -> dict[str, Any]:
    """`planner` and `delegated` after a handover, from where it goes (`handover_to`)."""
    target = submission.get("handover_to")
    office_writes = submission.get("delegated") is True
    if target == "office":
        return {"planner": "office", "delegated": False}
    if target == "center":
        keeps_delegation = provisional and office_writes
        return {"planner": "office" if keeps_delegation else "center", "delegated": keeps_delegation}
    return {"delegated": False}  # 前橋: to another 介護予防支援事業者, outside the manual; the planner stays


class Handover(Handler):
    form = "handover"

    def derive(self, submission: Mapping[str, Any], context: FormContext) -> dict[str, Any]:
        return handover_facts(submission)
