"""原本等の包括への提出 (form `plan_originals_submission`): the documents a municipality asks for at a new contract.

鈴鹿亀山 資料5 □新規契約時 (003:731-737): 利用者基本情報, 基本チェックリスト, 介護予防サービス・支援計画書【原本】
and サービス利用票・別表 all go to the 包括. The set is the parameter `originals_new_contract` (municipality.toml, the
form's document keys); a first plan (`plan_kind` initial) whose submission lacks one of them is refused. A municipality
without the parameter, or whose own form requires its documents in the schema (A市, 豊川), is not checked here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.process_library.forms import FormContext
from handlers.base import Handler

DOCUMENT_NAMES = {
    "basic_info": "利用者基本情報",
    "checklist": "基本チェックリスト",
    "plan_original": "介護予防サービス・支援計画書【原本】",
    "usage_slip": "サービス利用票・別表",
}


class PlanOriginalsSubmission(Handler):
    form = "plan_originals_submission"

    def validate(self, submission: Mapping[str, Any], context: FormContext) -> dict[str, str]:
        required = context.params.get("originals_new_contract")
        if not isinstance(required, list) or context.data.get("plan_kind") != "initial":
            return {}
        given = set(submission.get("documents") or [])
        missing = [DOCUMENT_NAMES.get(key, key) for key in required if key not in given]
        if not missing:
            return {}
        return {"documents": f"新規契約時は次の書類も包括へ提出してください: {'、'.join(missing)}"}
