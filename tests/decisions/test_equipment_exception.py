"""equipment_exception: DOMAIN §9.4 / §10.2 (別紙1, 003:1091-1104 = 004:1296-1393)."""

from __future__ import annotations

from typing import Any

import pytest

from engine.errors import ValidationError
from engine.process_library.decisions import Decisions
from handlers.decisions.equipment_exception import equipment_exception

ITEMS = (
    "wheelchair",
    "special_bed",
    "pressure_mattress",
    "positioning_device",
    "wandering_sensor",
    "transfer_lift",
    "auto_excretion",
)
LEVELS = ("shien1", "shien2", "kaigo1", "kaigo2", "kaigo3", "kaigo4", "kaigo5")
SUZUKA = {"require_consultation_for_a2_o3": True}


def decide(params: dict[str, Any] | None = None, **inputs: Any) -> dict[str, Any]:
    decisions = Decisions({}, {"equipment_exception": equipment_exception}, params or {})
    return decisions.decide("equipment_exception", inputs)


def route(params: dict[str, Any] | None = None, **inputs: Any) -> tuple[bool, str, bool]:
    out = decide(params, **inputs)
    assert set(out) == {"equipment_restricted", "exception_route", "consultation_required"}
    return out["equipment_restricted"], out["exception_route"], out["consultation_required"]


def _restricted(item: str, level: str) -> bool:
    return level in ("shien1", "shien2", "kaigo1") or (item == "auto_excretion" and level in ("kaigo2", "kaigo3"))


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("item", ITEMS)
def test_restricted_levels_for_every_item(item: str, level: str) -> None:
    # No survey evidence, no doctor finding: a restricted item is ineligible, an unrestricted one is free to rent.
    expected = (True, "ineligible", False) if _restricted(item, level) else (False, "not_restricted", False)
    assert route(care_level=level, equipment_item=item) == expected


@pytest.mark.parametrize(
    "level, expected",
    [
        ("kaigo1", True),
        ("kaigo2", True),  # カ 自動排泄処理装置 is restricted up to 要介護3 (003:1023, 1183)
        ("kaigo3", True),
        ("kaigo4", False),
        ("kaigo5", False),
    ],
)
def test_auto_excretion_restricted_through_kaigo3(level: str, expected: bool) -> None:
    assert decide(care_level=level, equipment_item="auto_excretion")["equipment_restricted"] is expected
    assert decide(care_level=level, equipment_item="special_bed")["equipment_restricted"] is (level == "kaigo1")


@pytest.mark.parametrize("level", ["jigyo", "higaito"])
@pytest.mark.parametrize("item", [*ITEMS, "handrail"])
def test_program_clients_and_higaito_are_ineligible(level: str, item: str) -> None:
    survey = {"1-3": 3, "1-4": 3, "1-7": 3, "1-8": 3, "2-1": 4, "2-6": 4}
    assert route(care_level=level, equipment_item=item, survey=survey, doctor_finding="i") == (
        True,
        "ineligible",
        False,
    )


@pytest.mark.parametrize("item", ["handrail", "slope", "walker", "walking_stick", "lift_sling", "urine_only_device"])
@pytest.mark.parametrize("level", ["shien1", "kaigo1"])
def test_items_outside_a_to_ka_are_not_restricted(item: str, level: str) -> None:
    assert route(care_level=level, equipment_item=item) == (False, "not_restricted", False)


NORMAL_COGNITION = {
    "3-1": 1,
    **{f"3-{n}": 1 for n in range(2, 8)},
    "3-8": 1,
    "3-9": 1,
    **{f"4-{n}": 1 for n in range(1, 16)},
}


