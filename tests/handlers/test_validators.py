"""handlers.validators (被保険者番号, ISO dates, date order) and engine.japanese_dates (width, 和暦 in and out)."""

from __future__ import annotations

import unicodedata
from datetime import date
from datetime import datetime
from datetime import timedelta

import pytest

from engine import japanese_dates
from handlers import validators


@pytest.mark.parametrize(
    "value, ok",
    [
        ("0123456789", True),
        ("０１２３４５６７８９", True),  # full-width digits are normalised first
        (" 0123456789 ", True),
        ("012345678", False),  # 9 digits
        ("01234567890", False),  # 11 digits
        ("012345678a", False),
        ("0123-45678", False),
        ("", False),
        (None, False),
        (123456789, False),  # a number loses its leading zero: only text is accepted
    ],
)
def test_insured_number(value, ok):
    message = validators.insured_number(value)
    assert (message is None) is ok
    if not ok:
        assert "10桁" in message


@pytest.mark.parametrize(
    "text, expected",
    [
        ("０１２３４５６７８９", "0123456789"),
        ("Ｒ８．４．１", "R8.4.1"),
        ("０５９－３８２－００００", "059-382-0000"),
        ("令和８年４月１日", "令和8年4月1日"),
        ("鈴鹿\u3000花子", "鈴鹿 花子"),  # 全角スペース
    ],
)
def test_normalise_width_turns_full_width_ascii_into_half_width(text, expected):
    assert japanese_dates.normalise_width(text) == expected


@pytest.mark.parametrize("name", ["ｽｽﾞｶ ﾊﾅｺ", "髙橋 﨑子", "①番", "スズカ ハナコ", "鈴鹿 花子"])
def test_normalise_width_never_touches_kana_kanji_or_symbols(name):
    assert japanese_dates.normalise_width(name) == name


def test_normalise_width_is_narrower_than_nfkc():
    half_width_kana = "ｽｽﾞｶ"
    assert unicodedata.normalize("NFKC", half_width_kana) != half_width_kana
    assert japanese_dates.normalise_width(half_width_kana) == half_width_kana


@pytest.mark.parametrize(
    "value, problem",
    [
        ("2026-04-01", None),
        (date(2026, 4, 1), None),
        ("2026/04/01", "形式"),
        ("20260401", "形式"),  # Python accepts it; the data format does not
        ("2026-4-1", "形式"),
        ("2026-02-30", "存在しない"),
        (20260401, "形式"),
        (None, "形式"),
    ],
)
def test_iso_date(value, problem):
    message = validators.iso_date(value)
    if problem is None:
        assert message is None
    else:
        assert problem in message


