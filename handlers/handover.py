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
from datetime import date
from typing import Any

from engine.process_library.forms import FormContext
from engine.store.retention import DEFAULT_YEARS
from engine.store.retention import kept_until
from handlers.base import Handler
from handlers.formchecks import japanese_date


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


def materials_kept_until(submission: Mapping[str, Any], context: FormContext) -> date | None:
    """The earliest day the office may destroy what the center gave it, when a delegation ends at a handover.

    豊川 001:413-425: at a 要介護 result the delegation ends; the office hands its 支援経過記録 to the center and keeps
    the materials the center provided for 5 years after the delegation ended (the municipality's `retention.years`),
    then destroys them (or returns them when the center asks). Counted like a case's retention
    (engine/store/retention.py). None when no delegation ends here (a direct case, a handover to the center) or the date
    is missing.
    """
    if submission.get("handover_to") != "office" or context.data.get("delegated") is not True:
        return None
    try:
        ended = date.fromisoformat(str(submission.get("handover_date")))
    except ValueError:
        return None
    years = context.params.get("retention_years", DEFAULT_YEARS)
    return kept_until(ended, years if isinstance(years, int) and years > 0 else DEFAULT_YEARS)


class Handover(Handler):
    form = "handover"

    def validate(self, submission: Mapping[str, Any], context: FormContext) -> dict[str, str]:
        earliest = materials_kept_until(submission, context)
        given = submission.get("materials_kept_until")
        if earliest is None or not given:
            return {}
        if str(given) < earliest.isoformat():
            kept = japanese_date(earliest)
            message = f"包括から提供された資料は委託の終了から保存期間のあいだ({kept}まで)保管します"
            return {"materials_kept_until": message}
        return {}

    def derive(self, submission: Mapping[str, Any], context: FormContext) -> dict[str, Any]:
        derived = handover_facts(submission)
        earliest = materials_kept_until(submission, context)
        if earliest is not None and not submission.get("materials_kept_until"):
            derived["materials_kept_until"] = earliest.isoformat()
        return derived
