"""Cases: open one and start its flow, the case page (data, flows with diagrams, history, documents), documents."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Any
from urllib.parse import quote

from flask import Blueprint
from flask import Response
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from sqlalchemy import select

from engine.accounts import demo_staff
from engine.cases import opening as caseopening
from engine.cases import readers
from engine.errors import ConflictError
from engine.errors import KaigoflowError
from engine.errors import ValidationError
from engine.execution import display
from engine.process_library.loader import ResolvedSpec
from engine.scheduling import duties
from engine.store.models import Case
from engine.store.models import Document
from engine.store.models import Event
from engine.store.models import Organisation
from engine.store.models import ProcessInstance
from engine.store.models import Task
from engine.store.models import User
from web import access
from web import auth
from web import case_list
from web import derived
from web import errors
from web import filters
from web import formfields
from web import wiring
from web.extensions import db

bp = Blueprint("cases", __name__)
bp.before_request(auth.require_login)

HISTORY_LIMIT = 300
STARTING_ROLES = demo_staff.PLANNER_ROLES


# -- reading a case -----------------------------------------------------------------------------------------


def organisations_of(case: Case) -> dict[str, Organisation]:
    ids = {role: getattr(case, f"{role}_org_id") for role in access.CASE_ROLES}
    rows = db.session.scalars(select(Organisation).where(Organisation.id.in_([i for i in ids.values() if i]))).all()
    by_id = {org.id: org for org in rows}
    return {role: by_id[org_id] for role, org_id in ids.items() if org_id in by_id}


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
        marks = display.progress(wiring.runtime(), db.session(), instance.id)
    except KaigoflowError:
        marks = {}
    if not marks:
        # Fall back on the task table: the steps done and the steps waiting (no gateways or events then).
        rows = db.session.execute(select(Task.bpmn_id, Task.state).where(Task.instance_id == instance.id)).all()
        done = [b for b, s in rows if s == "completed"]
        waiting = [b for b, s in rows if s == "ready"]
        marks = {pid: display.Progress(done, waiting) for pid in resolved.bpmn}
    order = [instance.process_key, *sorted(pid for pid in resolved.bpmn if pid != instance.process_key)]
    found = []
    for process_id in order:
        if process_id not in resolved.bpmn:
            continue
        progress = marks.get(process_id, display.Progress())
        found.append(
            Diagram(
                process_id=process_id,
                title=filters.flow_name(process_id),
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
    staff = wiring.staff()
    runtime = wiring.runtime()
    instances = db.session.scalars(
        select(ProcessInstance).where(ProcessInstance.case_id == case.id).order_by(ProcessInstance.id)
    ).all()
    shown = request.args.get("diagram", type=int)
    drawn: dict[int, list[Diagram]] = {}
    for instance in instances:
        if instance.status == "running" or instance.id == shown:
            try:
                resolved = display.instance_spec(runtime, db.session(), instance)
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
    library = wiring.services().library
    try:
        flows = library.startable(case.municipality) if may_start_flows(case) else []
        municipality_name = library.municipality(case.municipality).name
    except KaigoflowError:
        flows, municipality_name = [], case.municipality
    return render_template(
        "cases/show.html",
        case=case,
        municipality_name=municipality_name,
        organisations=organisations_of(case),
        instances=instances,
        drawn=drawn,
        tasks=tasks,
        history=history,
        org_names={org.id: org.name for org in _all_organisations(case.municipality)},
        documents=documents,
        flows=flows,
        may_export=readers.may_export(case, staff.organisation_id),
        staff=staff,
        today=wiring.today(),
    )


@bp.get("/cases/<int:case_id>/export.zip")
def export(case_id: int) -> Response:
    """The case's full record (運営指導 用の記録一式) as a ZIP: case.json, each document's data and PDF."""
    from web import export as export_module

    case = access.export_or_404(case_id)
    content = export_module.archive(case)
    staff = wiring.staff()
    export_module.log_export(case, staff.id, request.remote_addr, "page")
    response = Response(content, mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{export_module.filename(case)}"'
    return response


@bp.get("/cases/<int:case_id>/instances/<int:instance_id>/<process_id>.bpmn")
def diagram_xml(case_id: int, instance_id: int, process_id: str) -> Response:
    instance, case = access.instance_or_404(instance_id)
    if case.id != case_id:
        abort(404)
    resolved = display.instance_spec(wiring.runtime(), db.session(), instance)
    xml = resolved.bpmn.get(process_id)
    if xml is None:
        abort(404)
    return Response(xml, mimetype="application/xml")


@bp.post("/cases/<int:case_id>/start")
def start_flow(case_id: int) -> Any:
    case = access.case_or_404(case_id)
    if wiring.staff().role not in STARTING_ROLES:
        return errors.error_response(403, CANNOT_OPEN)  # providers and insurers start nothing
    if not may_start_flows(case):
        return errors.error_response(403, CANNOT_START)
    key = request.form.get("process_key", "")
    failure = start_flow_on(case, key)
    if failure:
        flash(failure.message, "error")
    else:
        flash(f"「{filters.flow_name(key)}」を開始しました", "info")
    return redirect(url_for("cases.show", case_id=case.id))


CANNOT_START = "このケースの手続きは、計画を作成する事業所または地域包括支援センターの職員が開始します。"


def may_start_flows(case: Case) -> bool:
    """Flows of a case are started by its planner's staff or its center's (a delegating center stays responsible)."""
    organisation = wiring.staff().organisation_id
    planner = getattr(case, f"{duties.planner_role(case)}_org_id")
    return organisation in {planner, case.center_org_id} - {None}


@dataclass(frozen=True)
class StartRefused:
    """Why a flow was not started: a Japanese message and the HTTP status the API answers with."""

    message: str
    status: int = 422


def start_flow_on(case: Case, key: str) -> StartRefused | None:
    """Start one of the municipality's flows in a case the user may see; why not, when it cannot be."""
    if key not in wiring.services().library.startable(case.municipality):
        return StartRefused("開始する手続きを選んでください")
    try:
        wiring.runtime().start(db.session(), case.id, key, actor=wiring.staff().actor())
    except ConflictError as conflict:
        # A second copy of a running flow is refused by the engine: say which flow, and where to go on instead.
        if "process_key" not in conflict.details:
            return StartRefused(conflict.message, 409)
        flow = filters.flow_name(key)
        return StartRefused(f"「{flow}」はこのケースですでに進行中です。進行中の手続きのタスクから続けてください", 409)
    except KaigoflowError as failure:
        return StartRefused(f"手続きを開始できませんでした: {failure.message}")
    return None


