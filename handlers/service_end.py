"""サービス終了 (form `service_end`) where the municipality lists the 終了時 documents (`originals_by_occasion.end`).

鈴鹿亀山 資料1 10 サービス終了時 (003:627): the 居宅 explains the end of the plan to the person and the family and
writes it in the 支援経過記録, then tells the 包括 and returns every 帳票; 資料5 □終了時 (003:755-758) names the
documents. A delegated 介護予防 case is refused without the explanation, the return and the full 終了時 set; a case
the 包括 writes itself returns nothing, and a 要介護 case (居宅介護支援) has no 包括 to return to.
"""

from __future__ import annotations

from collections.abc import Mapping

from engine.vocabulary import KAIGO_LEVELS
from handlers.base import Data
from handlers.base import SimpleHandler
from handlers.plan_originals import missing_documents


class ServiceEnd(SimpleHandler):
    form = "service_end"

    def problems(self, submission: Data, data: Data, params: Data) -> dict[str, str]:
        sets = params.get("originals_by_occasion")
        if not isinstance(sets, Mapping) or "end" not in sets:
            return {}
        errors: dict[str, str] = {}
        if submission.get("explained") is not True:
            errors["explained"] = "プランの終了を利用者・家族に説明し、支援経過記録に記入してから終了してください"
        if not data.get("delegated") or data.get("care_level") in KAIGO_LEVELS:
            return errors
        if submission.get("documents_returned") is not True:
            errors["documents_returned"] = "包括へ終了を連絡し、全ての帳票類を返還してください"
        errors.update(missing_documents(params, "end", submission.get("returned_documents"), "returned_documents"))
        return errors
