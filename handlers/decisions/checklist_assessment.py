"""The 基本チェックリスト (basic checklist) scored into the seven flags of the national 様式第二 (DOMAIN.md §3.2)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.errors import ValidationError

PROGRAMS = {  # program -> (first item, last item), 1-based, as in the plan's 基本チェックリスト結果 box
    "motor": (6, 10),
    "nutrition": (11, 12),
    "oral": (13, 15),
    "housebound": (16, 17),
    "cognitive": (18, 20),
    "depression": (21, 25),
}
COUNTS_WHEN_NO = frozenset({1, 2, 3, 4, 5, 6, 7, 8, 16, 19})
"""Items that count (該当) when the answer is いいえ; every other item counts when it is はい (item 12: BMI)."""


def checklist_assessment(inputs: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """Score 25 raw answers (はい=1, いいえ=0, in form order) plus height and weight.

    `checklist` is the CONTRACT input name; the 基本チェックリスト form stores the same list as `answers`, and the
    decision task runs right after that form, so `answers` is read when `checklist` is absent.
    Item 12 is BMI < 18.5 from height_cm and weight_kg; its raw answer is ignored.
    """
    answers = inputs.get("checklist")
    if answers is None:
        answers = inputs.get("answers")
    errors: dict[str, str] = {}
    if (
        not isinstance(answers, list)
        or len(answers) != 25
        or any(a not in (0, 1) or a is True or a is False for a in answers)
    ):
        errors["checklist"] = "基本チェックリストは25項目すべてを はい(1)/いいえ(0) で回答してください"
    height, weight = inputs.get("height_cm"), inputs.get("weight_kg")
    if not isinstance(height, (int, float)) or isinstance(height, bool) or not 100 <= height <= 220:
        errors["height_cm"] = "身長は100〜220cmの範囲で入力してください"
    if not isinstance(weight, (int, float)) or isinstance(weight, bool) or not 20 <= weight <= 200:
        errors["weight_kg"] = "体重は20〜200kgの範囲で入力してください"
    if errors:
        raise ValidationError("基本チェックリストを判定できません", details=errors)
    bmi = weight / (height / 100) ** 2
    counted = {}
    for number, answer in enumerate(answers, start=1):
        if number == 12:
            counted[number] = bmi < 18.5
        elif number in COUNTS_WHEN_NO:
            counted[number] = answer == 0
        else:
            counted[number] = answer == 1

    def count(first: int, last: int) -> int:
        return sum(counted[n] for n in range(first, last + 1))

    flags = {
        "overall": count(1, 20) >= 10,
        "motor": count(6, 10) >= 3,
        "nutrition": counted[11] and counted[12],
        "oral": count(13, 15) >= 2,
        "housebound": counted[16],
        "cognitive": count(18, 20) >= 1,
        "depression": count(21, 25) >= 2,
    }
    return {
        "checklist_flags": flags,
        "program_eligible": any(flags.values()),
        "checklist_counts": {name: count(*span) for name, span in PROGRAMS.items()},
        "bmi": round(bmi, 1),
    }