# -- opening a case ---------------------------------------------------------------------------------------


def _choices(municipality: str, role: str) -> list[Organisation]:
    return list(
        db.session.scalars(
            select(Organisation)
            .where(Organisation.municipality == municipality, Organisation.role == role)
            .order_by(Organisation.name)
        ).all()
    )


@bp.route("/cases/new", methods=["GET", "POST"])
def new() -> Any:
    staff = wiring.staff()
    if staff.role not in STARTING_ROLES:
        return errors.error_response(403, CANNOT_OPEN)
    library = wiring.services().library
    municipality = library.municipality(staff.municipality)
    flows = library.flows(municipality.key)
    values: dict[str, str] = {
        "process_key": "new_case" if "new_case" in flows else (flows[0] if flows else ""),
        f"{staff.role}_org_id": str(staff.organisation_id),
    }
    problems: dict[str, str] = {}
    duplicates: list[tuple[Case, bool]] = []
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in _NEW_CASE_FIELDS if k in request.form}
        # Confirmed for this very number only: a number changed after the warning is checked again.
        if request.form.get("confirmed_number") != values.get("insured_number", ""):
            duplicates = case_list.duplicates_of(municipality.key, values.get("insured_number", ""))
        case, problems, failure = (None, {}, None) if duplicates else open_case_for(values)
        if case is not None:
            if failure:
                flash(f"ケースは登録しましたが、{failure}", "error")
            else:
                flash(f"ケースを登録し、「{filters.flow_name(values['process_key'])}」を開始しました", "info")
            return redirect(url_for("cases.show", case_id=case.id))
    page = render_template(
        "cases/new.html",
        municipality=municipality,
        flows=flows,
        choices=_all_choices(municipality.key),
        values=values,
        problems=problems,
        duplicates=duplicates,
        staff=staff,
        care_levels=filters.CARE_LEVELS,
        planners=PLANNER_NAMES,
    )
    return page, 422 if problems else (409 if duplicates else 200)


PLANNER_NAMES = {
    "": "自動(委託なら居宅、要介護なら居宅、それ以外は包括)",
    "center": "地域包括支援センター",
    "office": "居宅介護支援事業所",
}
"""The choices of 計画作成担当 on the page: empty lets the engine decide (casedata.default_planner)."""

CANNOT_OPEN = demo_staff.CANNOT_START


def _all_organisations(municipality: str) -> list[Organisation]:
    return list(db.session.scalars(select(Organisation).where(Organisation.municipality == municipality)).all())


def _all_choices(municipality: str) -> dict[str, list[Organisation]]:
    return {role: _choices(municipality, role) for role in ("center", "office", "provider")}


