"""GET /api/cases: the 利用者一覧 as JSON, with the same words, filters, order and pages as the page /cases.

Same sign-in as /api (a bearer token or the session) and the same rule: only the organisation's own cases.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint
from flask import Flask
from flask import jsonify
from flask import request
from flask import url_for

from engine import case_search
from web import api
from web import case_list
from web import filters
from web.extensions import csrf

bp = Blueprint("case_list_api", __name__, url_prefix="/api")
bp.before_request(api.authenticate)


def init_app(app: Flask) -> None:
    csrf.exempt(bp)  # api.authenticate checks CSRF for session requests
    app.register_blueprint(bp)


def row_json(row: case_search.CaseRow, names: dict[int, str]) -> dict[str, Any]:
    body = asdict(row)
    body["created_at"] = row.created_at.isoformat()
    body["next_due"] = row.next_due.isoformat() if row.next_due else None
    body["next_due_wareki"] = filters.wareki_weekday(row.next_due) if row.next_due else None
    body["care_level_name"] = filters.care_level_name(row.care_level)
    body["running_names"] = [filters.flow_name(key) for key in row.running]
    body["care_manager_name"] = names.get(row.care_manager_id or 0)
    body["links"] = {"self": url_for("api.case", case_id=row.id), "page": url_for("cases.show", case_id=row.id)}
    return body


@bp.get("/cases")
def cases() -> Any:
    """The 利用者一覧 as JSON: the same words, filters, order and pages as /cases."""
    query = case_list.query_from(request.args)
    page = case_list.run(query)
    names = case_list.care_manager_names(page)
    return jsonify(
        {
            "query": case_list.query_args(query),
            "page": page.page,
            "pages": page.pages,
            "per_page": page.per_page,
            "total": page.total,
            "items": [row_json(row, names) for row in page.rows],
        }
    )
