"""municipality.toml side by side: every key of both files, flattened, equal or different."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass
class ParameterRow:
    key: str
    left: Any
    right: Any
    status: str
    """equal / different / left_only / right_only"""


def flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """municipality.toml as dotted keys (deadlines.claim_due_day); lists and other values kept as they are."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def diff_parameters(left: dict[str, Any], right: dict[str, Any]) -> list[ParameterRow]:
    """Every key of both municipality.toml files, side by side, in the left file's order then the right's."""
    a, b = flatten(left), flatten(right)
    keys = list(dict.fromkeys([*a, *b]))
    sections = list(dict.fromkeys(k.partition(".")[0] if "." in k else "" for k in keys))
    keys.sort(key=lambda k: sections.index(k.partition(".")[0] if "." in k else ""))
    rows = []
    for key in keys:
        if key not in b:
            status = "left_only"
        elif key not in a:
            status = "right_only"
        else:
            status = "equal" if _same(a[key], b[key]) else "different"
        rows.append(ParameterRow(key, _plain(a.get(key)), _plain(b.get(key)), status))
    return rows


def _same(x: Any, y: Any) -> bool:
    return type(x) is type(y) and bool(x == y)


def _plain(value: Any) -> Any:
    """TOML dates and times become ISO text so the result is JSON."""
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return json.loads(json.dumps(value, default=str))
