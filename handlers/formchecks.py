"""Small helpers shared by the provisional-plan and equipment form handlers (dates and flags from JSON data)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from engine.process_library.forms import FormContext
from handlers.base import Handler

Data = Mapping[str, Any]


def day(value: Any) -> date | None:
    """An ISO date (or the date part of an ISO date-time) from form or instance data; None when absent or bad."""
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def japanese_date(value: date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def blank(submission: Mapping[str, Any], name: str) -> bool:
    value = submission.get(name)
    return value is None or (isinstance(value, str) and not value.strip())


class SimpleHandler(Handler):
    """A form handler that only checks: subclasses implement `problems` over the submission, the instance data
    before it and the municipality's parameters."""

    def validate(self, submission: Data, context: FormContext) -> dict[str, str]:
        return self.problems(submission, context.data, context.params)

    def problems(self, submission: Data, data: Data, params: Data) -> dict[str, str]:
        return {}
