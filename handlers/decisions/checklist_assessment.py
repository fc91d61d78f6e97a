"""Score the 基本チェックリスト (basic checklist) into the flags of the national 様式第二.

DOMAIN.md §3.2 and §10.1. Inputs: `checklist` (25 raw answers in the national form order,
はい = 1, いいえ = 0), `height_cm`, `weight_kg`.

Outputs (exactly these keys):
- `checklist_flags`: {motor, nutrition, oral, housebound, cognitive, depression, overall} → bool;
- `program_eligible`: 事業対象者に該当 (any flag);
- `checklist_counts`: {motor, nutrition, oral, housebound, cognitive, depression} → how many items
  of the program count, for the plan's 基本チェックリスト結果 box (運動 3/5 …, 003:339-345).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_DOWN
from decimal import Decimal
from fractions import Fraction
from typing import Any

from engine.errors import ValidationError

ITEMS = 25
PROGRAMS: dict[str, tuple[int, int]] = {
    "motor": (6, 10),
    "nutrition": (11, 12),
    "oral": (13, 15),
    "housebound": (16, 17),
    "cognitive": (18, 20),
    "depression": (21, 25),
}
"""Program -> (first item, last item), 1-based. The spans are the plan box's denominators."""
COUNTS_WHEN_NO = frozenset({1, 2, 3, 4, 5, 6, 7, 8, 16, 19})
"""Items that count (該当) when the answer is いいえ; the others count on はい (item 12: BMI)."""
BMI_ITEM = 12
LOW_BMI = Fraction(37, 2)
"""Item 12 counts when BMI < 18.5."""
HEIGHT_RANGE = (100, 220)
WEIGHT_RANGE = (20, 200)


def checklist_assessment(inputs: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """Score 25 answers plus height and weight; raise ValidationError (Japanese, per input).

    Item 12 is BMI < 18.5 computed from `height_cm` and `weight_kg`; its raw answer is ignored.

    `checklist` is the CONTRACT input name. In the diagram this decision runs right after the
    基本チェックリスト form, whose submission holds the same list as `answers` (the form's own
    field name), and a business rule task passes the whole instance data: so `answers` is read
    when `checklist` is absent. When both are present, `checklist` wins.
    """
    key = "answers" if inputs.get("checklist") is None and inputs.get("answers") is not None else "checklist"
    answers = inputs.get(key)
    errors: dict[str, str] = {}
    problem = _answers_problem(answers)
    if problem:
        errors[key] = problem
    height = _measure(inputs, "height_cm", "身長", HEIGHT_RANGE, "cm", errors)
    weight = _measure(inputs, "weight_kg", "体重", WEIGHT_RANGE, "kg", errors)
    if errors or height is None or weight is None or not isinstance(answers, list):
        raise ValidationError("基本チェックリストを判定できません。入力を確認してください", details=errors)
    low_bmi = body_mass_index(height, weight) < LOW_BMI
    counted = {
        number: low_bmi if number == BMI_ITEM else answer == (0 if number in COUNTS_WHEN_NO else 1)
        for number, answer in enumerate(answers, start=1)
    }

    def count(first: int, last: int) -> int:
        return sum(1 for number in range(first, last + 1) if counted[number])

    flags = {
        "motor": count(6, 10) >= 3,
        "nutrition": counted[11] and counted[12],
        "oral": count(13, 15) >= 2,
        "housebound": counted[16],
        "cognitive": count(18, 20) >= 1,
        "depression": count(21, 25) >= 2,
        "overall": count(1, 20) >= 10,
    }
    return {
        "checklist_flags": flags,
        "program_eligible": any(flags.values()),
        "checklist_counts": {name: count(*span) for name, span in PROGRAMS.items()},
    }


def body_mass_index(height_cm: float, weight_kg: float) -> Fraction:
    """BMI = kg ÷ m ÷ m, exact for the decimals as typed (74 kg at 200 cm is 18.5, not 18.4999…)."""
    metres = Fraction(str(height_cm)) / 100
    return Fraction(str(weight_kg)) / (metres * metres)


def bmi_for_display(height_cm: float, weight_kg: float) -> float:
    """BMI to one decimal, cut (not rounded): a BMI that counts as < 18.5 never shows as 18.5."""
    exact = body_mass_index(height_cm, weight_kg)
    shown = (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(Decimal("0.1"), rounding=ROUND_DOWN)
    return float(shown)


def _answers_problem(answers: Any) -> str | None:
    if answers is None:
        return "基本チェックリストの回答(25項目)を入力してください"
    if not isinstance(answers, list):
        return "基本チェックリストの回答は25項目の一覧(はい=1、いいえ=0)で入力してください"
    if len(answers) != ITEMS:
        return f"基本チェックリストは25項目すべてに回答してください(回答は{len(answers)}項目です)"
    bad = [number for number, a in enumerate(answers, start=1) if isinstance(a, bool) or a not in (0, 1)]
    if bad:
        items = "、".join(f"No.{n}" for n in bad)
        return f"回答は はい(1)/いいえ(0) のどちらかです({items} を確認してください)"
    return None


def _measure(
    inputs: Mapping[str, Any],
    name: str,
    label: str,
    bounds: tuple[int, int],
    unit: str,
    errors: dict[str, str],
) -> float | None:
    value = inputs.get(name)
    low, high = bounds
    if value is None:
        errors[name] = f"{label}を入力してください"
        return None
    not_a_number = value != value  # NaN
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not_a_number:
        errors[name] = f"{label}は数値で入力してください({low}〜{high}{unit})"
        return None
    if not low <= value <= high:
        errors[name] = f"{label}は{low}〜{high}{unit}の範囲で入力してください"
        return None
    return value
