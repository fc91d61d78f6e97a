"""Who may see what: the one place the organisation rule lives, for pages, the API, documents and PDFs.

A case is visible to the organisations responsible for it (center, office, insurer, provider; a center that
delegated the plan keeps the case as its center). A task is for the organisation it is assigned to. Of a case's
documents, each organisation reads those engine/cases/readers.py allows (its own, and what its role may read); the
whole-record export is for the planners.
Anything else is answered exactly like a missing id (404, never 403, so existence is not leaked) and recorded
as an `access_denied` event with the user, the path and the address.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import abort
from flask import request
from sqlalchemy import ColumnElement
from sqlalchemy import or_
from sqlalchemy import select

from engine.cases import readers
from engine.store.models import Case
from engine.store.models import Document
from engine.store.models import Event
from engine.store.models import ProcessInstance
from engine.store.models import Task
from web import wiring
from web.extensions import db

CASE_ROLES = ("center", "office", "insurer", "provider")


def case_clause(organisation_id: int) -> ColumnElement[bool]:
    """SQL condition: the case is visible to this organisation."""
    return or_(
        Case.center_org_id == organisation_id,
        Case.office_org_id == organisation_id,
        Case.insurer_org_id == organisation_id,
        Case.provider_org_id == organisation_id,
    )


def task_clause(organisation_id: int) -> ColumnElement[bool]:
    """SQL condition: the task is for this organisation (inboxes use it with the ix_task_inbox index)."""
    return Task.organisation_id == organisation_id


def can_see_case(case: Case, organisation_id: int) -> bool:
    return organisation_id in {getattr(case, f"{role}_org_id") for role in CASE_ROLES}


def case_or_404(case_id: int) -> Case:
    case = db.session.get(Case, case_id)
    if case is None:
        abort(404)
    if not can_see_case(case, wiring.staff().organisation_id):
        deny("case", case_id, case_id=case.id)
    return case


def task_or_404(task_id: str) -> Task:
    row = db.session.get(Task, task_id)
    if row is None:
        abort(404)
    if row.organisation_id != wiring.staff().organisation_id:
        deny("task", task_id, case_id=row.case_id, task_id=row.id)
    return row


def instance_or_404(instance_id: int) -> tuple[ProcessInstance, Case]:
    instance = db.session.get(ProcessInstance, instance_id)
    if instance is None:
        abort(404)
    case = db.session.get(Case, instance.case_id)
    if case is None or not can_see_case(case, wiring.staff().organisation_id):
        deny("instance", instance_id, case_id=instance.case_id)
    return instance, case


def document_or_404(document_id: int) -> tuple[Document, Case]:
    document = db.session.get(Document, document_id)
    if document is None:
        abort(404)
    case = db.session.get(Case, document.case_id)
    if case is None or not readable(case, [document]):
        deny("document", document_id, case_id=document.case_id)
    return document, case


def readable(case: Case, documents: Sequence[Document]) -> list[Document]:
    """The documents of `case` the signed-in organisation may read (engine/cases/readers.py), in the given order."""
    organisation_id = wiring.staff().organisation_id
    task_ids = [d.task_id for d in documents]
    rows = db.session.execute(select(Task.id, Task.organisation_id).where(Task.id.in_(task_ids))) if task_ids else []
    submitters = {task_id: organisation_id for task_id, organisation_id in rows}
    return [
        d for d in documents if readers.may_read(case, d.form, d.schema, organisation_id, submitters.get(d.task_id))
    ]


def export_or_404(case_id: int) -> Case:
    """A case whose whole record the signed-in organisation may export (its planners only)."""
    case = case_or_404(case_id)
    if not readers.may_export(case, wiring.staff().organisation_id):
        deny("export", case_id, case_id=case.id)
    return case


def deny(kind: str, ident: Any, case_id: int | None = None, task_id: str | None = None) -> None:
    """Record the attempt, then answer 404 as for a missing id."""
    db.session.rollback()
    staff = wiring.staff()
    db.session.add(
        Event(
            at=wiring.clock().now(),
            case_id=case_id,
            task_id=task_id,
            actor_id=staff.id,
            kind="access_denied",
            detail={
                "object": kind,
                "id": str(ident),
                "path": request.path,
                "method": request.method,
                "organisation_id": staff.organisation_id,
            },
            address=request.remote_addr,
        )
    )
    db.session.commit()
    abort(404)
