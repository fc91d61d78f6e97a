"""Server-side forms from a JSON Schema and its uischema (react-jsonschema-form conventions).

Three shapes of the same form travel through a task page:
- `Field`s, built once from the schema and uischema: what to draw (kind, title, options, rows);
- flat values, `{"goals.0.goal": "…", "needs": ["bath"]}`: exactly what the person typed, keyed by input name.
  A re-rendered form, a draft and a conflict page all show these, so nothing typed is ever lost or rewritten;
- the submission, typed as the schema wants (ints, booleans, ISO dates), built from the flat values.

Normalisation happens only on the way to the submission: full-width digits and ASCII in number, date and code
fields (被保険者番号); names and free text are kept as typed (trimmed).
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from engine import KANA_PATTERN
from engine import to_wareki_month
from web.date_input import DateInputError
from web.date_input import normalise_ascii
from web.date_input import parse_date_input
from web.stafftext import staff_text

Flat = dict[str, Any]
"""Input name -> the text typed (a list of texts for checkbox lists)."""

BLANK_ROWS = 2
"""Empty rows offered under a repeatable group, so rows can be added without JavaScript."""

MONTH_PATTERNS = frozenset({"^[0-9]{4}-[0-9]{2}$", r"^\d{4}-\d{2}$"})
"""A string field holding a month (`2026-06`): typed and shown as 令和8年6月."""
CODE_NAMES = re.compile(r"(^|_)(number|code|no|tel|phone|fax|postal|zip)$")


@dataclass(frozen=True)
class Option:
    value: str
    """The text in the HTML form."""
    title: str
    const: Any
    """The value in the submission."""


@dataclass
class Field:
    key: str
    title: str
    kind: str
    """text, code, textarea, integer, number, date, hidden, select, radio, checkbox, yesno, checkboxes, rows,
    group, labelled, lines or json."""
    schema: dict[str, Any]
    required: bool = False
    help: str = ""
    placeholder: str = ""
    options: list[Option] = dc_field(default_factory=list)
    children: list[Field] = dc_field(default_factory=list)
    labels: list[str] = dc_field(default_factory=list)
    readonly: bool = False
    min_items: int = 0
    max_items: int | None = None
    textarea_rows: int = 4

    @property
    def item(self) -> Field:
        """The item field of a labelled list or a list of lines."""
        return self.children[0]


# -- building -------------------------------------------------------------------------------------------


def build(schema: Mapping[str, Any], uischema: Mapping[str, Any] | None = None) -> list[Field]:
    """The fields of a form, in the uischema's order (`ui:order`, with `*` for the rest)."""
    return _object_fields(schema, uischema or {}, schema, depth=0)


def _object_fields(
    schema: Mapping[str, Any], ui: Mapping[str, Any], root: Mapping[str, Any], depth: int
) -> list[Field]:
    properties = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    fields = []
    for key in _ordered(list(properties), ui.get("ui:order")):
        sub_ui = ui.get(key) if isinstance(ui.get(key), Mapping) else {}
        fields.append(_field(key, _resolve(properties[key], root), sub_ui, key in required, root, depth))
    return fields


def _ordered(keys: list[str], order: Any) -> list[str]:
    if not isinstance(order, list):
        return keys
    named = [k for k in order if k in keys]
    rest = [k for k in keys if k not in named]
    if "*" in order:
        at = order.index("*")
        before = [k for k in order[:at] if k in keys]
        after = [k for k in order[at + 1 :] if k in keys]
        return before + rest + after
    return named + rest


def _resolve(schema: Any, root: Mapping[str, Any]) -> dict[str, Any]:
    """Follow one local `$ref` (#/$defs/x); anything else is taken as it is."""
    if not isinstance(schema, Mapping):
        return {}
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, Mapping) else {}
        merged = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        return dict(merged)
    return dict(schema)


