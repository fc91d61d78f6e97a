"""Reusable checks for form handlers.

Each check returns a Japanese message for a person, or None when the value is fine. Dates (reading what staff
type, writing 和暦 in messages) are engine/japanese_dates.py's; the 被保険者番号 rule is engine/vocabulary.py's.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from engine.japanese_dates import as_date
from engine.japanese_dates import to_wareki
from engine.vocabulary import insured_number_problem

__all__ = ["blank", "date_order", "insured_number", "iso_date"]


def blank(value: Any) -> bool:
    """True for a missing value or text that is empty after trimming."""
    return value is None or (isinstance(value, str) and not value.strip())


def insured_number(value: Any) -> str | None:
    """被保険者番号: 10 half-width digits (full-width digits are accepted and normalised first)."""
    return insured_number_problem(value)


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


def date_order(start: Any, end: Any, start_title: str, end_title: str) -> str | None:
    """A message when `end` is before `start`.

    None when they are in order, or when either is not a date (the schema reports that).
    """
    first, last = as_date(start), as_date(end)
    if first is None or last is None or first <= last:
        return None
    return f"{end_title}は{start_title}({to_wareki(first)})以降の日付にしてください"
