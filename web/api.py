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

from engine.errors import ConflictError
from engine.errors import ValidationError
from engine.execution import display
from engine.store.models import Case
from engine.store.models import Document
from engine.store.models import ProcessInstance
from engine.store.models import Task
from engine.store.models import User
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
from web.openapi import BAD_REQUEST
from web.openapi import CONFLICT
from web.openapi import DATE_TIME
from web.openapi import INVALID
from web.openapi import NOT_FOUND
from web.openapi import REFUSED
from web.openapi import UNAUTHORIZED
from web.openapi import closed
from web.openapi import json_body
from web.openapi import nullable
from web.openapi import operation
from web.openapi import resource

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


CREDENTIALS = resource("Credentials", closed({"login": {"type": "string"}, "password": {"type": "string"}}))
TOKEN = resource(
    "Token",
    closed({"token": {"type": "string"}, "token_type": {"const": "Bearer"}, "expires_in": {"type": "integer"}}),
)


@bp.post("/token")
@operation(
    "post",
    "ログインIDとパスワードからトークンを発行する",
    {
        "200": json_body(TOKEN, "トークン"),
        "401": json_body(openapi.ERROR, "IDかパスワードが違う、または一時的に停止中"),
        "403": json_body(openapi.ERROR, "一時パスワードのまま"),
        "415": json_body(openapi.ERROR, "JSON で送られていない"),
    },
    request=CREDENTIALS,
    public=True,
)
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
@operation(
    "get",
    "この文書",
    {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}}},
    public=True,
)
def openapi_document() -> Any:
    return jsonify(openapi.document(current_app))


# -- tasks --------------------------------------------------------------------------------------------


TASK_PROPERTIES: dict[str, Any] = {
    "id": {"type": "string"},
    "name": {"type": "string"},
    "bpmn_id": {"type": "string", "description": "作業の BPMN id(assessment など)"},
    "process_key": {"type": "string"},
    "flow_name": {"type": "string", "description": "手続きの名前(新規など)"},
    "municipality": {"type": "string"},
    "case_id": {"type": "integer"},
    "instance_id": {"type": "integer"},
    "role": {"type": "string"},
    "organisation_id": nullable("integer"),
    "form": nullable("string"),
    "state": {"type": "string", "enum": ["ready", "completed", "cancelled"]},
    "due_date": nullable("string", format="date"),
    "due_wareki": {"type": "string", "description": "期限(和暦・曜日)"},
    "overdue": {"type": "boolean"},
    "claimed_by_id": nullable("integer"),
    "completed_by_id": nullable("integer"),
    "completed_at": nullable("string", format="date-time"),
    "ready_at": DATE_TIME,
    "links": closed({"self": {"type": "string"}, "page": {"type": "string"}}),
}
TASK = resource("Task", closed(TASK_PROPERTIES))
TASK_DETAIL = resource(
    "TaskDetail",
    closed(
        {
            **TASK_PROPERTIES,
            "instructions": {"type": "string"},
            "form_spec": {
                "oneOf": [
                    closed(
                        {
                            "name": {"type": "string"},
                            "title": {"type": "string"},
                            "schema": {"type": "object"},
                            "uischema": {"type": "object"},
                        }
                    ),
                    {"type": "null"},
                ]
            },
            "data": {"type": "object", "description": "インスタンスのデータ(判定・検証の文脈)"},
            "prefill": {"type": "object", "description": "空の様式の初期値: 他の帳票の自由記述は含めない"},
        }
    ),
)


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


INBOX_ITEM = resource(
    "InboxItem",
    closed(
        {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "bpmn_id": {"type": "string"},
            "process_key": {"type": "string"},
            "flow_name": {"type": "string"},
            "municipality": {"type": "string"},
            "role": {"type": "string"},
            "due_date": nullable("string", format="date"),
            "due_wareki": {"type": "string"},
            "due_label": {"type": "string"},
            "overdue": {"type": "boolean"},
            "due_today": {"type": "boolean"},
            "ready_at": DATE_TIME,
            "case_id": {"type": "integer"},
            "client_name": nullable("string"),
            "claimed_by_id": nullable("integer"),
        }
    ),
)
TASK_PAGE = resource(
    "TaskPage",
    closed(
        {
            "section": {"type": "string", "enum": list(inbox.SECTIONS)},
            "filters": {"type": "object", "additionalProperties": {"type": "string"}},
            "page": {"type": "integer"},
            "pages": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total": {"type": "integer"},
            "overdue": {"type": "integer"},
            "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
            "items": {"type": "array", "items": INBOX_ITEM},
        }
    ),
)
INBOX_FILTERS = [
    {
        "name": "section",
        "in": "query",
        "description": "mine: 自分が担当中 / unclaimed: 所属の未担当",
        "schema": {"type": "string", "enum": ["mine", "unclaimed"], "default": "unclaimed"},
    },
    {"name": "process_key", "in": "query", "description": "手続き(new_case など)", "schema": {"type": "string"}},
    {"name": "municipality", "in": "query", "description": "市町村キー", "schema": {"type": "string"}},
    {"name": "step", "in": "query", "description": "作業の BPMN id(assessment など)", "schema": {"type": "string"}},
    {
        "name": "due",
        "in": "query",
        "description": "期限: overdue 期限切れ / today 今日まで / week 今週まで / all すべて",
        "schema": {"type": "string", "enum": ["all", "overdue", "today", "week"], "default": "all"},
    },
    {"name": "page", "in": "query", "description": "ページ(50件ずつ)", "schema": {"type": "integer", "minimum": 1}},
]


