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
from engine.store.models import Risk
from engine.store.models import ScheduleItem
from web import access
from web import api
from web import errors
from web import filters
from web import openapi
from web import wiring
from web.extensions import csrf
from web.extensions import db
from web.openapi import DATE
from web.openapi import DATE_TIME
from web.openapi import INVALID
from web.openapi import NOT_FOUND
from web.openapi import UNAUTHORIZED
from web.openapi import closed
from web.openapi import json_body
from web.openapi import nullable
from web.openapi import operation
from web.openapi import resource
from web.schedules import duty_name
from web.schedules import item_or_404
from web.schedules import risk_name

bp = Blueprint("schedules_api", __name__, url_prefix="/api")
bp.before_request(api.authenticate)


def init_app(app: Flask) -> None:
    csrf.exempt(bp)  # api.authenticate checks CSRF for session requests
    app.register_blueprint(bp)


SCHEDULE_ITEM = resource(
    "ScheduleItem",
    closed(
        {
            "id": {"type": "integer"},
            "key": {"type": "string", "description": "<業務>:<期間>"},
            "duty": {"type": "string"},
            "name": {"type": "string"},
            "period": nullable("string"),
            "window_start": nullable("string", format="date"),
            "due_date": DATE,
            "due_date_wareki": {"type": "string"},
            "status": {"type": "string", "enum": ["open", "done", "missed", "excused"]},
            "done_on": nullable("string", format="date"),
            "role": {"type": "string"},
            "organisation_id": nullable("integer"),
            "rule": {"type": "string"},
            "source": {"type": "string"},
            "detail": {"type": "object"},
        }
    ),
)
RISK = resource(
    "Risk",
    closed(
        {
            "code": {"type": "string"},
            "name": {"type": "string"},
            "severity": {"type": "string", "enum": ["reduction", "warning", "overdue"]},
            "duty_key": nullable("string"),
            "since": DATE,
            "raised_at": DATE_TIME,
            "cleared_at": nullable("string", format="date-time"),
            "rule": {"type": "string"},
            "source": {"type": "string"},
        }
    ),
)
RECORDED = {
    "200": json_body(closed({"item": SCHEDULE_ITEM}), "記録後の予定"),
    "401": UNAUTHORIZED,
    "404": NOT_FOUND,
    "409": json_body(openapi.ERROR, "記録できない状態"),
    "422": INVALID,
}


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
@operation(
    "get",
    "ケースの予定(期限・状態・根拠)とリスク",
    {
        "200": json_body(
            closed({"items": {"type": "array", "items": SCHEDULE_ITEM}, "risks": {"type": "array", "items": RISK}}),
            "予定とリスク",
        ),
        "401": UNAUTHORIZED,
        "404": NOT_FOUND,
    },
)
def case_schedule(case_id: int) -> Any:
    case = access.case_or_404(case_id)
    items = db.session.scalars(
        select(ScheduleItem).where(ScheduleItem.case_id == case.id).order_by(ScheduleItem.due_date, ScheduleItem.key)
    ).all()
    risks = db.session.scalars(select(Risk).where(Risk.case_id == case.id).order_by(Risk.since)).all()
    return jsonify({"items": [item_json(i, case.municipality) for i in items], "risks": [risk_json(r) for r in risks]})


@bp.post("/schedule/<int:item_id>/special-circumstances")
@operation(
    "post",
    "特段の事情を記録する(居宅訪問・モニタリングの接触のみ)",
    RECORDED,
    request=closed({"reason": {"type": "string", "maxLength": 2000}}),
)
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
@operation(
    "post",
    "手続きで記録しない定期業務(給付管理・負担割合証・廃棄)を済にする",
    RECORDED,
    request=closed({"done_on": DATE}, optional=["done_on"]),
)
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


DIGEST_LINE = closed(
    {
        "kind": {"type": "string", "description": "task: 作業 / duty: 定期業務"},
        "ref": {"type": "string"},
        "name": {"type": "string"},
        "case_id": {"type": "integer"},
        "client_name": nullable("string"),
        "due_date": nullable("string", format="date"),
        "due_wareki": nullable("string"),
        "when": {"type": "string", "description": "overdue 期限超過 / today 今日 / soon 7日以内"},
        "claimed": {"type": "boolean"},
    }
)
DIGEST = resource(
    "Digest",
    closed(
        {
            "date": DATE,
            "date_wareki": {"type": "string"},
            "people": {
                "type": "array",
                "items": closed(
                    {
                        "user_id": nullable("integer", description="null: 担当者なし"),
                        "display_name": nullable("string"),
                        "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
                        "lines": {"type": "array", "items": DIGEST_LINE},
                    }
                ),
            },
        }
    ),
)


@bp.get("/digest")
@operation(
    "get",
    "今日のまとめ: 所属の職員ごとの期限超過・今日・7日以内の作業と定期業務(user=me で自分だけ)",
    {"200": json_body(DIGEST, "職員ごとの一覧"), "401": UNAUTHORIZED},
    parameters=[
        {"name": "user", "in": "query", "schema": {"type": "string", "enum": ["me"]}, "description": "自分だけ"}
    ],
)
def digest() -> Any:
    """The daily digest of the user's organisation, person by person (`?user=me`: the user's own only)."""
    from engine.scheduling import digest as digest_module

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
