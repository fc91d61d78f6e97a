"""Form schemas and the contract handlers implement: validation and derived values per form."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from functools import lru_cache
from typing import Any
from typing import Protocol


@dataclass(frozen=True)
class FormContext:
    """What a handler may look at besides the submission itself."""

    today: date
    municipality: str
    params: Mapping[str, Any] = field(default_factory=dict)
    """The municipality's parameters (municipality.toml, flattened: `results_due_day`, `retention_years` …)."""
    data: Mapping[str, Any] = field(default_factory=dict)
    """The instance data before this submission (read-only)."""
    directory: Mapping[str, frozenset[str]] | None = None
    """The names a `x-directory` field may hold, by its value (engine.accounts.form_register.form_directory); None
    where no database is at hand (a handler tested alone), and then such fields are not checked."""
    office: Mapping[str, Any] | None = None
    """What is recorded of the case's 居宅介護支援事業所 (`name`, `proxy_receipt_mandate_filed_on`: a date or None);
    None where the case has no office, no database is at hand, or the form's handler does not set `reads_office`
    (engine.accounts.form_register.office_record)."""


class FormHandler(Protocol):
    """Python for one form: what a JSON Schema cannot say."""

    form: str

    def validate(self, submission: Mapping[str, Any], context: FormContext) -> dict[str, str]:
        """Return field -> Japanese message for each problem; empty when the submission is acceptable."""
        ...

    def derive(self, submission: Mapping[str, Any], context: FormContext) -> dict[str, Any]:
        """Return values to merge into the instance data along with the submission (e.g. scores)."""
        ...


class PythonDecision(Protocol):
    """A decision written in Python: inputs and the municipality's parameters in, outputs out.

    Raises `engine.errors.ValidationError` (Japanese, per input) on bad input.
    """

    def __call__(self, inputs: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]: ...


def validate_submission(
    schema: Mapping[str, Any],
    submission: Mapping[str, Any],
    handler: FormHandler | None,
    context: FormContext,
) -> dict[str, str]:
    """Check a submission against its JSON Schema and its handler; return field -> Japanese message."""
    errors: dict[str, str] = _nul_errors(submission)
    if errors:
        return errors  # PostgreSQL cannot store a NUL character: no schema or handler needs to look further
    errors = foreign_fields(schema, submission)
    if errors:
        return errors  # a key the form does not have must never reach the instance data or the case
    validator = _validator(schema)
    for error in sorted(validator.iter_errors(submission), key=lambda e: list(e.absolute_path)):
        field_path = ".".join(str(p) for p in error.absolute_path)
        if error.validator == "required":
            missing = error.message.split("'")[1] if "'" in error.message else ""
            field_path = ".".join(filter(None, [field_path, missing]))
        errors.setdefault(field_path or "_form", _japanese(error, _field_schema(error, schema)))
    if errors:
        return errors  # a handler reads typed values: it runs on a submission the schema accepts
    if context.directory is not None:
        errors.update(directory_errors(schema, submission, context.directory))
    if handler is not None:
        errors = {**handler.validate(submission, context), **errors}
    return errors


DIRECTORY = "x-directory"
"""A text field naming a registered organisation or staff member of the case's municipality: `"office"` (an
organisation of that role, by name) or `"office-staff"` (a staff member of such an organisation, by display name).
The task page offers the names as a list; any other name is refused here, for the page and the API alike."""
DIRECTORY_TITLES = {"center": "地域包括支援センター", "office": "居宅介護支援事業所", "provider": "サービス事業所"}


def has_directory_fields(schema: Mapping[str, Any]) -> bool:
    """Whether a form names registered organisations or staff (only then is the directory read)."""
    return any(isinstance(p, Mapping) and DIRECTORY in p for p in (schema.get("properties") or {}).values())


def directory_errors(
    schema: Mapping[str, Any], submission: Mapping[str, Any], directory: Mapping[str, frozenset[str]]
) -> dict[str, str]:
    """field -> message for each `x-directory` field whose value is not a registered name."""
    errors: dict[str, str] = {}
    for key, prop in (schema.get("properties") or {}).items():
        kind = prop.get(DIRECTORY) if isinstance(prop, Mapping) else None
        value = submission.get(key)
        if not isinstance(kind, str) or value is None or value in directory.get(kind, frozenset()):
            continue
        role, _, staff = kind.partition("-")
        place = DIRECTORY_TITLES.get(role, "事業所")
        errors[key] = f"登録されている{place}{'の職員' if staff else ''}から選んでください"
    return errors


FOREIGN = "この様式にない項目です"


def foreign_fields(schema: Mapping[str, Any], submission: Any) -> dict[str, str]:
    """field -> FOREIGN for every key of the submission (at any depth) that the form does not declare.

    Whatever the schema says about additional properties: the submission is merged into the instance data,
    and from there a step may carry it onto the case, so an undeclared key is refused, never passed through.
    Only an object whose schema declares no `properties` at all (free-form data) is left as it is.
    """
    return _foreign(schema, submission, "", schema)


