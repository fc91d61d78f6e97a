"""What a print template reads: a submitted form's values, formatted as the 帳票 print them.

A `Record` pairs a JSON Schema (object) with the submitted data. Templates ask for a field by its key or, when the
form's author may have named it differently, by a fragment of its Japanese title; each call records the field as
placed, so a template can end with `doc.remaining()` and nothing submitted is ever left off the paper.

Formatting: enum values print their Japanese `title` (`oneOf: [{const, title}]`), booleans はい/いいえ, dates 和暦
(令和8年5月1日), arrays of objects as tables, other arrays joined with 「、」.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from typing import Any

from engine import parse_iso_date
from engine import to_wareki
from engine import to_wareki_datetime
from engine import to_wareki_month
from web.stafftext import staff_text

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_MONTH = re.compile(r"^\d{4}-\d{2}$")
ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
YES, NO = "はい", "いいえ"


@dataclass(frozen=True)
class Choice:
    """One printed option of a 様式's 「A・B・C」 list; the chosen ones are circled."""

    value: Any
    title: str
    selected: bool


@dataclass
class PrintField:
    """One field ready to print: a value (`text`), a table (`columns`/`rows`) or a group (`children`)."""

    path: str
    title: str
    kind: str  # "text" | "long_text" | "table" | "group"
    text: str = ""
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    children: list[PrintField] = field(default_factory=list)


def resolve(schema: Mapping[str, Any] | None, root: Mapping[str, Any]) -> Mapping[str, Any]:
    """Follow local `$ref`s (`#/$defs/...`) so the caller sees the referenced schema."""
    seen = 0
    current: Mapping[str, Any] = schema or {}
    while isinstance(current.get("$ref"), str) and current["$ref"].startswith("#/") and seen < 10:
        target: Any = root
        for part in current["$ref"][2:].split("/"):
            target = target.get(part, {}) if isinstance(target, Mapping) else {}
        merged = {k: v for k, v in current.items() if k != "$ref"}
        current = {**target, **merged}
        seen += 1
    return current


def options(schema: Mapping[str, Any]) -> list[tuple[Any, str]]:
    """The (value, Japanese title) pairs of an enum: `oneOf`/`anyOf` consts, or `enum` with `x-enumNames`."""
    for keyword in ("oneOf", "anyOf"):
        entries = schema.get(keyword)
        if isinstance(entries, list) and entries and all(isinstance(e, Mapping) and "const" in e for e in entries):
            return [(e["const"], staff_text(e.get("title", e["const"]))) for e in entries]
    if isinstance(schema.get("enum"), list):
        names = schema.get("x-enumNames") or schema.get("enumNames") or []
        return [(v, str(names[i]) if i < len(names) else display_scalar(v, {})) for i, v in enumerate(schema["enum"])]
    return []


def display_scalar(value: Any, schema: Mapping[str, Any]) -> str:
    """Format one scalar value as printed on a 帳票 (an empty string is a choice where an option's const is "":
    介護予防支援 among the kinds of care management)."""
    if value is None:
        return ""
    for const, title in options(schema):
        if const == value and not (isinstance(const, bool) ^ isinstance(value, bool)):
            return title
    if value == "":
        return ""
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return to_wareki_datetime(value)
    if isinstance(value, date):
        return to_wareki(value)
    if isinstance(value, str):
        fmt = schema.get("format")
        try:
            if fmt == "date" or (fmt is None and ISO_DATE.match(value)):
                return to_wareki(value)
            if fmt == "date-time" or (fmt is None and ISO_DATETIME.match(value)):
                return to_wareki_datetime(value)
            if fmt is None and ISO_MONTH.match(value):
                return to_wareki_month(value)
        except ValueError:
            return value
    return str(value)


def age_on(birth: date | datetime | str | None, day: date | datetime | str | None) -> int | None:
    """Age in full years on a day (for the 様式's 「(  )歳」); None when either date is missing."""
    born, on = parse_iso_date(birth), parse_iso_date(day)
    if born is None or on is None:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


