"""基本チェックリスト: the checklist_assessment decision and the form handler around it.

Every flag at its threshold and just below, BMI at exactly 18.5, bad input refused in Japanese.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

import handlers
from engine.errors import ValidationError
from engine.process_library.forms import FormContext
from handlers.basic_checklist import BasicChecklist
from handlers.decisions.checklist_assessment import checklist_assessment

NONE_COUNT = [1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]
"""Answers under which no item counts (該当なし): はい where いいえ counts, いいえ elsewhere."""
HEALTHY = {"height_cm": 160, "weight_kg": 55}  # BMI 21.4
THIN = {"height_cm": 160, "weight_kg": 47}  # BMI 18.36
FLAGS = {"motor", "nutrition", "oral", "housebound", "cognitive", "depression", "overall"}
PROGRAMS = {
    "motor": (6, 10),
    "nutrition": (11, 12),
    "oral": (13, 15),
    "housebound": (16, 17),
    "cognitive": (18, 20),
    "depression": (21, 25),
}
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def counting(*items: int) -> list[int]:
    """Answers under which exactly the given items (1-based) count."""
    answers = list(NONE_COUNT)
    for item in items:
        answers[item - 1] = 1 - answers[item - 1]
    return answers


def decide(answers: list[int], body: dict[str, float] | None = None) -> dict:
    return checklist_assessment({"checklist": answers, **(body or HEALTHY)}, {})


def flags(answers: list[int], body: dict[str, float] | None = None) -> dict[str, bool]:
    return decide(answers, body)["checklist_flags"]


def test_no_item_counts_under_the_baseline():
    result = decide(NONE_COUNT)
    assert result["checklist_flags"] == dict.fromkeys(FLAGS, False)
    assert result["program_eligible"] is False
    assert set(result["checklist_counts"].values()) == {0}


@pytest.mark.parametrize(
    "flag, at_threshold, just_below",
    [
        ("motor", (6, 7, 8), (6, 7)),
        ("motor", (8, 9, 10), (9, 10)),
        ("oral", (13, 14), (15,)),
        ("oral", (14, 15), (13,)),
        ("housebound", (16,), (17,)),  # item 17 alone does not count
        ("cognitive", (18,), ()),
        ("cognitive", (19,), ()),
        ("cognitive", (20,), ()),
        ("depression", (21, 25), (23,)),
        ("depression", (22, 24), (21,)),
        ("overall", (1, 2, 3, 4, 5, 6, 7, 11, 13, 17), (1, 2, 3, 4, 5, 6, 7, 11, 13)),
    ],
)
def test_each_flag_at_its_threshold_and_just_below(flag, at_threshold, just_below):
    assert flags(counting(*at_threshold))[flag] is True
    assert flags(counting(*just_below))[flag] is False


def test_items_count_on_the_answer_the_national_form_says():
    # いいえ counts for 1-8, 16, 19; はい for the others (DOMAIN.md §3.2)
    for item in range(1, 26):
        if item == 12:
            continue
        answers = [0] * 25
        answers[item - 1] = 1
        yes_counts = decide(answers)["checklist_counts"]
        answers[item - 1] = 0
        no_counts = decide(answers)["checklist_counts"]
        program = next((name for name, (a, b) in PROGRAMS.items() if a <= item <= b), None)
        if program is None:  # items 1-5 feed only the overall flag
            continue
        counts_on_no = item in {6, 7, 8, 16, 19}
        assert no_counts[program] - yes_counts[program] == (1 if counts_on_no else -1), item


def test_nutrition_needs_weight_loss_and_a_low_bmi_together():
    assert flags(counting(11), THIN)["nutrition"] is True
    assert flags(counting(11), HEALTHY)["nutrition"] is False
    assert flags(NONE_COUNT, THIN)["nutrition"] is False
    assert decide(NONE_COUNT, THIN)["checklist_counts"]["nutrition"] == 1  # item 12 by BMI


@pytest.mark.parametrize(
    "height_cm, weight_kg, low",
    [
        (200, 74, False),  # BMI 18.5 exactly: not < 18.5
        (200, 73.99, True),
        (160, 47.36, False),  # 18.5 exactly, though floating point says 18.499999999999996
        (170, 53.465, False),
        (170, 53.46, True),
    ],
)
def test_bmi_of_exactly_18_5_does_not_count(height_cm, weight_kg, low):
    body = {"height_cm": height_cm, "weight_kg": weight_kg}
    assert flags(counting(11), body)["nutrition"] is low


def test_the_raw_answer_to_item_12_is_ignored():
    assert decide(counting(12)) == decide(NONE_COUNT)
    assert decide(counting(12), THIN) == decide(NONE_COUNT, THIN)


def test_counts_per_program_and_eligibility():
    result = decide(counting(6, 7, 8, 13, 16, 17, 21), THIN)
    assert result["checklist_counts"] == {
        "motor": 3,
        "nutrition": 1,
        "oral": 1,
        "housebound": 2,
        "cognitive": 0,
        "depression": 1,
    }
    assert result["checklist_flags"]["motor"] and result["checklist_flags"]["housebound"]
    assert result["program_eligible"] is True


@pytest.mark.parametrize("flag_items", [(6, 7, 8), (13, 14), (16,), (18,), (21, 22)])
def test_any_single_flag_makes_the_client_eligible(flag_items):
    assert decide(counting(*flag_items))["program_eligible"] is True


def test_the_outputs_are_exactly_the_contract_ones():
    result = decide(NONE_COUNT)
    assert set(result) == {"checklist_flags", "program_eligible", "checklist_counts"}
    assert set(result["checklist_flags"]) == FLAGS
    assert all(isinstance(v, bool) for v in result["checklist_flags"].values())
    assert set(result["checklist_counts"]) == FLAGS - {"overall"}


def test_the_form_answers_are_read_when_checklist_is_absent():
    assert checklist_assessment({"answers": counting(16), **HEALTHY}, {})["checklist_flags"]["housebound"]


def test_checklist_wins_over_answers():
    result = checklist_assessment({"checklist": counting(16), "answers": NONE_COUNT, **HEALTHY}, {})
    assert result["checklist_flags"]["housebound"] is True


@pytest.mark.parametrize(
    "inputs, field, text",
    [
        ({"checklist": [1] * 24, **HEALTHY}, "checklist", "25項目すべて"),
        ({"checklist": [1] * 26, **HEALTHY}, "checklist", "回答は26項目"),
        ({"checklist": [2] + [1] * 24, **HEALTHY}, "checklist", "No.1"),
        ({"checklist": [True] * 25, **HEALTHY}, "checklist", "はい(1)/いいえ(0)"),
        ({"checklist": ["1"] * 25, **HEALTHY}, "checklist", "はい(1)/いいえ(0)"),
        ({"checklist": "1" * 25, **HEALTHY}, "checklist", "一覧"),
        ({**HEALTHY}, "checklist", "入力してください"),
        ({"answers": [1] * 3, **HEALTHY}, "answers", "25項目すべて"),
        ({"checklist": NONE_COUNT, "height_cm": 99.9, "weight_kg": 50}, "height_cm", "100〜220cm"),
        ({"checklist": NONE_COUNT, "height_cm": 220.1, "weight_kg": 50}, "height_cm", "100〜220cm"),
        ({"checklist": NONE_COUNT, "height_cm": "160", "weight_kg": 50}, "height_cm", "数値"),
        (
            {"checklist": NONE_COUNT, "height_cm": float("nan"), "weight_kg": 50},
            "height_cm",
            "数値",
        ),
        ({"checklist": NONE_COUNT, "height_cm": 160, "weight_kg": 19.9}, "weight_kg", "20〜200kg"),
        ({"checklist": NONE_COUNT, "height_cm": 160, "weight_kg": 200.5}, "weight_kg", "20〜200kg"),
        ({"checklist": NONE_COUNT, "height_cm": 160, "weight_kg": True}, "weight_kg", "数値"),
        ({"checklist": NONE_COUNT, "height_cm": 160}, "weight_kg", "体重"),
    ],
)
def test_bad_inputs_are_refused_per_field_in_japanese(inputs, field, text):
    with pytest.raises(ValidationError) as refused:
        checklist_assessment(inputs, {})
    assert text in refused.value.details[field]
    assert JAPANESE.search(refused.value.message)


def test_every_bad_input_is_reported_at_once():
    with pytest.raises(ValidationError) as refused:
        checklist_assessment({"checklist": [1], "height_cm": 90, "weight_kg": 300}, {})
    assert set(refused.value.details) == {"checklist", "height_cm", "weight_kg"}


@pytest.mark.parametrize("body", [{"height_cm": 100, "weight_kg": 20}, {"height_cm": 220, "weight_kg": 200}])
def test_the_ranges_include_their_ends(body):
    assert decide(counting(11), body)["checklist_flags"]["nutrition"] is False  # BMI 20.0 and 41.3


# -- the form handler ------------------------------------------------------------------------------

CONTEXT = FormContext(today=date(2026, 5, 18), municipality="suzuka-kameyama")


def submission(answers: list[int], **body: float) -> dict:
    return {
        "filled_date": "2026-05-18",
        "filled_by": "self",
        "answers": answers,
        **(body or HEALTHY),
    }


def test_the_registry_uses_the_handler_and_the_decision():
    assert isinstance(handlers.form_handlers()["basic_checklist"], BasicChecklist)
    assert handlers.python_decisions()["checklist_assessment"] is checklist_assessment


def test_the_handler_derives_the_decision_outputs_and_the_bmi():
    derived = BasicChecklist().derive(submission(counting(6, 7, 8), height_cm=150, weight_kg=48), CONTEXT)
    assert set(derived) == {"checklist_flags", "program_eligible", "checklist_counts", "bmi"}
    assert derived["checklist_flags"]["motor"] is True
    assert derived["checklist_counts"]["motor"] == 3
    assert derived["program_eligible"] is True
    assert derived["bmi"] == 21.3  # 48 / 1.5 / 1.5 = 21.33


def test_a_bmi_that_counts_never_shows_as_18_5():
    derived = BasicChecklist().derive(submission(counting(11), height_cm=200, weight_kg=73.99), CONTEXT)
    assert derived["checklist_flags"]["nutrition"] is True
    assert derived["bmi"] == 18.4  # 18.4975 is cut, not rounded up to 18.5


def test_the_handler_reports_the_decision_problems_on_the_form_fields():
    errors = BasicChecklist().validate(submission([1] * 20, height_cm=90, weight_kg=50), CONTEXT)
    assert set(errors) == {"answers", "height_cm"}
    assert "25項目" in errors["answers"]
    assert BasicChecklist().validate(submission(NONE_COUNT), CONTEXT) == {}
