"""介護予防支援・サービス評価表: goals evaluated, misses explained, outcome and next service agree.

- 終了 means no next care plan is made (003:587-589). 予防給付 and 介護予防・生活支援サービス事業
  both need a plan from the 包括 (介護予防支援 / 介護予防ケアマネジメント), so they contradict 終了.
  What may follow 終了: nothing (終了), 一般介護予防事業 (open to everyone, no plan), or 介護給付
  (the client became 要介護 and a 居宅介護支援事業所 makes the next plan, not this case's planner).
- Conversely, プラン継続 or プラン変更 makes a next plan, so the next service cannot be 終了.
- A goal not achieved (×) needs the planner's view of why (003:555-561).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.process_library.forms import FormContext
from handlers.base import Handler
from handlers.validators import blank

NEEDS_A_PLAN = ("予防給付", "介護予防・生活支援サービス事業")


class Evaluation(Handler):
    form = "evaluation"

    def validate(self, submission: Mapping[str, Any], context: FormContext) -> dict[str, str]:
        errors: dict[str, str] = {}
        results = submission.get("goal_results") or []
        if not results:
            errors["goal_results"] = "ケアプランの目標ごとに評価を記入してください(003:525-543)"
        for index, result in enumerate(results):
            if isinstance(result, Mapping) and result.get("achieved") is False and blank(result.get("reason_planner")):
                errors[f"goal_results.{index}.reason_planner"] = (
                    "未達成の目標は、目標達成しない原因(計画作成者の評価)を記載してください(003:555-561)"
                )
        outcome, following = submission.get("evaluation_outcome"), submission.get("next_service")
        if outcome == "end" and following in NEEDS_A_PLAN:
            errors["next_service"] = (
                f"「終了」は次のケアプランを作成しない場合です(003:589)。{following}にはケアプランが必要です。"
                "終了・一般介護予防事業・介護給付(居宅介護支援へ引継ぎ)から選んでください"
            )
        elif outcome in ("continue", "change") and following == "終了":
            errors["next_service"] = (
                "プラン継続・プラン変更の場合、今後利用するサービスに「終了」は選べません(003:583-591)"
            )
        return errors
