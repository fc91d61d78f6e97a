"""The 利用者一覧 (list of cases): search by 氏名, カナ or 被保険者番号, filters, sort and pages; duplicate numbers.

Shared by the page /cases and GET /api/cases. The caller passes the visibility rule (which cases the signed-in
organisation may see) as a SQL condition, so the access rule keeps its one home in the web layer.

What staff type is normalised the way they expect: full-width and half-width letters, digits and katakana are the
same, hiragana finds katakana and the other way round, and spaces are ignored (「やまだはなこ」 finds
「ヤマダ ハナコ」, 「０１２３」 finds 0123…). Names are stored exactly as typed; only the comparison is loosened.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import and_
from sqlalchemy import exists
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.scheduling import duties
from engine.store.models import Case
from engine.store.models import ProcessInstance
from engine.store.models import ScheduleItem
from engine.store.models import Task

SORTS = {
    "kana": "フリガナ順",
    "insured_number": "被保険者番号順",
    "newest": "登録の新しい順",
    "due": "次の期限の近い順",
}
STATUSES = ("open", "ended")
PENDING = ("open", "missed")
"""Duties still to do: a missed one (its day passed unrecorded) is the most pressing "next due" of all."""
MAX_TERMS = 5
MAX_QUERY = 100

_HIRAGANA = range(0x3041, 0x3097)
_TO_KATAKANA = {code: code + 0x60 for code in _HIRAGANA}
_SPACES = str.maketrans("", "", " \u3000\t")


def normalise(text: str) -> str:
    """The comparable form of a name, kana or number: NFKC, katakana, no spaces, lower-case ASCII.

    NFKC turns full-width ASCII into half-width and half-width katakana into full-width (ｶﾞ → ガ); hiragana
    becomes katakana so either script finds the other.
    """
    return unicodedata.normalize("NFKC", text).translate(_TO_KATAKANA).translate(_SPACES).lower()


def terms(text: str) -> list[str]:
    """The search words of `?q=`: split on spaces (full-width too), normalised, at most MAX_TERMS."""
    words = unicodedata.normalize("NFKC", text[:MAX_QUERY]).split()
    return [w for w in (normalise(word) for word in words) if w][:MAX_TERMS]


def _hiragana(text: str) -> str:
    return "".join(chr(ord(c) - 0x60) if 0x30A1 <= ord(c) <= 0x30F6 else c for c in text)


def _comparable(column: Any) -> Any:
    """The column without spaces (ASCII and full-width), lower-cased, in SQL that SQLite and PostgreSQL share."""
    return func.lower(func.replace(func.replace(func.coalesce(column, ""), " ", ""), "\u3000", ""))


def _term_clause(term: str) -> ColumnElement[bool]:
    """One word matches the name, the kana (in katakana or hiragana) or the 被保険者番号."""
    options = [
        _comparable(Case.client_name).contains(term, autoescape=True),
        _comparable(Case.client_name_kana).contains(term, autoescape=True),
        _comparable(Case.client_name_kana).contains(_hiragana(term), autoescape=True),
        _comparable(Case.client_name).contains(_hiragana(term), autoescape=True),
    ]
    digits = term.replace("-", "")
    if digits.isdigit():
        options.append(func.coalesce(Case.insured_number, "").contains(digits, autoescape=True))
    return or_(*options)


@dataclass(frozen=True)
class CaseQuery:
    """What the list shows: the words, the filters, the order and the page (all optional)."""

    text: str = ""
    status: str = ""
    care_level: str = ""
    care_manager_id: int | None = None
    process_key: str = ""
    sort: str = "kana"
    page: int = 1
    per_page: int = 50


@dataclass
class CaseRow:
    id: int
    municipality: str
    client_name: str | None
    client_name_kana: str | None
    insured_number: str | None
    care_level: str | None
    status: str
    created_at: datetime
    running: list[str] = field(default_factory=list)
    """Process keys of the case's running instances (its current 手続き)."""
    next_due: date | None = None
    """The earliest duty of the case still to do, overdue ones included (モニタリング, 更新 …)."""
    care_manager_id: int | None = None
    """Whoever last completed or claimed a task of the planner's organisation (as
    engine.scheduling.schedule.care_manager)."""