def open_case_for(values: dict[str, Any]) -> tuple[Case | None, dict[str, str], str | None]:
    """Open a case in the user's municipality, with the user's own organisation in it, and start its first flow.

    `values` are the page's fields or the API's JSON, with `process_key`. The rules of a case opening live in the
    engine (engine.cases.opening, casedata.validate_opening); unknown fields are refused by name. Returns (case,
    problems per field, failure to start). Nothing is written when a field is refused; a case whose flow could not
    start is kept (the user sees it and can start the flow from its page).
    """
    staff = wiring.staff()
    library = wiring.services().library
    municipality = library.municipality(staff.municipality)
    values = dict(values)
    process_key = str(values.pop("process_key", "") or "")
    values[f"{staff.role}_org_id"] = staff.organisation_id
    fields, problems = caseopening.read(values, db.session(), municipality.key)
    if process_key not in library.flows(municipality.key):
        problems["process_key"] = "選択肢の中から選んでください"
    if problems:
        return None, problems, None
    runtime = wiring.runtime()
    insurer = _choices(municipality.key, "insurer")
    try:
        case = runtime.open_case(
            db.session(), municipality.key, staff.actor(), insurer_org_id=insurer[0].id if insurer else None, **fields
        )
    except ValidationError as refused:
        return None, dict(refused.details) or {"_form": refused.message}, None
    refused = start_flow_on(case, process_key)
    return case, {}, refused.message if refused else None


_NEW_CASE_FIELDS = ("process_key", *caseopening.FIELDS)
"""The page's fields (its form also carries the CSRF token, which is not the case's)."""


# -- documents ----------------------------------------------------------------------------------------------


@bp.get("/documents/<int:document_id>")
def document(document_id: int) -> str:
    doc, case = access.document_or_404(document_id)
    uischema: dict[str, Any] = {}
    instance = db.session.get(ProcessInstance, doc.instance_id)
    if instance is not None:
        try:
            form = display.instance_spec(wiring.runtime(), db.session(), instance).forms.get(doc.form)
            uischema = form.uischema if form else {}
        except KaigoflowError:
            uischema = {}
    fields = formfields.build(doc.schema, uischema)
    values = formfields.from_data(fields, doc.data)
    item12 = derived.checklist_item12(doc.data)
    if item12 is not None and "answers.11" in values:
        values["answers.11"] = item12  # No.12 counts from the BMI, whatever its (unused) answer was
    submitted_by = db.session.get(User, doc.submitted_by_id) if doc.submitted_by_id else None
    return render_template(
        "cases/document.html",
        document=doc,
        case=case,
        fields=fields,
        values=values,
        judgement=derived.judgement_rows(doc.data),
        submitted_by=submitted_by,
    )


def _print_arguments(doc: Document, case: Case) -> dict[str, Any]:
    organisations = {role: org.name for role, org in organisations_of(case).items()}
    submitted_by = db.session.get(User, doc.submitted_by_id) if doc.submitted_by_id else None
    try:
        municipality_name = wiring.services().library.municipality(case.municipality).name
    except KaigoflowError:
        municipality_name = case.municipality
    return {
        "organisations": organisations,
        "municipality_name": municipality_name,
        "recorded_by": submitted_by.display_name if submitted_by else "",
    }


PDF_UNAVAILABLE = "PDF 出力は現在利用できません(準備中です)。画面の「印刷用表示」をお使いください。"


@bp.get("/documents/<int:document_id>.pdf")
def document_pdf(document_id: int) -> Any:
    doc, case = access.document_or_404(document_id)
    try:
        from web.pdf_cache import document_pdf as cached_pdf
    except ImportError:
        return errors.error_response(503, PDF_UNAVAILABLE)
    arguments = _print_arguments(doc, case)
    try:
        pdf = cached_pdf(doc, case, arguments.pop("organisations"), **arguments)
    except (ImportError, OSError):
        return errors.error_response(503, PDF_UNAVAILABLE)
    db.session.commit()  # keep the PDF drawn (web/pdf_cache.py)
    filename = f"{doc.title}_第{doc.version}版.pdf"
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f"inline; filename=\"document-{doc.id}.pdf\"; filename*=UTF-8''{quote(filename)}"
    )
    return response


@bp.get("/documents/<int:document_id>/print")
def document_print(document_id: int) -> Any:
    doc, case = access.document_or_404(document_id)
    try:
        from web.pdf import render_document_html
    except ImportError:
        return errors.error_response(503, "印刷用表示は現在利用できません(準備中です)。")
    arguments = _print_arguments(doc, case)
    return render_document_html(doc, case, arguments.pop("organisations"), **arguments)
