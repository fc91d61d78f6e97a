"""Administration of organisations and staff: register, change, close or deactivate, reset a password, import CSV.

For administrators (`User.is_admin`: every municipality) and municipal administrators (`User.is_municipal_admin`:
the municipality of their own organisation). Anyone else, and any organisation or person outside the scope, gets
the 404 of a missing page, logged as `access_denied` (web/access.py). The rules are engine/accounts/staff.py's and
engine/accounts/staff_import.py's; this module only turns forms into their calls and their answers into pages.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint
from flask import Response
from flask import abort
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for

from engine import NotFoundError
from engine import Organisation
from engine import PermissionDenied
from engine import User
from engine import ValidationError
from engine import staff
from engine import staff_import
from web import access
from web import app_services
from web import auth
from web import signed_in
from web.date_input import DateInputError
from web.date_input import parse_date_input
from web.extensions import db

bp = Blueprint("staff_admin", __name__, url_prefix="/staff")

IMPORT_KINDS = {"organisations": "事業所", "users": "職員"}


@bp.before_request
def require_administrator() -> Any:
    refused = auth.require_login()
    if refused is not None:
        return refused
    me = signed_in.staff()
    try:
        g.operator = staff.operator_for(me.user, me.organisation, request.remote_addr)
    except PermissionDenied:
        access.deny("staff_admin", request.path)
    return None


def _op() -> staff.Operator:
    return g.operator


def _now() -> Any:
    return app_services.clock().now()


def _organisation_or_404(org_id: int) -> Organisation:
    try:
        return staff.organisation(db.session, _op(), org_id)
    except NotFoundError:
        if db.session.get(Organisation, org_id) is None:
            abort(404)
        access.deny("organisation", org_id)
        raise


def _user_or_404(user_id: int) -> User:
    try:
        found = staff.staff_member(db.session, _op(), user_id)
    except NotFoundError:
        if db.session.get(User, user_id) is None:
            abort(404)
        access.deny("user", user_id)
        raise
    if found.is_admin and not _op().is_global:
        access.deny("user", user_id)
    return found


def _municipalities() -> list[tuple[str, str]]:
    """(key, name) of the municipalities the operator manages."""
    library = app_services.services().library
    everything = sorted(library.municipalities().values(), key=lambda m: m.key)
    return [(m.key, m.name) for m in everything if _op().is_global or m.key == _op().municipality]


def _municipality_names() -> dict[str, str]:
    return dict(_municipalities())


# -- organisations --------------------------------------------------------------------------------------------


@bp.get("/")
def index() -> Any:
    organisations = staff.list_organisations(db.session, _op(), request.args.get("municipality") or None)
    people = staff.list_users(db.session, _op())
    counts: dict[int, int] = {}
    for user, _org in people:
        if user.active:
            counts[user.organisation_id] = counts.get(user.organisation_id, 0) + 1
    return render_template(
        "staff_admin/index.html",
        organisations=organisations,
        counts=counts,
        names=_municipality_names(),
        kinds=staff.ORG_KINDS,
        scope=_op().municipality,
    )


def _organisation_form(org: Organisation | None = None) -> staff.OrganisationInput:
    form = request.form
    if org is not None:
        return staff.OrganisationInput(
            org.municipality, org.role, form.get("name", ""), form.get("code"), form.get("address")
        )
    return staff.OrganisationInput(
        form.get("municipality", _op().municipality or ""),
        form.get("kind", ""),
        form.get("name", ""),
        form.get("code"),
        form.get("address"),
    )


@bp.route("/organisations/new", methods=["GET", "POST"])
def new_organisation() -> Any:
    values = (
        _organisation_form() if request.method == "POST" else staff.OrganisationInput(_op().municipality or "", "", "")
    )
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            added = staff.add_organisation(db.session, app_services.services().library, _op(), values, _now())
        except ValidationError as refused:
            db.session.rollback()
            errors = refused.details
        else:
            flash(f"{staff.ORG_KINDS[added.role]}「{added.name}」を登録しました", "info")
            return redirect(url_for("staff_admin.organisation", org_id=added.id))
    return _organisation_page(None, values, errors)


def _organisation_page(
    org: Organisation | None, values: staff.OrganisationInput, errors: dict[str, str], typed_filed_on: str | None = None
) -> Any:
    members = staff.list_users(db.session, _op(), org.id) if org is not None else []
    page = render_template(
        "staff_admin/organisation.html",
        org=org,
        values=values,
        errors=errors,
        municipalities=_municipalities(),
        names=_municipality_names(),
        kinds=staff.ORG_KINDS,
        members=members,
        job_roles=staff.JOB_ROLES,
        typed_filed_on=typed_filed_on,
    )
    return page, 422 if errors else 200


@bp.route("/organisations/<int:org_id>", methods=["GET", "POST"])
def organisation(org_id: int) -> Any:
    org = _organisation_or_404(org_id)
    values = staff.OrganisationInput(org.municipality, org.role, org.name, org.code, org.address)
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = _organisation_form(org)
        try:
            staff.change_organisation(
                db.session,
                app_services.services().library,
                _op(),
                org.id,
                values.name,
                values.code,
                values.address,
                _now(),
            )
        except ValidationError as refused:
            db.session.rollback()
            errors = refused.details
        else:
            flash(f"「{org.name}」を保存しました", "info")
            return redirect(url_for("staff_admin.organisation", org_id=org.id))
    return _organisation_page(org, values, errors)


@bp.post("/organisations/<int:org_id>/proxy-receipt")
def proxy_receipt(org_id: int) -> Any:
    """代理受領委任状の提出日 of an office (豊川: filed once with the 委託契約); 和暦 or 西暦, blank to clear."""
    org = _organisation_or_404(org_id)
    text = request.form.get("proxy_receipt_mandate_filed_on", "").strip()
    try:
        filed_on = parse_date_input(text) if text else None
        staff.record_proxy_receipt_mandate(db.session, _op(), org.id, filed_on, _now())
    except DateInputError as refused:
        return _proxy_receipt_refused(org, text, str(refused))
    except ValidationError as refused:
        db.session.rollback()
        return _proxy_receipt_refused(org, text, refused.details.get("proxy_receipt_mandate_filed_on", refused.message))
    flash(f"「{org.name}」の代理受領委任状の提出日を保存しました", "info")
    return redirect(url_for("staff_admin.organisation", org_id=org.id))


def _proxy_receipt_refused(org: Organisation, text: str, message: str) -> Any:
    """The organisation page again, with the date as typed and why it was refused (nothing saved)."""
    values = staff.OrganisationInput(org.municipality, org.role, org.name, org.code, org.address)
    page, _status = _organisation_page(org, values, {"proxy_receipt_mandate_filed_on": message}, typed_filed_on=text)
    return page, 422


@bp.post("/organisations/<int:org_id>/close")
def close_organisation(org_id: int) -> Any:
    org = _organisation_or_404(org_id)
    try:
        staff.close_organisation(db.session, _op(), org.id, _now())
    except ValidationError as refused:
        db.session.rollback()
        flash(f"{refused.message}({'、'.join(refused.details.values())})", "error")
    else:
        flash(f"「{org.name}」を廃止にしました(これまでの記録には名前が残ります)", "info")
    return redirect(url_for("staff_admin.organisation", org_id=org.id))


# -- staff ----------------------------------------------------------------------------------------------------


@bp.get("/users")
def users() -> Any:
    return render_template(
        "staff_admin/users.html",
        people=staff.list_users(db.session, _op()),
        names=_municipality_names(),
        job_roles=staff.JOB_ROLES,
        kinds=staff.ORG_KINDS,
    )


def _user_form(login: str = "") -> staff.UserInput:
    form = request.form
    org_text = form.get("organisation_id", "")
    return staff.UserInput(
        login or form.get("login", ""),
        form.get("display_name", ""),
        int(org_text) if org_text.isdigit() else None,
        form.get("job_role", "staff"),
        form.get("care_manager_number"),
        form.get("is_process_owner") == "1",
        form.get("is_admin") == "1",
        form.get("is_municipal_admin") == "1",
    )


def _user_page(
    person: User | None, values: staff.UserInput, errors: dict[str, str], one_time: str | None = None
) -> Any:
    choices = [
        o
        for o in staff.list_organisations(db.session, _op())
        if o.active or (person and o.id == person.organisation_id)
    ]
    page = render_template(
        "staff_admin/user.html",
        person=person,
        values=values,
        errors=errors,
        organisations=choices,
        names=_municipality_names(),
        kinds=staff.ORG_KINDS,
        job_roles=staff.JOB_ROLES,
        care_manager_roles=sorted(staff.CARE_MANAGER_ROLES),
        can_grant_admin=_op().is_global,
        one_time=one_time,
    )
    return page, 422 if errors else 200


@bp.route("/users/new", methods=["GET", "POST"])
def new_user() -> Any:
    org_text = request.args.get("org", "")
    values = staff.UserInput("", "", int(org_text) if org_text.isdigit() else None)
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = _user_form()
        try:
            added, one_time = staff.add_user(db.session, _op(), values, _now())
        except ValidationError as refused:
            db.session.rollback()
            errors = refused.details
        else:
            flash(f"{added.display_name}さん({added.login})を登録しました", "info")
            return _user_page(added, _values_of(added), {}, one_time=one_time)
    return _user_page(None, values, errors)


def _values_of(person: User) -> staff.UserInput:
    return staff.UserInput(
        person.login,
        person.display_name,
        person.organisation_id,
        person.job_role,
        person.care_manager_number,
        person.is_process_owner,
        person.is_admin,
        person.is_municipal_admin,
    )


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user(user_id: int) -> Any:
    person = _user_or_404(user_id)
    values = _values_of(person)
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = _user_form(person.login)
        try:
            staff.change_user(db.session, _op(), person.id, values, _now())
        except ValidationError as refused:
            db.session.rollback()
            errors = refused.details
        else:
            flash(f"{person.display_name}さんの情報を保存しました", "info")
            return redirect(url_for("staff_admin.user", user_id=person.id))
    return _user_page(person, values, errors)


@bp.post("/users/<int:user_id>/deactivate")
def deactivate_user(user_id: int) -> Any:
    person = _user_or_404(user_id)
    try:
        staff.deactivate_user(db.session, _op(), person.id, _now())
    except ValidationError as refused:
        db.session.rollback()
        flash(f"{refused.message}({'、'.join(refused.details.values())})", "error")
    else:
        flash(f"{person.display_name}さんを無効にしました(これまでの記録には名前が残ります)", "info")
    return redirect(url_for("staff_admin.user", user_id=person.id))


@bp.post("/users/<int:user_id>/reset-password")
def reset_password(user_id: int) -> Any:
    person = _user_or_404(user_id)
    try:
        one_time = staff.reset_password(db.session, _op(), person.id, _now())
    except ValidationError as refused:
        db.session.rollback()
        flash(refused.message, "error")
        return redirect(url_for("staff_admin.user", user_id=person.id))
    return _user_page(person, _values_of(person), {}, one_time=one_time)


# -- CSV import ---------------------------------------------------------------------------------------------


@bp.route("/import", methods=["GET", "POST"])
def import_csv() -> Any:
    kind = request.values.get("kind", "organisations")
    if kind not in IMPORT_KINDS:
        kind = "organisations"
    report = None
    error = None
    data = b""
    if request.method == "POST":
        upload = request.files.get("file")
        data = upload.read() if upload is not None else b""
        if not data and request.form.get("content"):
            data = request.form["content"].encode("utf-8")  # the file checked on the previous page, sent back
        dry_run = request.form.get("apply") != "1"
        if not data:
            error = "CSV ファイルを選んでください"
        elif kind == "organisations":
            report = staff_import.import_organisations(
                db.session, app_services.services().library, _op(), data, _now(), dry_run=dry_run
            )
        else:
            report = staff_import.import_users(db.session, _op(), data, _now(), dry_run=dry_run)
    status = 422 if error or (report is not None and report.problems) else 200
    page = render_template(
        "staff_admin/import.html",
        kind=kind,
        kinds=IMPORT_KINDS,
        report=report,
        error=error,
        columns=staff_import.ORGANISATION_COLUMNS if kind == "organisations" else staff_import.USER_COLUMNS,
        content=_checked_content(data) if report is not None and report.ok and not report.applied else None,
    )
    return page, status


@bp.get("/import/<kind>.csv")
def import_template(kind: str) -> Response:
    if kind not in IMPORT_KINDS:
        abort(404)
    response = Response(staff_import.template(kind), mimetype="text/csv")
    filename = f"{IMPORT_KINDS[kind]}の取り込み.csv"
    response.headers["Content-Disposition"] = f"attachment; filename=\"{kind}.csv\"; filename*=UTF-8''{quote(filename)}"
    return response


def _checked_content(data: bytes) -> str:
    """The checked file as text for a hidden field, so applying it needs no second upload."""
    return data.decode("utf-8-sig")