@dataclass
class CasePage:
    rows: list[CaseRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def conditions(query: CaseQuery, visible: ColumnElement[bool]) -> list[ColumnElement[bool]]:
    """The SQL conditions of a query: visibility, every word, and each filter given."""
    found: list[ColumnElement[bool]] = [visible]
    found.extend(_term_clause(term) for term in terms(query.text))
    if query.status in STATUSES:
        found.append(Case.status == query.status)
    if query.care_level:
        found.append(Case.care_level == query.care_level)
    if query.process_key:
        found.append(
            exists().where(
                ProcessInstance.case_id == Case.id,
                ProcessInstance.process_key == query.process_key,
                ProcessInstance.status == "running",
            )
        )
    if query.care_manager_id is not None:
        # The cases this person has worked on as a planner (claimed or completed one of their tasks).
        found.append(
            exists().where(
                Task.case_id == Case.id,
                Task.role.in_(("center", "office", "client")),
                or_(Task.claimed_by_id == query.care_manager_id, Task.completed_by_id == query.care_manager_id),
            )
        )
    return found


def _next_due() -> Any:
    return (
        select(func.min(ScheduleItem.due_date))
        .where(ScheduleItem.case_id == Case.id, ScheduleItem.status.in_(PENDING))
        .correlate(Case)
        .scalar_subquery()
    )


def _order(sort: str) -> tuple[Any, ...]:
    # NULLs placed explicitly: SQLite puts them first and PostgreSQL last, and both must agree.
    if sort == "insured_number":
        return (Case.insured_number.is_(None), Case.insured_number, Case.id)
    if sort == "newest":
        return (Case.created_at.desc(), Case.id.desc())
    if sort == "due":
        due = _next_due()
        return (due.is_(None), due, Case.client_name_kana, Case.id)
    return (Case.client_name_kana.is_(None), Case.client_name_kana, Case.client_name, Case.id)


def search(session: Session, query: CaseQuery, visible: ColumnElement[bool]) -> CasePage:
    """One page of the cases that match, in the chosen order, with each row's running flows and next due date."""
    where = conditions(query, visible)
    total = session.scalar(select(func.count()).select_from(Case).where(*where)) or 0
    per_page = max(1, query.per_page)
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, query.page), pages)
    if total == 0:
        return CasePage([], 0, 1, per_page)
    cases = session.scalars(
        select(Case)
        .where(*where)
        .order_by(*_order(query.sort if query.sort in SORTS else "kana"))
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    rows = [
        CaseRow(
            c.id,
            c.municipality,
            c.client_name,
            c.client_name_kana,
            c.insured_number,
            c.care_level,
            c.status,
            c.created_at,
        )
        for c in cases
    ]
    _fill(session, rows, {c.id: _planner_org(c) for c in cases})
    return CasePage(rows, total, page, per_page)


def _planner_org(case: Case) -> int | None:
    org: int | None = getattr(case, f"{duties.planner_role(case)}_org_id", None)
    return org


def _fill(session: Session, rows: Sequence[CaseRow], planners: dict[int, int | None]) -> None:
    """Running flows, next due date and care manager of the rows of one page (three queries, not three per row)."""
    by_id = {row.id: row for row in rows}
    ids = list(by_id)
    for case_id, key in session.execute(
        select(ProcessInstance.case_id, ProcessInstance.process_key)
        .where(ProcessInstance.case_id.in_(ids), ProcessInstance.status == "running")
        .order_by(ProcessInstance.id)
    ):
        if key not in by_id[case_id].running:
            by_id[case_id].running.append(key)
    for case_id, due in session.execute(
        select(ScheduleItem.case_id, func.min(ScheduleItem.due_date))
        .where(ScheduleItem.case_id.in_(ids), ScheduleItem.status.in_(PENDING))
        .group_by(ScheduleItem.case_id)
    ):
        by_id[case_id].next_due = due
    latest: dict[int, datetime] = {}
    for case_id, org, completed_by, claimed_by, at in session.execute(
        select(
            Task.case_id,
            Task.organisation_id,
            Task.completed_by_id,
            Task.claimed_by_id,
            func.coalesce(Task.completed_at, Task.claimed_at),
        ).where(
            Task.case_id.in_(ids),
            or_(Task.completed_by_id.is_not(None), Task.claimed_by_id.is_not(None)),
        )
    ):
        if org != planners.get(case_id) or at is None:
            continue
        if case_id not in latest or at > latest[case_id]:
            latest[case_id] = at
            by_id[case_id].care_manager_id = completed_by or claimed_by


def duplicates(session: Session, municipality: str, insured_number: str) -> list[Case]:
    """The municipality's cases of this 被保険者番号 (open ones first): an episode may already exist."""
    if not insured_number:
        return []
    return list(
        session.scalars(
            select(Case)
            .where(and_(Case.municipality == municipality, Case.insured_number == insured_number))
            .order_by((Case.status != "open"), Case.created_at.desc())
        ).all()
    )
