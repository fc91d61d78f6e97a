"""The schedule and risks in the JSON API: read a case's duties and risks, record a duty or a 特段の事情.

Same sign-in as /api (a bearer token or the session with CSRF) and the same access rule: another organisation's
case or duty is 404, and the attempt is logged.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint
from flask import Flask
from flask import jsonify
from flask import request
from sqlalchemy import select

from engine.errors import KaigoflowError
from engine.errors import ValidationError
from engine.models import Risk
from engine.models import ScheduleItem
from web import access
from web import api
from web import errors
from web import filters
from web import wiring
from web.extensions import csrf
from web.extensions import db
from web.schedules import duty_name
from web.schedules import item_or_404
from web.schedules import risk_name

bp = Blueprint("schedules_api", __name__, url_prefix="/api")
bp.before_request(api.authenticate)


def init_app(app: Flask) -> None:
    csrf.exempt(bp)  # api.authenticate checks CSRF for session requests
    app.register_blueprint(bp)


def item_json(item: ScheduleItem, municipality: str | None = None) -> dict[str, Any]:
    return {
        "id": item.id,
        "key": item.key,
        "duty": item.duty,
        "name": duty_name(item.duty, municipality),
        "period": item.period,
        "window_start": item.window_start.isoformat() if item.window_start else None,
        "due_date": item.due_date.isoformat(),
        "due_date_wareki": filters.wareki_weekday(item.due_date),
        "status": item.status,
        "done_on": item.done_on.isoformat() if item.done_on else None,
        "role": item.role,
        "organisation_id": item.organisation_id,
        "rule": item.rule,
        "source": item.source,
        "detail": item.detail,
    }


def risk_json(risk: Risk) -> dict[str, Any]:
    return {
        "code": risk.code,
        "name": risk_name(risk.code),
        "severity": risk.severity,
        "duty_key": risk.duty_key,
        "since": risk.since.isoformat(),
        "raised_at": risk.raised_at.isoformat(),
        "cleared_at": risk.cleared_at.isoformat() if risk.cleared_at else None,
        "rule": risk.rule,
        "source": risk.source,
    }


@bp.get("/cases/<int:case_id>/schedule")
def case_schedule(case_id: int) -> Any:
    case = access.case_or_404(case_id)
    items = db.session.scalars(
        select(ScheduleItem).where(ScheduleItem.case_id == case.id).order_by(ScheduleItem.due_date, ScheduleItem.key)
    ).all()
    risks = db.session.scalars(select(Risk).where(Risk.case_id == case.id).order_by(Risk.since)).all()
    return jsonify({"items": [item_json(i, case.municipality) for i in items], "risks": [risk_json(r) for r in risks]})


@bp.post("/schedule/<int:item_id>/special-circumstances")
def special_circumstances(item_id: int) -> Any:
    item, case = item_or_404(item_id, acting=True)
    body = api._json_body()
    try:
        wiring.runtime().record_special_circumstances(
            db.session(), item.id, str(body.get("reason") or ""), wiring.staff().actor()
        )
    except ValidationError as refused:
        return errors.error_response(422, refused.message, errors=refused.details)
    db.session.refresh(item)
    return jsonify({"item": item_json(item, case.municipality)})


@bp.post("/schedule/<int:item_id>/done")
def done(item_id: int) -> Any:
    item, case = item_or_404(item_id, acting=True)
    body = api._json_body()
    done_on: date | None = None
    if body.get("done_on"):
        try:
            done_on = date.fromisoformat(str(body["done_on"]))
        except ValueError:
            return errors.error_response(
                422, "実施日が正しくありません", errors={"done_on": "YYYY-MM-DD で指定してください"}
            )
    try:
        wiring.runtime().record_duty(db.session(), item.id, wiring.staff().actor(), done_on)
    except ValidationError as refused:
        return errors.error_response(422, refused.message, errors=refused.details)
    except KaigoflowError as failure:
        return errors.error_response(409, failure.message)
    db.session.refresh(item)
    return jsonify({"item": item_json(item, case.municipality)})


@bp.get("/digest")
def digest() -> Any:
    """The daily digest of the user's organisation, person by person (`?user=me`: the user's own only)."""
    from engine import digest as digest_module

    staff = wiring.staff()
    today = wiring.today()
    found = digest_module.build(db.session(), today, [staff.organisation_id])
    if request.args.get("user") == "me":
        found = [d for d in found if d.user_id == staff.id]
    return jsonify(
        {
            "date": today.isoformat(),
            "date_wareki": filters.wareki_weekday(today),
            "people": [
                {
                    "user_id": d.user_id,
                    "display_name": d.display_name,
                    "counts": {when: d.count(when, today) for when in digest_module.WHEN},
                    "lines": [
                        {
                            "kind": line.kind,
                            "ref": line.ref,
                            "name": line.name,
                            "case_id": line.case_id,
                            "client_name": line.client_name,
                            "due_date": line.due.isoformat() if line.due else None,
                            "due_wareki": filters.wareki_weekday(line.due) if line.due else None,
                            "when": line.when(today),
                            "claimed": line.claimed,
                        }
                        for line in d.lines
                    ],
                }
                for d in found
            ],
        }
    )