@pytest.mark.parametrize(
    "item, survey, dementia, match",
    [
        # ア(一) 歩行: 1-7 = 3
        ("wheelchair", {"1-7": 3}, False, True),
        ("wheelchair", {"1-7": 2}, False, False),
        ("wheelchair", {"1-3": 3, "1-4": 3}, False, False),
        # イ 特殊寝台: 1-4 = 3 or 1-3 = 3
        ("special_bed", {"1-4": 3}, False, True),
        ("special_bed", {"1-3": 3}, False, True),
        ("special_bed", {"1-3": 2, "1-4": 2}, False, False),
        # ウ 床ずれ防止用具・体位変換器: 1-3 = 3 only (1-4 does not count)
        ("pressure_mattress", {"1-3": 3}, False, True),
        ("pressure_mattress", {"1-4": 3}, False, False),
        ("positioning_device", {"1-3": 3}, False, True),
        ("positioning_device", {"1-4": 3, "1-3": 2}, False, False),
        # エ 徘徊感知機器: (一) any of the cognition/behaviour answers or the doctor's note, and (二) 2-2 != 4
        ("wandering_sensor", {"3-1": 2, "2-2": 1}, False, True),
        ("wandering_sensor", {**NORMAL_COGNITION, "3-4": 2, "2-2": 3}, False, True),
        ("wandering_sensor", {**NORMAL_COGNITION, "3-7": 2, "2-2": 2}, False, True),
        ("wandering_sensor", {**NORMAL_COGNITION, "3-8": 2, "2-2": 1}, False, True),
        ("wandering_sensor", {**NORMAL_COGNITION, "3-9": 3, "2-2": 1}, False, True),
        ("wandering_sensor", {**NORMAL_COGNITION, "4-1": 2, "2-2": 1}, False, True),
        ("wandering_sensor", {**NORMAL_COGNITION, "4-15": 3, "2-2": 1}, False, True),
        ("wandering_sensor", {**NORMAL_COGNITION, "2-2": 2}, True, True),  # 主治医意見書に認知症の記載
        ("wandering_sensor", {**NORMAL_COGNITION, "2-2": 1}, False, False),
        ("wandering_sensor", {"3-1": 4, "2-2": 4}, False, False),  # (二) fails: 移動が全介助
        ("wandering_sensor", {"3-1": 2}, False, False),  # (二) unanswered confirms nothing
        ("wandering_sensor", {"2-2": 1}, True, True),
        ("wandering_sensor", {"2-2": 4}, True, False),
        # オ 移動用リフト: 1-8 = 3 or 2-1 in {3, 4}
        ("transfer_lift", {"1-8": 3}, False, True),
        ("transfer_lift", {"2-1": 3}, False, True),
        ("transfer_lift", {"2-1": 4}, False, True),
        ("transfer_lift", {"1-8": 2, "2-1": 2}, False, False),
        # カ 自動排泄処理装置: 2-6 = 4 and 2-1 = 4
        ("auto_excretion", {"2-6": 4, "2-1": 4}, False, True),
        ("auto_excretion", {"2-6": 4, "2-1": 3}, False, False),
        ("auto_excretion", {"2-6": 3, "2-1": 4}, False, False),
        ("auto_excretion", {"2-6": 4}, False, False),
    ],
)
def test_survey_rules_of_bessi1(item: str, survey: dict[str, int], dementia: bool, match: bool) -> None:
    expected = (True, "survey_match", False) if match else (True, "ineligible", False)
    assert route(care_level="shien2", equipment_item=item, survey=survey, dementia_noted_by_doctor=dementia) == (
        expected
    )


@pytest.mark.parametrize("level", ["kaigo2", "kaigo3", "shien1"])
def test_auto_excretion_survey_match_at_kaigo2_and_3(level: str) -> None:
    out = route(care_level=level, equipment_item="auto_excretion", survey={"2-6": 4, "2-1": 4})
    assert out == (True, "survey_match", False)


def test_survey_answers_as_digit_strings_and_unrelated_items_are_accepted() -> None:
    survey = {"1-7": "3", "5-1": 9, "2-3": 1}
    assert route(care_level="kaigo1", equipment_item="wheelchair", survey=survey) == (True, "survey_match", False)


@pytest.mark.parametrize(
    "item, flag",
    [("wheelchair", "mobility_support_needed"), ("transfer_lift", "step_removal_needed")],
)
def test_a2_and_o3_need_consultation_only_where_the_municipality_says_so(item: str, flag: str) -> None:
    inputs = {"care_level": "shien1", "equipment_item": item, flag: True}
    assert route(**inputs) == (True, "care_manager_judgement", False)  # national / 前橋 004:1266-1270
    assert route({"require_consultation_for_a2_o3": False}, **inputs) == (True, "care_manager_judgement", False)
    assert route(SUZUKA, **inputs) == (True, "consultation", True)  # 鈴鹿亀山 003:1039-1047


def test_a2_o3_flags_only_apply_to_their_own_item() -> None:
    assert route(SUZUKA, care_level="shien1", equipment_item="transfer_lift", mobility_support_needed=True) == (
        True,
        "ineligible",
        False,
    )
    assert route(SUZUKA, care_level="shien1", equipment_item="wheelchair", step_removal_needed=True) == (
        True,
        "ineligible",
        False,
    )
    assert route(SUZUKA, care_level="shien1", equipment_item="special_bed", mobility_support_needed=True) == (
        True,
        "ineligible",
        False,
    )


def test_survey_match_comes_before_a2_consultation() -> None:
    out = route(
        SUZUKA, care_level="kaigo1", equipment_item="wheelchair", survey={"1-7": 3}, mobility_support_needed=True
    )
    assert out == (True, "survey_match", False)


@pytest.mark.parametrize("finding", ["i", "ii", "iii"])
@pytest.mark.parametrize("item", ITEMS)
def test_doctor_findings_need_consultation(finding: str, item: str) -> None:
    assert route(care_level="kaigo1", equipment_item=item, doctor_finding=finding) == (True, "consultation", True)