@bp.get("/tasks")
@operation(
    "get",
    "受信箱(自分の担当・所属の未担当)",
    {"200": json_body(TASK_PAGE, "タスクの一覧"), "400": BAD_REQUEST, "401": UNAUTHORIZED},
    parameters=INBOX_FILTERS,
)
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
@operation(
    "get",
    "タスク(様式の JSON Schema と既存データを含む)",
    {"200": json_body(TASK_DETAIL, "タスク"), "401": UNAUTHORIZED, "404": NOT_FOUND},
)
def task(task_id: str) -> Any:
    row = access.task_or_404(task_id)
    view = display.task_view(wiring.runtime(), db.session(), task_id)
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
@operation(
    "post",
    "タスクを担当する",
    {"200": json_body(TASK, "処理後のタスク"), "401": UNAUTHORIZED, "404": NOT_FOUND, "409": CONFLICT},
)
def claim(task_id: str) -> Any:
    access.task_or_404(task_id)
    try:
        row = wiring.runtime().claim(db.session(), task_id, wiring.staff().actor())
    except ConflictError as conflict:
        return errors.error_response(409, conflict.message)
    return jsonify(task_json(row))


@bp.post("/tasks/<task_id>/release")
@operation(
    "post",
    "タスクの担当を外れる",
    {"200": json_body(TASK, "処理後のタスク"), "401": UNAUTHORIZED, "404": NOT_FOUND, "409": CONFLICT},
)
def release(task_id: str) -> Any:
    access.task_or_404(task_id)
    try:
        row = wiring.runtime().release(db.session(), task_id, wiring.staff().actor())
    except ConflictError as conflict:
        return errors.error_response(409, conflict.message)
    return jsonify(task_json(row))


@bp.post("/tasks/<task_id>/complete")
@operation(
    "post",
    "様式を提出してタスクを完了する",
    {
        "200": json_body(
            closed({"task": TASK, "next_tasks": {"type": "array", "items": TASK}}),
            "完了したタスクと、所属に回ってきた次のタスク",
        ),
        "400": BAD_REQUEST,
        "401": UNAUTHORIZED,
        "404": NOT_FOUND,
        "409": CONFLICT,
        "422": INVALID,
    },
    request={"type": "object", "description": "様式の JSON Schema に沿った提出内容"},
)
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


