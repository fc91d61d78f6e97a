"""Japanese dates, the one home: Japan time (JST), the eras (和暦), reading dates staff type and writing them as the
帳票 and staff pages print them (令和8年5月1日).

The engine, the handlers and the web all use these; the web's Jinja filters (web/filters.py) only wrap them.
Staff never read a 西暦 date or an ISO date: every date a handler or page shows goes through `to_wareki`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from typing import Any

JST = timezone(timedelta(hours=9), "JST")  # Japan keeps no daylight saving time

# -- what staff type: full-width digits and dashes -----------------------------------------------------------

_FULL_WIDTH_ASCII = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULL_WIDTH_ASCII[0x3000] = 0x20  # 全角スペース (ideographic space)
_DASHES = str.maketrans({char: "-" for char in "ー−‐―"})


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


# -- ISO dates as the data holds them ------------------------------------------------------------------------

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def as_date(value: Any) -> date | None:
    """The date of a value from form, instance or case data: a date, a datetime (an aware one taken in Japan time),
    or an ISO date or date-time string. None when the value is absent or not a date: callers that must refuse bad
    text use `parse_iso_date`."""
    try:
        return parse_iso_date(value)
    except (TypeError, ValueError):
        return None


def parse_iso_date(value: Any) -> date | None:
    """Like `as_date`, but raises ValueError for text that is not an ISO date (None only for no value)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return (value.astimezone(JST) if value.tzinfo else value).date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise TypeError(f"not a date: {type(value).__name__}")
    text = value.strip()
    if not _ISO_DATE.match(text):
        raise ValueError(f"「{text}」は日付ではありません")
    if len(text) > 10:
        return parse_iso_date(datetime.fromisoformat(text.replace("Z", "+00:00")))
    return date.fromisoformat(text)


# -- the eras ------------------------------------------------------------------------------------------------


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


def era_of(day: date) -> tuple[str, int] | None:
    """(era name, year of the era) for a date; None before 明治 (such a day is written in 西暦)."""
    for era in ERAS:
        if day >= era.first_day:
            return era.name, day.year - era.first_day.year + 1
    return None


def _year(name: str, year: int, gannen: bool = True) -> str:
    return f"{name}{'元' if year == 1 and gannen else year}年"


# -- writing -------------------------------------------------------------------------------------------------


def to_wareki(value: date | datetime | str | None, *, gannen: bool = True) -> str:
    """令和8年5月1日 (元年 for the first year of an era unless `gannen=False`); "" for no date.

    Accepts a date, a datetime (an aware one is taken in Japan time) or an ISO date as the forms store it; raises
    ValueError for text that is not an ISO date. Days before 明治 are written in 西暦 (1867年1月1日).
    """
    day = parse_iso_date(value)
    if day is None:
        return ""
    era = era_of(day)
    year = _year(*era, gannen) if era else f"{day.year}年"
    return f"{year}{day.month}月{day.day}日"


def to_wareki_datetime(value: datetime | str | None) -> str:
    """A moment as 令和8年5月1日 14:05 in Japan time; "" for none. A naive datetime is taken as JST."""
    if value is None or value == "":
        return ""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    moment = moment.astimezone(JST) if moment.tzinfo else moment
    return f"{to_wareki(moment.date())} {moment:%H:%M}"


def to_wareki_month(value: date | datetime | str | None) -> str:
    """The month of a date (or of an ISO month, `2026-05`) as 令和8年5月; "" for no date."""
    if isinstance(value, str) and len(value.strip()) == 7:
        value = value.strip() + "-01"
    day = parse_iso_date(value)
    if day is None:
        return ""
    era = era_of(day)
    return f"{_year(*era) if era else f'{day.year}年'}{day.month}月"


WEEKDAYS = "月火水木金土日"


def weekday_name(day: date) -> str:
    """金 for a Friday: what a 和暦 date shows in brackets, 令和8年5月1日(金)."""
    return WEEKDAYS[day.weekday()]


def in_era(day: date, era: Era) -> str:
    """A day written in the given era (to_wareki picks the newer era on a day two eras share)."""
    return f"{_year(era.name, day.year - era.first_day.year + 1)}{day.month}月{day.day}日"


# -- reading what staff type ---------------------------------------------------------------------------------

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
        raise ValueError(f"「{text}」はありません({era.name}は{in_era(era.last_day, era)}までです)")
    return result


def _day(text: str, year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"「{text}」は存在しない日付です") from None
