"""Reading what staff type: dates in 和暦 or 西暦 (令和8年5月1日, R8.5.1, 2026-05-01, 2026/5/1; full-width digits too)
and full-width letters and digits, so forms store ISO dates and plain ASCII only.
"""

from __future__ import annotations

from datetime import date

from engine import normalise_ascii as normalise_ascii  # re-exported: the web's input helpers live here
from engine import parse_wareki


class DateInputError(ValueError):
    """The text is not a date staff could have meant; the message is Japanese."""


def parse_date_input(text: str) -> date:
    """Read a date typed in 和暦 (令和8年5月1日, R8.5.1, 令8/5/1, 元年) or 西暦 (2026-05-01, 2026/5/1, 20260501).

    Raises DateInputError with a Japanese message when the text is not a real date of that era.
    """
    try:
        return parse_wareki(text)
    except ValueError as exc:
        raise DateInputError(str(exc)) from None