ORGANISATION_REF = closed({"id": {"type": "integer"}, "name": {"type": "string"}})
CASE_PROPERTIES: dict[str, Any] = {
    "id": {"type": "integer"},
    "municipality": {"type": "string"},
    "client_name": nullable("string"),
    "client_name_kana": nullable("string"),
    "insured_number": nullable("string", description="被保険者番号(10桁)"),
    "care_level": nullable("string", description="shien1 … kaigo5, jigyo, pending"),
    "care_level_name": {"type": "string"},
    "certification_start": nullable("string", format="date"),
    "certification_end": nullable("string", format="date"),
    "plan_start": nullable("string", format="date"),
    "plan_end": nullable("string", format="date"),
    "planner": {"type": "string", "enum": ["center", "office"], "description": "計画作成担当"},
    "delegated": {"type": "boolean", "description": "包括が居宅へ介護予防支援を委託している"},
    "status": {"type": "string"},
    "organisations": {
        "type": "object",
        "description": "役割(center, office, insurer, provider)→ 事業所",
        "additionalProperties": ORGANISATION_REF,
    },
    "created_at": DATE_TIME,
    "ended_at": nullable("string", format="date-time"),
}
OPENED_CASE = resource(
    "OpenedCase",
    closed({**CASE_PROPERTIES, "start_failure": nullable("string", description="手続きを開始できなかった理由")}),
)
INSTANCE = resource(
    "ProcessInstance",
    closed(
        {
            "id": {"type": "integer"},
            "process_key": {"type": "string"},
            "flow_name": {"type": "string"},
            "status": {"type": "string"},
            "period": nullable("string"),
            "started_at": DATE_TIME,
            "ended_at": nullable("string", format="date-time"),
        }
    ),
)
CASE = resource(
    "Case",
    closed(
        {
            **CASE_PROPERTIES,
            "instances": {"type": "array", "items": INSTANCE},
            "ready_tasks": {"type": "array", "items": TASK},
            "startable": {
                "type": "array",
                "description": "このユーザーがこのケースで開始できる手続き(process_key と日本語名)",
                "items": closed({"process_key": {"type": "string"}, "flow_name": {"type": "string"}}),
            },
        }
    ),
)
NEW_CASE = resource(
    "NewCase",
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["client_name", "insured_number"],
        "properties": {
            "client_name": {"type": "string", "description": "利用者氏名(入力どおりに記録)"},
            "client_name_kana": {"type": "string"},
            "insured_number": {"type": "string", "description": "被保険者番号(10桁)"},
            "care_level": {"type": "string", "description": "shien1 … kaigo5, jigyo, pending"},
            "process_key": {"type": "string", "default": "new_case"},
            "planner": {
                "enum": ["center", "office"],
                "description": "計画作成担当。省略時: 委託・要介護・包括なしは office、それ以外は center",
            },
            "delegated": {"type": "boolean", "description": "包括が居宅へ介護予防支援を委託する"},
            "center_org_id": {"type": "integer"},
            "office_org_id": {"type": "integer"},
            "provider_org_id": {"type": "integer"},
        },
    },
)
DOCUMENT_PROPERTIES: dict[str, Any] = {
    "id": {"type": "integer"},
    "case_id": {"type": "integer"},
    "instance_id": {"type": "integer"},
    "task_id": {"type": "string"},
    "form": {"type": "string"},
    "title": {"type": "string"},
    "version": {"type": "integer"},
    "submitted_by_id": nullable("integer"),
    "submitted_at": DATE_TIME,
    "links": closed({"self": {"type": "string"}, "page": {"type": "string"}, "pdf": {"type": "string"}}),
}
DOCUMENT = resource("Document", closed(DOCUMENT_PROPERTIES))
DOCUMENT_DETAIL = resource(
    "DocumentDetail",
    closed({**DOCUMENT_PROPERTIES, "data": {"type": "object"}, "schema": {"type": "object"}}),
)


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
@operation(
    "post",
    "ケースを登録し、最初の手続き(新規など)を開始する(包括・居宅の職員)",
    {
        "201": json_body(OPENED_CASE, "登録したケース(start_failure: 手続きを開始できなかった理由)"),
        "400": BAD_REQUEST,
        "401": UNAUTHORIZED,
        "403": REFUSED,
        "422": INVALID,
    },
    request=NEW_CASE,
)
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
@operation(
    "post",
    "ケースで別の手続き(更新・区分変更・計画変更・サービス終了など)を開始する",
    {
        "200": json_body(CASE, "ケース(手続きと未完了の作業を含む)"),
        "401": UNAUTHORIZED,
        "403": REFUSED,
        "404": NOT_FOUND,
        "409": json_body(openapi.ERROR, "同じ手続きがこのケースですでに進行中"),
        "422": INVALID,
    },
    request=closed({"process_key": {"type": "string"}}),
)
def start_flow(case_id: int) -> Any:
    """Start another of the municipality's flows in a case: `{"process_key": "renewal"}`.

    Any flow of `GET /api/cases/{id}` `startable` (the five, plan change, service end, change of handling, video
    monitoring conditions), by staff of the case's planner or center (403 otherwise).
    """
    found = access.case_or_404(case_id)
    if wiring.staff().role not in case_views.STARTING_ROLES:
        return errors.error_response(403, case_views.CANNOT_OPEN)  # providers and insurers start nothing
    if not case_views.may_start_flows(found):
        return errors.error_response(403, case_views.CANNOT_START)
    refused = case_views.start_flow_on(found, str(_json_body().get("process_key", "")))
    if refused:
        return errors.error_response(refused.status, refused.message, errors={"process_key": refused.message})
    return case(case_id)


@bp.get("/cases/<int:case_id>")
@operation(
    "get",
    "ケース(利用者・認定・担当事業所・手続き)",
    {"200": json_body(CASE, "ケース"), "401": UNAUTHORIZED, "404": NOT_FOUND},
)
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
@operation(
    "get",
    "ケースの帳票(提出された様式の版)のうち、所属が読めるもの",
    {
        "200": json_body(closed({"items": {"type": "array", "items": DOCUMENT}}), "帳票の一覧"),
        "401": UNAUTHORIZED,
        "404": NOT_FOUND,
    },
)
def case_documents(case_id: int) -> Any:
    found = access.case_or_404(case_id)
    documents = db.session.scalars(
        select(Document).where(Document.case_id == found.id).order_by(Document.submitted_at, Document.id)
    ).all()
    return jsonify({"items": [document_json(d) for d in access.readable(found, documents)]})


@bp.get("/cases/<int:case_id>/export")
@operation(
    "get",
    "ケースの記録一式(運営指導用): case.json と各帳票の JSON・PDF の ZIP",
    {
        "200": {
            "description": "ZIP",
            "content": {"application/zip": {"schema": {"type": "string", "contentMediaType": "application/zip"}}},
        },
        "401": UNAUTHORIZED,
        "404": NOT_FOUND,
    },
)
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
@operation(
    "get",
    "帳票(提出内容と様式)",
    {"200": json_body(DOCUMENT_DETAIL, "帳票"), "401": UNAUTHORIZED, "404": NOT_FOUND},
)
def document(document_id: int) -> Any:
    doc, _case = access.document_or_404(document_id)
    return jsonify(document_json(doc, with_data=True))
