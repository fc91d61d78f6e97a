"""provisional_outcome: DOMAIN §8.5, §8.6, §10.5 (003:844-871; 004:3801-3846)."""

from __future__ import annotations

from typing import Any

import pytest

from engine.errors import ValidationError
from engine.process_library.decisions import Decisions
from handlers.decisions.provisional_outcome import provisional_outcome

NATIONAL: dict[str, Any] = {}
SUZUKA = {"provisional_outcome_route": "minor"}
MAEBASHI = {"provisional_outcome_route": "preagreed"}
ROUTES = [NATIONAL, {"provisional_outcome_route": "national"}, SUZUKA, MAEBASHI]


def outcome(params: dict[str, Any], **inputs: Any) -> str:
    out = Decisions({}, {"provisional_outcome": provisional_outcome}, params).decide("provisional_outcome", inputs)
    assert set(out) == {"outcome"}
    result: str = out["outcome"]
    return result


@pytest.mark.parametrize("params", ROUTES)
@pytest.mark.parametrize("expected_level, author", [("shien2", "center"), ("kaigo1", "office")])
@pytest.mark.parametrize("special", [False, True])
def test_higaito_result(params: dict[str, Any], expected_level: str, author: str, special: bool) -> None:
    inputs = {"expected_level": expected_level, "result_level": "higaito", "plan_author": author}
    assert outcome(params, special_handling=special, **inputs) == "program_or_self_pay"


@pytest.mark.parametrize(
    "params, expected_level, result_level, preagreed, expected",
    [
        # national default: a 確定 plan by the full series (004:3817)
        (NATIONAL, "kaigo2", "kaigo2", False, "redo_plan"),
        (NATIONAL, "kaigo2", "kaigo2", True, "redo_plan"),
        (NATIONAL, "shien1", "shien2", False, "redo_plan"),
        # 鈴鹿亀山: same category and nothing changed -> 軽微な変更 (003:866-868)
        (SUZUKA, "kaigo2", "kaigo2", False, "confirm_minor"),
        (SUZUKA, "kaigo2", "kaigo4", False, "confirm_minor"),  # "大幅に異なる" is the CM's needs_changed
        (SUZUKA, "shien1", "shien2", False, "confirm_minor"),
        (SUZUKA, "shien1", "shien1", True, "confirm_minor"),
        # 前橋 別紙2: pre-agreed at the 暫定 meeting and the expected level came out -> confirm (004:3818-3822)
        (MAEBASHI, "kaigo2", "kaigo2", True, "confirm"),
        (MAEBASHI, "shien2", "shien2", True, "confirm"),
        (MAEBASHI, "kaigo2", "kaigo3", True, "redo_plan"),  # not 見込みどおりの介護度
        (MAEBASHI, "kaigo2", "kaigo2", False, "redo_plan"),  # not pre-agreed
    ],
)
def test_same_category(
    params: dict[str, Any], expected_level: str, result_level: str, preagreed: bool, expected: str
) -> None:
    inputs = {
        "expected_level": expected_level,
        "result_level": result_level,
        "plan_author": "office" if expected_level.startswith("kaigo") else "center",
        "confirmation_preagreed": preagreed,
    }
    assert outcome(params, **inputs) == expected


@pytest.mark.parametrize("params", ROUTES)
def test_needs_changed_always_redoes_the_plan(params: dict[str, Any]) -> None:
    inputs = {"expected_level": "kaigo2", "result_level": "kaigo2", "plan_author": "office"}
    assert outcome(params, needs_changed=True, confirmation_preagreed=True, **inputs) == "redo_plan"


@pytest.mark.parametrize("params", ROUTES)
@pytest.mark.parametrize(
    "expected_level, result_level, author, with_special",
    [
        ("kaigo1", "shien2", "office", "handover_to_center"),
        ("kaigo3", "shien1", "office", "handover_to_center"),
        ("shien2", "kaigo1", "center", "handover_to_office"),
        ("shien1", "kaigo5", "center", "handover_to_office"),
    ],
)
def test_category_differs(
    params: dict[str, Any], expected_level: str, result_level: str, author: str, with_special: str
) -> None:
    inputs = {"expected_level": expected_level, "result_level": result_level, "plan_author": author}
    assert outcome(params, special_handling=True, **inputs) == with_special  # 特例 003:858
    assert outcome(params, special_handling=False, **inputs) == "self_plan"  # セルフケアプラン扱い 003:846
    assert outcome(params, **inputs) == "self_plan"  # special_handling defaults to false
    assert outcome(params, special_handling=True, needs_changed=True, **inputs) == with_special


# -- bad input ---------------------------------------------------------------------------------------------------


def details(**inputs: Any) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        provisional_outcome(inputs, {})
    assert caught.value.message == "判定「provisional_outcome」の入力が正しくありません"
    return caught.value.details


def test_missing_inputs() -> None:
    assert details() == {
        "expected_level": "見込みの要介護度を入力してください",
        "result_level": "認定結果の要介護度を入力してください",
        "plan_author": "暫定プランの作成者を入力してください",
    }


def test_unknown_values() -> None:
    assert details(
        expected_level="higaito", result_level="pending", plan_author="insurer", special_handling="true"
    ) == {
        "expected_level": "見込みの要介護度は選択肢の中から指定してください",
        "result_level": "認定結果の要介護度は選択肢の中から指定してください",
        "plan_author": "暫定プランの作成者は選択肢の中から指定してください",
        "special_handling": "特例取扱いは はい か いいえ で指定してください",
    }


def test_bad_route_parameter() -> None:
    inputs = {"expected_level": "kaigo2", "result_level": "kaigo2", "plan_author": "office"}
    with pytest.raises(ValidationError) as caught:
        provisional_outcome(inputs, {"provisional_outcome_route": "suzuka"})
    assert caught.value.details == {
        "provisional_outcome_route": "provisional_outcome_route は national, minor, preagreed のいずれかです"
    }
