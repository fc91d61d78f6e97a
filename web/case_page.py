"""The case page: the case's data, its flows with their diagrams, open tasks, history and documents; its export."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Any

from flask import Blueprint
from flask import Response
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from sqlalchemy import select

from engine import Case
from engine import Document
from engine import Event
from engine import KaigoflowError
from engine import Organisation
from engine import ProcessInstance
from engine import Progress
from engine import ResolvedSpec
from engine import Task
from engine import User
from engine import instance_progress
from engine import instance_spec
from engine import may_export
from web import access
from web import app_services
from web import auth
from web import display
from web import errors
from web import export as export_module
from web import signed_in
from web.case_organisations import organisations_of
from web.extensions import db
from web.flow_start import CANNOT_OPEN
from web.flow_start import CANNOT_START
from web.flow_start import STARTING_ROLES
from web.flow_start import may_start_flows
from web.flow_start import start_flow_on

bp = Blueprint("cases", __name__)
bp.before_request(auth.require_login)

HISTORY_LIMIT = 300


@dataclass
class Diagram:
    process_id: str
    title: str
    url: str
    completed: list[str] = field(default_factory=list)
    current: list[str] = field(default_factory=list)


def diagrams(instance: ProcessInstance, resolved: ResolvedSpec) -> list[Diagram]:
    """The instance's own diagram first, then each called subprocess's, with progress markers."""
    try:
        marks = instance_progress(app_services.runtime(), db.session(), instance.id)
    except KaigoflowError:
        marks = {}
    if not marks:
        # Fall back on the task table: the steps done and the steps waiting (no gateways or events then).
        rows = db.session.execute(select(Task.bpmn_id, Task.state).where(Task.instance_id == instance.id)).all()
        done = [b for b, s in rows if s == "completed"]
        waiting = [b for b, s in rows if s == "ready"]
        marks = {pid: Progress(done, waiting) for pid in resolved.bpmn}
    order = [instance.process_key, *sorted(pid for pid in resolved.bpmn if pid != instance.process_key)]
    found = []
    for process_id in order:
        if process_id not in resolved.bpmn:
            continue
        progress = marks.get(process_id, Progress())
        found.append(
            Diagram(
                process_id=process_id,
                title=display.flow_name(process_id),
                url=url_for(
                    "cases.diagram_xml", case_id=instance.case_id, instance_id=instance.id, process_id=process_id
                ),
                completed=progress.completed,
                current=progress.current,
            )
        )
    return found


@bp.get("/cases/<int:case_id>")
def show(case_id: int) -> str:
    case = access.case_or_404(case_id)
    staff = signed_in.staff()
    runtime = app_services.runtime()
    instances = db.session.scalars(
        select(ProcessInstance).where(ProcessInstance.case_id == case.id).order_by(ProcessInstance.id)
    ).all()
    shown = request.args.get("diagram", type=int)
    drawn: dict[int, list[Diagram]] = {}
    for instance in instances:
        if instance.status == "running" or instance.id == shown:
            try:
                resolved = instance_spec(runtime, db.session(), instance)
            except KaigoflowError:
                continue
            drawn[instance.id] = diagrams(instance, resolved)
    tasks = db.session.execute(
        select(Task, Organisation.name, User.display_name)
        .outerjoin(Organisation, Organisation.id == Task.organisation_id)
        .outerjoin(User, User.id == Task.claimed_by_id)
        .where(Task.case_id == case.id, Task.state == "ready")
        .order_by(Task.due_date.is_(None), Task.due_date, Task.ready_at)
    ).all()
    history = db.session.execute(
        select(Event, User.display_name, Task.name)
        .outerjoin(User, User.id == Event.actor_id)
        .outerjoin(Task, Task.id == Event.task_id)
        .where(Event.case_id == case.id, Event.kind != "access_denied")
        .order_by(Event.at.desc(), Event.id.desc())
        .limit(HISTORY_LIMIT)
    ).all()
    documents = db.session.execute(
        select(Document, User.display_name)
        .outerjoin(User, User.id == Document.submitted_by_id)
        .where(Document.case_id == case.id)
        .order_by(Document.submitted_at.desc(), Document.id.desc())
    ).all()
    shown_documents = {d.id for d in access.readable(case, [d for d, _ in documents])}
    documents = [row for row in documents if row[0].id in shown_documents]
    library = app_services.services().library
    try:
        flows = library.startable(case.municipality) if may_start_flows(case) else []
        municipality_name = library.municipality(case.municipality).name
    except KaigoflowError:
        flows, municipality_name = [], case.municipality
    return render_template(
        "cases/show.html",
        case=case,
        municipality_name=municipality_name,
        organisations=organisations_of(db.session(), case),
        instances=instances,
        drawn=drawn,
        tasks=tasks,
        history=history,
        org_names={org.id: org.name for org in _all_organisations(case.municipality)},
        documents=documents,
        flows=flows,
        may_export=may_export(case, staff.organisation_id),
        staff=staff,
        today=app_services.today(),
    )


@bp.get("/cases/<int:case_id>/export.zip")
def export(case_id: int) -> Response:
    """The case's full record (運営指導 用の記録一式) as a ZIP: case.json, each document's data and PDF."""
    return download(access.export_or_404(case_id), "page")


def download(case: Case, via: str) -> Response:
    """The ZIP of a case's record for the signed-in staff member, recorded as exported (`via`: page or api)."""
    session, clock = db.session(), app_services.clock()
    content = export_module.archive(session, app_services.services().library, clock, case)
    export_module.log_export(session, clock, case, signed_in.staff().id, request.remote_addr, via)
    response = Response(content, mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{export_module.filename(case, clock)}"'
    return response


@bp.get("/cases/<int:case_id>/instances/<int:instance_id>/<process_id>.bpmn")
def diagram_xml(case_id: int, instance_id: int, process_id: str) -> Response:
    instance, case = access.instance_or_404(instance_id)
    if case.id != case_id:
        abort(404)
    resolved = instance_spec(app_services.runtime(), db.session(), instance)
    xml = resolved.bpmn.get(process_id)
    if xml is None:
        abort(404)
    return Response(xml, mimetype="application/xml")


@bp.post("/cases/<int:case_id>/start")
def start_flow(case_id: int) -> Any:
    case = access.case_or_404(case_id)
    if signed_in.staff().role not in STARTING_ROLES:
        return errors.error_response(403, CANNOT_OPEN)  # providers and insurers start nothing
    if not may_start_flows(case):
        return errors.error_response(403, CANNOT_START)
    key = request.form.get("process_key", "")
    failure = start_flow_on(case, key)
    if failure:
        flash(failure.message, "error")
    else:
        flash(f"「{display.flow_name(key)}」を開始しました", "info")
    return redirect(url_for("cases.show", case_id=case.id))


def _all_organisations(municipality: str) -> list[Organisation]:
    return list(db.session.scalars(select(Organisation).where(Organisation.municipality == municipality)).all())
