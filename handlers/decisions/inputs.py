"""Read a Python decision's inputs, collecting one Japanese message per bad input.

The messages have the same shape as the engine's checks of DMN table inputs (engine/process_library/decisions.py):
`ラベルを入力してください`, `ラベルは選択肢の中から指定してください`, `ラベルは はい か いいえ で指定してください`
(staff read them on the task page: no input names, keyed by name instead).
Inputs arrive from a workflow's instance data (JSON: dates as ISO strings), from `kaigoflow decide --input JSON`
or from Python callers (date objects); keys a decision does not read are ignored, because a business rule task
passes the whole instance data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from typing import Any

from engine.errors import ValidationError

CARE_LEVELS = ("jigyo", "shien1", "shien2", "kaigo1", "kaigo2", "kaigo3", "kaigo4", "kaigo5", "higaito", "pending")
"""CONTRACT.md care levels: 事業対象者, 要支援1・2, 要介護1〜5, 非該当, 申請中."""
CERTIFIED_LEVELS = ("shien1", "shien2", "kaigo1", "kaigo2", "kaigo3", "kaigo4", "kaigo5")
"""The levels a certification can grant (要支援1〜要介護5)."""
CARE = frozenset({"kaigo1", "kaigo2", "kaigo3", "kaigo4", "kaigo5"})
PREVENTIVE = frozenset({"shien1", "shien2"})

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month (YYYY-MM); `+ n` and `- other` count months."""

    year: int
    month: int

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @property
    def index(self) -> int:
        return self.year * 12 + self.month - 1

    def __add__(self, months: int) -> Month:
        index = self.index + months
        return Month(index // 12, index % 12 + 1)

    def __sub__(self, other: Month) -> int:
        return self.index - other.index

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


_REQUIRED: Any = object()


class InputReader:
    """Typed access to one decision's inputs; `check()` raises one ValidationError listing every problem."""

    def __init__(self, decision: str, inputs: Mapping[str, Any]) -> None:
        self.decision = decision
        self.inputs = inputs
        self.details: dict[str, str] = {}

    def fail(self, name: str, message: str) -> None:
        self.details.setdefault(name, message)

    def check(self) -> None:
        if self.details:
            raise ValidationError(f"判定「{self.decision}」の入力が正しくありません", details=dict(self.details))

    def _raw(self, name: str, label: str, default: Any) -> Any:
        value = self.inputs.get(name)
        if value is None and default is _REQUIRED:
            self.fail(name, f"{label}を入力してください")
        return value

    def choice(self, name: str, label: str, choices: Sequence[str], default: Any = _REQUIRED) -> Any:
        """A string from `choices`; absent or null gives `default` (an error when there is none)."""
        value = self._raw(name, label, default)
        if value is None:
            return None if default is _REQUIRED else default
        if not isinstance(value, str) or value not in choices:
            self.fail(name, f"{label}は選択肢の中から指定してください")
            return None
        return value

    def text(self, name: str, label: str) -> str | None:
        """A non-empty string (an open enumeration such as equipment_item)."""
        value = self._raw(name, label, _REQUIRED)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(name, f"{label}は文字列で指定してください")
            return None
        return value.strip()

    def flag(self, name: str, label: str, default: Any = _REQUIRED) -> bool:
        """A bool (JSON true/false); absent or null gives `default` (an error when there is none)."""
        value = self._raw(name, label, default)
        if value is None:
            return bool(default) if default is not _REQUIRED else False
        if not isinstance(value, bool):
            self.fail(name, f"{label}は はい か いいえ で指定してください")
            return False
        return value

    def day(self, name: str, label: str, *, optional: bool = False) -> date | None:
        """An ISO date (YYYY-MM-DD string, or a date object)."""
        value = self._raw(name, label, None if optional else _REQUIRED)
        if value is None:
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.fail(name, f"{label}は日付で指定してください(例: 令和8年4月1日)")
        return None

    def month(self, name: str, label: str, *, optional: bool = False) -> Month | None:
        """A calendar month (YYYY-MM string, or a date object for its month)."""
        value = self._raw(name, label, None if optional else _REQUIRED)
        if value is None:
            return None
        if isinstance(value, date):
            return Month.of(value)
        match = _MONTH.fullmatch(value.strip()) if isinstance(value, str) else None
        if match and 1 <= int(match.group(2)) <= 12:
            return Month(int(match.group(1)), int(match.group(2)))
        self.fail(name, f"{label}は年月で指定してください(例: 令和8年4月)")
        return None


def param(params: Mapping[str, Any], name: str, default: Any, choices: Sequence[Any] | None = None) -> Any:
    """A municipality.toml parameter, or `default`; a value outside `choices` is a configuration error."""
    value = params.get(name, default)
    if value is None:
        return default
    if choices is not None and value not in choices:
        shown = ", ".join(str(c) for c in choices)
        raise ValidationError(
            f"municipality.toml の {name} は {shown} のいずれかです(現在: {value!r})",
            details={name: f"{name} は {shown} のいずれかです"},
        )
    return value
