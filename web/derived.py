"""What a handler derived and stored with a document (`_`-prefixed keys), in the words staff use.

The 基本チェックリスト's scores become 「運動器の機能向上 3/5 該当」 and 「事業対象者に該当」, its BMI shows which way
No.12 counted; dates and months print in 和暦. Keys nobody needs to read (copies of a typed value, timestamps used
for scheduling) are not shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine import to_wareki
from engine import to_wareki_month

PROGRAMS = (
    ("motor", "運動器の機能向上", 5),
    ("nutrition", "栄養改善", 2),
    ("oral", "口腔機能の向上", 3),
    ("housebound", "閉じこもり予防・支援", 2),
    ("cognitive", "認知機能低下予防・支援", 3),
    ("depression", "うつ予防・支援", 5),
)
LOW_BMI = 18.5
BMI_ANSWER_INDEX = 11
"""No.12 of the 基本チェックリスト (0-based): counted from height and weight, not from its answer."""


def judgement_rows(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, text) rows for the derived values of a document, in staff words."""
    rows: list[tuple[str, str]] = []
    counts = data.get("_checklist_counts")
    flags = data.get("_checklist_flags")
    if isinstance(counts, Mapping) or isinstance(flags, Mapping):
        counts = counts if isinstance(counts, Mapping) else {}
        flags = flags if isinstance(flags, Mapping) else {}
        for key, name, total in PROGRAMS:
            count = counts.get(key)
            shown = f"{count}/{total} " if isinstance(count, int) else ""
            rows.append((name, shown + ("該当" if flags.get(key) else "非該当")))
        if "overall" in flags:
            rows.append(("複数の項目に支障(No.1〜20)", "該当" if flags.get("overall") else "非該当"))
    eligible = data.get("_program_eligible")
    if isinstance(eligible, bool):
        rows.append(("事業対象者の判定", "事業対象者に該当" if eligible else "該当なし"))
    bmi = data.get("_bmi")
    if isinstance(bmi, (int, float)) and not isinstance(bmi, bool):
        counted = "No.12 に該当" if bmi < LOW_BMI else "No.12 は非該当"
        rows.append(("BMI", f"{bmi:.1f}(18.5未満で該当: {counted})"))
    for key, label, show in (
        ("_plan_start", "計画の開始日", to_wareki),
        ("_plan_end", "計画の終了日", to_wareki),
        ("_evaluation_month", "評価の月", to_wareki_month),
        ("_continuation_review_at", "継続の必要性を検討する日", to_wareki),
    ):
        value = data.get(key)
        if isinstance(value, str) and value:
            try:
                rows.append((label, show(value)))
            except ValueError:
                continue
    return rows


def checklist_item12(data: Mapping[str, Any]) -> str | None:
    """The answer No.12 stands for (1 = はい: BMI under 18.5), from the stored BMI; None when there is none."""
    bmi = data.get("_bmi")
    if isinstance(bmi, (int, float)) and not isinstance(bmi, bool):
        return "1" if bmi < LOW_BMI else "0"
    return None
