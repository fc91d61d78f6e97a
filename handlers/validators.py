"""Reusable checks for form handlers, and 和暦 (Japanese era) dates.

Each check returns a Japanese message for a person, or None when the value is fine. The date
helpers read what staff type (令和7年4月1日, R7.4.1, 2025/4/1) and write what the 帳票 print
(令和7年4月1日).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

__all__ = [
    "ERAS",
    "Era",
    "as_date",
    "blank",
    "date_order",
    "insured_number",
    "iso_date",
    "normalise_width",
    "parse_wareki",
    "to_wareki",
]

_FULL_WIDTH_ASCII = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULL_WIDTH_ASCII[0x3000] = 0x20  # 全角スペース (ideographic space)


def normalise_width(text: str) -> str:
    """Turn full-width ASCII (０-９, Ａ-Ｚ, －, ／…) and the 全角スペース into half-width.

    This is NFKC restricted to the full-width forms of ASCII: every other character is left exactly
    as typed. Use it for codes, numbers and dates only, never for names: full NFKC would also turn
    half-width katakana into full-width, 「①」 into 「1」 and compatibility kanji into their unified
    forms, and a person's name must stay as the person (and the 被保険者証) writes it.
    """
    return text.translate(_FULL_WIDTH_ASCII)


def normalise_ascii(text: str) -> str:
    """normalise_width, and the dash-like marks staff type in numbers and dates (ー − ‐ ―) to "-". Not for names."""
    return normalise_width(text).translate(_DASHES)


_DASHES = str.maketrans({char: "-" for char in "ー−‐―"})


def blank(value: Any) -> bool:
    """True for a missing value or text that is empty after trimming."""
    return value is None or (isinstance(value, str) and not value.strip())


_INSURED_NUMBER = re.compile(r"[0-9]{10}")


def insured_number(value: Any) -> str | None:
    """被保険者番号: 10 half-width digits (full-width digits are accepted and normalised first)."""
    if not isinstance(value, str) or not _INSURED_NUMBER.fullmatch(normalise_width(value).strip()):
        return "被保険者番号は数字10桁で入力してください(例: 0123456789)"
    return None


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def iso_date(value: Any) -> str | None:
    """An ISO date as the data holds it: `YYYY-MM-DD` (or a date object)."""
    if isinstance(value, date):
        return None
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value.strip()):
        return "日付は 2026-04-01 の形式で入力してください"
    try:
        date.fromisoformat(value.strip())
    except ValueError:
        return f"{value.strip()} は存在しない日付です"
    return None


def as_date(value: Any) -> date | None:
    """A date from form or instance data (a date, or an ISO date or date-time string).

    None when the value is absent or not a date.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()[:10]):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def date_order(start: Any, end: Any, start_title: str, end_title: str) -> str | None:
    """A message when `end` is before `start`.

    None when they are in order, or when either is not a date (the schema reports that).
    """
    first, last = as_date(start), as_date(end)
    if first is None or last is None or first <= last:
        return None
    return f"{end_title}は{start_title}({to_wareki(first)})以降の日付にしてください"


# -- 和暦 -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Era:
    name: str
    initial: str
    first_day: date
    last_day: date | None
    """None for the current era."""


def _eras() -> tuple[Era, ...]:
    # (name, initial, first day, whether the era before it also ends on that day). 大正 and 昭和 began on the day
    # the emperor died, so 明治45年7月30日 and 大正元年7月30日 name the same day, as do 大正15年12月25日 and
    # 昭和元年12月25日; 平成 and 令和 began the day after the previous era ended.
    starts = (
        ("令和", "R", date(2019, 5, 1), False),
        ("平成", "H", date(1989, 1, 8), False),
        ("昭和", "S", date(1926, 12, 25), True),
        ("大正", "T", date(1912, 7, 30), True),
        # 明治元年 is counted from the first day of 1868 in the old calendar.
        ("明治", "M", date(1868, 1, 25), False),
    )
    eras = []
    following: tuple[date, bool] | None = None  # the next era's first day, and whether this era ends on it too
    for name, initial, first, shares_day in starts:
        last = None
        if following is not None:
            next_first, shared = following
            last = next_first if shared else next_first - timedelta(days=1)
        eras.append(Era(name, initial, first, last))
        following = (first, shares_day)
    return tuple(eras)


