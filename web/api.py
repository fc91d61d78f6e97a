"""The JSON API under /api: the inbox, claim/release/complete, cases and documents, with an OpenAPI document.

Authentication: the browser session, or `Authorization: Bearer <token>` with a token from POST /api/token (a
signed, timed token over the user id; changing the password or signing out invalidates it). CSRF is checked on session
requests and skipped for bearer requests, which a browser never sends by itself. The permission rules and the
answers (404 across organisations, 409 on conflict, 422 with per-field messages) are the pages' own.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Blueprint
from flask import Flask
from flask import current_app
from flask import g
from flask import jsonify
from flask import request
from flask import url_for
from flask_login import current_user
from itsdangerous import BadSignature
from itsdangerous import SignatureExpired
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from engine import views
from engine.errors import ConflictError
from engine.errors import ValidationError
from engine.models import Case
from engine.models import Document
from engine.models import ProcessInstance
from engine.models import Task
from engine.models import User
from web import access
from web import auth
from web import cases as case_views
from web import errors
from web import filters
from web import inbox
from web import openapi
from web import wiring
from web.extensions import csrf
from web.extensions import db

bp = Blueprint("api", __name__, url_prefix="/api")
PUBLIC = frozenset({"api.token", "api.openapi_document"})
TOKEN_SALT = "kaigoflow-api-token"  # noqa: S105 - a namespace for the signature, not a secret


def init_app(app: Flask) -> None:
    csrf.exempt(bp)  # checked below, for session requests only
    app.register_blueprint(bp)


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def _fingerprint(user: User) -> str:
    """Changes with the password and at every sign-out (session_epoch): either revokes the user's tokens."""
    return hashlib.sha256(f"{user.password_hash}:{user.session_epoch}".encode()).hexdigest()[:16]


def issue_token(user: User) -> str:
    return _serializer().dumps({"u": user.id, "p": _fingerprint(user)})


def staff_for_token(token: str) -> auth.Staff | None:
    try:
        payload = _serializer().loads(token, max_age=current_app.config["API_TOKEN_MAX_AGE"])
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), int):
        return None
    staff = auth.load_staff(payload["u"])
    if staff is None or payload.get("p") != _fingerprint(staff.user):
        return None
    return staff


@bp.before_request
def authenticate() -> Any:
    if request.endpoint in PUBLIC:
        return None
    token = _bearer()
    if token is not None:
        staff = staff_for_token(token)
        if staff is None:
            return errors.error_response(401, "トークンが無効か、有効期限が切れています。")
        g.staff = staff
        return None
    if not current_user.is_authenticated:
        return errors.error_response(401, "ログインするか、Authorization: Bearer でトークンを送ってください。")
    csrf.protect()
    g.staff = current_user._get_current_object()
    if g.staff.user.must_change_password:
        return errors.error_response(403, CHANGE_FIRST_MESSAGE)
    return None


CHANGE_FIRST_MESSAGE = "一時パスワードのままです。ブラウザでログインし、パスワードを変更してから使ってください。"


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        from werkzeug.exceptions import BadRequest

        raise BadRequest("本文は JSON のオブジェクト({...})で送ってください。")
    return body


# -- token and document -------------------------------------------------------------------------------


@bp.post("/token")
def token() -> Any:
    """Exchange login and password for a bearer token (JSON only: a cross-site form cannot post JSON)."""
    if not request.is_json:
        return errors.error_response(415, "Content-Type: application/json で送ってください。")
    body = _json_body()
    try:
        user = auth.authenticate(str(body.get("login", "")), str(body.get("password", "")))
    except auth.SignInRefused as refused:
        return errors.error_response(401, refused.message)
    if user.must_change_password:
        return errors.error_response(403, CHANGE_FIRST_MESSAGE)
    return jsonify(
        {"token": issue_token(user), "token_type": "Bearer", "expires_in": current_app.config["API_TOKEN_MAX_AGE"]}
    )


@bp.get("/openapi.json")
def openapi_document() -> Any:
    return jsonify(openapi.document())


# -- tasks --------------------------------------------------------------------------------------------


