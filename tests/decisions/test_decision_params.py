"""The decisions read the real municipality.toml parameters as each municipality means them (DOMAIN §13)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.process_library.loader import Library
from handlers.decisions.equipment_exception import equipment_exception
from handlers.decisions.monitoring_requirement import monitoring_requirement
from handlers.decisions.provisional_outcome import provisional_outcome
from handlers.decisions.special_handling import special_handling

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
MUNICIPALITIES = ["suzuka-kameyama", "city-a", "toyokawa", "oshu", "maebashi"]


def params(key: str) -> dict[str, Any]:
    return dict(Library(PROCESSES).municipality(key).params)


@pytest.mark.parametrize("key", MUNICIPALITIES)
def test_equipment_a2_consultation(key: str) -> None:
    out = equipment_exception(
        {"care_level": "shien1", "equipment_item": "wheelchair", "mobility_support_needed": True}, params(key)
    )
    expected = "consultation" if key == "suzuka-kameyama" else "care_manager_judgement"
    assert out["exception_route"] == expected


@pytest.mark.parametrize("key", MUNICIPALITIES)
def test_special_handling_only_in_suzuka_kameyama(key: str) -> None:
    inputs = {"application_date": "2026-02-28", "certification_end": "2026-03-31", "result_date": "2026-04-10"}
    assert special_handling(inputs, params(key)) == {"special_handling_eligible": key == "suzuka-kameyama"}


@pytest.mark.parametrize(
    "key, expected",
    [
        ("suzuka-kameyama", "confirm_minor"),
        ("maebashi", "confirm"),
        ("city-a", "redo_plan"),
        ("toyokawa", "redo_plan"),
        ("oshu", "redo_plan"),
    ],
)
def test_provisional_outcome_route(key: str, expected: str) -> None:
    inputs = {
        "expected_level": "kaigo2",
        "result_level": "kaigo2",
        "plan_author": "office",
        "confirmation_preagreed": True,
    }
    assert provisional_outcome(inputs, params(key)) == {"outcome": expected}


@pytest.mark.parametrize("key", MUNICIPALITIES)
def test_start_month_home_visit(key: str) -> None:
    inputs = {
        "care_level": "shien1",
        "plan_start": "2026-04-01",
        "month": "2026-04",
        "evaluation_month": "2026-09",
    }
    out = monitoring_requirement(inputs, params(key))
    assert out["home_visit_required"] is (key == "suzuka-kameyama")