def _type(schema: Mapping[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind is None:
        consts = [o.get("const") for o in schema.get("oneOf") or schema.get("anyOf") or [] if isinstance(o, Mapping)]
        consts += list(schema.get("enum") or [])
        if consts and all(isinstance(c, bool) for c in consts):
            return "boolean"
        if consts and all(isinstance(c, int) and not isinstance(c, bool) for c in consts):
            return "integer"
        if consts:
            return "string"
    return kind if isinstance(kind, str) else None


def _options(schema: Mapping[str, Any], ui: Mapping[str, Any]) -> list[Option]:
    choices = schema.get("oneOf") or schema.get("anyOf")
    if isinstance(choices, list) and choices and all(isinstance(c, Mapping) and "const" in c for c in choices):
        return [Option(_text(c["const"]), staff_text(c.get("title", c["const"])), c["const"]) for c in choices]
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        names = ui.get("ui:enumNames") or schema.get("enumNames") or []
        return [
            Option(_text(v), staff_text(names[i]) if i < len(names) else _text(v), v)
            for i, v in enumerate(enum)
            if v is not None
        ]
    return []


EMPTY_CHOICE = "__empty__"
"""The form value of a choice whose const is "" (e.g. 介護予防支援 among ケアマネジメントの類型): an empty
input means "nothing chosen", so a chosen empty string needs a value of its own."""


def _text(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value == "":
        return EMPTY_CHOICE
    return str(value)


YES_NO = [Option("true", "はい", True), Option("false", "いいえ", False)]
YES_NO_NUMBERS = [Option("1", "はい", 1), Option("0", "いいえ", 0)]
"""Answers coded 1 = はい / 0 = いいえ (the 基本チェックリスト's convention, CONTRACT.md)."""


def _is_yes_no(schema: Mapping[str, Any]) -> bool:
    """An integer item with enum [0, 1] and no labels of its own."""
    enum = schema.get("enum")
    return isinstance(enum, list) and sorted(enum) == [0, 1] and not schema.get("oneOf")


def _field(
    key: str,
    schema: dict[str, Any],
    ui: Mapping[str, Any],
    required: bool,
    root: Mapping[str, Any],
    depth: int,
) -> Field:
    widget = ui.get("ui:widget")
    options_ui = ui.get("ui:options") if isinstance(ui.get("ui:options"), Mapping) else {}
    common = {
        "key": key,
        "title": staff_text(ui.get("ui:title") or schema.get("title") or key),
        "schema": schema,
        "required": required,
        "help": staff_text(ui.get("ui:help") or schema.get("description") or ""),
        "placeholder": str(ui.get("ui:placeholder") or ""),
        "readonly": bool(schema.get("readOnly") or ui.get("ui:readonly")),
    }
    kind = _type(schema)
    options = _options(schema, ui)
    if widget == "hidden":
        return Field(kind="hidden", **common)
    if kind == "boolean":
        if widget in ("radio", "select") or (required and schema.get("const") is not True):
            # A required yes/no question must be answered: an unticked box would answer 「いいえ」 by itself.
            return Field(kind="yesno", options=YES_NO, **common)
        return Field(kind="checkbox", **common)  # optional, or a confirmation that must be ticked (const true)
    if options and kind in ("string", "integer", "number"):
        return Field(kind="radio" if widget == "radio" else "select", options=options, **common)
    if kind == "integer":
        return Field(kind="integer", **common)
    if kind == "number":
        return Field(kind="number", **common)
    if kind == "string":
        if schema.get("format") == "date" or widget == "date":
            return Field(kind="date", **common)
        if schema.get("pattern") in MONTH_PATTERNS:
            return Field(kind="month", **common)
        if widget == "textarea":
            return Field(kind="textarea", textarea_rows=int(options_ui.get("rows", 4)), **common)
        pattern = schema.get("pattern")
        if (isinstance(pattern, str) and pattern.isascii()) or CODE_NAMES.search(key):
            return Field(kind="code", **common)
        return Field(kind="text", **common)
    if kind == "array":
        items = _resolve(schema.get("items"), root)
        item_ui = ui.get("items") if isinstance(ui.get("items"), Mapping) else {}
        limits = {"min_items": int(schema.get("minItems") or 0), "max_items": schema.get("maxItems")}
        labels = ui.get("ui:labels")
        if isinstance(labels, list) and labels:
            item = _field("", items, item_ui, False, root, depth + 1)
            if widget == "yesno-list" or _is_yes_no(items):
                item.kind, item.options = "radio", list(YES_NO_NUMBERS)
            elif item.kind == "select" and item_ui.get("ui:widget") != "select":
                item.kind = "radio"  # a list of questions answered one by one (基本チェックリスト): radios are quicker
            return Field(kind="labelled", children=[item], labels=[staff_text(x) for x in labels], **limits, **common)
        item_options = _options(items, item_ui)
        if item_options:
            return Field(kind="checkboxes", options=item_options, **limits, **common)
        if _type(items) == "object" and depth == 0 and items.get("properties"):
            children = _object_fields(items, item_ui, root, depth + 1)
            return Field(kind="rows", children=children, **limits, **common)
        if _type(items) in ("string", "integer", "number"):
            item = _field("", items, item_ui, False, root, depth + 1)
            return Field(kind="lines", children=[item], **limits, **common)
    if kind == "object" and depth == 0 and schema.get("properties"):
        return Field(kind="group", children=_object_fields(schema, ui, root, depth + 1), **common)
    return Field(kind="json", **common)


# -- flat values ------------------------------------------------------------------------------------------


def from_data(fields: list[Field], data: Mapping[str, Any], prefix: str = "") -> Flat:
    """Flat values showing typed data (instance data, a draft's submission or a document)."""
    flat: Flat = {}
    for f in fields:
        if not isinstance(data, Mapping) or data.get(f.key) is None:
            continue
        value, path = data[f.key], prefix + f.key
        if f.kind == "rows" and isinstance(value, list):
            for index, row in enumerate(value):
                if isinstance(row, Mapping):
                    flat.update(from_data(f.children, row, f"{path}.{index}."))
        elif f.kind == "group" and isinstance(value, Mapping):
            flat.update(from_data(f.children, value, path + "."))
        elif f.kind == "labelled" and isinstance(value, list):
            for index, item in enumerate(value):
                if item is not None:
                    flat[f"{path}.{index}"] = _scalar_text(f.item, item)
        elif f.kind == "checkboxes" and isinstance(value, list):
            flat[path] = [_scalar_text(f, v) for v in value]
        elif f.kind == "lines" and isinstance(value, list):
            flat[path] = "\n".join(str(v) for v in value)
        elif f.kind == "json":
            flat[path] = json.dumps(value, ensure_ascii=False, indent=2)
        elif f.kind == "month" and isinstance(value, str):
            flat[path] = to_wareki_month(value) if ISO_MONTH.match(value) else value
        elif f.kind == "checkbox":
            flat[path] = "true" if value is True else ""
        else:
            flat[path] = _scalar_text(f, value)
    return flat


def _scalar_text(f: Field, value: Any) -> str:
    for option in f.options:
        if option.const == value and type(option.const) is type(value):
            return option.value
    if isinstance(value, bool):
        return _text(value)
    return str(value)


def from_form(fields: list[Field], form: Any, prefix: str = "") -> Flat:
    """Flat values from a posted form (a MultiDict), as typed.

    Rows marked for deletion and rows left empty are dropped and the rest renumbered, so the indices in the
    result are the indices of the submission built from it (and of any error the engine reports).
    """
    flat: Flat = {}
    for f in fields:
        path = prefix + f.key
        if f.kind == "checkboxes":
            flat[path] = [v for v in form.getlist(path) if v != ""]
        elif f.kind == "rows":
            pattern = re.compile(re.escape(path) + r"\.(\d+)\.")
            indices = sorted({int(m.group(1)) for name in form for m in [pattern.match(name)] if m})
            kept = 0
            for index in indices:
                if form.get(f"{path}.{index}._delete"):
                    continue
                row = from_form(f.children, form, f"{path}.{index}.")
                if not any(_filled(v) for v in row.values()):
                    continue
                old, new = f"{path}.{index}.", f"{path}.{kept}."
                flat.update({new + name[len(old) :]: value for name, value in row.items()})
                kept += 1
        elif f.kind == "group":
            flat.update(from_form(f.children, form, path + "."))
        elif f.kind == "labelled":
            for index in range(len(f.labels)):
                flat[f"{path}.{index}"] = form.get(f"{path}.{index}", "")
        elif f.kind == "checkbox":
            flat[path] = "true" if form.get(path) else ""
        else:
            flat[path] = form.get(path, "")
    return flat


PAGE_CONTROLS = frozenset({"csrf_token", "action"})
"""Posted names of the task page itself (the token and the button pressed), not fields of the form."""


def foreign_names(fields: list[Field], form: Any) -> list[str]:
    """Posted names that no input of this form has (from_form would silently drop them: the caller refuses them)."""
    known = re.compile("|".join(_name_patterns(fields, "")) or "(?!)")
    return [name for name in form if name not in PAGE_CONTROLS and not known.fullmatch(name)]


def _name_patterns(fields: list[Field], prefix: str) -> list[str]:
    """Regular expressions of the names the inputs of these fields post (see from_form)."""
    patterns: list[str] = []
    for f in fields:
        path = prefix + re.escape(f.key)
        if f.kind == "rows":
            patterns.append(path + r"\.\d+\._delete")
            patterns.extend(_name_patterns(f.children, path + r"\.\d+\."))
        elif f.kind == "group":
            patterns.extend(_name_patterns(f.children, path + r"\."))
        elif f.kind == "labelled":
            patterns.append(path + r"\.\d+")
        else:
            patterns.append(path)
    return patterns


def _filled(value: Any) -> bool:
    if isinstance(value, list):
        return bool(value)
    return bool(str(value).strip())


def row_count(flat: Flat, path: str) -> int:
    """How many rows of a repeatable group the flat values hold (their indices run from 0)."""
    pattern = re.compile(re.escape(path) + r"\.(\d+)\.")
    indices = [int(m.group(1)) for name in flat for m in [pattern.match(name)] if m]
    return max(indices) + 1 if indices else 0


def row_indices(f: Field, flat: Flat, path: str, readonly: bool = False) -> list[int]:
    """Rows to draw: those with values, then empty ones to fill in (at least minItems, at most maxItems)."""
    filled = row_count(flat, path)
    if readonly:
        return list(range(filled))
    total = max(filled + BLANK_ROWS, f.min_items)
    if isinstance(f.max_items, int):
        total = min(total, max(f.max_items, filled))
    return list(range(total))


# -- submission ---------------------------------------------------------------------------------------------


def to_submission(
    fields: list[Field], flat: Flat, prefix: str = "", data: Mapping[str, Any] | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """The typed submission and the errors found while reading it (dates that are not dates).

    A value that cannot be read as its type is passed on as typed, so the schema reports it in its own words;
    empty inputs are left out, so a required field is reported as missing. Read-only fields keep the
    instance data's value, whatever was posted.
    """
    out: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for f in fields:
        path = prefix + f.key
        if f.readonly:
            if data is not None and f.key in data:
                out[f.key] = data[f.key]
            continue
        if f.kind == "rows":
            rows = []
            for index in range(row_count(flat, path)):
                row, row_errors = to_submission(f.children, flat, f"{path}.{index}.")
                rows.append(row)
                errors.update(row_errors)
            out[f.key] = rows
        elif f.kind == "group":
            group, group_errors = to_submission(f.children, flat, path + ".")
            errors.update(group_errors)
            if group:
                out[f.key] = group
        elif f.kind == "labelled":
            items = [_scalar(f.item, flat.get(f"{path}.{i}", ""), f"{path}.{i}", errors) for i in range(len(f.labels))]
            if f.required or any(item is not None for item in items):
                out[f.key] = _answered(f, items, path, errors)
        elif f.kind == "checkboxes":
            chosen = flat.get(path) or []
            known = [o.const for o in f.options if o.value in chosen]
            unknown = [v for v in chosen if v not in {o.value for o in f.options}]
            out[f.key] = known + unknown
        elif f.kind == "lines":
            lines = [line.strip() for line in str(flat.get(path, "")).splitlines() if line.strip()]
            items = [_scalar(f.item, line, f"{path}.{i}", errors) for i, line in enumerate(lines)]
            if items:
                out[f.key] = items
        elif f.kind == "checkbox":
            out[f.key] = flat.get(path) == "true"
        elif f.kind == "json":
            text = str(flat.get(path, "")).strip()
            if text:
                try:
                    out[f.key] = json.loads(text, parse_constant=_not_json)
                except (ValueError, RecursionError):  # deep nesting raises RecursionError, not ValueError
                    errors[path] = "JSONとして読み取れません"
                    out[f.key] = text
        else:
            value = _scalar(f, flat.get(path, ""), path, errors)
            if value is not None:
                out[f.key] = value
    return out, errors


ANSWER_REQUIRED = "回答を選んでください"
UNUSED_ANSWER = "この回答は使いません"
"""Said by a question whose answer is computed elsewhere (基本チェックリスト No.12, from height and weight): it may
be left unanswered, and is then recorded as 0 (the decision ignores it)."""


def _answered(f: Field, items: list[Any], path: str, errors: dict[str, str]) -> list[Any]:
    """The answers of a list of questions: one message per unanswered question, unused ones filled with 0."""
    answers = []
    for index, (label, item) in enumerate(zip(f.labels, items, strict=True)):
        if item is None and UNUSED_ANSWER in label:
            item = 0 if f.item.kind in ("radio", "select", "integer") else item
        elif item is None:
            errors[f"{path}.{index}"] = ANSWER_REQUIRED
        answers.append(item)
    return answers


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NaN and Infinity: Python reads them, JSON (and PostgreSQL) do not


def _scalar(f: Field, raw: Any, path: str, errors: dict[str, str]) -> Any:
    """One typed value from one input's text; None when nothing was entered."""
    text = str(raw if raw is not None else "")
    if f.kind in ("text", "textarea"):
        text = text.replace("\r\n", "\n").strip()
        if f.schema.get("pattern") == KANA_PATTERN:
            text = katakana(text)
        return text or None
    text = normalise_ascii(text).strip()
    if not text:
        return None
    if f.kind in ("select", "radio", "yesno"):
        for option in f.options:
            if option.value == text:
                return option.const
        return text
    kind = f.kind
    if kind == "hidden":
        kind = {"integer": "integer", "number": "number", "boolean": "yesno"}.get(_type(f.schema) or "", "text")
    if kind == "yesno":
        return {"true": True, "false": False}.get(text, text)
    if kind == "integer":
        try:
            return int(text.replace(",", ""))
        except ValueError:
            return text
    if kind == "number":
        try:
            number = float(text.replace(",", ""))
        except ValueError:
            return text
        if not math.isfinite(number):
            return text
        return int(number) if re.fullmatch(r"-?[\d,]+", text) else number
    if kind == "month":
        return _month(text, path, errors)
    if kind == "date":
        try:
            return parse_date_input(text).isoformat()
        except DateInputError as exc:
            errors[path] = str(exc)
            return text
    return text


def katakana(text: str) -> str:
    """A reading as the フリガナ field wants it: hiragana and half-width katakana become full-width katakana."""
    wide = unicodedata.normalize("NFKC", text) if any("\uff66" <= c <= "\uff9f" for c in text) else text
    return "".join(chr(ord(c) + 0x60) if "\u3041" <= c <= "\u3096" else c for c in wide)


ISO_MONTH = re.compile(r"^\d{4}-\d{2}$")
MONTH_HINT = "年と月を 令和8年6月 のように入力してください"


def _month(text: str, path: str, errors: dict[str, str]) -> str:
    """`2026-06` from 令和8年6月, R8.6, 2026年6月 or 2026-06; the text as typed (and an error) otherwise."""
    if ISO_MONTH.match(text):
        return text
    compact = text.replace(" ", "")
    day_text = compact + ("1日" if compact.endswith("月") else ".1" if "." in compact else "/1")
    try:
        return f"{parse_date_input(day_text):%Y-%m}"
    except DateInputError:
        errors[path] = MONTH_HINT
        return text


# -- reading back ----------------------------------------------------------------------------------------------


def option_title(f: Field, value: Any) -> str:
    """The Japanese label of a chosen option (its text in the form), or the value itself."""
    for option in f.options or (YES_NO if f.kind in ("checkbox", "yesno") else []):
        if option.value == value:
            return option.title
    return str(value)


def describe(fields: list[Field], path: str) -> str:
    """A person's name for an error path: 目標(2行目)・目標; the path itself when it matches no field."""
    if path in ("", "_form"):
        return "様式全体"
    parts = path.split(".")
    names: list[str] = []
    current = fields
    index = 0
    while index < len(parts):
        key = parts[index]
        match = next((f for f in current if f.key == key), None)
        if match is None:
            return "・".join(names + parts[index:]) if names else path
        names.append(match.title)
        index += 1
        if match.kind in ("rows", "labelled") and index < len(parts) and parts[index].isdigit():
            number = int(parts[index])
            if match.kind == "labelled" and number < len(match.labels):
                names[-1] += f"({number + 1}. {match.labels[number]})"
            else:
                names[-1] += f"({number + 1}行目)"
            index += 1
        current = match.children if match.kind in ("rows", "group") else []
    return "・".join(names)


def dom_id(path: str) -> str:
    """An HTML id for an input name (dots are legal in ids but awkward in CSS selectors)."""
    return "f-" + re.sub(r"[^A-Za-z0-9_-]", "-", path)


def display(f: Field, flat: Flat, path: str) -> str:
    """The text a read-only view shows for one field: option labels, はい/いいえ, 和暦 dates."""
    from web.display import to_wareki

    value = flat.get(path)
    if f.kind == "checkbox":
        return "はい" if value == "true" else "いいえ"
    if value in (None, "", []):
        return ""
    if f.kind == "checkboxes":
        return "、".join(option_title(f, v) for v in value)
    if f.kind in ("select", "radio", "yesno"):
        return option_title(f, value)
    if f.kind == "date":
        return to_wareki(value)
    if f.kind == "month":
        return to_wareki_month(value) if ISO_MONTH.match(str(value)) else str(value)
    if f.kind == "json":
        try:
            return readable(json.loads(str(value)), f.schema)
        except ValueError:
            return str(value)
    return str(value)


def readable(value: Any, schema: Mapping[str, Any]) -> str:
    """Nested data in words (a read-only view never shows JSON): 「項目: 値」 joined by 、, one line per list item."""
    from web.print_values import display_scalar

    if isinstance(value, list):
        item = schema.get("items") if isinstance(schema.get("items"), Mapping) else {}
        return "\n".join(readable(v, item) for v in value)
    if isinstance(value, Mapping):
        props = schema.get("properties") if isinstance(schema.get("properties"), Mapping) else {}
        parts = []
        for key, v in value.items():
            sub = props.get(key) if isinstance(props.get(key), Mapping) else {}
            if v in (None, "", [], {}) or str(key).startswith("_"):
                continue
            parts.append(f"{staff_text(sub.get('title') or key)}: {readable(v, sub)}")
        return "、".join(parts)
    return display_scalar(value, schema)


def template_globals() -> dict[str, Any]:
    return {
        "dom_id": dom_id,
        "describe": describe,
        "row_indices": row_indices,
        "display": display,
    }
