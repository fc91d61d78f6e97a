from __future__ import annotations

from datetime import date

import pytest

from engine.scheduling.deadlines import DueRuleError
from engine.scheduling.deadlines import check
from engine.scheduling.deadlines import due_date
from engine.scheduling.deadlines import parameters

PARAMS = {"results_due_day": 4, "renewal_support_days": 30, "due_date_shift": "none"}


@pytest.mark.parametrize(
    "rule, ready, data, expected",
    [
        ("ready+P14D", date(2026, 5, 1), {}, date(2026, 5, 15)),
        ("month_end", date(2026, 2, 3), {}, date(2026, 2, 28)),
        ("month_end", date(2028, 2, 3), {}, date(2028, 2, 29)),
        ("next_month_day.results_due_day", date(2026, 12, 20), {}, date(2027, 1, 4)),
        ("next_month_day.10", date(2026, 5, 31), {}, date(2026, 6, 10)),
        (
            "data.certification_end-P30D",
            date(2027, 1, 1),
            {"certification_end": "2027-03-31"},
            date(2027, 3, 1),
        ),
        (
            "data.certification_end-P60D",
            date(2027, 1, 1),
            {"certification_end": "2027-03-31"},
            date(2027, 1, 30),
        ),
        (
            "data.certification_end-days.renewal_support_days",
            date(2027, 1, 1),
            {"certification_end": "2027-03-31"},
            date(2027, 3, 1),
        ),
        ("ready+days.results_due_day", date(2026, 5, 1), {}, date(2026, 5, 5)),
        ("data.service_start_date", date(2026, 5, 1), {"service_start_date": "2026-06-01"}, date(2026, 6, 1)),
        ("data.service_start_date", date(2026, 5, 1), {}, None),
        ("ready+P1M", date(2026, 1, 31), {}, date(2026, 2, 28)),
        (None, date(2026, 5, 1), {}, None),
    ],
)
def test_due_dates(rule, ready, data, expected):
    assert due_date(rule, ready, data, PARAMS) == expected


def test_weekend_moves_only_when_the_municipality_says_so():
    saturday = date(2026, 8, 1)
    assert due_date("ready", saturday, {}, PARAMS) == saturday
    shifted = due_date("ready", saturday, {}, {"due_date_shift": "previous_business_day"})
    assert shifted == date(2026, 7, 31)


def test_a_day_count_parameter_must_be_set():
    with pytest.raises(DueRuleError, match="renewal_ready_days"):
        due_date("ready-days.renewal_ready_days", date(2026, 5, 1), {}, PARAMS)
    assert parameters("data.certification_end-days.renewal_support_days") == ["renewal_support_days"]
    assert parameters("next_month_day.results_due_day") == ["results_due_day"]
    assert parameters("next_month_day.10+P1D") == []


@pytest.mark.parametrize("rule", ["ready+14", "tomorrow", "ready+P1X", "data", "ready+days", "ready+days."])
def test_bad_rules_are_explained_in_japanese(rule):
    message = check(rule)
    assert message and "期限ルール" in message
