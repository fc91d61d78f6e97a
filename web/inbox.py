"""The inbox: my claimed tasks and my organisation's unclaimed ones, read from the task table only.

Every query here is on the task projection (plus the case table for the 利用者's name on the rows shown): no
workflow is deserialized to draw a list. Both lists and their counts walk the ix_task_queue index
(organisation_id, state, claimed_by_id, due_date) in due-date order: claimed_by_id IS NULL for the
organisation's unclaimed tasks, = me for mine (bench/inbox_bench.py measures it on a million rows).
"""

from __future__ import annotations

import math
from dataclasses import asdict
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from typing import Any

from flask import Blueprint
from flask import current_app
from flask import render_template
from flask import request
from flask import url_for
from flask_wtf.csrf import generate_csrf
from sqlalchemy import ColumnElement
from sqlalchemy import func
from sqlalchemy import select

from engine.errors import KaigoflowError
from engine.execution.projection import lane_role
from engine.store.models import Case
from engine.store.models import Task
from web import access
from web import auth
from web import filters
from web import wiring
from web.extensions import db

bp = Blueprint("inbox", __name__)
bp.before_request(auth.require_login)

SECTIONS = ("mine", "unclaimed")
DUE_FILTERS = {
    "all": "すべて",
    "overdue": "期限切れ",
    "today": "今日まで(期限切れを含む)",
    "week": "今週まで(期限切れを含む)",
}


@dataclass(frozen=True)
class Filters:
    process_key: str = ""
    municipality: str = ""
    step: str = ""
    due: str = "all"

    @classmethod
    def from_args(cls, args: Any) -> Filters:
        due = args.get("due", "all")
        return cls(
            process_key=args.get("process_key", "").strip()[:64],
            municipality=args.get("municipality", "").strip()[:64],
            step=args.get("step", "").strip()[:300],
            due=due if due in DUE_FILTERS else "all",
        )

    def args(self) -> dict[str, str]:
        """The query-string arguments that reproduce these filters (defaults left out)."""
        return {k: v for k, v in asdict(self).items() if v and not (k == "due" and v == "all")}

    def conditions(self, today: date) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.process_key:
            found.append(Task.process_key == self.process_key)
        if self.municipality:
            found.append(Task.municipality == self.municipality)
        if self.step:
            # One choice may stand for several step ids of the same name (web.inbox.filter_options): "a,b".
            found.append(Task.bpmn_id.in_(self.step.split(",")))
        if self.due == "overdue":
            found.append(Task.due_date < today)
        elif self.due == "today":
            found.append(Task.due_date <= today)
        elif self.due == "week":
            found.append(Task.due_date <= filters.week_end(today))
        return found


@dataclass
class InboxRow:
    id: str
    name: str
    bpmn_id: str
    process_key: str
    municipality: str
    role: str
    due_date: date | None
    ready_at: datetime
    case_id: int
    client_name: str | None
    claimed_by_id: int | None

    def to_json(self, today: date) -> dict[str, Any]:
        badge = filters.due_badge(self.due_date, today)
        return {
            "id": self.id,
            "name": self.name,
            "bpmn_id": self.bpmn_id,
            "process_key": self.process_key,
            "flow_name": filters.flow_name(self.process_key),
            "municipality": self.municipality,
            "role": self.role,
            "due_date": self.due_date.isoformat() if self.due_date else None,
            "due_wareki": filters.wareki_weekday(self.due_date),
            "due_label": badge["text"],
            "overdue": bool(self.due_date and self.due_date < today),
            "due_today": self.due_date == today,
            "ready_at": self.ready_at.isoformat(),
            "case_id": self.case_id,
            "client_name": self.client_name,
            "claimed_by_id": self.claimed_by_id,
        }


@dataclass
class Section:
    key: str
    rows: list[InboxRow]
    total: int
    overdue: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def section_conditions(key: str, staff: auth.Staff) -> list[ColumnElement[bool]]:
    """The rows of a section: mine (claimed by me) or my organisation's unclaimed ready tasks.

    Both are a prefix of ix_task_queue (organisation_id, state, claimed_by_id, due_date).
    """
    conditions = [access.task_clause(staff.organisation_id), Task.state == "ready"]
    if key == "mine":
        return [*conditions, Task.claimed_by_id == staff.id]
    return [*conditions, Task.claimed_by_id.is_(None)]


def _count(where: list[ColumnElement[bool]]) -> int:
    return db.session.scalar(select(func.count()).select_from(Task).where(*where)) or 0


def page_query(where: list[ColumnElement[bool]], order: tuple[Any, ...], offset: int, limit: int) -> Any:
    return (
        select(
            Task.id,
            Task.name,
            Task.bpmn_id,
            Task.process_key,
            Task.municipality,
            Task.role,
            Task.due_date,
            Task.ready_at,
            Task.case_id,
            Case.client_name,
            Task.claimed_by_id,
        )
        .join(Case, Case.id == Task.case_id)
        .where(*where)
        .order_by(*order)
        .limit(limit)
        .offset(offset)
    )