@pytest.mark.parametrize("finding", ["none", None, ""])
def test_no_doctor_finding_is_ineligible(finding: str | None) -> None:
    assert route(care_level="kaigo1", equipment_item="special_bed", doctor_finding=finding) == (
        True,
        "ineligible",
        False,
    )


def test_doctor_finding_at_kaigo2_for_auto_excretion_and_irrelevant_at_kaigo4() -> None:
    assert route(care_level="kaigo2", equipment_item="auto_excretion", doctor_finding="ii") == (
        True,
        "consultation",
        True,
    )
    assert route(care_level="kaigo4", equipment_item="auto_excretion", doctor_finding="ii") == (
        False,
        "not_restricted",
        False,
    )
    assert route(care_level="kaigo2", equipment_item="special_bed", doctor_finding="ii") == (
        False,
        "not_restricted",
        False,
    )


def test_a2_judgement_comes_before_a_doctor_finding() -> None:
    inputs = {"care_level": "shien2", "equipment_item": "wheelchair", "mobility_support_needed": True}
    assert route(doctor_finding="iii", **inputs) == (True, "care_manager_judgement", False)


def test_pending_certification_uses_the_expected_level() -> None:
    assert route(care_level="pending", expected_level="kaigo1", equipment_item="special_bed", survey={"1-4": 3}) == (
        True,
        "survey_match",
        False,
    )
    assert route(care_level="pending", expected_level="kaigo4", equipment_item="special_bed") == (
        False,
        "not_restricted",
        False,
    )


def test_extra_instance_data_is_ignored() -> None:
    out = decide(care_level="kaigo5", equipment_item="special_bed", insured_number="0123456789", delegated=True)
    assert out == {"equipment_restricted": False, "exception_route": "not_restricted", "consultation_required": False}


# -- bad input ---------------------------------------------------------------------------------------------------


def details(params: dict[str, Any] | None = None, **inputs: Any) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        decide(params, **inputs)
    assert caught.value.message == "判定「equipment_exception」の入力が正しくありません"
    return caught.value.details


def test_missing_inputs() -> None:
    assert details() == {
        "care_level": "要介護度を入力してください",
        "equipment_item": "福祉用具の種目を入力してください",
    }


def test_unknown_care_level() -> None:
    assert details(care_level="kaigo6", equipment_item="special_bed") == {
        "care_level": "要介護度は選択肢の中から指定してください"
    }


def test_pending_without_expected_level() -> None:
    assert details(care_level="pending", equipment_item="special_bed") == {
        "expected_level": "見込みの要介護度(申請中のときは見込みで判定します)を入力してください"
    }
    assert details(care_level="pending", expected_level="higaito", equipment_item="special_bed") == {
        "expected_level": "見込みの要介護度(申請中のときは見込みで判定します)は選択肢の中から指定してください"
    }


def test_bad_survey_answers() -> None:
    assert details(care_level="shien1", equipment_item="special_bed", survey={"1-3": 4, "3-2": 3, "2-1": 0}) == {
        "survey.1-3": "認定調査 基本調査 1-3(寝返り)の回答は 1〜3 の番号です",
        "survey.3-2": "認定調査 基本調査 3-2(毎日の日課を理解)の回答は 1〜2 の番号です",
        "survey.2-1": "認定調査 基本調査 2-1(移乗)の回答は 1〜4 の番号です",
    }
    assert details(care_level="shien1", equipment_item="special_bed", survey=[3, 3]) == {
        "survey": '認定調査の回答(survey)は {"1-3": 3, …} の形で指定してください'
    }
    assert details(care_level="shien1", equipment_item="special_bed", survey={"1-4": True}) == {
        "survey.1-4": "認定調査 基本調査 1-4(起き上がり)の回答は 1〜3 の番号です"
    }


def test_bad_flags_and_finding() -> None:
    assert details(
        care_level="shien1",
        equipment_item="wheelchair",
        mobility_support_needed="yes",
        doctor_finding="iv",
        equipment_item_note=None,
    ) == {
        "mobility_support_needed": "ア(二) 移動の支援が特に必要は はい か いいえ で指定してください",
        "doctor_finding": "医師の医学的所見は選択肢の中から指定してください",
    }
    assert details(care_level="shien1", equipment_item="  ") == {
        "equipment_item": "福祉用具の種目は文字列で指定してください"
    }


def test_bad_parameter() -> None:
    with pytest.raises(ValidationError) as caught:
        decide({"require_consultation_for_a2_o3": "yes"}, care_level="shien1", equipment_item="wheelchair")
    assert "require_consultation_for_a2_o3" in caught.value.message