class Record:
    """A form's (or one table row's) data with its object schema; remembers which fields were placed."""

    def __init__(
        self,
        schema: Mapping[str, Any] | None,
        data: Mapping[str, Any] | None,
        root: Mapping[str, Any] | None = None,
        known: Mapping[str, Any] | None = None,
    ) -> None:
        self.root: Mapping[str, Any] = root if root is not None else (schema or {})
        self.schema = resolve(schema, self.root)
        self.data: Mapping[str, Any] = data or {}
        self.known: Mapping[str, Any] = known or {}
        """What the case already knows (its facts): printed in a field of the same name the document left empty, so
        a 帳票 shows what was entered once at an earlier step (the 生年月日 taken at 相談受付 on the 利用者基本情報)."""
        self.used: set[str] = set()

    # -- finding fields ------------------------------------------------------------------------------------

    def _properties(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        props = resolve(schema, self.root).get("properties")
        return props if isinstance(props, Mapping) else {}

    def schema_at(self, path: str) -> Mapping[str, Any]:
        current: Mapping[str, Any] = self.schema
        for part in path.split("."):
            current = resolve(self._properties(current).get(part, {}), self.root)
        return current

    def value_at(self, path: str) -> Any:
        current: Any = self.data
        for part in path.split("."):
            if not isinstance(current, Mapping):
                return None
            current = current.get(part)
        if is_empty(current) and path in self.known and self._has_schema(path):
            return self.known[path]
        return current

    def _paths(self) -> Iterable[tuple[str, Mapping[str, Any]]]:
        """Every property path in schema order, depth first (objects before their children)."""
        stack: list[tuple[str, Mapping[str, Any]]] = [("", self.schema)]
        while stack:
            prefix, schema = stack.pop(0)
            children = []
            for key, sub in self._properties(schema).items():
                path = f"{prefix}{key}"
                resolved = resolve(sub, self.root)
                yield path, resolved
                if self._properties(resolved):
                    children.append((f"{path}.", resolved))
            stack[0:0] = children

    def find(self, *candidates: str, shape: str | None = None) -> str | None:
        """The path of the first candidate that exists: a key/path (ASCII), else a Japanese title or a fragment.

        Keys are tried against the data and the schema; titles against the schema at any depth, a whole title
        before a fragment of one. `shape` ("table" or "options") limits title matches to arrays of objects or
        to fields with options, so a fragment such as 「評価」 cannot pick the 評価日 for a table.
        """
        for candidate in candidates:
            if candidate.isascii():
                if self.value_at(candidate) is not None or self._has_schema(candidate):
                    return candidate
                continue
            titled = [(p, str(sub.get("title", ""))) for p, sub in self._paths() if _has_shape(sub, shape, self.root)]
            for path, title in titled:
                if title == candidate:
                    return path
            for path, title in titled:
                if candidate in title:
                    return path
        return None

    def _has_schema(self, path: str) -> bool:
        current: Mapping[str, Any] = self.schema
        for part in path.split("."):
            props = self._properties(current)
            if part not in props:
                return False
            current = props[part]
        return True

    # -- what templates call -------------------------------------------------------------------------------

    def has(self, *candidates: str) -> bool:
        """Whether one of the candidates holds a non-empty value (does not mark it placed)."""
        path = self.find(*candidates)
        return path is not None and not is_empty(self.value_at(path))

    def raw(self, *candidates: str) -> Any:
        path = self.find(*candidates)
        if path is None:
            return None
        self.used.add(path)
        return self.value_at(path)

    def title(self, *candidates: str, default: str = "") -> str:
        path = self.find(*candidates)
        return staff_text(self.schema_at(path).get("title", default)) if path else default

    def text(self, *candidates: str) -> str:
        """The formatted value of the first candidate found ("" when none); marks it placed."""
        path = self.find(*candidates)
        if path is None:
            return ""
        self.used.add(path)
        return format_value(self.value_at(path), self.schema_at(path), self.root)

    def choices(self, *candidates: str) -> list[Choice]:
        """The options of an enum (or boolean) field, the chosen ones marked; [] when it has none."""
        path = self.find(*candidates, shape="options")
        if path is None:
            return []
        self.used.add(path)
        schema = self.schema_at(path)
        value = self.value_at(path)
        if schema.get("type") == "array":
            schema = resolve(schema.get("items", {}), self.root)
            chosen = value if isinstance(value, list) else []
            return [Choice(v, t, v in chosen) for v, t in options(schema)]
        pairs = options(schema)
        if not pairs and (schema.get("type") == "boolean" or isinstance(value, bool)):
            pairs = [(True, YES), (False, NO)]
        return [Choice(v, t, value == v and isinstance(v, bool) == isinstance(value, bool)) for v, t in pairs]

    def rows(self, *candidates: str) -> list[Record]:
        """The items of an array of objects, each a Record of its own; [] when absent."""
        path = self.find(*candidates, shape="table")
        if path is None:
            return []
        self.used.add(path)
        items = resolve(self.schema_at(path).get("items", {}), self.root)
        value = self.value_at(path)
        return [Record(items, row, self.root) for row in value if isinstance(row, Mapping)] if value else []

    def field(self, *candidates: str) -> PrintField | None:
        path = self.find(*candidates)
        if path is None:
            return None
        self.used.add(path)
        return build_field(path, self.schema_at(path), self.value_at(path), self.root)

    def all_fields(self) -> list[PrintField]:
        """Every property of the schema in order, empty ones included (a blank box, as on paper), then any
        submitted key the schema does not name; marks them all placed."""
        props = self._properties(self.schema)
        keys = list(props) + [k for k in self.data if k not in props and not k.startswith("_")]
        self.used.update(keys)
        return [build_field(k, props.get(k, {}), self.value_at(k), self.root) for k in keys]

    def remaining(self) -> list[PrintField]:
        """Every field with a value that no template call placed yet (keys starting with `_` are internal)."""
        return self._remaining("", self.schema, self.data)

    def _remaining(self, prefix: str, schema: Mapping[str, Any], data: Mapping[str, Any]) -> list[PrintField]:
        fields = []
        props = self._properties(schema)
        keys = list(props) + [k for k in data if k not in props]
        for key in keys:
            path = f"{prefix}{key}"
            value = data.get(key)
            if key.startswith("_") or path in self.used or is_empty(value):
                continue
            sub = resolve(props.get(key, {}), self.root)
            if isinstance(value, Mapping):
                children = self._remaining(path + ".", sub, value)
                if children:
                    fields.append(PrintField(path, staff_text(sub.get("title", key)), "group", children=children))
                continue
            fields.append(build_field(path, sub, value, self.root))
        return fields


def _has_shape(schema: Mapping[str, Any], shape: str | None, root: Mapping[str, Any]) -> bool:
    if shape == "table":
        return schema.get("type") == "array" and bool(resolve(schema.get("items", {}), root).get("properties"))
    if shape == "options":
        target = resolve(schema.get("items", {}), root) if schema.get("type") == "array" else schema
        return bool(options(target)) or target.get("type") == "boolean"
    return True


def format_value(value: Any, schema: Mapping[str, Any], root: Mapping[str, Any]) -> str:
    """One line of text for any value: scalars as `display_scalar`, lists joined with 「、」, objects as 項目: 値."""
    schema = resolve(schema, root)
    if isinstance(value, list):
        items = resolve(schema.get("items", {}), root)
        return "、".join(t for t in (format_value(v, items, root) for v in value) if t)
    if isinstance(value, Mapping):
        props = resolve(schema, root).get("properties", {}) or {}
        parts = []
        for key, sub in value.items():
            text = format_value(sub, props.get(key, {}), root)
            if text:
                parts.append(f"{staff_text(resolve(props.get(key, {}), root).get('title', key))}: {text}")
        return "、".join(parts)
    return display_scalar(value, schema)


def build_field(path: str, schema: Mapping[str, Any], value: Any, root: Mapping[str, Any]) -> PrintField:
    """A PrintField for any value, choosing table, group, long text or plain text by its shape."""
    schema = resolve(schema, root)
    title = staff_text(schema.get("title") or path.rsplit(".", 1)[-1])
    items = resolve(schema.get("items", {}), root)
    item_props = items.get("properties") or {}
    if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        keys = [k for k in item_props if any(not is_empty(v.get(k)) for v in value)]
        keys += sorted({k for v in value for k in v if k not in item_props and not k.startswith("_")})
        columns = [staff_text(resolve(item_props.get(k, {}), root).get("title", k)) for k in keys]
        rows = [[format_value(v.get(k), item_props.get(k, {}), root) for k in keys] for v in value]
        return PrintField(path, title, "table", columns=columns, rows=rows)
    if is_empty(value) and item_props:  # an empty table: its header and one blank row, as on paper
        columns = [staff_text(resolve(sub, root).get("title", k)) for k, sub in item_props.items()]
        return PrintField(path, title, "table", columns=columns, rows=[[""] * len(columns)])
    props = schema.get("properties") or {}
    if isinstance(value, Mapping) or (value is None and props):
        value = value or {}
        keys = list(props) + [k for k in value if k not in props]
        children = [
            build_field(f"{path}.{k}", props.get(k, {}), value.get(k), root)
            for k in keys
            if not k.startswith("_") and (k in props or not is_empty(value.get(k)))
        ]
        return PrintField(path, title, "group", children=children)
    text = format_value(value, schema, root)
    long = "\n" in text or len(text) > 40 or (schema.get("maxLength") or 0) > 200
    return PrintField(path, title, "long_text" if long else "text", text=text)
