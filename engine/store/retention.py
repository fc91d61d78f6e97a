"""Retention of ended cases: kept for the municipality's retention period, then deleted with everything in them.

DOMAIN.md (retention): 5 years from the completion date, counted as in 民法 — a case ended 2026-09-30 is kept until
2031-09-30 inclusive and may be deleted from 2031-10-01. `retention.years` in municipality.toml overrides the 5.

Deleting a case is the one time events are deleted: the case id is listed in `retention_purge` for the length of
the transaction, which the event table's triggers require (engine/store/append_only.py). What was deleted is recorded
as a `case_purged` event that carries ids, dates and counts only — never a name or an insured number.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from engine.clock import JST
from engine.errors import KaigoflowError
from engine.process_library.loader import Library
from engine.scheduling.deadlines import add_months
from engine.store.db import rows_changed
from engine.store.models import Case
from engine.store.models import Document
from engine.store.models import Event
from engine.store.models import ExportJob
from engine.store.models import ProcessInstance
from engine.store.models import RenderedPdf
from engine.store.models import RetentionPurge
from engine.store.models import Risk
from engine.store.models import ScheduleItem
from engine.store.models import Task
from engine.store.models import TaskDraft
from engine.store.models import Timer

DEFAULT_YEARS = 5


@dataclass(frozen=True)
class Expired:
    """An ended case whose retention period is over (no personal data: this is what gets printed and logged)."""

    case_id: int
    municipality: str
    ended_on: date
    kept_until: date
    years: int


@dataclass
class Purged:
    case: Expired
    counts: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        counts = ", ".join(f"{k} {v}" for k, v in self.counts.items())
        return (
            f"ケース {self.case.case_id}({self.case.municipality}、終了 {self.case.ended_on}、"
            f"保存期限 {self.case.kept_until}): {counts}"
        )


def retention_years(library: Library, municipality: str) -> int:
    try:
        years = library.municipality(municipality).params.get("retention_years", DEFAULT_YEARS)
    except KaigoflowError:
        return DEFAULT_YEARS  # a municipality no longer in the library keeps the national default
    return int(years) if isinstance(years, int) and years > 0 else DEFAULT_YEARS


def kept_until(ended_on: date, years: int) -> date:
    """The last day an ended case must still be kept (the same calendar day `years` later; 2/29 → 2/28)."""
    return add_months(ended_on, 12 * years)


def expired_cases(session: Session, library: Library, now: datetime) -> list[Expired]:
    """Ended cases past their retention period, oldest first."""
    today = now.astimezone(JST).date()
    rows = session.execute(
        select(Case.id, Case.municipality, Case.ended_at)
        .where(Case.status == "ended", Case.ended_at.is_not(None))
        .order_by(Case.ended_at, Case.id)
    ).all()
    found = []
    for case_id, municipality, ended_at in rows:
        years = retention_years(library, municipality)
        if ended_at is None:
            continue  # the query asks for ended cases only; this tells the type checker so
        ended_on = ended_at.astimezone(JST).date()
        until = kept_until(ended_on, years)
        if today > until:
            found.append(Expired(case_id, municipality, ended_on, until, years))
    return found


def purge_case(session: Session, expired: Expired, now: datetime) -> Purged:
    """Delete one expired case and everything recorded in it, in one transaction, and log it without personal data."""
    case_id = expired.case_id
    result = Purged(expired)
    try:
        session.add(RetentionPurge(case_id=case_id, started_at=now))
        session.flush()
        task_ids = select(Task.id).where(Task.case_id == case_id).scalar_subquery()
        steps = [
            ("event", delete(Event).where(Event.case_id == case_id)),
            ("task_draft", delete(TaskDraft).where(TaskDraft.task_id.in_(task_ids))),
            ("rendered_pdf", delete(RenderedPdf).where(RenderedPdf.case_id == case_id)),
            ("export_job", delete(ExportJob).where(ExportJob.case_id == case_id)),
            ("document", delete(Document).where(Document.case_id == case_id)),
            ("timer", delete(Timer).where(Timer.case_id == case_id)),
            ("task", delete(Task).where(Task.case_id == case_id)),
            ("risk", delete(Risk).where(Risk.case_id == case_id)),
            ("schedule_item", delete(ScheduleItem).where(ScheduleItem.case_id == case_id)),
        ]
        for name, statement in steps:
            count = rows_changed(session.execute(statement.execution_options(synchronize_session=False)))
            result.counts[name] = result.counts.get(name, 0) + count
        # Instances point at the one they continued from; unlink them so they can go in any order.
        session.execute(
            update(ProcessInstance)
            .where(ProcessInstance.case_id == case_id)
            .values(previous_id=None)
            .execution_options(synchronize_session=False)
        )
        result.counts["process_instance"] = rows_changed(
            session.execute(
                delete(ProcessInstance)
                .where(ProcessInstance.case_id == case_id)
                .execution_options(synchronize_session=False)
            )
        )
        session.execute(delete(Case).where(Case.id == case_id).execution_options(synchronize_session=False))
        session.execute(delete(RetentionPurge).where(RetentionPurge.case_id == case_id))
        session.add(
            Event(
                at=now,
                kind="case_purged",
                detail={
                    "case_id": case_id,
                    "municipality": expired.municipality,
                    "ended_on": expired.ended_on.isoformat(),
                    "kept_until": expired.kept_until.isoformat(),
                    "retention_years": expired.years,
                    "deleted": dict(result.counts),
                },
            )
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    session.expire_all()  # rows deleted behind the ORM's back: nothing stale stays in the identity map
    return result


def purge_expired(session: Session, library: Library, now: datetime, execute: bool = False) -> list[Purged]:
    """Find the expired cases and, only when `execute`, delete them (each in its own transaction)."""
    found = expired_cases(session, library, now)
    session.rollback()
    if not execute:
        return [Purged(expired, _counts(session, expired.case_id)) for expired in found]
    return [purge_case(session, expired, now) for expired in found]


def _counts(session: Session, case_id: int) -> dict[str, int]:
    def count(model: type, column: str) -> int:
        return session.scalar(select(func.count()).select_from(model).where(getattr(model, column) == case_id)) or 0

    return {
        "event": count(Event, "case_id"),
        "document": count(Document, "case_id"),
        "rendered_pdf": count(RenderedPdf, "case_id"),
        "export_job": count(ExportJob, "case_id"),
        "timer": count(Timer, "case_id"),
        "task": count(Task, "case_id"),
        "process_instance": count(ProcessInstance, "case_id"),
        "risk": count(Risk, "case_id"),
        "schedule_item": count(ScheduleItem, "case_id"),
    }
