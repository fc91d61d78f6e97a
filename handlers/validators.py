"""Reusable checks for form handlers: each returns a Japanese message, or None when the value is fine."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

_INSURED_NUMBER = re.compile(r"^[0-9]{10}$")
_WAREKI = re.compile(
    r"^\s*(?P<era>令和|平成|昭和|大正|明治|[RHSTMrhstm])\s*(?P<year>元|\d{1,2})\s*[年.\-/]\s*"
    r"(?P<month>\d{1,2})\s*[月.\-/]\s*(?P<day>\d{1,2})\s*日?\s*$"
)
_SEIREKI = re.compile(r"^\s*(?P<year>\d{4})\s*[年.\-/]\s*(?P<month>\d{1,2})\s*[月.\-/]\s*(?P<day>\d{1,2})\s*日?\s*$")
ERAS = (  # (name, initial, first day): newest first, so the first era that has begun is the right one
    ("令和", "R", date(2019, 5, 1)),
    ("平成", "H", date(1989, 1, 8)),
    ("昭和", "S", date(1926, 12, 25)),
    ("大正", "T", date(1912, 7, 30)),
    ("明治", "M", date(1868, 1, 25)),
)


def normalise_width(text: str) -> str:
    """Turn full-width digits, Latin letters and punctuation into half-width (NFKC).

    Only for codes, numbers and dates: never apply it to names, where NFKC would also change half-width katakana
    and compatibility kanji that a person chose on purpose.
    """
    return unicodedata.normalize("NFKC", text)


def insured_number(value: Any) -> str | None:
    if not isinstance(value, str) or not _INSURED_NUMBER.match(normalise_width(value).strip()):
        return "被保険者番号は半角数字10桁で入力してください"
    return None


def iso_date(value: Any) -> str | None:
    if not isinstance(value, str):
        return "日付を入力してください"
    try:
        date.fromisoformat(value)
    except ValueError:
        return "日付(例: 2026-04-01 または 令和8年4月1日)で入力してください"
    return None


def parse_wareki(text: str) -> date:
    """Read 令和8年4月1日, R8.4.1, 令和元年5月1日, 平成・昭和・大正・明治, or 西暦 2026-04-01 / 2026/4/1.

    Raises ValueError (with a Japanese message) when the text is not a real date.
    """
    text = normalise_width(text)
    seireki = _SEIREKI.match(text)
    if seireki:
        return date(int(seireki["year"]), int(seireki["month"]), int(seireki["day"]))
    match = _WAREKI.match(text)
    if not match:
        raise ValueError(f"「{text}」は日付として読めません(例: 令和8年4月1日、R8.4.1、2026-04-01)")
    era = match["era"].upper()
    start = next(first for name, initial, first in ERAS if era in (name, initial))
    year = 1 if match["year"] == "元" else int(match["year"])
    result = date(start.year + year - 1, int(match["month"]), int(match["day"]))
    if result < start:
        raise ValueError(f"「{text}」はその元号の始まりより前の日付です")
    return result


def to_wareki(day: date) -> str:
    """令和8年4月1日 (元年 for the first year of an era)."""
    for name, _initial, first in ERAS:
        if day >= first:
            year = day.year - first.year + 1
            return f"{name}{'元' if year == 1 else year}年{day.month}月{day.day}日"
    return f"{day.year}年{day.month}月{day.day}日"


def date_order(start: Any, end: Any, start_title: str, end_title: str) -> str | None:
    try:
        first, last = date.fromisoformat(str(start)[:10]), date.fromisoformat(str(end)[:10])
    except ValueError:
        return None  # the schema reports malformed dates
    if first > last:
        return f"{end_title}は{start_title}以降の日付にしてください"
    return None