def task_json(row: Task) -> dict[str, Any]:
    today = wiring.today()
    return {
        "id": row.id,
        "name": row.name,
        "bpmn_id": row.bpmn_id,
        "process_key": row.process_key,
        "flow_name": filters.flow_name(row.process_key),
        "municipality": row.municipality,
        "case_id": row.case_id,
        "instance_id": row.instance_id,
        "role": row.role,
        "organisation_id": row.organisation_id,
        "form": row.form,
        "state": row.state,
        "due_date": row.due_date.isoformat() if row.due_date else None,
        "due_wareki": filters.wareki_weekday(row.due_date),
        "overdue": bool(row.state == "ready" and row.due_date and row.due_date < today),
        "claimed_by_id": row.claimed_by_id,
        "completed_by_id": row.completed_by_id,
        "completed_at": row.completed_at.isoformat() if row.completed_at else None,
        "ready_at": row.ready_at.isoformat(),
        "links": {"self": url_for("api.task", task_id=row.id), "page": url_for("tasks.show", task_id=row.id)},
    }


@bp.get("/tasks")
def tasks() -> Any:
    staff = wiring.staff()
    today = wiring.today()
    chosen = inbox.Filters.from_args(request.args)
    key = request.args.get("section", "unclaimed")
    if key not in inbox.SECTIONS:
        return errors.error_response(400, "section は mine か unclaimed を指定してください。")
    per_page = int(current_app.config["INBOX_PER_PAGE"])
    section = inbox.load_section(key, staff, chosen, inbox.page_number("page"), per_page, today)
    other = "mine" if key == "unclaimed" else "unclaimed"
    other_total = inbox.load_section(other, staff, chosen, 1, 1, today).total
    return jsonify(
        {
            "section": key,
            "filters": chosen.args(),
            "page": section.page,
            "pages": section.pages,
            "per_page": section.per_page,
            "total": section.total,
            "overdue": section.overdue,
            "counts": {key: section.total, other: other_total},
            "items": [row.to_json(today) for row in section.rows],
        }
    )


@bp.get("/tasks/<task_id>")
def task(task_id: str) -> Any:
    row = access.task_or_404(task_id)
    view = views.task_view(wiring.runtime(), db.session(), task_id)
    body = task_json(row)
    body["instructions"] = view.instructions
    body["form_spec"] = (
        {"name": view.form.name, "title": view.form.title, "schema": view.form.schema, "uischema": view.form.uischema}
        if view.form
        else None
    )
    body["data"] = view.data
    body["prefill"] = view.prefill
    return jsonify(body)


@bp.post("/tasks/<task_id>/claim")
def claim(task_id: str) -> Any:
    access.task_or_404(task_id)
    try:
        row = wiring.runtime().claim(db.session(), task_id, wiring.staff().actor())
    except ConflictError as conflict:
        return errors.error_response(409, conflict.message)
    return jsonify(task_json(row))


@bp.post("/tasks/<task_id>/release")
def release(task_id: str) -> Any:
    access.task_or_404(task_id)
    try:
        row = wiring.runtime().release(db.session(), task_id, wiring.staff().actor())
    except ConflictError as conflict:
        return errors.error_response(409, conflict.message)
    return jsonify(task_json(row))


@bp.post("/tasks/<task_id>/complete")
def complete(task_id: str) -> Any:
    # Held, so the engine finds the row in the session's (weak) identity map instead of selecting it again.
    _held = access.task_or_404(task_id)
    submission = _json_body()
    staff = wiring.staff()
    try:
        # As the page does: the completer carries the case on (the next steps of their organisation are theirs).
        row = wiring.runtime().complete_and_continue(db.session(), task_id, submission, staff.actor()).task
    except ValidationError as refused:
        return errors.error_response(422, refused.message, errors=refused.details)
    except ConflictError as conflict:
        return errors.error_response(409, conflict.message)
    following = db.session.scalars(
        select(Task).where(
            Task.case_id == row.case_id, Task.state == "ready", Task.organisation_id == staff.organisation_id
        )
    ).all()
    return jsonify({"task": task_json(row), "next_tasks": [task_json(t) for t in following]})


# -- cases and documents ------------------------------------------------------------------------------


def case_json(case: Case) -> dict[str, Any]:
    def day(value: Any) -> str | None:
        return value.isoformat() if value else None

    organisations = case_views.organisations_of(case)
    return {
        "id": case.id,
        "municipality": case.municipality,
        "client_name": case.client_name,
        "client_name_kana": case.client_name_kana,
        "insured_number": case.insured_number,
        "care_level": case.care_level,
        "care_level_name": filters.care_level_name(case.care_level),
        "certification_start": day(case.certification_start),
        "certification_end": day(case.certification_end),
        "plan_start": day(case.plan_start),
        "plan_end": day(case.plan_end),
        "planner": case.planner,
        "delegated": case.delegated,
        "status": case.status,
        "organisations": {role: {"id": org.id, "name": org.name} for role, org in organisations.items()},
        "created_at": case.created_at.isoformat(),
        "ended_at": day(case.ended_at),
    }


