"""certification_result: the new level on the case and where the flow goes (DOMAIN §6.1, §7.4)."""

from __future__ import annotations

from typing import Any

import pytest

from engine.errors import ValidationError
from engine.process_library.decisions import Decisions
from handlers.decisions.certification_result import certification_result


def decide(params: dict[str, Any] | None = None, **inputs: Any) -> dict[str, Any]:
    decisions = Decisions({}, {"certification_result": certification_result}, params or {})
    base = {
        "result_date": "2027-03-15",
        "certification_start": "2027-04-01",
        "certification_end": "2028-03-31",
        "application_type": "renewal",
        "application_date": "2027-02-15",
        "previous_certification_end": "2027-03-31",
    }
    return decisions.decide("certification_result", {**base, **inputs})


@pytest.mark.parametrize(
    "previous, result, change, handover_to, benefit",
    [
        ("shien2", "shien1", "same", "none", "preventive"),
        ("kaigo1", "kaigo3", "same", "none", "care"),
        ("jigyo", "jigyo", "same", "none", "program"),
        ("shien1", "kaigo1", "to_care", "office", "care"),
        ("jigyo", "kaigo2", "to_care", "office", "care"),
        ("kaigo2", "shien2", "to_preventive", "center", "preventive"),
        ("kaigo1", "jigyo", "to_preventive", "center", "program"),
        ("shien1", "jigyo", "benefit_changed", "none", "program"),
        ("jigyo", "shien1", "benefit_changed", "none", "preventive"),
        ("shien1", "higaito", "higaito", "none", "none"),
        ("kaigo1", "higaito", "higaito", "none", "none"),
    ],
)
def test_categories(previous: str, result: str, change: str, handover_to: str, benefit: str) -> None:
    out = decide(previous_care_level=previous, result_level=result)
    assert out["care_level"] == result
    assert out["category_change"] == change
    assert out["handover_to"] == handover_to
    assert out["current_benefit"] == benefit
    assert out["level_changed"] is (previous != result)


def test_program_only_client_keeps_program_benefit() -> None:
    out = decide(previous_care_level="shien2", result_level="shien1", previous_benefit="program")
    assert out["current_benefit"] == "program"


def test_previous_level_falls_back_to_care_level_and_lateness() -> None:
    out = decide(care_level="shien1", result_level="shien1", result_date="2027-04-10")
    assert out["previous_care_level"] == "shien1"
    assert out["result_in_time"] is False
    assert decide(care_level="shien1", result_level="shien1", result_date="2027-03-31")["result_in_time"] is True


def test_higaito_needs_no_period_and_oshu_switch_passes_through() -> None:
    out = decide(
        {"notify_on_handling_change": True},
        previous_care_level="shien1",
        result_level="higaito",
        certification_start=None,
        certification_end=None,
    )
    assert out["category_change"] == "higaito"
    assert out["notify_on_handling_change"] is True
    assert decide(previous_care_level="shien1", result_level="shien1")["notify_on_handling_change"] is False


@pytest.mark.parametrize(
    "inputs, field, text",
    [
        ({"certification_end": "2027-03-01"}, "certification_end", "開始日"),
        ({"result_date": "2027-02-01"}, "result_date", "申請日"),
        ({"certification_start": "2027-04-02"}, "certification_start", "2027-04-01"),
        ({"certification_start": None}, "certification_start", "入力"),
        ({"result_level": "kaigo6"}, "result_level", "選択肢の中から"),
        ({"previous_care_level": "pending"}, "previous_care_level", "選択肢の中から"),
    ],
)
def test_bad_entries_are_refused_on_their_field(inputs: dict[str, Any], field: str, text: str) -> None:
    with pytest.raises(ValidationError) as info:
        decide(**{"previous_care_level": "shien2", "result_level": "shien1", **inputs})
    assert text in info.value.details[field]


def test_level_change_period_starts_at_the_application() -> None:
    out = decide(
        application_type="level_change",
        application_date="2026-10-01",
        previous_care_level="shien1",
        result_level="shien2",
        result_date="2026-11-10",
        certification_start="2026-10-01",
        certification_end="2027-09-30",
        previous_certification_end="2028-03-31",
    )
    assert out["category_change"] == "same"
