"""special_handling: 鈴鹿亀山 特例 (003:852-860; DOMAIN §8.4, §10.4)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from engine.errors import ValidationError
from engine.process_library.decisions import Decisions
from handlers.decisions.special_handling import special_handling

SUZUKA = {"special_handling_min_days": 31}
END = "2026-03-31"


def eligible(params: dict[str, Any] | None = SUZUKA, **inputs: Any) -> bool:
    decisions = Decisions({}, {"special_handling": special_handling}, params or {})
    out = decisions.decide("special_handling", inputs)
    assert set(out) == {"special_handling_eligible"}
    result: bool = out["special_handling_eligible"]
    return result


@pytest.mark.parametrize(
    "application_date, result_date, expected",
    [
        ("2026-02-28", None, True),  # exactly 31 days before the end: 31日以前
        ("2026-03-01", None, False),  # 30 days: too late
        ("2026-01-05", None, True),
        ("2026-02-28", "2026-04-01", True),  # fixed the day after the end: not within the old validity
        ("2026-02-28", "2026-03-31", False),  # fixed on the end date itself: within the validity
        ("2026-02-28", "2026-03-20", False),
        ("2026-03-01", "2026-04-20", False),
        ("2026-04-02", None, False),  # after the end (negative days)
    ],
)
def test_suzuka_kameyama_rule(application_date: str, result_date: str | None, expected: bool) -> None:
    inputs = {"application_date": application_date, "certification_end": END, "result_date": result_date}
    assert eligible(**inputs) is expected


def test_result_date_may_be_absent() -> None:
    assert eligible(application_date="2026-02-28", certification_end=END) is True


def test_date_objects_are_accepted() -> None:
    assert eligible(application_date=date(2026, 2, 28), certification_end=date(2026, 3, 31)) is True
    assert eligible(application_date=date(2026, 3, 1), certification_end=date(2026, 3, 31)) is False


@pytest.mark.parametrize("application_type, expected", [("renewal", True), ("level_change", False), ("new", False)])
def test_renewal_only(application_type: str, expected: bool) -> None:
    inputs = {"application_date": "2026-02-28", "certification_end": END, "application_type": application_type}
    assert eligible(**inputs) is expected


def test_municipalities_without_the_special_rule() -> None:
    assert eligible({}, application_date="2026-01-05", certification_end=END) is False
    assert eligible({"special_handling_min_days": None}, application_date="2026-01-05", certification_end=END) is False


def test_the_special_handling_switch() -> None:
    inputs = {"application_date": "2026-02-28", "certification_end": END}
    assert eligible({"special_handling": False, "special_handling_min_days": 31}, **inputs) is False
    assert eligible({"special_handling": False}, **inputs) is False
    assert eligible({"special_handling": True}, **inputs) is True  # 31 days by default
    assert eligible({"special_handling": True}, application_date="2026-03-01", certification_end=END) is False


def test_the_number_of_days_is_a_parameter() -> None:
    assert eligible({"special_handling_min_days": 30}, application_date="2026-03-01", certification_end=END) is True
    assert eligible({"special_handling_min_days": 30}, application_date="2026-03-02", certification_end=END) is False


def test_leap_year_boundary() -> None:
    assert eligible(application_date="2028-02-29", certification_end="2028-03-31") is True  # 31 days
    assert eligible(application_date="2028-03-01", certification_end="2028-03-31") is False  # 30 days


# -- bad input ---------------------------------------------------------------------------------------------------


def details(params: dict[str, Any] = SUZUKA, **inputs: Any) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        Decisions({}, {"special_handling": special_handling}, params).decide("special_handling", inputs)
    assert caught.value.message == "判定「special_handling」の入力が正しくありません"
    return caught.value.details


def test_missing_dates() -> None:
    assert details() == {
        "application_date": "更新申請日を入力してください",
        "certification_end": "認定有効期間の終了日を入力してください",
    }


def test_malformed_dates() -> None:
    assert details(application_date="2026/02/28", certification_end="2026-02-30", result_date="R8.4.1") == {
        "application_date": "更新申請日は日付で指定してください(例: 令和8年4月1日)",
        "certification_end": "認定有効期間の終了日は日付で指定してください(例: 令和8年4月1日)",
        "result_date": "認定結果の確定日は日付で指定してください(例: 令和8年4月1日)",
    }


def test_unknown_application_type() -> None:
    assert details(application_date="2026-02-28", certification_end=END, application_type="update") == {
        "application_type": "申請の種類は選択肢の中から指定してください"
    }


def test_bad_parameter() -> None:
    with pytest.raises(ValidationError) as caught:
        Decisions({}, {"special_handling": special_handling}, {"special_handling_min_days": "31"}).decide(
            "special_handling", {"application_date": "2026-02-28", "certification_end": END}
        )
    assert caught.value.details == {"special_handling_min_days": "0 以上の整数で指定してください"}
