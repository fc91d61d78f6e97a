"""engine/japanese_dates.py as the 帳票 use it: dates in the Japanese calendar, at the era boundaries."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime

import pytest

from engine.japanese_dates import to_wareki
from engine.japanese_dates import to_wareki_datetime
from engine.japanese_dates import to_wareki_month


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-05-01", "令和8年5月1日"),
        (date(2019, 5, 1), "令和元年5月1日"),
        (date(2019, 4, 30), "平成31年4月30日"),
        (date(1989, 1, 8), "平成元年1月8日"),
        (date(1989, 1, 7), "昭和64年1月7日"),
        (date(1926, 12, 25), "昭和元年12月25日"),
        (date(1926, 12, 24), "大正15年12月24日"),
        ("1944-08-15", "昭和19年8月15日"),
        (None, ""),
        ("", ""),
    ],
)
def test_to_wareki(value, expected):
    assert to_wareki(value) == expected


def test_first_year_can_be_a_number():
    assert to_wareki("2019-05-01", gannen=False) == "令和1年5月1日"


def test_moments_are_printed_in_japan_time():
    assert to_wareki_datetime(datetime(2026, 4, 30, 15, 5, tzinfo=UTC)) == "令和8年5月1日 00:05"
    assert to_wareki_datetime("2026-05-01T05:30:00+00:00") == "令和8年5月1日 14:30"
    assert to_wareki(datetime(2026, 4, 30, 15, 5, tzinfo=UTC)) == "令和8年5月1日"


def test_month():
    assert to_wareki_month("2019-05-31") == "令和元年5月"


def test_not_a_date():
    with pytest.raises(ValueError):
        to_wareki("5月1日")
    assert to_wareki(date(1860, 1, 1)) == "1860年1月1日"  # before 明治 there is no era to write
