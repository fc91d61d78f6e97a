"""The statements every completion sends, built once with bound parameters.

Profiled (issue 14, goal 1), a completion spent much of its own time building the same `select()` and `update()`
expressions again and passing each through the ORM. Built here once, the reads that need ORM objects (the task, the
instance and its case) still load them; the writes are `Prepared` (engine/store/direct.py): compiled once per
dialect and run on the DB-API cursor of the session's connection, without SQLAlchemy's per-execution cost.
"""

from __future__ import annotations

from typing import Any
from typing import cast

from sqlalchemy import Table
from sqlalchemy import and_
from sqlalchemy import bindparam
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import defer

from engine.store.direct import Prepared
from engine.store.models import Base
from engine.store.models import Case
from engine.store.models import Document
from engine.store.models import Event
from engine.store.models import ProcessInstance
from engine.store.models import ProcessVersion
from engine.store.models import Task
from engine.store.models import TaskDraft


def _table(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


def with_newest_version(query: Any) -> Any:
    """`query` (which reads the Case) with the newest published version of the case's municipality as one more
    column (None when nothing is published): the active library comes with the first read of a transaction."""
    newest = (
        select(func.max(ProcessVersion.number))
        .where(ProcessVersion.municipality == Case.municipality)
        .correlate(Case)
        .scalar_subquery()
    )
    on = and_(ProcessVersion.municipality == Case.municipality, ProcessVersion.number == newest)
    # Without its file bundle: the active library is found by the bundle's hash (PublishedLibraries.library_for_row),
    # and the bundle is read only by a process that has not built that library yet.
    return query.add_columns(ProcessVersion).outerjoin(ProcessVersion, on).options(defer(ProcessVersion.files))


_CASES = _table(Case)
_TASKS = _table(Task)

LOCK_CASE = Prepared(update(_CASES).where(_CASES.c.id == bindparam("case_id")).values(version=_CASES.c.version))
"""A no-op UPDATE of the case row that takes its write lock (RuntimeTransactions._lock_case says why)."""

LOCK_CASE_OF_TASK = Prepared(
    update(_CASES)
    .where(_CASES.c.id == select(_TASKS.c.case_id).where(_TASKS.c.id == bindparam("task_id")).scalar_subquery())
    .values(version=_CASES.c.version)
)


def _locked_task(with_instance: bool, with_version: bool) -> Any:
    # Whether the task has drafts comes with the read, so a completion of a task nobody drafted sends no DELETE
    # for them; with the instance, a ready task's instance and case come too (none for a task no longer ready).
    drafted = select(TaskDraft.task_id).where(TaskDraft.task_id == Task.id).exists()
    query = select(Task, drafted)
    if with_instance:
        query = (
            query.add_columns(ProcessInstance, Case)
            .outerjoin(ProcessInstance, and_(ProcessInstance.id == Task.instance_id, Task.state == "ready"))
            .outerjoin(Case, Case.id == ProcessInstance.case_id)
        )
        if with_version:
            query = with_newest_version(query)
    return query.where(Task.id == bindparam("task_id")).execution_options(populate_existing=True)


LOCKED_TASK = {
    (with_instance, with_version): _locked_task(with_instance, with_version)
    for with_instance in (False, True)
    for with_version in (False, True)
}
"""The task read under the lock, by (with its instance and case, with the newest published version)."""


def _instance_with_case(with_version: bool) -> Any:
    query = select(ProcessInstance, Case).join(Case, Case.id == ProcessInstance.case_id)
    if with_version:
        query = with_newest_version(query)
    return query.where(ProcessInstance.id == bindparam("instance_id")).execution_options(populate_existing=True)


INSTANCE_WITH_CASE = {with_version: _instance_with_case(with_version) for with_version in (False, True)}
"""An instance and its case, by whether the newest published version comes with them."""

_INSTANCES = _table(ProcessInstance)

SAVE_INSTANCE = Prepared(
    update(_INSTANCES)
    .where(_INSTANCES.c.id == bindparam("instance_id"), _INSTANCES.c.version == bindparam("expected"))
    .values(
        # Named apart from the columns: an UPDATE keeps the columns' own names for its SET clause.
        state=bindparam("new_state", type_=_INSTANCES.c.state.type),
        version=bindparam("expected") + 1,
        status=bindparam("new_status", type_=_INSTANCES.c.status.type),
        ended_at=bindparam("new_ended_at", type_=_INSTANCES.c.ended_at.type),
    )
)
"""The instance's state written with its version check: no row changed means someone else wrote it first."""

COMPLETE_TASK = Prepared(
    update(_TASKS)
    .where(_TASKS.c.id == bindparam("task_id"))
    .values(
        state="completed",
        completed_by_id=bindparam("by", type_=_TASKS.c.completed_by_id.type),
        completed_at=bindparam("at", type_=_TASKS.c.completed_at.type),
    )
)

_DOCUMENTS = _table(Document)

INSERT_DOCUMENT = Prepared(
    _DOCUMENTS.insert().values(
        # Numbered inside the INSERT, saving a round trip; the unique (case, form, version) guards races.
        version=select(func.coalesce(func.max(_DOCUMENTS.c.version), 0) + 1)
        .where(_DOCUMENTS.c.case_id == bindparam("number_case"), _DOCUMENTS.c.form == bindparam("number_form"))
        .scalar_subquery()
    )
)

INSERT_EVENT = Prepared(_table(Event).insert())
"""The pending events of a transaction, written as one executemany."""
