"""The three small DMN tables of the 暫定ケアプラン flow: provisional_assignment, special_handling_flag and
provisional_settlement (processes/common/decisions/), evaluated by the engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.errors import ValidationError
from engine.process_library.decisions import Decisions

DECISIONS = Path(__file__).resolve().parents[2] / "processes" / "common" / "decisions"


def decide(name: str, **inputs: Any) -> dict[str, Any]:
    source = (DECISIONS / f"{name}.dmn").read_text(encoding="utf-8")
    return Decisions({name: source}, {}, {}).decide(name, inputs)


@pytest.mark.parametrize(
    ("author", "delegates", "was_delegated", "planner", "delegated"),
    [
        ("office", False, False, "office", False),  # the office's own 居宅介護支援: no delegation appears
        ("office", True, True, "office", True),  # a delegated case stays delegated until the result
        ("center", True, False, "office", True),
        ("center", False, True, "center", False),
    ],
)
def test_the_planner_follows_the_author(
    author: str, delegates: bool, was_delegated: bool, planner: str, delegated: bool
) -> None:
    out = decide("provisional_assignment", plan_author=author, center_delegates=delegates, delegated=was_delegated)
    assert out == {"planner": planner, "delegated": delegated, "provisional": True}


def test_an_unknown_author_is_refused_in_japanese() -> None:
    with pytest.raises(ValidationError) as caught:
        decide("provisional_assignment", plan_author="insurer", center_delegates=False)
    assert "plan_author" in caught.value.details


@pytest.mark.parametrize(
    ("eligible", "received", "result_date", "expected"),
    [
        (True, True, "2026-04-20", True),  # applied 31+ days before, received, result after the old validity
        (True, True, "2026-04-01", True),  # decided on the first day of the new validity: still late
        (True, True, "2026-03-31", False),  # decided within the old validity: no 暫定 plan was needed
        (True, False, "2026-04-20", False),
        (False, True, "2026-04-20", False),
    ],
)
def test_special_handling_needs_all_three_conditions(
    eligible: bool, received: bool, result_date: str, expected: bool
) -> None:
    out = decide(
        "special_handling_flag",
        special_handling_eligible=eligible,
        special_handling_received=received,
        result_date=result_date,
        certification_start="2026-04-01",
    )
    assert out == {"special_handling": expected}


@pytest.mark.parametrize(
    ("level", "benefit"),
    [("kaigo1", "care"), ("kaigo5", "care"), ("shien1", "preventive"), ("shien2", "preventive"), ("higaito", "none")],
)
def test_settlement_ends_the_provisional_state_and_records_the_result(level: str, benefit: str) -> None:
    out = decide("provisional_settlement", result_level=level)
    assert out == {"provisional": False, "care_level": level, "current_benefit": benefit}


def test_settlement_refuses_a_pending_result() -> None:
    with pytest.raises(ValidationError):
        decide("provisional_settlement", result_level="pending")
