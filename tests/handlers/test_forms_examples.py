"""The forms of processes/common/forms.

Valid draft 2020-12 schemas with Japanese titles and a valid example; the canonical fields the
gateways and the engine read; the uischemas; every registered handler against its form's own
example; the required-when rules stated in the schemas.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from jsonschema import FormatChecker

import handlers
from engine.process_library.forms import FormContext
from engine.process_library.forms import validate_submission
from engine.process_library.lint import check_form

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
COMMON = PROCESSES / "common" / "forms"
COMMON_SCHEMAS = sorted(COMMON.glob("*.schema.json"))
ALL_SCHEMAS = sorted(PROCESSES.glob("*/forms/*.schema.json"))
NEW_CASE_FORMS = [
    "intake",
    "delegation_request",
    "delegation_acceptance",
    "contract",
    "plan_request_notification",
    "notification_acceptance",
    "certification_materials",
    "materials_handover",
    "assessment",
    "basic_checklist",
    "doctor_instruction",
    "plan_draft",
    "plan_review",
    "service_meeting",
    "plan_consent",
    "plan_delivery",
    "plan_originals_submission",
    "individual_plan",
    "individual_plan_receipt",
    "evaluation",
    "evaluation_review",
    "service_end",
    "monitoring",
]
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
SEED_LINES = re.compile(r"\d{3}:\d+")
WIDGETS = {"textarea", "radio", "select", "checkboxes", "date"}
CARE_LEVELS = {
    "jigyo",
    "shien1",
    "shien2",
    "kaigo1",
    "kaigo2",
    "kaigo3",
    "kaigo4",
    "kaigo5",
    "higaito",
    "pending",
}
OUTCOMES = {"continue", "change", "end"}

DATE = {"type": "string", "format": "date"}
TEXT = {"type": "string"}
FLAG = {"type": "boolean"}


def enum(*consts: Any) -> dict[str, Any]:
    return {"consts": set(consts)}


CANONICAL: dict[str, dict[str, dict[str, Any]]] = {
    # Names and types the gateways, the engine, the decisions or the brief fix (CONTRACT.md).
    "intake": {
        "insured_number": {"type": "string", "pattern": "^[0-9]{10}$"},
        "client_name": TEXT,
        "client_name_kana": TEXT,
        "birth_date": DATE,
        "sex": TEXT,
        "address": TEXT,
        "phone": TEXT,
        "consultation_date": DATE,
        "consultation_channel": enum("visit", "phone", "other"),
        "care_level": enum(*CARE_LEVELS),
        "certification_start": DATE,
        "certification_end": DATE,
        "card_checked": FLAG,
        "copay_card_checked": FLAG,
        "delegated": FLAG,
        "desired_office": TEXT,
        "care_management_type": enum("", "A", "B", "C"),
        "service_start_date": DATE,
    },
    "delegation_request": {
        "requested_office": TEXT,
        "request_date": DATE,
        "contract_exists": FLAG,
        "card_checked": FLAG,
        "copay_card_checked": FLAG,
    },
    "delegation_acceptance": {
        "delegation_accepted": FLAG,
        "decline_reason": TEXT,
        "care_manager_name": TEXT,
    },
    "contract": {"contract_date": DATE},
    "plan_request_notification": {"notification_date": DATE, "card_attached": FLAG},
    "notification_acceptance": {"accepted_date": DATE, "card_returned": FLAG},
    "certification_materials": {
        "provided_date": DATE,
        "survey_sheet": FLAG,
        "doctor_opinion": FLAG,
    },
    "materials_handover": {"handover_date": DATE},
    "assessment": {
        "visit_date": DATE,
        "visited_at_home": FLAG,
        "not_at_home_reason": TEXT,
        "medical_services_planned": FLAG,
        "domain_mobility": {"type": "object"},
        "domain_daily_life": {"type": "object"},
        "domain_social": {"type": "object"},
        "domain_health": {"type": "object"},
        "emergency_contacts": {"type": "array"},
        "medical_history": {"type": "array"},
    },
    "basic_checklist": {
        "answers": {"type": "array", "minItems": 25, "maxItems": 25},
        "height_cm": {"type": "number", "minimum": 100, "maximum": 220},
        "weight_kg": {"type": "number", "minimum": 20, "maximum": 200},
        "filled_date": DATE,
    },
    "doctor_instruction": {
        "confirmed_date": DATE,
        "method": enum("opinion", "certificate", "liaison", "hearing"),
        "doctor_name": TEXT,
        "instruction": TEXT,
    },
    "plan_draft": {
        "plan_date": DATE,
        "plan_kind": enum("initial", "referral", "continuing"),
        "certification_status": enum("certified", "pending"),
        "life_goal_day": TEXT,
        "life_goal_year": TEXT,
        "overall_policy": TEXT,
        "issues": {"type": "array"},
        "goals": {"type": "array"},
        "plan_start": DATE,
        "plan_end": DATE,
        "uses_medical_services": FLAG,
    },
    "plan_review": {
        "center_opinion": TEXT,
        "reviewer_name": TEXT,
        "center_name": TEXT,
        "review_date": DATE,
    },
    "service_meeting": {
        "meeting_date": DATE,
        "place": TEXT,
        "attendees": {"type": "array"},
        "held": FLAG,
        "not_held_reason": TEXT,
        "summary": TEXT,
        "plan_changed_after_meeting": FLAG,
    },
    "plan_consent": {
        "consent_date": DATE,
        "signer_name": TEXT,
        "signed_by_proxy": FLAG,
        "proxy_name": TEXT,
        "proxy_relationship": TEXT,
    },
    "plan_delivery": {
        "delivery_date": DATE,
        "delivered_to": {"type": "array", "item_consts": {"client", "providers", "doctor"}},
        "before_service_start": FLAG,
    },
    "plan_originals_submission": {"submitted_date": DATE, "documents": {"type": "array"}},
    "individual_plan": {
        "provider_name": TEXT,
        "service_type": TEXT,
        "plan_received_date": DATE,
        "client_consented": FLAG,
    },
    "individual_plan_receipt": {"received_date": DATE, "consistent_with_plan": FLAG, "notes": TEXT},
    "evaluation": {
        "evaluation_date": DATE,
        "goal_results": {"type": "array"},
        "overall_policy": TEXT,
        "home_visit": FLAG,
        "evaluation_outcome": enum(*OUTCOMES),
        "next_service": enum("介護給付", "予防給付", "介護予防・生活支援サービス事業", "一般介護予防事業", "終了"),
    },
    "evaluation_review": {
        "center_opinion": TEXT,
        "effect": enum("effective", "maintained", "worse"),
        "evaluation_outcome": enum(*OUTCOMES),
        "reviewer_name": TEXT,
        "review_date": DATE,
    },
    "service_end": {
        "end_date": DATE,
        "end_reason": enum(
            "independent",
            "care_certified",
            "admitted",
            "moved",
            "moved_out",
            "deceased",
            "wish",
            "certification_result",
            "other",
        ),
        "documents_returned": FLAG,
        "copies_destroyed": FLAG,
        "notes": TEXT,
    },
    "monitoring": {
        "month": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"},
        "contact_date": DATE,
        "contact_method": enum("home_visit", "other_visit", "phone", "video"),
        "home_visit": FLAG,
        "client_state": TEXT,
        "service_status": TEXT,
        "state_changed": FLAG,
        "plan_change_needed": FLAG,
        "special_circumstances": TEXT,
        "record": TEXT,
    },
}
NESTED: dict[tuple[str, str], set[str]] = {
    ("plan_draft", "goals"): {
        "goal",
        "support_points",
        "self_care",
        "service",
        "service_type",
        "provider",
        "period_start",
        "period_end",
    },
    ("evaluation", "goal_results"): {
        "goal",
        "period",
        "status_text",
        "achieved",
        "reason_client",
        "reason_planner",
        "next_policy",
    },
    ("service_meeting", "attendees"): {"name", "affiliation", "role"},
    ("assessment", "medical_history"): {"disease", "institution", "status"},
    ("assessment", "domain_mobility"): {"current_state", "wishes", "issue"},
}


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def schema_of(form: str) -> dict[str, Any]:
    return load(COMMON / f"{form}.schema.json")


def ui_of(form: str) -> dict[str, Any]:
    return load(COMMON / f"{form}.uischema.json")


def properties_deep(schema: dict[str, Any], path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every property of the form, with nested objects and the objects of arrays (`goals.goal`)."""
    found = []
    for name, prop in (schema.get("properties") or {}).items():
        found.append((path + name, prop))
        nested = prop.get("items") if prop.get("type") == "array" else prop
        if isinstance(nested, dict) and nested.get("type") == "object":
            found.extend(properties_deep(nested, f"{path}{name}."))
    return found


