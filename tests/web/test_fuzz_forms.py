"""Property-based fuzzing of every form in processes/ (each distinct resolved version, in the context of the
municipalities that have it), along both ways a submission reaches the engine: JSON (the API: validate_submission,
then the handler's derive) and the posted web form (formfields.from_form and to_submission first). Whatever comes
in, the answer is per-field Japanese messages or an accepted submission whose derived values can be stored as
JSON — never an exception (a 500).
"""

from __future__ import annotations

import json
import string
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

import handlers
from engine.process_library.forms import FormContext
from engine.process_library.forms import validate_submission
from engine.process_library.loader import Library
from web import formfields

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
LIBRARY = Library(PROCESSES, python_decisions=handlers.python_decisions())
HANDLERS = handlers.form_handlers()
FUZZ = settings(
    # 30 submissions for each distinct form (DISTINCT_FORMS), every one reaching the engine: more different ones per
    # form than the 25 each municipality's copy got before, when the copies drew the very same 25 and a third of them
    # (a bare list or number) went no further than the API's refusal.
    max_examples=30,
    deadline=None,
    database=None,
    derandomize=True,  # the same examples on every run: CI does not flake; raise max_examples to explore
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def all_forms() -> list[tuple[str, str]]:
    found = []
    for municipality in sorted(LIBRARY.municipalities()):
        names = {
            p.name.removesuffix(".schema.json")
            for folder in ("common", municipality)
            for p in (PROCESSES / folder / "forms").glob("*.schema.json")
        }
        found += [(municipality, name) for name in sorted(names)]
    return found


FORMS = all_forms()


def distinct_forms() -> list[tuple[str, tuple[str, ...]]]:
    """Each form once with the municipalities whose resolved version is the same (a common form unchanged is the
    same in all five): fuzzed once, each submission checked in the context of one of them, drawn."""
    same: dict[tuple[str, str], list[str]] = {}
    for municipality, name in FORMS:
        form = LIBRARY.form(municipality, name)
        content = json.dumps([form.schema, form.uischema], sort_keys=True, default=str)
        same.setdefault((name, content), []).append(municipality)
    return [(name, tuple(municipalities)) for (name, _), municipalities in same.items()]


DISTINCT_FORMS = distinct_forms()
DISTINCT_IDS = [f"{name}@{'+'.join(municipalities)}" for name, municipalities in DISTINCT_FORMS]
TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
NASTY_VALUES = (
    ["", " ", "令和8年5月1日", "R8.5.1", "２０２６－０５－０１", "2026-02-30", "0000-00-00", "9999-12-31", "1e400",
     "NaN", "-0", "１２３", "<script>alert(1)</script>", "'; DROP TABLE task; --", "\x00", "a" * 5000, "__class__",
     "[" * 50_000, '{"a": ' * 50_000, "[1, NaN, Infinity]"]
)  # fmt: skip
NASTY_TEXT = st.sampled_from(NASTY_VALUES)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    TEXT,
    NASTY_TEXT,
)
JSON_VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4), max_leaves=12
)
DATES = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)).map(date.isoformat)


