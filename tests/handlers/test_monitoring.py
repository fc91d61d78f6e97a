"""モニタリング: method and home visit agree, the record fits its month, 特段の事情 when due."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from engine.process_library.forms import FormContext
from handlers.monitoring import Monitoring

FORMS = Path(__file__).resolve().parents[2] / "processes" / "common" / "forms"
RECORD = json.loads((FORMS / "monitoring.schema.json").read_text(encoding="utf-8"))["examples"][0]
"""June 2026, a home visit on 2026-06-15."""


def check(data: dict | None = None, **changes: object) -> dict[str, str]:
    context = FormContext(today=date(2026, 6, 30), municipality="suzuka-kameyama", data=data or {"month": "2026-06"})
    return Monitoring().validate({**RECORD, **changes}, context)


def test_the_example_is_accepted():
    assert check() == {}


@pytest.mark.parametrize(
    "method, visited, ok",
    [
        ("home_visit", True, True),
        ("home_visit", False, False),
        ("phone", False, True),
        ("phone", True, False),
        ("video", False, True),
        ("video", True, False),  # a video call is never a home visit
        ("other_visit", False, True),
        ("other_visit", True, False),  # nor is a meeting at the day service
    ],
)
def test_the_method_and_the_home_visit_agree(method, visited, ok):
    errors = check(contact_method=method, home_visit=visited)
    assert (errors == {}) is ok
    if not ok:
        assert set(errors) == {"home_visit"}


def test_the_record_is_for_the_month_of_the_duty():
    errors = check({"month": "2026-07"})
    assert "2026年7月" in errors["month"] and "2026-07" not in errors["month"]  # no ISO month on a staff page
    assert check({}) == {}  # started by hand: no month to compare with


def test_the_contact_happened_in_that_month():
    assert set(check(contact_date="2026-07-01")) == {"contact_date"}
    assert check(contact_date="2026-06-30") == {}
    assert check(contact_date="2026-06-01") == {}


def test_a_missed_home_visit_in_a_visit_month_needs_the_special_circumstances():
    due = {"month": "2026-06", "home_visit_required": True}
    phoned = {"contact_method": "phone", "home_visit": False}
    errors = check(due, **phoned)
    assert set(errors) == {"special_circumstances"} and "特段の事情" in errors["special_circumstances"]
    assert "電話" in errors["special_circumstances"] and "003" not in errors["special_circumstances"]
    assert check(due, **phoned, special_circumstances="  ") != {}
    assert check(due, **phoned, special_circumstances="本人の入院のため訪問できず、電話で状況を確認") == {}
    assert check(due) == {}  # visited at home
    assert check({"month": "2026-06", "home_visit_required": False}, **phoned) == {}


@pytest.mark.parametrize("method", ["video", "other_visit"])
def test_a_video_call_or_a_day_service_meeting_in_a_visit_month_is_refused_without_the_special_circumstances(method):
    due = {"month": "2026-06", "home_visit_required": True}
    errors = check(due, contact_method=method, home_visit=False)
    assert set(errors) == {"special_circumstances"}
    assert check({"month": "2026-06", "home_visit_required": False}, contact_method=method, home_visit=False) == {}
