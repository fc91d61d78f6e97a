"""certification_application: the renewal / level-change window and dates (DOMAIN §6.2, §8.4, §11.6)."""

from __future__ import annotations

from typing import Any

import pytest

from engine.errors import ValidationError
from engine.process_library.decisions import Decisions
from handlers.decisions.certification_application import certification_application

SUZUKA = {"special_handling": True, "special_handling_min_days": 31, "renewal_support_days": 30}


def decide(params: dict[str, Any] | None = None, **inputs: Any) -> dict[str, Any]:
    decisions = Decisions({}, {"certification_application": certification_application}, params or {})
    base = {"application_type": "renewal", "certification_end": "2027-03-31", "care_level": "shien2"}
    return decisions.decide("certification_application", {**base, **inputs})


def test_renewal_dates_keep_the_previous_values() -> None:
    out = decide(application_date="2027-02-15", certification_start="2026-04-01", delegated=True)
    assert out["renewal_apply_by"] == "2027-03-01"  # 30 days before the end (004:570-572)
    assert out["renewal_ready_from"] == "2027-01-30"  # 60 days before [N]
    assert out["renewal_application_late"] is False
    assert out["application_days_before_end"] == 44
    assert out["result_wait_until"] == "2027-04-01T00:00:00+09:00"  # the day after the end
    assert out["special_handling_apply_by"] is None  # no 特例 outside 鈴鹿亀山
    assert out["previous_care_level"] == "shien2"
    assert out["previous_certification_end"] == "2027-03-31"
    assert out["previous_certification_start"] == "2026-04-01"
    assert out["previous_delegated"] is True
    assert out["previous_benefit"] == out["current_benefit"] == "preventive"


@pytest.mark.parametrize(
    "application_date, late, days",
    [("2027-03-01", False, 30), ("2027-03-02", True, 29), ("2027-03-31", True, 0), ("2027-01-30", False, 60)],
)
def test_thirty_day_support_duty(application_date: str, late: bool, days: int) -> None:
    out = decide(application_date=application_date)
    assert out["renewal_application_late"] is late
    assert out["application_days_before_end"] == days


def test_suzuka_kameyama_advisory_date_and_parameters() -> None:
    out = decide(SUZUKA, application_date="2027-02-28")
    assert out["special_handling_apply_by"] == "2027-02-28"  # 31日以前 (003:856)
    out = decide({"renewal_support_days": 45, "provisional_lead_days": 14}, application_date="2027-02-01")
    assert out["renewal_apply_by"] == "2027-02-14"
    assert out["result_wait_until"] == "2027-03-18T00:00:00+09:00"


@pytest.mark.parametrize("application_date, text", [("2027-04-01", "新規"), ("2027-01-29", "60日前")])
def test_renewal_outside_its_window_is_refused(application_date: str, text: str) -> None:
    with pytest.raises(ValidationError) as info:
        decide(application_date=application_date)
    assert text in info.value.details["application_date"]


def test_level_change_inside_the_validity() -> None:
    out = decide(
        application_type="level_change",
        application_date="2026-10-01",
        certification_start="2026-04-01",
        care_level="kaigo2",
        current_benefit="care",
    )
    assert "renewal_apply_by" not in out and "result_wait_until" not in out
    assert out["previous_care_level"] == "kaigo2" and out["current_benefit"] == "care"
    with pytest.raises(ValidationError) as info:
        decide(application_type="level_change", application_date="2026-03-01", certification_start="2026-04-01")
    assert "有効期間" in info.value.details["application_date"]


def test_bad_inputs_are_named() -> None:
    with pytest.raises(ValidationError) as info:
        decide(application_date="2027/02/01", care_level="higaito", application_type="new")
    assert set(info.value.details) == {"application_date", "care_level", "application_type"}
    with pytest.raises(ValidationError) as info:
        decide({"renewal_support_days": -1}, application_date="2027-02-15")
    assert "renewal_support_days" in info.value.details
