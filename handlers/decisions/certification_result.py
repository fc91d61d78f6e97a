"""Record a certification result on the case and say where the flow goes: same side, handover, or 非該当.

Sources: DOMAIN.md §6.1, §7.1, §7.4, §10.3; 鈴鹿亀山 003_ac00e42d951987eb.txt:605 (要介護→要支援1・2・非該当: the
居宅介護支援 contract ends and the office contacts the 包括), 003:808-842 (who serves which result); 豊川
001_0406baf8f7838dc8.txt:345-425 (delegation ends: the center takes the case back, or the office takes it over when
the client is certified 要介護); 前橋 004_f6001c94592c1eac.txt:1021-1024, 2185-2188 (要介護→要支援: information and
the latest plan to the 介護予防支援事業者).

Called by the `renewal` and `level_change` diagrams right after `certification_result_entry`, so a bad entry is
refused at the insurer's submission (the form's fields carry the messages).

    category(level) = care (kaigo1-5) | preventive (shien1-2) | program (jigyo) | none (higaito)
    care_level      = result_level                      (copied onto the case by the engine)
    category_change =
        higaito                      when the result is 非該当
        same                         when category(previous) == category(result)
        benefit_changed              preventive <-> program: the same center serves both (予防給付 ⇄ 総合事業)
        to_care                      preventive/program -> care: a 居宅介護支援事業所 takes over (handover_to office)
        to_preventive                care -> preventive/program: the 地域包括支援センター takes over (center)
    current_benefit = care | preventive | program | none; a 要支援 client who used only 総合事業 services
                      (previous benefit `program`) keeps `program` when the result stays 要支援
    level_changed   = result_level != previous_care_level
    result_in_time  = result_date <= previous_certification_end   (renewal; the 暫定 rules apply otherwise, 003:786)

Inputs: `result_level` (jigyo, shien1-2, kaigo1-5, higaito), `result_date`, `certification_start`,
`certification_end` (required for shien1-kaigo5), `previous_care_level` (from `certification_application`; else
`care_level`), optional `application_type`, `application_date`, `previous_certification_end`, `previous_benefit`.

Refused (ValidationError, Japanese, per field of the certification_result_entry form):
- `certification_end` before `certification_start`;
- `result_date` before `application_date`;
- a renewal whose new validity does not start the day after the previous one ends (更新認定の有効期間は前の有効期間の
  満了日の翌日から, 介護保険法 第28条) [N];
- a missing or uncertified previous level.

Parameters: `notify_on_handling_change` (`[switches]`, bool, default false; 奥州 true, 002:11) is passed through so the
奥州 diagrams can ask for a new 届出書 when the benefit switch also switches the handling (direct ⇄ delegated).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from engine.errors import ValidationError
from engine.vocabulary import CERTIFIED_LEVELS
from engine.vocabulary import CURRENT_LEVELS
from engine.vocabulary import RESULT_LEVELS
from handlers.decisions.certification_application import BENEFITS
from handlers.decisions.certification_application import benefit_of
from handlers.decisions.inputs import InputReader
from handlers.decisions.inputs import param


def certification_result(inputs: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """Return the new care level and benefit, and how the result relates to the previous category."""
    read = InputReader("certification_result", inputs)
    result_level = read.choice("result_level", "認定結果", RESULT_LEVELS)
    result_date = read.day("result_date", "認定日")
    certified = result_level in CERTIFIED_LEVELS
    start = read.day("certification_start", "認定有効期間の開始日", optional=not certified)
    end = read.day("certification_end", "認定有効期間の終了日", optional=not certified)
    previous_name = "previous_care_level" if inputs.get("previous_care_level") is not None else "care_level"
    previous = read.choice(previous_name, "これまでの要介護度", CURRENT_LEVELS)
    application_type = read.choice(
        "application_type", "申請の種類", ("new", "renewal", "level_change"), default="renewal"
    )
    application_date = read.day("application_date", "申請日", optional=True)
    previous_end = read.day("previous_certification_end", "これまでの認定有効期間の終了日", optional=True)
    previous_benefit = read.choice("previous_benefit", "これまでの給付", BENEFITS, default=None)
    read.check()
    assert result_level is not None and result_date is not None and previous is not None

    details: dict[str, str] = {}
    if start and end and end < start:
        details["certification_end"] = f"認定有効期間の終了日({end.isoformat()})が開始日({start.isoformat()})より前です"
    if application_date and result_date < application_date:
        details["result_date"] = f"認定日({result_date.isoformat()})が申請日({application_date.isoformat()})より前です"
    if application_type == "renewal" and certified and start and previous_end and start != previous_end + timedelta(1):
        expected = (previous_end + timedelta(1)).isoformat()
        details["certification_start"] = (
            f"更新認定の有効期間は前の有効期間の終了日の翌日({expected})から始まります(入力: {start.isoformat()})"
        )
    if details:
        raise ValidationError("認定結果の内容に誤りがあります", details=details)

    before, after = benefit_of(previous), benefit_of(result_level)
    if result_level == "higaito":
        change, handover_to = "higaito", "none"
    elif before == after:
        change, handover_to = "same", "none"
    elif after == "care":
        change, handover_to = "to_care", "office"
    elif before == "care":
        change, handover_to = "to_preventive", "center"
    else:
        change, handover_to = "benefit_changed", "none"
    benefit = after
    if after == "preventive" and before == "preventive" and previous_benefit == "program":
        benefit = "program"  # 要支援 using only 総合事業 services: 介護予防ケアマネジメント continues
    return {
        "care_level": result_level,
        "previous_care_level": previous,
        "result_category": after,
        "category_change": change,
        "handover_to": handover_to,
        "current_benefit": benefit,
        "level_changed": result_level != previous,
        "result_in_time": previous_end is None or result_date <= previous_end,
        "notify_on_handling_change": bool(param(params, "notify_on_handling_change", False, (True, False))),
    }