def consts(prop: dict[str, Any]) -> list[Any]:
    return [option["const"] for option in prop.get("oneOf", [])]


# -- every form of the common library --------------------------------------------------------------


@pytest.mark.parametrize("path", COMMON_SCHEMAS, ids=lambda p: p.name)
def test_every_form_is_a_valid_schema_with_a_valid_example_and_japanese_titles(path):
    schema = load(path)
    Draft202012Validator.check_schema(schema)
    assert JAPANESE.search(schema.get("title", "")), "the form's title is Japanese"
    examples = schema.get("examples") or []
    assert examples, "examples[0] is the valid submission scenarios start from"
    errors = list(Draft202012Validator(schema, format_checker=FormatChecker()).iter_errors(examples[0]))
    assert errors == [], [e.message for e in errors]
    for name, prop in properties_deep(schema):
        assert JAPANESE.search(prop.get("title", "")), f"{name} has no Japanese title"


def test_the_new_case_forms_all_exist_with_a_uischema():
    for form in NEW_CASE_FORMS:
        assert (COMMON / f"{form}.schema.json").exists(), form
        assert (COMMON / f"{form}.uischema.json").exists(), form


# -- the conventions of the new-case forms ---------------------------------------------------------


@pytest.mark.parametrize("path", ALL_SCHEMAS, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_every_form_of_the_library_passes_lint_with_its_conventions(path):
    # draft 2020-12 objects, snake_case names, oneOf choices with labels, string dates, closed nested objects:
    # lint's rules (engine/process_library/conventions.py), so a form published from the modeler is held to them too
    assert check_form(path, str(path.relative_to(PROCESSES))) == []


def test_lint_reports_a_form_that_breaks_the_conventions(tmp_path):
    schema = schema_of("intake")
    first = next(iter(schema["properties"]))
    schema["properties"][first] = {"type": "string", "title": "区分", "enum": ["a", "b"]}
    schema["properties"]["BadName"] = {"type": "string", "title": "名前"}
    path = tmp_path / "intake.schema.json"
    path.write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
    problems = [p for p in check_form(path, "common/forms/intake.schema.json") if p.rule == "form-convention"]
    assert {p.element for p in problems} == {first, "BadName"}


@pytest.mark.parametrize("form", NEW_CASE_FORMS)
def test_conventions(form):
    """What the new-case forms hold beyond lint's conventions: closed, one sentence citing seed lines, flat."""
    schema = schema_of(form)
    assert schema["additionalProperties"] is False
    description = schema["description"]
    assert JAPANESE.search(description) and SEED_LINES.search(description)
    assert description.count("。") == 1, "one sentence, with the seed lines it rests on"
    for name, prop in properties_deep(schema):
        if prop.get("type") == "object" or prop.get("items", {}).get("type") == "object":
            assert name.count(".") == 0, f"{name}: at most one level of nesting"


@pytest.mark.parametrize("form", sorted(CANONICAL))
def test_the_canonical_fields_exist_with_their_types(form):
    properties = schema_of(form)["properties"]
    for name, wanted in CANONICAL[form].items():
        assert name in properties, f"{form}.{name} is missing"
        prop = properties[name]
        for key in ("type", "format", "pattern", "minItems", "maxItems", "minimum", "maximum"):
            if key in wanted:
                assert prop.get(key) == wanted[key], f"{form}.{name}: {key}"
        if "consts" in wanted:
            assert set(consts(prop)) == wanted["consts"], f"{form}.{name}"
        if "item_consts" in wanted:
            assert set(consts(prop["items"])) == wanted["item_consts"], f"{form}.{name}"


@pytest.mark.parametrize("form, field", sorted(NESTED))
def test_the_nested_fields_exist(form, field):
    prop = schema_of(form)["properties"][field]
    inner = prop.get("items", prop)
    assert NESTED[(form, field)] <= set(inner["properties"])


def test_the_outcome_field_is_the_same_in_the_evaluation_and_its_review():
    # the 包括's judgement replaces the planner's under the same name (003:591)
    evaluation = schema_of("evaluation")["properties"]["evaluation_outcome"]["oneOf"]
    review = schema_of("evaluation_review")["properties"]["evaluation_outcome"]["oneOf"]
    assert evaluation == review


def test_the_assessment_domains_have_the_same_shape():
    properties = schema_of("assessment")["properties"]
    domains = ("domain_mobility", "domain_daily_life", "domain_social", "domain_health")
    assert len({json.dumps(properties[d]["properties"], sort_keys=True) for d in domains}) == 1
    assert properties["domain_health"]["properties"]["issue"]["type"] == "boolean"


def test_the_independence_ranks_are_the_national_ones():
    properties = schema_of("assessment")["properties"]
    physical = [o["title"] for o in properties["disability_independence"]["oneOf"]]
    dementia = [o["title"] for o in properties["dementia_independence"]["oneOf"]]
    assert physical == ["自立", "J1", "J2", "A1", "A2", "B1", "B2", "C1", "C2"]
    assert dementia == ["自立", "Ⅰ", "Ⅱa", "Ⅱb", "Ⅲa", "Ⅲb", "Ⅳ", "M"]


def test_the_care_levels_carry_japanese_titles():
    titles = {o["const"]: o["title"] for o in schema_of("intake")["properties"]["care_level"]["oneOf"]}
    assert titles["jigyo"] == "事業対象者" and titles["shien2"] == "要支援2" and titles["kaigo5"] == "要介護5"
    assert titles["higaito"] == "非該当" and titles["pending"] == "申請中"


# -- uischemas -------------------------------------------------------------------------------------


def widgets(ui: dict[str, Any], path: str = "") -> list[tuple[str, str]]:
    found = []
    for key, value in ui.items():
        if key == "ui:widget":
            found.append((path, value))
        elif isinstance(value, dict):
            found.extend(widgets(value, f"{path}.{key}" if path else key))
    return found


@pytest.mark.parametrize("form", NEW_CASE_FORMS)
def test_the_uischema_orders_every_field_and_names_only_real_ones(form):
    schema, ui = schema_of(form), ui_of(form)
    assert ui["ui:order"] == list(dict.fromkeys(ui["ui:order"]))
    assert set(ui["ui:order"]) == set(schema["properties"])
    for key in ui:
        assert key.startswith("ui:") or key in schema["properties"], key
    for path, widget in widgets(ui):
        assert widget in WIDGETS, f"{path}: {widget}"
    for key, value in ui.items():
        if isinstance(value, dict) and "ui:help" in value:
            assert JAPANESE.search(value["ui:help"]), key


def test_the_checklist_gives_the_25_national_questions_as_labels():
    labels = ui_of("basic_checklist")["answers"]["ui:labels"]
    assert len(labels) == 25 and all(JAPANESE.search(label) for label in labels)
    assert labels[0].startswith("バスや電車で1人で外出")
    assert labels[5].startswith("階段を手すりや壁をつたわらずに")
    assert "BMI" in labels[11]
    assert labels[15].startswith("週に1回以上は外出")
    assert labels[19].startswith("今日が何月何日かわからない")
    assert "わけもなく疲れた" in labels[24]


# -- the rules a schema states itself (required when) ----------------------------------------------


CONTEXT = FormContext(today=date(2026, 6, 30), municipality="suzuka-kameyama")


@pytest.mark.parametrize(
    "form, change, field",
    [
        ("delegation_acceptance", {"delegation_accepted": False}, "decline_reason"),
        ("delegation_request", {"contract_exists": False}, "contract_concluded"),
        ("assessment", {"visited_at_home": False}, "not_at_home_reason"),
        ("assessment", {"present_status": "hospital"}, "facility_name"),
        ("service_meeting", {"held": False}, "not_held_reason"),
        ("individual_plan_receipt", {"consistent_with_plan": False, "notes": None}, "notes"),
        ("service_end", {"end_reason": "other", "notes": None}, "notes"),
    ],
)
def test_required_when_rules_name_the_missing_field_in_japanese(form, change, field):
    schema = schema_of(form)
    submission = {k: v for k, v in {**schema["examples"][0], **change}.items() if v is not None}
    errors = validate_submission(schema, submission, None, CONTEXT)
    assert errors == {field: "入力してください"}


def test_a_declined_delegation_needs_no_care_manager():
    schema = schema_of("delegation_acceptance")
    declined = {
        "answer_date": "2026-05-07",
        "delegation_accepted": False,
        "decline_reason": "空きがないため",
    }
    assert validate_submission(schema, declined, None, CONTEXT) == {}


# -- handlers --------------------------------------------------------------------------------------


def known_forms() -> set[str]:
    return {p.name.removesuffix(".schema.json") for p in ALL_SCHEMAS}


def context_from(example: dict[str, Any]) -> FormContext:
    data = {"certification_start": "2026-04-01", "certification_end": "2027-03-31", **example}
    return FormContext(today=date(2026, 6, 30), municipality="suzuka-kameyama", data=data)


def test_every_registered_handler_names_an_existing_form():
    unknown = set(handlers.form_handlers()) - known_forms()
    assert not unknown


HANDLED = [p for p in ALL_SCHEMAS if p.name.removesuffix(".schema.json") in handlers.form_handlers()]


@pytest.mark.parametrize("path", HANDLED, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_every_registered_handler_accepts_its_forms_example(path):
    """A handler runs for every municipality's version of its form: each example must pass it."""
    form = path.name.removesuffix(".schema.json")
    schema = load(path)
    example = schema["examples"][0]
    handler = handlers.form_handlers()[form]
    assert handler.form == form
    assert handler.validate(example, context_from(example)) == {}
    assert validate_submission(schema, example, handler, context_from(example)) == {}
    assert isinstance(handler.derive(example, context_from(example)), dict)


def test_every_handled_form_has_a_common_version():
    for form in handlers.form_handlers():
        if "_" in form and form.split("_")[0] in {p.name for p in PROCESSES.iterdir()}:
            continue  # a municipality's own step (suzuka-kameyama_…) lives in its folder
        assert (COMMON / f"{form}.schema.json").exists(), form


def test_the_new_case_handlers_are_registered():
    registry = handlers.form_handlers()
    for form in (
        "intake",
        "basic_checklist",
        "plan_draft",
        "plan_consent",
        "monitoring",
        "evaluation",
    ):
        assert form in registry


def test_the_python_decisions_are_registered_by_name():
    decisions = handlers.python_decisions()
    assert "checklist_assessment" in decisions
    assert all(callable(decide) for decide in decisions.values())