def document_json(doc: Document, with_data: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": doc.id,
        "case_id": doc.case_id,
        "instance_id": doc.instance_id,
        "task_id": doc.task_id,
        "form": doc.form,
        "title": doc.title,
        "version": doc.version,
        "submitted_by_id": doc.submitted_by_id,
        "submitted_at": doc.submitted_at.isoformat(),
        "links": {
            "self": url_for("api.document", document_id=doc.id),
            "page": url_for("cases.document", document_id=doc.id),
            "pdf": url_for("cases.document_pdf", document_id=doc.id),
        },
    }
    if with_data:
        body["data"] = doc.data
        body["schema"] = doc.schema
    return body


@bp.post("/cases")
def open_case() -> Any:
    """Open a case for a 利用者 and start its first flow (as the page /cases/new does)."""
    if wiring.staff().role not in case_views.STARTING_ROLES:
        return errors.error_response(403, case_views.CANNOT_OPEN)
    opened, problems, failure = case_views.open_case_for({"process_key": "new_case", **_json_body()})
    if opened is None:
        return errors.error_response(422, "入力内容を確認してください", errors=problems)
    body = case_json(opened)
    body["start_failure"] = failure
    response = jsonify(body)
    response.status_code = 201
    response.headers["Location"] = url_for("api.case", case_id=opened.id)
    return response


@bp.post("/cases/<int:case_id>/start")
def start_flow(case_id: int) -> Any:
    """Start another of the municipality's flows in a case: `{"process_key": "renewal"}`.

    Any flow of `GET /api/cases/{id}` `startable` (the five, plan change, service end, change of handling, video
    monitoring conditions), by staff of the case's planner or center (403 otherwise).
    """
    found = access.case_or_404(case_id)
    if not case_views.may_start_flows(found):
        return errors.error_response(403, case_views.CANNOT_START)
    refused = case_views.start_flow_on(found, str(_json_body().get("process_key", "")))
    if refused:
        return errors.error_response(refused.status, refused.message, errors={"process_key": refused.message})
    return case(case_id)


@bp.get("/cases/<int:case_id>")
def case(case_id: int) -> Any:
    found = access.case_or_404(case_id)
    body = case_json(found)
    instances = db.session.scalars(
        select(ProcessInstance).where(ProcessInstance.case_id == found.id).order_by(ProcessInstance.id)
    ).all()
    body["instances"] = [
        {
            "id": i.id,
            "process_key": i.process_key,
            "flow_name": filters.flow_name(i.process_key),
            "status": i.status,
            "period": i.period,
            "started_at": i.started_at.isoformat(),
            "ended_at": i.ended_at.isoformat() if i.ended_at else None,
        }
        for i in instances
    ]
    ready = db.session.scalars(select(Task).where(Task.case_id == found.id, Task.state == "ready")).all()
    body["ready_tasks"] = [task_json(t) for t in ready]
    startable = wiring.services().library.startable(found.municipality)
    allowed = found.status == "open" and case_views.may_start_flows(found)
    body["startable"] = [{"process_key": k, "flow_name": filters.flow_name(k)} for k in startable] if allowed else []
    return jsonify(body)


@bp.get("/cases/<int:case_id>/documents")
def case_documents(case_id: int) -> Any:
    found = access.case_or_404(case_id)
    documents = db.session.scalars(
        select(Document).where(Document.case_id == found.id).order_by(Document.submitted_at, Document.id)
    ).all()
    return jsonify({"items": [document_json(d) for d in access.readable(found, documents)]})


@bp.get("/cases/<int:case_id>/export")
def case_export(case_id: int) -> Any:
    """The case's full record as a ZIP (the case page's 記録一式 button)."""
    from flask import Response

    from web import export as export_module

    found = access.export_or_404(case_id)
    content = export_module.archive(found)
    export_module.log_export(found, wiring.staff().id, request.remote_addr, "api")
    response = Response(content, mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{export_module.filename(found)}"'
    return response


@bp.get("/documents/<int:document_id>")
def document(document_id: int) -> Any:
    doc, _case = access.document_or_404(document_id)
    return jsonify(document_json(doc, with_data=True))
