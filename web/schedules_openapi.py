"""The schedule and risk routes of /api (web/schedules_api.py) for the OpenAPI document (web/openapi.py)."""

from __future__ import annotations

from typing import Any

_ERROR = {
    "description": "エラー(日本語のメッセージ)",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
_NOT_FOUND = {
    "description": "存在しないか、所属の事業所が扱えない(区別しない)",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
_ITEM_ID = {"name": "item_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_CASE_ID = {"name": "case_id", "in": "path", "required": True, "schema": {"type": "integer"}}


def _item_response(description: str) -> dict[str, Any]:
    schema = {"type": "object", "properties": {"item": {"$ref": "#/components/schemas/ScheduleItem"}}}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _post(summary: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "parameters": [_ITEM_ID],
            "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
            "responses": {"200": _item_response("記録後の予定"), "401": _ERROR, "404": _NOT_FOUND, "422": _ERROR},
        }
    }


PATHS: dict[str, Any] = {
    "/api/cases/{case_id}/schedule": {
        "get": {
            "summary": "ケースの予定(期限・状態・根拠)とリスク",
            "parameters": [_CASE_ID],
            "responses": {
                "200": {
                    "description": "予定とリスク",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/ScheduleItem"}},
                                    "risks": {"type": "array", "items": {"$ref": "#/components/schemas/Risk"}},
                                },
                            }
                        }
                    },
                },
                "401": _ERROR,
                "404": _NOT_FOUND,
            },
        }
    },
    "/api/digest": {
        "get": {
            "summary": "今日のまとめ: 所属の職員ごとの期限超過・今日・7日以内の作業と定期業務(user=me で自分だけ)",
            "parameters": [
                {"name": "user", "in": "query", "schema": {"type": "string", "enum": ["me"]}, "description": "自分だけ"}
            ],
            "responses": {
                "200": {
                    "description": "職員ごとの一覧(user_id が null: 担当者なし)",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                },
                "401": _ERROR,
            },
        }
    },
    "/api/schedule/{item_id}/special-circumstances": _post(
        "特段の事情を記録する(居宅訪問・モニタリングの接触のみ)",
        {"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string", "maxLength": 2000}}},
    ),
    "/api/schedule/{item_id}/done": _post(
        "手続きで記録しない定期業務(給付管理・負担割合証・廃棄)を済にする",
        {"type": "object", "properties": {"done_on": {"type": "string", "format": "date"}}},
    ),
}

SCHEMAS: dict[str, Any] = {
    "ScheduleItem": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "key": {"type": "string"},
            "duty": {"type": "string"},
            "name": {"type": "string"},
            "period": {"type": ["string", "null"]},
            "window_start": {"type": ["string", "null"], "format": "date"},
            "due_date": {"type": "string", "format": "date"},
            "due_date_wareki": {"type": "string"},
            "status": {"type": "string", "enum": ["open", "done", "missed", "excused"]},
            "done_on": {"type": ["string", "null"], "format": "date"},
            "role": {"type": "string"},
            "organisation_id": {"type": ["integer", "null"]},
            "rule": {"type": "string"},
            "source": {"type": "string"},
            "detail": {"type": "object"},
        },
    },
    "Risk": {
        "type": "object",
        "properties": {
            "code": {"type": "string"},
            "name": {"type": "string"},
            "severity": {"type": "string", "enum": ["reduction", "warning", "overdue"]},
            "duty_key": {"type": ["string", "null"]},
            "since": {"type": "string", "format": "date"},
            "raised_at": {"type": "string", "format": "date-time"},
            "cleared_at": {"type": ["string", "null"], "format": "date-time"},
            "rule": {"type": "string"},
            "source": {"type": "string"},
        },
    },
}
