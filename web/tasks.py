"""The task page: instructions, the form drawn from its JSON Schema, drafts, claim/release, completion.

Whatever happens to a submission — refused fields, someone else finishing first, a double click — the page
comes back with everything the person typed, exactly as typed.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from sqlalchemy import delete
from sqlalchemy import select
from werkzeug.wrappers import Response

from engine import DIRECTORY_FIELD as DIRECTORY
from engine import FOREIGN_FIELD as FOREIGN
from engine import Case
from engine import ConflictError
from engine import Document
from engine import FormContext
from engine import KaigoflowError
from engine import NotFoundError
from engine import Organisation
from engine import Task
from engine import TaskDraft
from engine import TaskView
from engine import User
from engine import ValidationError
from engine import form_directory
from engine import has_directory_fields
from engine import task_view
from engine import today as clock_today
from engine import validate_submission
from web import access
from web import app_services
from web import auth
from web import formfields
from web import next_steps
from web import signed_in
from web.extensions import db

bp = Blueprint("tasks", __name__, url_prefix="/tasks")
bp.before_request(auth.require_login)

KEEP_INPUT = "入力した内容は下に残っています。必要なら「下書き保存」してから画面を開き直してください。"


def _page(
    row: Task,
    view: TaskView,
    fields: list[formfields.Field],
    values: formfields.Flat,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    message_kind: str = "error",
    draft: TaskDraft | None = None,
    status: int = 200,
) -> tuple[str, int]:
    case = db.session.get(Case, row.case_id)
    claimed_by = db.session.get(User, row.claimed_by_id) if row.claimed_by_id else None
    completed_by = db.session.get(User, row.completed_by_id) if row.completed_by_id else None
    document = db.session.scalar(select(Document).where(Document.task_id == row.id))
    organisation = db.session.get(Organisation, row.organisation_id) if row.organisation_id else None
    following = next_steps.following(row.case_id, signed_in.staff(), exclude=row.id) if row.state != "ready" else []
    page = render_template(
        "tasks/show.html",
        task=row,
        view=view,
        case=case,
        fields=fields,
        values=values,
        errors=errors or {},
        message=message,
        message_kind=message_kind,
        draft=draft,
        claimed_by=claimed_by,
        completed_by=completed_by,
        document=document,
        organisation=organisation,
        following=following,
        today=app_services.today(),
    )
    return page, status


ORGANISATION_FIELDS = {"center_org_id": "center", "office_org_id": "office", "provider_org_id": "provider"}
"""Canonical case columns a handover form sets (engine.cases.facts): offered as a choice of real organisations."""


def _fields(view: TaskView) -> list[formfields.Field]:
    if view.form is None:
        return []
    fields = formfields.build(view.form.schema, view.form.uischema)
    _organisation_choices(fields, view.row.municipality)
    _directory_choices(fields, view.row.municipality)
    return fields


def _directory_choices(fields: list[formfields.Field], municipality: str) -> None:
    """A `x-directory` field (an office or a care manager named by the form) becomes a list of the registered names
    of the case's municipality: nobody types 「テスト」 where an office is meant."""
    names: dict[str, frozenset[str]] | None = None
    for f in fields:
        kind = f.schema.get(DIRECTORY)
        if not isinstance(kind, str) or f.kind not in ("text", "code"):
            continue
        names = names if names is not None else form_directory(db.session(), municipality)
        f.options = [formfields.Option(name, name, name) for name in sorted(names.get(kind, ()))]
        f.kind = "select"


def _organisation_choices(fields: list[formfields.Field], municipality: str) -> None:
    for f in fields:
        _organisation_choices(f.children, municipality)
        role = ORGANISATION_FIELDS.get(f.key)
        if role is None or f.options or f.kind not in ("integer", "number", "text", "code"):
            continue
        organisations = db.session.scalars(
            select(Organisation)
            .where(Organisation.municipality == municipality, Organisation.role == role)
            .order_by(Organisation.name)
        ).all()
        as_int = f.kind in ("integer", "number")
        f.options = [formfields.Option(str(o.id), o.name, o.id if as_int else str(o.id)) for o in organisations]
        f.kind = "select"


@bp.get("/<task_id>")
def show(task_id: str) -> Any:
    row = access.task_or_404(task_id)
    view = task_view(app_services.runtime(), db.session(), task_id)
    fields = _fields(view)
    draft = db.session.get(TaskDraft, (task_id, signed_in.staff().id)) if row.state == "ready" else None
    if draft is not None:
        values = dict(draft.data.get("values") or {})
    else:
        values = formfields.from_data(fields, view.prefill)
    return _page(row, view, fields, values, draft=draft)


