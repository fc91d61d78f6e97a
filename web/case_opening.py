"""Opening a case: the registration page and the rules it shares with the API (the user's organisation is in it)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from sqlalchemy import select

from engine import CARE_LEVEL_NAMES
from engine import OPENING_FIELDS
from engine import Case
from engine import Organisation
from engine import ValidationError
from engine import read_opening
from web import app_services
from web import auth
from web import case_list
from web import display
from web import errors
from web import signed_in
from web.extensions import db
from web.flow_start import CANNOT_OPEN
from web.flow_start import STARTING_ROLES
from web.flow_start import start_flow_on

bp = Blueprint("case_opening", __name__)
bp.before_request(auth.require_login)


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
    staff = signed_in.staff()
    if staff.role not in STARTING_ROLES:
        return errors.error_response(403, CANNOT_OPEN)
    library = app_services.services().library
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
                flash(f"ケースを登録し、「{display.flow_name(values['process_key'])}」を開始しました", "info")
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
        care_levels=CARE_LEVEL_NAMES,
        planners=PLANNER_NAMES,
    )
    return page, 422 if problems else (409 if duplicates else 200)


PLANNER_NAMES = {
    "": "自動(委託なら居宅、要介護なら居宅、それ以外は包括)",
    "center": "地域包括支援センター",
    "office": "居宅介護支援事業所",
}
"""The choices of 計画作成担当 on the page: empty lets the engine decide (casedata.default_planner)."""


def _all_choices(municipality: str) -> dict[str, list[Organisation]]:
    return {role: _choices(municipality, role) for role in ("center", "office", "provider")}


def open_case_for(values: dict[str, Any]) -> tuple[Case | None, dict[str, str], str | None]:
    """Open a case in the user's municipality, with the user's own organisation in it, and start its first flow.

    `values` are the page's fields or the API's JSON, with `process_key`. The rules of a case opening live in the
    engine (engine.cases.opening: read, validate_opening); unknown fields are refused by name. Returns (case,
    problems per field, failure to start). Nothing is written when a field is refused; a case whose flow could not
    start is kept (the user sees it and can start the flow from its page).
    """
    staff = signed_in.staff()
    library = app_services.services().library
    municipality = library.municipality(staff.municipality)
    values = dict(values)
    process_key = str(values.pop("process_key", "") or "")
    values[f"{staff.role}_org_id"] = staff.organisation_id
    fields, problems = read_opening(values, db.session(), municipality.key)
    if process_key not in library.flows(municipality.key):
        problems["process_key"] = "選択肢の中から選んでください"
    if problems:
        return None, problems, None
    runtime = app_services.runtime()
    insurer = _choices(municipality.key, "insurer")
    try:
        case = runtime.open_case(
            db.session(), municipality.key, staff.actor(), insurer_org_id=insurer[0].id if insurer else None, **fields
        )
    except ValidationError as refused:
        return None, dict(refused.details) or {"_form": refused.message}, None
    refused = start_flow_on(case, process_key)
    return case, {}, refused.message if refused else None


_NEW_CASE_FIELDS = ("process_key", *OPENING_FIELDS)
"""The page's fields (its form also carries the CSRF token, which is not the case's)."""
