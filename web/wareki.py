"""Dates in the Japanese calendar (和暦), as the 帳票 print them: 令和8年5月1日."""

from __future__ import annotations

from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import timezone

from handlers.validators import ERAS

JST = timezone(timedelta(hours=9), "JST")  # Japan keeps no daylight saving time


def parse_date(value: date | datetime | str | None) -> date | None:
    """Return the date of an ISO string (`2026-05-01`, or a date-time), a date or a datetime; None if empty."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return (value.astimezone(JST) if value.tzinfo else value).date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if len(text) > 10:
        return parse_date(datetime.fromisoformat(text.replace("Z", "+00:00")))
    return date.fromisoformat(text)


def era_of(day: date) -> tuple[str, int]:
    """Return (era name, year of the era) for a date; ValueError before 明治."""
    for era in ERAS:
        if day >= era.first_day:
            return era.name, day.year - era.first_day.year + 1
    raise ValueError(f"明治より前の日付は和暦にできません: {day.isoformat()}")


def to_wareki(value: date | datetime | str | None, *, gannen: bool = True) -> str:
    """Format a date as 令和8年5月1日 (元年 for the first year unless `gannen=False`); "" for no date.

    Accepts what the forms store (ISO `YYYY-MM-DD`) as well as date and datetime objects; an aware datetime is
    taken in Japan time. Raises ValueError for text that is not an ISO date.
    """
    day = parse_date(value)
    if day is None:
        return ""
    name, year = era_of(day)
    year_text = "元" if year == 1 and gannen else str(year)
    return f"{name}{year_text}年{day.month}月{day.day}日"


def to_wareki_datetime(value: datetime | str | None) -> str:
    """Format a moment as 令和8年5月1日 14:05 in Japan time; "" for none. A naive datetime is taken as JST."""
    if value is None or value == "":
        return ""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    moment = moment.astimezone(JST) if moment.tzinfo else moment
    return f"{to_wareki(moment.date())} {moment:%H:%M}"


def to_wareki_month(value: date | datetime | str | None) -> str:
    """Format the month of a date (or of an ISO month, `2026-05`) as 令和8年5月; "" for no date."""
    if isinstance(value, str) and len(value.strip()) == 7:
        value = value.strip() + "-01"
    day = parse_date(value)
    if day is None:
        return ""
    name, year = era_of(day)
    return f"{name}{'元' if year == 1 else year}年{day.month}月"


def period_words(period: str | None) -> str:
    """A schedule item's or a flow's period for staff: 令和8年11月分 for a month (`2026-11`), 和暦 for a day."""
    text = (period or "").strip()
    if len(text) == 7:
        return f"{to_wareki_month(text)}分" if to_wareki_month(text) else text
    return to_wareki(text) or text
