"""checklist_assessment: every flag at its threshold and just below, BMI at 18.5, and bad inputs in Japanese."""

from __future__ import annotations

import pytest

from engine.errors import ValidationError
from handlers.decisions.checklist_assessment import checklist_assessment

NONE_COUNT = [1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]
"""Answers under which no item counts (該当なし): はい where いいえ counts, and いいえ elsewhere."""
HEALTHY = {"height_cm": 160, "weight_kg": 55}  # BMI 21.5


def flip(*items: int) -> list[int]:
    """Make the given items (1-based) count."""
    answers = list(NONE_COUNT)
    for item in items:
        answers[item - 1] = 1 - answers[item - 1]
    return answers


def decide(answers, **body):
    return checklist_assessment({"checklist": answers, **(body or HEALTHY)}, {})


def flags(answers, **body):
    return decide(answers, **body)["checklist_flags"]


@pytest.mark.parametrize(
    "flag, meets, misses",
    [
        ("motor", (6, 7, 8), (6, 7)),
        ("motor", (8, 9, 10), (9, 10)),
        ("oral", (13, 14), (15,)),
        ("housebound", (16,), (17,)),  # item 17 alone does not count
        ("cognitive", (20,), ()),
        ("cognitive", (18,), ()),
        ("depression", (21, 25), (23,)),
        ("overall", tuple(range(1, 11)), tuple(range(1, 10))),
    ],
)
def test_each_flag_at_its_threshold_and_just_below(flag, meets, misses):
    assert flags(flip(*meets))[flag] is True
    assert flags(flip(*misses))[flag] is False


def test_nutrition_needs_weight_loss_and_low_bmi_together():
    thin = {"height_cm": 160, "weight_kg": 47}  # BMI 18.36
    assert flags(flip(11), **thin)["nutrition"] is True
    assert flags(flip(11))["nutrition"] is False  # BMI 21.5
    assert flags(NONE_COUNT, **thin)["nutrition"] is False  # no weight loss


def test_bmi_of_exactly_18_5_does_not_count():
    # 74 kg at 200 cm is BMI 18.5 exactly (binary-exact): not < 18.5. A gram less is.
    assert flags(flip(11), height_cm=200, weight_kg=74)["nutrition"] is False
    assert flags(flip(11), height_cm=200, weight_kg=73.99)["nutrition"] is True


def test_raw_answer_to_item_12_is_ignored():
    assert decide(flip(12)) == decide(NONE_COUNT)


def test_program_eligible_when_any_flag_and_counts_per_program():
    assert decide(NONE_COUNT)["program_eligible"] is False
    result = decide(flip(6, 7, 8, 13))
    assert result["program_eligible"] is True
    assert result["checklist_counts"] == {
        "motor": 3,
        "nutrition": 0,
        "oral": 1,
        "housebound": 0,
        "cognitive": 0,
        "depression": 0,
    }


def test_form_answers_are_read_when_checklist_is_absent():
    result = checklist_assessment({"answers": flip(16), **HEALTHY}, {})
    assert result["checklist_flags"]["housebound"] is True


@pytest.mark.parametrize(
    "inputs, field, text",
    [
        ({"checklist": [1] * 24, **HEALTHY}, "checklist", "25項目"),
        ({"checklist": [2] * 25, **HEALTHY}, "checklist", "はい(1)/いいえ(0)"),
        ({"checklist": NONE_COUNT, "height_cm": 99, "weight_kg": 50}, "height_cm", "100〜220cm"),
        ({"checklist": NONE_COUNT, "height_cm": 150, "weight_kg": 201}, "weight_kg", "20〜200kg"),
        ({"checklist": NONE_COUNT}, "height_cm", "身長"),
    ],
)
def test_bad_inputs_are_refused_per_field_in_japanese(inputs, field, text):
    with pytest.raises(ValidationError) as refused:
        checklist_assessment(inputs, {})
    assert text in refused.value.details[field]