@pytest.mark.parametrize(
    "text, expected",
    [
        ("令和7年4月1日", date(2025, 4, 1)),
        ("令和８年４月１日", date(2026, 4, 1)),
        ("R7.4.1", date(2025, 4, 1)),
        ("r7.4.1", date(2025, 4, 1)),
        ("Ｒ７．４．１", date(2025, 4, 1)),
        ("R7/4/1", date(2025, 4, 1)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("R元.5.1", date(2019, 5, 1)),
        ("平成31年4月30日", date(2019, 4, 30)),
        ("H31.4.30", date(2019, 4, 30)),
        ("平成元年1月8日", date(1989, 1, 8)),
        ("昭和64年1月7日", date(1989, 1, 7)),
        ("昭和19年6月12日", date(1944, 6, 12)),
        ("S19.6.12", date(1944, 6, 12)),
        ("昭和元年12月25日", date(1926, 12, 25)),
        ("大正15年12月24日", date(1926, 12, 24)),
        ("大正元年7月30日", date(1912, 7, 30)),
        ("明治45年7月29日", date(1912, 7, 29)),
        ("明治45年7月30日", date(1912, 7, 30)),  # the day 大正 began: both names are right
        ("大正15年12月25日", date(1926, 12, 25)),  # the day 昭和 began: both names are right
        ("昭和元年12月25日", date(1926, 12, 25)),
        ("明治33年1月1日", date(1900, 1, 1)),
        ("2025-04-01", date(2025, 4, 1)),
        ("2025/4/1", date(2025, 4, 1)),
        ("2025年4月1日", date(2025, 4, 1)),
        (" 2025-04-01 ", date(2025, 4, 1)),
        ("２０２５／４／１", date(2025, 4, 1)),
    ],
)
def test_parse_wareki_reads_what_staff_type(text, expected):
    assert japanese_dates.parse_wareki(text) == expected


@pytest.mark.parametrize(
    "text, reason",
    [
        ("令和8年2月30日", "存在しない"),
        ("2026-13-01", "存在しない"),
        ("令和元年4月30日", "始まり"),  # 令和 began on 2019-05-01
        ("平成31年5月1日", "平成は平成31年4月30日まで"),
        ("昭和64年1月8日", "昭和は昭和64年1月7日まで"),
        ("明治45年7月31日", "明治は明治45年7月30日まで"),
        ("大正15年12月26日", "大正は大正15年12月25日まで"),
        ("令和0年1月1日", "年が正しくありません"),
        ("昨日", "読めません"),
        ("R8", "読めません"),
        ("", "読めません"),
    ],
)
def test_parse_wareki_refuses_non_dates_in_japanese(text, reason):
    with pytest.raises(ValueError, match=reason):
        japanese_dates.parse_wareki(text)


def test_parse_wareki_refuses_non_text():
    with pytest.raises(ValueError, match="日付を文字で入力"):
        japanese_dates.parse_wareki(20250401)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "day, expected",
    [
        (date(2025, 4, 1), "令和7年4月1日"),
        (date(2019, 5, 1), "令和元年5月1日"),
        (date(2019, 4, 30), "平成31年4月30日"),
        (date(1989, 1, 8), "平成元年1月8日"),
        (date(1989, 1, 7), "昭和64年1月7日"),
        (date(1944, 6, 12), "昭和19年6月12日"),
        (date(1926, 12, 24), "大正15年12月24日"),
        (date(1912, 7, 29), "明治45年7月29日"),
        (datetime(2026, 5, 1, 14, 30), "令和8年5月1日"),
        (date(1867, 1, 1), "1867年1月1日"),  # before 明治: 西暦
    ],
)
def test_to_wareki(day, expected):
    assert japanese_dates.to_wareki(day) == expected


def _days_to_check():
    day = date(1868, 1, 25)
    while day < date(2100, 1, 1):
        yield day
        day += timedelta(days=37)
    for era in japanese_dates.ERAS:
        for offset in range(-3, 4):
            candidate = era.first_day + timedelta(days=offset)
            if candidate >= date(1868, 1, 25):
                yield candidate


def test_to_wareki_and_parse_wareki_round_trip():
    for day in _days_to_check():
        assert japanese_dates.parse_wareki(japanese_dates.to_wareki(day)) == day, day


@pytest.mark.parametrize(
    "start, end, problem",
    [
        ("2026-04-01", "2027-03-31", False),
        ("2026-04-01", "2026-04-01", False),
        (date(2026, 4, 1), date(2026, 3, 31), True),
        ("2027-04-01", "2026-03-31", True),
        ("2027-04-01T00:00:00+09:00", "2026-03-31", True),
        ("not a date", "2026-03-31", False),  # the schema reports malformed dates
        (None, "2026-03-31", False),
    ],
)
def test_date_order(start, end, problem):
    message = validators.date_order(start, end, "認定有効期間(開始)", "認定有効期間(終了)")
    assert (message is not None) is problem
    if problem:
        assert message.startswith("認定有効期間(終了)は認定有効期間(開始)(令和")
        assert "以降" in message


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2026-11-01", date(2026, 11, 1)),
        ("2026-11-01T00:00:00+09:00", date(2026, 11, 1)),
        (datetime(2026, 11, 1, 9, 0), date(2026, 11, 1)),
        (date(2026, 11, 1), date(2026, 11, 1)),
        ("2026-02-30", None),
        ("令和8年11月1日", None),  # instance data holds ISO dates only
        (None, None),
        (20261101, None),
    ],
)
def test_as_date(value, expected):
    assert japanese_dates.as_date(value) == expected


@pytest.mark.parametrize("value, expected", [(None, True), ("", True), ("  \u3000", True), ("a", False), (0, False)])
def test_blank(value, expected):
    assert validators.blank(value) is expected