def value_for(schema: Any, root: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """A value that often fits the property's schema (so handlers run), sometimes not."""
    if not isinstance(schema, dict) or depth > 4:
        return JSON_VALUES
    if "$ref" in schema and isinstance(schema["$ref"], str) and schema["$ref"].startswith("#/"):
        target: Any = root
        for part in schema["$ref"][2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        return value_for(target, root, depth + 1)
    choices = [o["const"] for o in schema.get("oneOf") or [] if isinstance(o, dict) and "const" in o]
    choices += list(schema.get("enum") or [])
    if choices:
        return st.sampled_from(choices) | JSON_VALUES
    kind = schema.get("type")
    kind = kind[0] if isinstance(kind, list) and kind else kind
    if kind == "string" and schema.get("format") in ("date", "date-time"):
        return DATES | NASTY_TEXT
    if kind == "string":
        pattern = schema.get("pattern")
        if pattern == "^[0-9]{10}$":
            return st.text(alphabet=string.digits, min_size=9, max_size=11)
        return TEXT | NASTY_TEXT
    if kind == "integer":
        low, high = schema.get("minimum", -5), schema.get("maximum", 500)
        return st.integers(min_value=int(low) - 2, max_value=int(high) + 2) | JSON_VALUES
    if kind == "number":
        return st.floats(min_value=-1e6, max_value=1e6) | JSON_VALUES
    if kind == "boolean":
        return st.booleans() | JSON_VALUES
    if kind == "array":
        return st.lists(value_for(schema.get("items"), root, depth + 1), max_size=4) | JSON_VALUES
    if kind == "object":
        return submission_for(schema, root, depth + 1)
    return JSON_VALUES


def submission_for(schema: dict[str, Any], root: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    properties = schema.get("properties") or {}
    examples = schema.get("examples") or [{}]
    base = dict(examples[0]) if isinstance(examples[0], dict) else {}
    # Each property's strategy made once, not at every draw: building them again was most of the fuzzing's time.
    values = {key: value_for(properties[key], root, depth) for key in sorted(properties)}
    keys = st.lists(st.sampled_from(sorted(properties)), max_size=6, unique=True) if properties else st.just([])

    @st.composite
    def build(draw: Any) -> dict[str, Any]:
        submission = dict(base)
        for key in draw(keys):
            if draw(st.integers(0, 5)) == 0:
                submission.pop(key, None)
            else:
                submission[key] = draw(values[key])
        if draw(st.integers(0, 7)) == 0:
            submission[draw(TEXT)] = draw(JSON_VALUES)
        return submission

    return build()


def context(municipality: str, data: dict[str, Any]) -> FormContext:
    return FormContext(date(2026, 5, 1), municipality, LIBRARY.municipality(municipality).params, data)


CASE_DATA = st.fixed_dictionaries(
    {},
    optional={
        "care_level": st.sampled_from(["shien1", "shien2", "kaigo1", "jigyo", "pending", "higaito"]),
        "certification_start": DATES,
        "certification_end": DATES,
        "plan_start": DATES,
        "plan_end": DATES,
        "delegated": st.booleans(),
        "application_date": DATES,
        "expected_level": st.sampled_from(["shien1", "kaigo2", "higaito"]),
        "month": st.sampled_from(["2026-05", "2027-03"]),
    },
)


def check_engine_path(municipality: str, name: str, schema: dict[str, Any], submission: Any, data: dict) -> None:
    handler = HANDLERS.get(name)
    errors = validate_submission(schema, submission, handler, context(municipality, data))
    assert isinstance(errors, dict)
    for field, message in errors.items():
        assert isinstance(field, str) and isinstance(message, str) and message
        assert any(ord(c) > 0x3000 for c in message), f"{name}.{field}: not a Japanese message: {message!r}"
    if not errors and handler is not None:
        derived = handler.derive(submission, context(municipality, data))
        json.dumps(derived, allow_nan=False)  # stored as JSON with the instance and the document


@pytest.mark.slow
@pytest.mark.parametrize(("name", "municipalities"), DISTINCT_FORMS, ids=DISTINCT_IDS)
def test_any_json_submission_gets_messages_or_is_accepted_never_an_exception(name, municipalities):
    form = LIBRARY.form(municipalities[0], name)
    # Only objects: the API refuses anything else before the engine sees it (tests/web/test_fuzz_api.py).
    submissions = submission_for(form.schema, form.schema) | st.dictionaries(TEXT, JSON_VALUES, max_size=4)

    @FUZZ
    @given(submission=submissions, data=CASE_DATA, municipality=st.sampled_from(municipalities))
    def run(submission: dict[str, Any], data: dict[str, Any], municipality: str) -> None:
        check_engine_path(municipality, name, form.schema, submission, data)

    run()


@pytest.mark.slow
@pytest.mark.parametrize(("name", "municipalities"), DISTINCT_FORMS, ids=DISTINCT_IDS)
def test_any_posted_web_form_is_read_and_checked_without_an_exception(name, municipalities):
    form = LIBRARY.form(municipalities[0], name)
    fields = formfields.build(form.schema, form.uischema)
    example = form.example()
    names = sorted(formfields.from_data(fields, example)) or ["x"]

    @FUZZ
    @given(
        posted=st.lists(
            st.tuples(st.sampled_from(names) | TEXT.map(lambda t: f"{names[0]}.{t}"), TEXT | NASTY_TEXT), max_size=12
        ),
        keep_example=st.booleans(),
        data=CASE_DATA,
        municipality=st.sampled_from(municipalities),
    )
    def run(posted: list[tuple[str, str]], keep_example: bool, data: dict[str, Any], municipality: str) -> None:
        start = formfields.from_data(fields, example) if keep_example else {}
        pairs = [(k, v) for k, v in start.items() for v in (v if isinstance(v, list) else [v])]
        values = formfields.from_form(fields, MultiDict(pairs + posted))
        submission, local_errors = formfields.to_submission(fields, values, data=example)
        assert all(isinstance(m, str) and m for m in local_errors.values())
        check_engine_path(municipality, name, form.schema, submission, data)
        for field in fields:
            formfields.display(field, values, field.key)

    run()


@pytest.mark.parametrize(("municipality", "name"), FORMS, ids=[f"{m}/{n}" for m, n in FORMS])
def test_every_field_takes_every_nasty_text_without_an_exception(municipality, name):
    """Not random: each hostile string in every input of the form at once (deep JSON, NaN, huge, scripts)."""
    form = LIBRARY.form(municipality, name)
    fields = formfields.build(form.schema, form.uischema)
    names = sorted(formfields.from_data(fields, form.example()))
    for nasty in NASTY_VALUES:
        values = formfields.from_form(fields, MultiDict([(n, nasty) for n in names]))
        submission, _ = formfields.to_submission(fields, values, data=form.example())
        check_engine_path(municipality, name, form.schema, submission, {})