def _foreign(node: Any, value: Any, path: str, root: Mapping[str, Any]) -> dict[str, str]:
    if not isinstance(node, Mapping):
        return {}
    node = _resolved(node, root)
    found: dict[str, str] = {}
    if isinstance(value, Mapping):
        declared = _declared_properties(node, root)
        if declared is None:
            return found
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if key in declared:
                found.update(_foreign(declared[key], item, where, root))
            else:
                found[where] = FOREIGN
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.update(_foreign(node.get("items"), item, f"{path}.{index}" if path else str(index), root))
    return found


def _declared_properties(node: Mapping[str, Any], root: Mapping[str, Any]) -> dict[str, Any] | None:
    """The properties an object schema declares, including those of its conditional branches (if/then, allOf)."""
    declared: dict[str, Any] | None = None
    branches = [node, *node.get("allOf", []), node.get("then"), node.get("else")]
    for branch in branches:
        if not isinstance(branch, Mapping):
            continue
        branch = _resolved(branch, root)
        for nested in (branch, branch.get("then"), branch.get("else")):
            if isinstance(nested, Mapping) and isinstance(nested.get("properties"), Mapping):
                declared = declared or {}
                for key, sub in nested["properties"].items():
                    declared.setdefault(key, sub)
    return declared


def _resolved(node: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    """A local `$ref` (#/$defs/…) followed; anything else as it is."""
    ref = node.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return node
    target: Any = root
    for part in ref[2:].split("/"):
        target = target.get(part) if isinstance(target, Mapping) else None
    return target if isinstance(target, Mapping) else node


def _nul_errors(value: Any, path: str = "") -> dict[str, str]:
    if isinstance(value, str):
        return {path or "_form": "使えない文字(NUL)が含まれています"} if "\x00" in value else {}
    found: dict[str, str] = {}
    if isinstance(value, Mapping):
        for key, item in value.items():
            found.update(_nul_errors(str(key), path or "_form") if "\x00" in str(key) else {})
            found.update(_nul_errors(item, f"{path}.{key}" if path else str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.update(_nul_errors(item, f"{path}.{index}" if path else str(index)))
    return found


MAX_PATTERN_LENGTH = 500
"""The longest `pattern` a form may have; the ones in processes/ are under 30 characters."""
PATTERN_MEMORY = 1 << 20
"""Bytes RE2 may use for one compiled pattern (its default is 8 MB); a pattern that needs more is refused."""


def linear_time_validator(schema: Mapping[str, Any], format_checker: Any = None) -> Any:
    """A JSON Schema 2020-12 validator whose `pattern` and `patternProperties` are matched by RE2, in time linear
    in the input, instead of Python's backtracking `re`: a form's pattern such as `^((a+))+$` or `(.*a){12}` cannot
    make a staff member's input hold the server (ReDoS). A pattern RE2 cannot compile (a back-reference, a
    look-ahead) is refused by lint (`pattern_problem`) and, should one reach run time, fails the field."""
    return _linear_time_validator_class()(schema, format_checker=format_checker)


_VALIDATORS: dict[int, tuple[Mapping[str, Any], Any]] = {}
_VALIDATORS_KEPT = 512
"""Schemas whose validator is kept: a library has about 60 forms per published version."""
_KEEPING = threading.Lock()


def _validator(schema: Mapping[str, Any]) -> Any:
    """The validator of a form's schema, built once per schema object (issue 14: building it was about a third of
    a submission's validation). A form's schema is never changed once loaded (a published version is immutable);
    the entry holds the schema itself, so its id cannot be reused by another object while the entry is kept."""
    kept = _VALIDATORS.get(id(schema))
    if kept is not None and kept[0] is schema:
        return kept[1]
    validator = linear_time_validator(schema, format_checker=_format_checker())
    with _KEEPING:  # the threads of one web worker: evicting iterates the dict another could be adding to
        if len(_VALIDATORS) >= _VALIDATORS_KEPT:
            del _VALIDATORS[next(iter(_VALIDATORS))]  # the oldest first
        _VALIDATORS[id(schema)] = (schema, validator)
    return validator


def pattern_problem(pattern: str) -> str | None:
    """A Japanese message when a form's `pattern` cannot be matched in linear time, else None."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        return f"正規表現「{pattern[:60]}」が長すぎます({MAX_PATTERN_LENGTH}文字まで)"
    if _compiled_pattern(pattern) is None:
        return (
            f"正規表現「{pattern[:60]}」は使えません(後方参照・先読みなど、入力の長さに比例する時間で"
            "照合できない書き方か、誤りがあります)"
        )
    return None


@lru_cache(maxsize=1)
def _linear_time_validator_class() -> Any:
    from jsonschema import Draft202012Validator
    from jsonschema import ValidationError as SchemaValidationError
    from jsonschema.validators import extend

    def pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Any:
        if validator.is_type(instance, "string") and not _search(pattern, instance):
            yield SchemaValidationError(f"{instance!r} does not match {pattern!r}")

    def pattern_properties(validator: Any, patterns: Mapping[str, Any], instance: Any, schema: Any) -> Any:
        if not validator.is_type(instance, "object"):
            return
        for key_pattern, subschema in patterns.items():
            for key, value in instance.items():
                if _search(key_pattern, key):
                    yield from validator.descend(value, subschema, path=key, schema_path=key_pattern)

    # types-jsonschema leaves extend() unannotated; it returns a validator class like Draft202012Validator.
    return extend(Draft202012Validator, {"pattern": pattern, "patternProperties": pattern_properties})  # type: ignore[no-untyped-call]


def _search(pattern: str, text: str) -> bool:
    compiled = _compiled_pattern(pattern)
    return compiled is not None and compiled.search(text) is not None  # an unusable pattern matches nothing


@lru_cache(maxsize=1024)
def _compiled_pattern(pattern: str) -> Any:
    import re2

    options = re2.Options()
    options.max_mem = PATTERN_MEMORY
    options.log_errors = False
    if len(pattern) > MAX_PATTERN_LENGTH:
        return None
    try:
        return re2.compile(pattern, options)
    except re2.error:
        return None


EARLIEST = date(1900, 1, 1)
LATEST = date(2199, 12, 31)
"""Dates of care records fall in this range; 9999-12-31 is a typo, and date arithmetic on it overflows."""


@lru_cache(maxsize=1)
def _format_checker() -> Any:
    """jsonschema's format checks, with `date` also requiring a plausible year (a handler adds days to it). One per
    process: the checker holds no state of a validation."""
    from jsonschema import FormatChecker

    checker = FormatChecker()

    @checker.checks("date", raises=ValueError)
    def plausible_date(value: object) -> bool:
        if not isinstance(value, str):
            return True  # the type check reports it
        return EARLIEST <= date.fromisoformat(value) <= LATEST and len(value) == 10

    return checker


KANA_PATTERN = "^[ァ-ヶー・ 　]*$"
"""A フリガナ: full-width katakana, with spaces between family and given name (the page turns hiragana and half-width
katakana into it, web/formfields.py)."""
PHONE_PATTERN = "^0[0-9]{1,4}-?[0-9]{1,4}-?[0-9]{3,4}$"
PATTERN_MESSAGES = {
    KANA_PATTERN: "フリガナは全角カタカナで入力してください(例: トヨカワ タロウ)",
    PHONE_PATTERN: "電話番号は 0564-12-3456 のように数字とハイフンで入力してください",
    "^[0-9]{10}$": "数字10桁で入力してください(例: 0123456789)",
    "^[0-9]+$": "半角数字で入力してください",
    "^[0-9]{4}-[0-9]{2}$": "年と月を 令和8年6月 のように入力してください",
}
"""What a field with one of the forms' patterns expects, in the person's words (a pattern itself says nothing)."""
CONFIRM_REQUIRED = "済ませてからチェックを入れてください(この確認は必須です)"


def _field_schema(error: Any, root: Mapping[str, Any]) -> Mapping[str, Any]:
    """The schema of the field an error is about: a missing field's own schema for `required`, local $refs followed."""
    schema: Mapping[str, Any] = error.schema if isinstance(error.schema, Mapping) else {}
    if error.validator == "required" and "'" in error.message:
        properties = schema.get("properties")
        missing = properties.get(error.message.split("'")[1]) if isinstance(properties, Mapping) else None
        schema = missing if isinstance(missing, Mapping) else {}
    return _resolved(schema, root)


def _japanese(error: Any, schema: Mapping[str, Any]) -> str:
    """A person-readable message for one jsonschema error (jsonschema's own are English); `schema` is the field's."""
    kind = error.validator
    value = error.validator_value
    if kind == "required":
        if schema.get("type") == "boolean":
            return "「はい」か「いいえ」を選んでください"
        if schema.get("oneOf") or schema.get("anyOf") or schema.get("enum"):
            return "選択肢から選んでください"
        return "入力してください"
    if kind == "const" and value is True:
        return CONFIRM_REQUIRED
    if kind == "type":
        names = {
            "string": "文字",
            "integer": "整数",
            "number": "数値",
            "boolean": "はい/いいえ",
            "array": "一覧",
            "object": "項目のまとまり",
        }
        wanted = [str(w) for w in value] if isinstance(value, list) else [str(value)]
        return "形式が違います(" + "・".join(names.get(w, w) for w in wanted) + "で入力してください)"
    if kind in ("enum", "const", "oneOf", "anyOf"):
        return "選択肢の中から選んでください"
    if kind == "format":
        return {"date": "日付(例: 2026-04-01、1900年から2199年まで)で入力してください"}.get(
            value, f"形式({value})が違います"
        )
    if kind == "pattern":
        return PATTERN_MESSAGES.get(str(value), "書式が違います")
    if kind == "minimum":
        return f"{value}以上で入力してください"
    if kind == "maximum":
        return f"{value}以下で入力してください"
    if kind == "minLength":
        return "入力してください" if value == 1 else f"{value}文字以上で入力してください"
    if kind == "maxLength":
        return f"{value}文字以内で入力してください"
    if kind == "minItems":
        return f"{value}件以上入力してください"
    if kind == "maxItems":
        return f"{value}件以内で入力してください"
    if kind == "additionalProperties":
        return "この様式にない項目が含まれています"
    return "入力内容を確認してください"