ERAS = _eras()
"""Newest first, so the first era that has begun on a day is the era of that day."""

_SEPARATOR = r"\s*(?:[./\-]|年|月)\s*"
_WAREKI = re.compile(
    r"(?P<era>令和|平成|昭和|大正|明治|[令平昭大明]|[RHSTM])\.?\s*(?P<year>元|\d{1,2})"
    + _SEPARATOR
    + r"(?P<month>\d{1,2})"
    + _SEPARATOR
    + r"(?P<day>\d{1,2})\s*日?",
    re.IGNORECASE,
)
_SEIREKI = re.compile(r"(?P<year>\d{4})" + _SEPARATOR + r"(?P<month>\d{1,2})" + _SEPARATOR + r"(?P<day>\d{1,2})\s*日?")
_COMPACT = re.compile(r"(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})")
_EXAMPLES = "例: 令和7年4月1日、R7.4.1、2025-04-01、2025/4/1"


def parse_wareki(text: str) -> date:
    """Read a date as staff type it: 令和7年4月1日, R7.4.1, 令和元年5月1日, 平成・昭和・大正・明治
    (H/S/T/M), or 西暦 2025-04-01, 2025/4/1, 2025年4月1日. Full-width digits are accepted.

    Raises ValueError with a Japanese message when the text is not a date, the day does not exist,
    or the day lies outside its era (令和元年4月30日, 平成31年5月1日).
    """
    if not isinstance(text, str):
        raise ValueError(f"日付を文字で入力してください({_EXAMPLES})")
    # The era ligature ㋿ is the one compatibility character a date may hold; NFKC on a date alone is safe.
    cleaned = unicodedata.normalize("NFKC", normalise_ascii(text)).strip()
    seireki = _SEIREKI.fullmatch(cleaned) or _COMPACT.fullmatch(cleaned)
    if seireki:
        return _day(cleaned, int(seireki["year"]), int(seireki["month"]), int(seireki["day"]))
    match = _WAREKI.fullmatch(cleaned)
    if not match:
        raise ValueError(f"「{text}」は日付として読めません({_EXAMPLES})")
    token = match["era"].upper()
    era = next(e for e in ERAS if token in (e.name, e.name[0], e.initial))
    year = 1 if match["year"] == "元" else int(match["year"])
    if year < 1:
        raise ValueError(f"「{text}」の年が正しくありません({era.name}元年が1年目です)")
    result = _day(cleaned, era.first_day.year + year - 1, int(match["month"]), int(match["day"]))
    if result < era.first_day:
        raise ValueError(f"「{text}」は{era.name}の始まり({to_wareki(era.first_day)})より前の日付です")
    if era.last_day is not None and result > era.last_day:
        last = era.last_day
        raise ValueError(f"「{text}」はありません({era.name}は{_in_era(last, era)}までです)")
    return result


def _in_era(day: date, era: Era) -> str:
    """A day written in the given era (to_wareki picks the newer era on a day two eras share)."""
    year = day.year - era.first_day.year + 1
    return f"{era.name}{'元' if year == 1 else year}年{day.month}月{day.day}日"


def _day(text: str, year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"「{text}」は存在しない日付です") from None


def to_wareki(day: date) -> str:
    """令和7年4月1日 (元年 for the first year of an era).

    Days before 明治 are written in 西暦 (1867年1月1日).
    """
    if isinstance(day, datetime):
        day = day.date()
    for era in ERAS:
        if day >= era.first_day:
            year = day.year - era.first_day.year + 1
            return f"{era.name}{'元' if year == 1 else year}年{day.month}月{day.day}日"
    return f"{day.year}年{day.month}月{day.day}日"
