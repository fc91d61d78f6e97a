"""One case's full record as a ZIP, for 運営指導 (inspections): case data, history and every document snapshot.

The archive holds `case.json` (the case, its organisations, flows, tasks, the whole event history and the list of
documents) and, per document, its submitted data with the schema it was checked against (`.json`) and its 帳票 as
printed (`.pdf`, when PDF output is available). Each export is itself recorded as a `case_exported` event: it hands
personal data out of the system.

Used by the case page's button, the API and `kaigoflow export-case`. It needs a database session, the library and a
clock, not a Flask app: the command exports one case without building the web app (the PDFs are drawn as the
document pages draw them, web/print_arguments.py and web/document_print.py).
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from datetime import date
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import Case
from engine import Clock
from engine import Document
from engine import Event
from engine import Library
from engine import Organisation
from engine import ProcessInstance
from engine import Task
from engine import User
from engine import today
from web import display
from web.case_organisations import organisations_of
from web.print_arguments import print_arguments

FORMAT = "kaigoflow-case-record"
FORMAT_VERSION = 1


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _users(session: Session, ids: set[int | None]) -> dict[int, dict[str, Any]]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    rows = session.execute(
        select(User.id, User.login, User.display_name, Organisation.name)
        .join(Organisation, Organisation.id == User.organisation_id)
        .where(User.id.in_(wanted))
    ).all()
    return {uid: {"id": uid, "login": login, "name": name, "organisation": org} for uid, login, name, org in rows}


def _who(users: dict[int, dict[str, Any]], user_id: int | None) -> dict[str, Any] | None:
    return users.get(user_id) if user_id is not None else None


def document_stem(doc: Document) -> str:
    return f"documents/{doc.id:06d}_{doc.form}_v{doc.version}"


def record(session: Session, case: Case, exported_at: datetime) -> tuple[dict[str, Any], list[Document]]:
    """The JSON of a case's full record, and its documents (oldest first)."""
    instances = session.scalars(
        select(ProcessInstance).where(ProcessInstance.case_id == case.id).order_by(ProcessInstance.id)
    ).all()
    tasks = session.scalars(select(Task).where(Task.case_id == case.id).order_by(Task.ready_at, Task.id)).all()
    events = session.scalars(select(Event).where(Event.case_id == case.id).order_by(Event.at, Event.id)).all()
    documents = list(
        session.scalars(
            select(Document).where(Document.case_id == case.id).order_by(Document.submitted_at, Document.id)
        ).all()
    )
    users = _users(
        session,
        {t.claimed_by_id for t in tasks}
        | {t.completed_by_id for t in tasks}
        | {e.actor_id for e in events}
        | {d.submitted_by_id for d in documents},
    )
    columns = [c.key for c in Case.__table__.columns]
    body = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "exported_at": exported_at.isoformat(),
        "case": {key: _iso(getattr(case, key)) for key in columns},
        "organisations": {
            role: {"id": org.id, "name": org.name, "role": org.role}
            for role, org in organisations_of(session, case).items()
        },
        "instances": [
            {
                "id": i.id,
                "process_key": i.process_key,
                "flow_name": display.flow_name(i.process_key),
                "spec_hash": i.spec_hash,
                "status": i.status,
                "period": i.period,
                "previous_id": i.previous_id,
                "started_at": _iso(i.started_at),
                "ended_at": _iso(i.ended_at),
            }
            for i in instances
        ],
        "tasks": [
            {
                "id": t.id,
                "instance_id": t.instance_id,
                "bpmn_id": t.bpmn_id,
                "name": t.name,
                "role": t.role,
                "organisation_id": t.organisation_id,
                "state": t.state,
                "due_date": _iso(t.due_date),
                "ready_at": _iso(t.ready_at),
                "claimed_by": _who(users, t.claimed_by_id),
                "completed_by": _who(users, t.completed_by_id),
                "completed_at": _iso(t.completed_at),
            }
            for t in tasks
        ],
        "history": [
            {
                "id": e.id,
                "at": _iso(e.at),
                "kind": e.kind,
                "description": display.event_name(e.kind),
                "actor": _who(users, e.actor_id),
                "instance_id": e.instance_id,
                "task_id": e.task_id,
                "address": e.address,
                "detail": e.detail,
            }
            for e in events
        ],
        "documents": [
            {
                "id": d.id,
                "form": d.form,
                "title": d.title,
                "version": d.version,
                "task_id": d.task_id,
                "instance_id": d.instance_id,
                "submitted_by": _who(users, d.submitted_by_id),
                "submitted_at": _iso(d.submitted_at),
                "json": f"{document_stem(d)}.json",
            }
            for d in documents
        ],
    }
    return body, documents


def _pdf(session: Session, library: Library, clock: Clock, doc: Document, case: Case) -> bytes | None:
    try:
        from web.pdf_cache import document_pdf

        arguments = print_arguments(session, library, doc, case)
        return document_pdf(session, clock, doc, case, arguments.pop("organisations"), **arguments)
    except (ImportError, OSError):
        return None  # no PDF engine here: the archive still has every document's data


def archive(
    session: Session,
    library: Library,
    clock: Clock,
    case: Case,
    with_pdfs: bool = True,
    progress: Callable[[int], None] | None = None,
) -> bytes:
    """The ZIP of one case's full record; `progress(n)` after each of its documents (the export job's page)."""
    body, documents = record(session, case, clock.now())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for done, (entry, doc) in enumerate(zip(body["documents"], documents, strict=True), start=1):
            snapshot = {"document": entry, "data": doc.data, "schema": doc.schema, "spec_hash": doc.spec_hash}
            zf.writestr(entry["json"], json.dumps(snapshot, ensure_ascii=False, indent=1, default=str))
            pdf = _pdf(session, library, clock, doc, case) if with_pdfs else None
            if pdf is not None:
                entry["pdf"] = f"{document_stem(doc)}.pdf"
                zf.writestr(entry["pdf"], pdf)
            if progress is not None:
                progress(done)
        zf.writestr("case.json", json.dumps(body, ensure_ascii=False, indent=1, default=str))
    return buffer.getvalue()


def filename(case: Case, clock: Clock) -> str:
    return f"case-{case.id}-record-{today(clock):%Y%m%d}.zip"


def document_count(session: Session, case: Case) -> int:
    """How many documents the case's record holds (the export job's total)."""
    return session.scalar(select(func.count(Document.id)).where(Document.case_id == case.id)) or 0


def log_export(session: Session, clock: Clock, case: Case, actor_id: int | None, address: str | None, via: str) -> None:
    session.add(
        Event(
            at=clock.now(),
            case_id=case.id,
            actor_id=actor_id,
            kind="case_exported",
            detail={"via": via},
            address=address,
        )
    )
    session.commit()