def _rows(where: list[ColumnElement[bool]], order: tuple[Any, ...], offset: int, limit: int) -> list[InboxRow]:
    return [InboxRow(*row) for row in db.session.execute(page_query(where, order, offset, limit)).all()]


def load_section(key: str, staff: auth.Staff, chosen: Filters, page: int, per_page: int, today: date) -> Section:
    """One page of a section, earliest due first and tasks without a due date last, with its counts.

    Dated and undated tasks are read as two runs so each follows the index order (no sort of the whole list,
    and SQLite and PostgreSQL, which place NULLs differently, agree).
    """
    where = section_conditions(key, staff) + chosen.conditions(today)
    total = _count(where)
    if total == 0:
        return Section(key, [], 0, 0, 1, per_page)
    undated = _count([*where, Task.due_date.is_(None)]) if chosen.due == "all" else 0
    overdue = total if chosen.due == "overdue" else _count([*where, Task.due_date < today])
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    offset = (page - 1) * per_page
    dated = total - undated
    rows: list[InboxRow] = []
    if offset < dated:
        rows = _rows([*where, Task.due_date.is_not(None)], DATED_ORDER, offset, per_page)
    if len(rows) < per_page and undated:
        rows += _rows([*where, Task.due_date.is_(None)], UNDATED_ORDER, max(0, offset - dated), per_page - len(rows))
    return Section(key, rows, total, overdue, page, per_page)


DATED_ORDER = (Task.due_date, Task.ready_at, Task.id)
UNDATED_ORDER = (Task.ready_at, Task.id)


MAX_PAGE = 1_000_000
"""Past any real inbox; keeps OFFSET within what a database accepts for ?page=99999999999999999999."""


def page_number(name: str) -> int:
    try:
        return min(max(1, int(request.args.get(name, "1"))), MAX_PAGE)
    except ValueError:
        return 1


def filter_options(staff: auth.Staff) -> dict[str, list[tuple[str, str]]]:
    """Choices for the filters, from the process library (never from a scan of the task table): only what the user
    can have — their own municipality, and the steps their role does.

    Worked out once per municipality, role and app: the library is read once per process, and parsing it on every
    inbox request would cost more than the inbox's queries.
    """
    cache = current_app.extensions.setdefault("kaigoflow_filter_options", {})
    key = (staff.municipality, staff.role)
    if key not in cache:
        cache[key] = _filter_options(staff.municipality, staff.role)
    return cache[key]


def roles_of_lanes(role: str) -> set[str]:
    """The lane roles whose steps come to an organisation of this role (the planner's and client's to centers and
    offices: which one depends on the case, engine.execution.projection.resolve_role)."""
    if role in ("center", "office"):
        return {role, "planner", "client"}
    return {role}


def _filter_options(municipality: str, role: str) -> dict[str, list[tuple[str, str]]]:
    library = wiring.services().library
    flows = []
    steps: dict[str, set[str]] = {}
    wanted = roles_of_lanes(role)
    try:
        keys = library.process_keys(municipality)
        name = library.municipality(municipality).name
    except KaigoflowError:
        keys, name = [], municipality
    for key in keys:
        flows.append((key, filters.flow_name(key)))
        try:
            resolved = library.resolve(municipality, key)
        except KaigoflowError:
            continue
        for spec in resolved.user_task_specs():
            if lane_role(resolved, spec) in wanted:
                # Steps are offered by name: ids that share a name (a step drawn in two flows) are one choice.
                steps.setdefault(spec.bpmn_name or spec.bpmn_id, set()).add(spec.bpmn_id)
    return {
        "process_key": flows,
        "municipality": [(municipality, name)],
        "step": sorted(((",".join(sorted(ids)), label) for label, ids in steps.items()), key=lambda item: item[1]),
        "due": list(DUE_FILTERS.items()),
    }


@bp.get("/")
def index() -> str:
    staff = wiring.staff()
    today = wiring.today()
    chosen = Filters.from_args(request.args)
    per_page = int(current_app.config["INBOX_PER_PAGE"])
    mine = load_section("mine", staff, chosen, page_number("mine_page"), per_page, today)
    unclaimed = load_section("unclaimed", staff, chosen, page_number("page"), per_page, today)
    pages = {"mine_page": mine.page, "page": unclaimed.page}
    # One url_for per kind of link rather than several per row: the list has up to 100 rows.
    task_prefix = url_for("tasks.show", task_id="-")[:-1]
    case_prefix = url_for("cases.show", case_id=0)[:-1]

    def page_url(param: str, number: int) -> str:
        args: dict[str, Any] = {**chosen.args(), **pages, param: number}
        return url_for("inbox.index", **{k: v for k, v in args.items() if v != 1})

    return render_template(
        "inbox/index.html",
        page_url=page_url,
        task_prefix=task_prefix,
        token=generate_csrf(),
        here=request.full_path.rstrip("?"),
        case_prefix=case_prefix,
        mine=mine,
        unclaimed=unclaimed,
        filters=chosen,
        options=filter_options(staff),
        today=today,
    )
