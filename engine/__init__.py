"""kaigoflow's engine: its public API, the names the web app, the command line, the benches and the tests use.

    from engine import Runtime, Actor, Case, ValidationError, search_cases

As click exposes its own: one flat namespace of distinct names, whatever module inside the engine holds them, so
the engine's packages (engine/README.md) can move without the web noticing. A name is loaded when first asked for
(module `__getattr__`): importing one engine module does not import them all, and no engine module imports this
one, so the façade creates no import circle. A name whose inner name would be too vague here carries its subject
(`search_cases` is engine/cases/search.py's `search`).

Two sub-APIs are namespaces rather than names (`from engine import staff, staff_import`): the staff
administration's rules and its CSV import, some twenty names of one subject that their page uses as a whole.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

_API: dict[str, tuple[str, str]] = {}
"""Public name -> (module, name inside it)."""
_NAMESPACES: dict[str, str] = {
    "staff": "engine.accounts.staff",
    "staff_import": "engine.accounts.staff_import",
    "japanese_dates": "engine.japanese_dates",
    "export_jobs": "engine.operations.export_jobs",
}


def _export(module: str, *names: str, **renamed: str) -> None:
    for name in names:
        _API[name] = (module, name)
    for public, inner in renamed.items():
        _API[public] = (module, inner)


# -- vocabulary: errors, tables, time, settings ------------------------------------------------------------------
_export("engine.errors", "KaigoflowError", "ValidationError", "NotFoundError", "ConflictError", "PermissionDenied")
_export("engine.errors", "LibraryError", "Problem")
_export(
    "engine.store.models",
    "Base",
    "Organisation",
    "User",
    "Case",
    "SpecVersion",
    "ProcessInstance",
    "Task",
    "TaskDraft",
    "Timer",
    "Document",
    "Event",
    "ProcessVersion",
    "ProcessDraft",
    "RetentionPurge",
    "ScheduleItem",
    "Risk",
    "CalendarToken",
    "WorkerHeartbeat",
    "RenderedPdf",
    "PublishJob",
    "ExportJob",
)
_export("engine.clock", "Clock", "SystemClock", "FixedClock", "JST", "today", "to_datetime")
_export("engine.config", "Settings", "checked_base_url")
_export(
    "engine.japanese_dates",
    "as_date",
    "parse_iso_date",
    "parse_wareki",
    "normalise_ascii",
    "normalise_width",
    "to_wareki",
    "to_wareki_month",
    "to_wareki_datetime",
    "weekday_name",
)
_export(
    "engine.vocabulary",
    "CareLevel",
    "CARE_LEVEL_NAMES",
    "care_level_name",
    "ALL_LEVELS",
    "KAIGO_LEVELS",
    "SHIEN_LEVELS",
    "CERTIFIED_LEVELS",
    "CURRENT_LEVELS",
    "RESULT_LEVELS",
    "INSURED_NUMBER_MESSAGE",
    "read_insured_number",
    "insured_number_problem",
)

_export("engine.services", "Services")
_export("engine.spreadsheet", "to_csv")

# -- the database --------------------------------------------------------------------------------------------------
_export("engine.store.db", "engine_options", "configure_engine", "make_engine", "session_factory")
_export(
    "engine.store.schema_state",
    check_schema="check",
    SCHEMA_READY="READY",
    SCHEMA_MISSING="MISSING",
    SCHEMA_OUTDATED="OUTDATED",
    SCHEMA_UNREACHABLE="UNREACHABLE",
)

# -- the library of flows ------------------------------------------------------------------------------------------
_export("engine.process_library.loader", "Library", "ResolvedSpec", "FLOW_KEYS")
_export(
    "engine.process_library.forms",
    "FormContext",
    "FormHandler",
    "PythonDecision",
    "validate_submission",
    "has_directory_fields",
    "KANA_PATTERN",
    FOREIGN_FIELD="FOREIGN",
    DIRECTORY_FIELD="DIRECTORY",
    EARLIEST_DATE="EARLIEST",
    LATEST_DATE="LATEST",
)
_export("engine.process_library.canonical", "FLOW_NAMES", "ROLE_NAMES", "flow_name")
_export("engine.process_library.lint", "lint_library", "lint_paths", "LintReport", describe_lint="describe")

# -- cases: who sees them, opening, facts, search --------------------------------------------------------------
_export(
    "engine.cases.access",
    "CASE_ROLES",
    "CANNOT_START_IN_CASE",
    "case_clause",
    "task_clause",
    "can_see_case",
    "task_is_for",
    "start_refusal",
)
_export("engine.cases.readers", "may_read", "may_export")
_export("engine.cases.opening", "validate_opening", OPENING_FIELDS="FIELDS", read_opening="read")
_export("engine.cases.facts", "FACTS", "FACT_TITLES", "known_facts", SEX_NAMES="SEXES")
_export("engine.accounts.form_register", "form_directory")
_export(
    "engine.cases.search",
    "CaseQuery",
    "CasePage",
    "CaseRow",
    search_cases="search",
    duplicate_cases="duplicates",
    CASE_SORTS="SORTS",
    CASE_STATUSES="STATUSES",
    MAX_CASE_QUERY="MAX_QUERY",
)

# -- running flows -------------------------------------------------------------------------------------------------
_export("engine.execution.runtime", "Runtime", "Actor", "SYSTEM", "Completion")
_export("engine.execution.display", "TaskView", "Progress", "task_view", "instance_spec", instance_progress="progress")
_export("engine.execution.projection", "lane_role")

# -- schedules, duties, risks ---------------------------------------------------------------------------------------
_export(
    "engine.scheduling.duties",
    "planner_role",
    MANUAL_DUTIES="MANUAL",
    EXCUSABLE_DUTIES="EXCUSABLE",
    duty_name="name_of",
)
_export("engine.scheduling.compliance", "RISKS")
_export("engine.scheduling.duewords", "describe_due_rule", DUE_DATA_FIELD_NAMES="DATA_FIELD_NAMES")
_export("engine.scheduling.deadlines", "add_months", "month_end")
_export("engine.scheduling.digest", build_digest="build", DIGEST_WHEN="WHEN")

# -- drafts, versions, scenarios ------------------------------------------------------------------------------------
_export(
    "engine.publishing.versions",
    "Versions",
    "PublishRefused",
    "problems_for_page",
    "changed_files",
    DRAFT_FILE_PATTERN="FILE_PATTERN",
    MAX_DRAFT_FILE_BYTES="MAX_FILE_BYTES",
)
_export("engine.publishing.instance_migration", "InstancePlan", plan_migration="plan", migrate_instances="migrate")
_export("engine.publishing.municipality_new", create_municipality="create")
_export("engine.publishing.scenario", run_scenario="run_file")

# -- comparing flows ----------------------------------------------------------------------------------------------
_export(
    "engine.comparison.flow_diff",
    "diff_models",
    ComparisonSide="Side",
    DIFF_STATUS_NAMES="STATUS_NAMES",
    DIFF_FIELD_LABELS="FIELD_LABELS",
    DIFF_CATEGORY_NAMES="CATEGORY_NAMES",
)
_export("engine.comparison.report", DIFF_DECISION_STATUS="DECISION_STATUS", shown_value="shown")
_export("engine.comparison.matrix", "build_matrix")
_export("engine.comparison.flow_model", "load_flow")

# -- organisations and staff ----------------------------------------------------------------------------------------
_export(
    "engine.accounts.demo_staff",
    "STAFF_ROLES",
    "PLANNER_ROLES",
    "CANNOT_START",
    "DEMO_ORGS",
    "demo_organisations",
    "demo_user",
)
_export("engine.accounts.passwords", PASSWORD_MIN_LENGTH="MIN_LENGTH")  # noqa: S106 (a length, not a password)
_export("engine.demo_stories", seed_demo_stories="seed")

# -- operations and commands --------------------------------------------------------------------------------------
_export("engine.operations.worker_tick", "work_once")
_export("engine.operations.secret_key", "installation_key", checked_secret_key="checked")  # noqa: S106 (a name, not a key)
_export("engine.operations.oplog", configure_logging="configure", log_request="request_line")
_export("engine.operations.heartbeat", HEARTBEAT_STALE_SECONDS="STALE_SECONDS", last_worker_tick="last_tick")
_export("engine.operations.health", "Health", check_health="check")
_export("engine.commands.cli", ENGINE_COMMANDS="COMMANDS")
_export("engine.commands.versions_cli", VERSION_COMMANDS="COMMANDS")
_export("engine.commands.staff_cli", STAFF_COMMANDS="COMMANDS")
_export("engine.commands.ops_cli", OPS_COMMANDS="COMMANDS")

__all__ = sorted([*_API, *_NAMESPACES])


def __getattr__(name: str) -> Any:
    if name in _NAMESPACES:
        value: Any = importlib.import_module(_NAMESPACES[name])
    elif name in _API:
        module, inner = _API[name]
        value = getattr(importlib.import_module(module), inner)
    else:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    globals()[name] = value  # asked once: later lookups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return __all__


def public_modules() -> dict[str, ModuleType]:
    """Every module the public API reads from (for the architecture tests)."""
    wanted = {module for module, _ in _API.values()} | set(_NAMESPACES.values())
    return {module: importlib.import_module(module) for module in sorted(wanted)}