@bp.post("/<task_id>")
def submit(task_id: str) -> Any:
    if request.form.get("action", "complete") == "complete":
        # The case is locked first, so the form is read and completed on one restored instance (runtime.lock_task).
        # Held here: the session's identity map keeps rows only while referenced, and the access check, the form
        # and the completion all read this row again without a statement.
        _locked = app_services.runtime().lock_task(db.session(), task_id)
    row = access.task_or_404(task_id)
    staff = signed_in.staff()
    view = task_view(app_services.runtime(), db.session(), task_id, with_prefill=False)
    fields = _fields(view)
    values = formfields.from_form(fields, request.form)
    action = request.form.get("action", "complete")
    foreign = formfields.foreign_names(fields, request.form)
    if foreign:
        # Never dropped in silence: a name the form has no input for is a forged post, refused like the API does.
        errors = dict.fromkeys(foreign, FOREIGN)
        return _page(row, view, fields, values, errors=errors, message=_refused(view), status=422)
    if action == "add_row":
        return _page(row, view, fields, values)
    if row.state != "ready":
        message = (
            "このタスクはすでに完了しています(二重送信または他の職員が先に完了)。"
            if row.state == "completed"
            else "このタスクは取り消されました(手続きが別の経路で進みました)。"
        )
        return _page(row, view, fields, values, message=message + KEEP_INPUT, status=409)
    if action == "draft":
        _save_draft(task_id, staff.id, values)
        flash("下書きを保存しました", "info")
        return redirect(url_for("tasks.show", task_id=task_id))
    if action == "discard_draft":
        db.session.execute(delete(TaskDraft).where(TaskDraft.task_id == task_id, TaskDraft.user_id == staff.id))
        db.session.commit()
        flash("下書きを破棄しました", "info")
        return redirect(url_for("tasks.show", task_id=task_id))
    if action != "complete":
        abort(400)
    submission, local_errors = formfields.to_submission(fields, values, data=view.data)
    if local_errors:
        errors = {**_check(row, view, submission), **local_errors}
        return _page(row, view, fields, values, errors=errors, message=_refused(view), status=422)
    try:
        done = app_services.runtime().complete_and_continue(db.session(), task_id, submission, staff.actor())
    except ValidationError as refused:
        return _page(row, view, fields, values, errors=refused.details, message=refused.message, status=422)
    except ConflictError as conflict:
        db.session.expire_all()
        row = db.session.get(Task, task_id) or row
        return _page(row, view, fields, values, message=f"{conflict.message}。{KEEP_INPUT}", status=409)
    except NotFoundError:
        abort(404)
    except KaigoflowError as failure:
        return _page(row, view, fields, values, message=f"{failure.message}。{KEEP_INPUT}", status=failure.http_status)
    flash(f"「{done.name}」を完了しました", "info")
    if done.claimed:
        names = "」「".join(name for _, name in done.claimed)
        flash(f"次の作業「{names}」をあなたの担当にしました", "next")
    # The completed step's page: what was recorded, and 「続けてこの作業へ」 to the case's next step.
    return redirect(url_for("tasks.show", task_id=task_id) + "#next-steps")


def _refused(view: TaskView) -> str:
    title = view.form.title if view.form else "様式"
    return f"「{title}」の入力内容に誤りがあります"


def _check(row: Task, view: TaskView, submission: dict[str, Any]) -> dict[str, str]:
    """The engine's own check of a submission, without submitting it (to list every problem at once)."""
    if view.form is None:
        return {}
    runtime = app_services.runtime()
    params = runtime.library.municipality(row.municipality).params
    schema = view.form.schema
    directory = form_directory(db.session(), row.municipality) if has_directory_fields(schema) else None
    context = FormContext(clock_today(runtime.clock), row.municipality, params, view.data, directory)
    return validate_submission(schema, submission, runtime.handlers.get(view.form.name), context)


def _save_draft(task_id: str, user_id: int, values: formfields.Flat) -> None:
    draft = db.session.get(TaskDraft, (task_id, user_id))
    now = app_services.clock().now()
    if draft is None:
        db.session.add(TaskDraft(task_id=task_id, user_id=user_id, data={"values": values}, saved_at=now))
    else:
        draft.data, draft.saved_at = {"values": values}, now
    db.session.commit()


@bp.post("/<task_id>/claim")
def claim(task_id: str) -> Response:
    access.task_or_404(task_id)
    try:
        row = app_services.runtime().claim(db.session(), task_id, signed_in.staff().actor())
    except ConflictError as conflict:
        flash(conflict.message, "error")
    else:
        flash(f"「{row.name}」を担当しました", "info")
    return redirect(auth.safe_next(request.form.get("next")) if request.form.get("next") else _task_url(task_id))


@bp.post("/<task_id>/release")
def release(task_id: str) -> Response:
    access.task_or_404(task_id)
    try:
        row = app_services.runtime().release(db.session(), task_id, signed_in.staff().actor())
    except ConflictError as conflict:
        flash(conflict.message, "error")
    else:
        flash(f"「{row.name}」の担当を外れました", "info")
    return redirect(auth.safe_next(request.form.get("next")) if request.form.get("next") else _task_url(task_id))


def _task_url(task_id: str) -> str:
    return url_for("tasks.show", task_id=task_id)
