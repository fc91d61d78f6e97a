"""原本等の包括への提出 (form `plan_originals_submission`): the documents a municipality asks for at each occasion.

鈴鹿亀山 資料5 (003:729-771) lists, per 提出時期, what the 居宅 sends the 包括: □新規契約時 (003:734-737),
□評価時 (738-742), □認定更新時 (743-746), □サービス計画変更時 (747-750), □区分変更時 (751-754; the 評価表 carries
the reason of the 区分変更申請, 003:727) and □終了時 (755-758, checked at `service_end`: handlers/service_end.py).
The sets are the parameter `originals_by_occasion` (municipality.toml, a table: occasion -> the form's document
keys); the submission names its occasion (`occasion`) and is refused, naming what is missing, when its set is
incomplete. A first plan (`plan_kind` initial) is the 新規契約時 and a continuing one is not, so an occasion cannot
be chosen to send less. The 認定調査票・主治医意見書 of the サービス計画変更時 (※1) is owed only after a result that
changed (003:760), which the office knows and the form does not: it is in no required set.
A municipality without the parameter, or whose own form requires its documents in the schema (A市, 豊川), is not
checked here.
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
    "progress_record": "介護予防支援経過記録",
    "meeting_record": "サービス担当者会議の記録",
    "evaluation_original": "介護予防支援・サービス評価表【原本】",
    "survey_and_opinion": "認定調査票・主治医意見書",
}
OCCASION_NAMES = {
    "new_contract": "新規契約時",
    "evaluation": "評価時",
    "renewal": "認定更新時",
    "plan_change": "サービス計画変更時",
    "level_change": "区分変更時",
    "end": "終了時",
}


def missing_documents(params: Mapping[str, Any], occasion: str, given: Any, field: str = "documents") -> dict[str, str]:
    """The refusal for a set of documents that lacks some of the occasion's (`originals_by_occasion`); {} if none."""
    sets = params.get("originals_by_occasion")
    required = sets.get(occasion) if isinstance(sets, Mapping) else None
    if not isinstance(required, list):
        return {}
    present = set(given or [])
    missing = [DOCUMENT_NAMES.get(str(key), str(key)) for key in required if key not in present]
    if not missing:
        return {}
    verb = "返還" if occasion == "end" else "提出"
    when = OCCASION_NAMES.get(occasion, occasion)
    return {field: f"{when}は次の書類も包括へ{verb}してください: {'、'.join(missing)}"}


class PlanOriginalsSubmission(Handler):
    form = "plan_originals_submission"

    def validate(self, submission: Mapping[str, Any], context: FormContext) -> dict[str, str]:
        if not isinstance(context.params.get("originals_by_occasion"), Mapping):
            return {}
        occasion = submission.get("occasion") or "new_contract"
        plan_kind = context.data.get("plan_kind")
        if plan_kind == "initial" and occasion != "new_contract":
            return {"occasion": "初回の計画の提出は新規契約時です"}
        if plan_kind == "continuing" and occasion == "new_contract":
            return {"occasion": "継続の計画の提出は新規契約時ではありません。提出時期を選び直してください"}
        return missing_documents(context.params, str(occasion), submission.get("documents"))
