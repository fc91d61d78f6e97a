"""A市's 事業対象者の判定 (form `city-a_program_eligibility`): the center's 基本チェックリスト is this plan's.

The center confirms the 基本チェックリスト with the person and judges the 事業対象者 with the 対象者確認票 (000:26-28,
276-284); the office then does the 再アセスメント and the plan without a second checklist: 「基本チェックリスト」を
実施(要支援のみ) (000:268-274). `checklist_at_program_eligibility` tells plan_cycle to skip its `basic_checklist`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.process_library.forms import FormContext
from handlers.base import Handler


class ProgramEligibility(Handler):
    form = "city-a_program_eligibility"

    def derive(self, submission: Mapping[str, Any], context: FormContext) -> dict[str, Any]:
        return {"checklist_at_program_eligibility": submission.get("program_eligible") is True}
