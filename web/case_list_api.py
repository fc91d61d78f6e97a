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

from engine.cases import search
from web import api
from web import case_list
from web import filters
from web.extensions import csrf
from web.openapi import DATE_TIME
from web.openapi import UNAUTHORIZED
from web.openapi import closed
from web.openapi import json_body
from web.openapi import nullable
from web.openapi import operation
from web.openapi import resource

bp = Blueprint("case_list_api", __name__, url_prefix="/api")
bp.before_request(api.authenticate)


def init_app(app: Flask) -> None:
    csrf.exempt(bp)  # api.authenticate checks CSRF for session requests
    app.register_blueprint(bp)


def row_json(row: search.CaseRow, names: dict[int, str]) -> dict[str, Any]:
    body = asdict(row)
    body["created_at"] = row.created_at.isoformat()
    body["next_due"] = row.next_due.isoformat() if row.next_due else None
    body["next_due_wareki"] = filters.wareki_weekday(row.next_due) if row.next_due else None
    body["care_level_name"] = filters.care_level_name(row.care_level)
    body["running_names"] = [filters.flow_name(key) for key in row.running]
    body["care_manager_name"] = names.get(row.care_manager_id or 0)
    body["links"] = {"self": url_for("api.case", case_id=row.id), "page": url_for("cases.show", case_id=row.id)}
    return body


CASE_LIST_ITEM = resource(
    "CaseListItem",
    closed(
        {
            "id": {"type": "integer"},
            "municipality": {"type": "string"},
            "client_name": nullable("string"),
            "client_name_kana": nullable("string"),
            "insured_number": nullable("string"),
            "care_level": nullable("string"),
            "care_level_name": {"type": "string"},
            "status": {"type": "string", "enum": ["open", "ended"]},
            "created_at": DATE_TIME,
            "running": {"type": "array", "items": {"type": "string"}, "description": "進行中の手続きのキー"},
            "running_names": {"type": "array", "items": {"type": "string"}},
            "next_due": nullable("string", format="date", description="次の期限(未了の業務の最も早いもの)"),
            "next_due_wareki": nullable("string"),
            "care_manager_id": nullable("integer"),
            "care_manager_name": nullable("string"),
            "links": closed({"self": {"type": "string"}, "page": {"type": "string"}}),
        }
    ),
)


def _query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "query", "description": description, "schema": schema or {"type": "string"}}


@bp.get("/cases")
@operation(
    "get",
    "利用者一覧: 氏名・カナ・被保険者番号で検索し、絞り込み・並べ替え・ページ送りする(所属のケースのみ)",
    {
        "200": json_body(
            closed(
                {
                    "query": {"type": "object", "description": "効いている条件"},
                    "page": {"type": "integer"},
                    "pages": {"type": "integer"},
                    "per_page": {"type": "integer"},
                    "total": {"type": "integer"},
                    "items": {"type": "array", "items": CASE_LIST_ITEM},
                }
            ),
            "一致したケース(1ページ分)",
        ),
        "401": UNAUTHORIZED,
    },
    parameters=[
        _query(
            "q",
            "氏名・フリガナ・被保険者番号(全角・半角、ひらがな・カタカナを区別しない。空白で区切った語はすべて一致)",
        ),
        _query("status", "状態", {"type": "string", "enum": ["open", "ended"]}),
        _query("care_level", "要介護度(jigyo, shien1 … kaigo5)"),
        _query("care_manager", "担当者の利用者ID(その人が担当したケース)", {"type": "integer"}),
        _query("flow", "進行中の手続き(new_case, renewal …)"),
        _query(
            "sort",
            "kana フリガナ順 / insured_number 被保険者番号順 / newest 登録の新しい順 / due 次の期限の近い順",
            {"type": "string", "enum": ["kana", "insured_number", "newest", "due"], "default": "kana"},
        ),
        _query("page", "ページ(50件ずつ)", {"type": "integer", "minimum": 1}),
    ],
)
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
