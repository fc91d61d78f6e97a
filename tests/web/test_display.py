"""和暦 in and out, weekdays, Japanese names of codes, due badges, width normalisation."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime

import pytest

from web import date_input
from web import display


@pytest.mark.parametrize(
    "text",
    [
        "令和8年5月1日",
        "令和８年５月１日",
        "令8.5.1",
        "R8.5.1",
        "r8/5/1",
        "R08-05-01",
        "㋿8.5.1",
        "2026-05-01",
        "2026/5/1",
        "２０２６／５／１",
        "2026年5月1日",
        "20260501",
        " 2026-05-01 ",
    ],
)
def test_dates_staff_type_are_read(text):
    assert date_input.parse_date_input(text) == date(2026, 5, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("令和元年5月1日", date(2019, 5, 1)),
        ("平成31年4月30日", date(2019, 4, 30)),
        ("H1.1.8", date(1989, 1, 8)),
        ("昭和20年8月15日", date(1945, 8, 15)),
        ("S64.1.7", date(1989, 1, 7)),
        ("大正15年12月24日", date(1926, 12, 24)),
    ],
)
def test_era_boundaries(text, expected):
    assert date_input.parse_date_input(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("平成31年5月1日", "平成は平成31年4月30日までです"),
        ("H1.1.7", "平成の始まり"),
        ("令和8年2月30日", "存在しない日付です"),
        ("2026-13-01", "存在しない日付です"),
        ("来週の月曜", "日付として読めません"),
        ("令和8年5月", "日付として読めません"),
    ],
)
def test_impossible_dates_are_refused_in_japanese(text, message):
    with pytest.raises(date_input.DateInputError, match=message):
        date_input.parse_date_input(text)


def test_wareki_output():
    assert display.wareki_weekday(date(2026, 5, 15)) == "令和8年5月15日(金)"
    assert display.to_wareki("2019-05-01") == "令和元年5月1日"
    assert display.to_wareki(None) == "" and display.to_wareki("なし") == "なし"
    assert display.weekday(date(2026, 5, 3)) == "日"
    # 2026-04-30 16:00 UTC is already 5月1日 in Japan.
    assert display.wareki_datetime(datetime(2026, 4, 30, 16, 5, tzinfo=UTC)) == "令和8年5月1日(金) 01:05"


def test_names_of_codes():
    assert [display.care_level_name(c) for c in ("jigyo", "shien1", "kaigo5", "higaito", "pending", None)] == [
        "事業対象者",
        "要支援1",
        "要介護5",
        "非該当",
        "申請中",
        "未登録",
    ]
    assert display.flow_name("equipment_exception") == "福祉用具例外給付"
    assert display.flow_name("monthly_monitoring") == "月次モニタリング"
    assert display.flow_name("toyokawa_local") == "toyokawa_local"
    assert display.role_name("office") == "居宅介護支援事業所"


@pytest.mark.parametrize(
    ("due", "css", "text"),
    [
        (date(2026, 4, 28), "due-overdue", "期限切れ(3日超過)"),
        (date(2026, 5, 1), "due-today", "今日まで"),
        (date(2026, 5, 2), "due-soon", "明日まで"),
        (date(2026, 5, 8), "due-soon", "あと7日"),
        (date(2026, 5, 20), "due-later", "あと19日"),
        (None, "due-none", "期限なし"),
    ],
)
def test_due_badges(due, css, text):
    assert display.due_badge(due, date(2026, 5, 1)) == {"class": css, "text": text}


def test_week_ends_on_sunday():
    assert display.week_end(date(2026, 5, 1)) == date(2026, 5, 3)
    assert display.week_end(date(2026, 5, 3)) == date(2026, 5, 3)
    assert display.week_end(date(2026, 5, 4)) == date(2026, 5, 10)


def test_width_normalisation_is_for_codes_not_names():
    assert date_input.normalise_ascii("０１２３－４５６　ＡＢＣ") == "0123-456 ABC"
    assert date_input.normalise_ascii("山田　花子") == "山田 花子"  # callers never pass names; this shows why
