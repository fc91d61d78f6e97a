"""The OpenAPI 3.1 document of /api (written by hand; a test checks it names every /api route)."""

from __future__ import annotations

from typing import Any

from web import schedules_openapi


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERROR = _json(_ref("Error"), "エラー(日本語のメッセージ)")
NOT_FOUND = _json(_ref("Error"), "存在しないか、所属の事業所が扱えない(区別しない)")
CONFLICT = _json(_ref("Error"), "他の職員が先に処理した・二重送信")
UNAUTHORIZED = _json(_ref("Error"), "認証されていない")

TASK_ID = {"name": "task_id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
CASE_ID = {"name": "case_id", "in": "path", "required": True, "schema": {"type": "integer"}}
DOCUMENT_ID = {"name": "document_id", "in": "path", "required": True, "schema": {"type": "integer"}}

FILTERS = [
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


def _task_action(summary: str) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "parameters": [TASK_ID],
            "responses": {
                "200": _json(_ref("Task"), "処理後のタスク"),
                "401": UNAUTHORIZED,
                "404": NOT_FOUND,
                "409": CONFLICT,
            },
        }
    }


def _query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "query", "description": description, "schema": schema or {"type": "string"}}


CASE_LIST: dict[str, Any] = {
    "summary": "利用者一覧: 氏名・カナ・被保険者番号で検索し、絞り込み・並べ替え・ページ送りする(所属のケースのみ)",
    "parameters": [
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
    "responses": {
        "200": _json(
            {
                "type": "object",
                "properties": {
                    "query": {"type": "object", "description": "効いている条件"},
                    "page": {"type": "integer"},
                    "pages": {"type": "integer"},
                    "per_page": {"type": "integer"},
                    "total": {"type": "integer"},
                    "items": {"type": "array", "items": _ref("CaseListItem")},
                },
            },
            "一致したケース(1ページ分)",
        ),
        "401": UNAUTHORIZED,
    },
}
CASE_LIST_ITEM: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "municipality": {"type": "string"},
        "client_name": {"type": ["string", "null"]},
        "client_name_kana": {"type": ["string", "null"]},
        "insured_number": {"type": ["string", "null"]},
        "care_level": {"type": ["string", "null"]},
        "care_level_name": {"type": "string"},
        "status": {"type": "string", "enum": ["open", "ended"]},
        "created_at": {"type": "string", "format": "date-time"},
        "running": {"type": "array", "items": {"type": "string"}, "description": "進行中の手続きのキー"},
        "running_names": {"type": "array", "items": {"type": "string"}},
        "next_due": {"type": ["string", "null"], "format": "date", "description": "次の期限(未了の業務の最も早いもの)"},
        "next_due_wareki": {"type": ["string", "null"]},
        "care_manager_id": {"type": ["integer", "null"]},
        "care_manager_name": {"type": ["string", "null"]},
        "links": {"type": "object"},
    },
}


def document() -> dict[str, Any]:
    spec: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "kaigoflow API",
            "version": "1.0",
            "description": (
                "介護予防支援・居宅介護支援の業務フローのタスク・ケース・帳票。認証はブラウザのセッション"
                "(変更系は X-CSRFToken ヘッダが必要)か、POST /api/token で得たトークンを "
                "Authorization: Bearer で送る。他の事業所のケース・タスク・帳票は 404 になる。"
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}, {"session": []}],
        "paths": {
            "/api/token": {
                "post": {
                    "summary": "ログインIDとパスワードからトークンを発行する",
                    "security": [],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("Credentials")}},
                    },
                    "responses": {
                        "200": _json(_ref("Token"), "トークン"),
                        "401": _json(_ref("Error"), "IDかパスワードが違う、または一時的に停止中"),
                        "415": ERROR,
                    },
                }
            },
            "/api/openapi.json": {
                "get": {
                    "summary": "この文書",
                    "security": [],
                    "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {}}}},
                }
            },
            "/api/tasks": {
                "get": {
                    "summary": "受信箱(自分の担当・所属の未担当)",
                    "parameters": FILTERS,
                    "responses": {"200": _json(_ref("TaskPage"), "タスクの一覧"), "400": ERROR, "401": UNAUTHORIZED},
                }
            },
            "/api/tasks/{task_id}": {
                "get": {
                    "summary": "タスク(様式の JSON Schema と既存データを含む)",
                    "parameters": [TASK_ID],
                    "responses": {"200": _json(_ref("TaskDetail"), "タスク"), "401": UNAUTHORIZED, "404": NOT_FOUND},
                }
            },
            "/api/cases/{case_id}/export": {
                "get": {
                    "summary": "ケースの記録一式(運営指導用): case.json と各帳票の JSON・PDF の ZIP",
                    "parameters": [CASE_ID],
                    "responses": {
                        "200": {"description": "ZIP", "content": {"application/zip": {}}},
                        "401": UNAUTHORIZED,
                        "404": NOT_FOUND,
                    },
                }
            },
            "/api/tasks/{task_id}/claim": _task_action("タスクを担当する"),
            "/api/tasks/{task_id}/release": _task_action("タスクの担当を外れる"),
            "/api/tasks/{task_id}/complete": {
                "post": {
                    "summary": "様式を提出してタスクを完了する",
                    "parameters": [TASK_ID],
                    "requestBody": {
                        "required": True,
                        "description": "様式の JSON Schema に沿った提出内容",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "properties": {
                                    "task": _ref("Task"),
                                    "next_tasks": {"type": "array", "items": _ref("Task")},
                                },
                            },
                            "完了したタスクと、所属に回ってきた次のタスク",
                        ),
                        "400": ERROR,
                        "401": UNAUTHORIZED,
                        "404": NOT_FOUND,
                        "409": CONFLICT,
                        "422": _json(_ref("ValidationErrors"), "項目ごとの誤り(日本語)"),
                    },
                }
            },
            "/api/cases": {
                "post": {
                    "summary": "ケースを登録し、最初の手続き(新規など)を開始する(包括・居宅の職員)",
                    "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("NewCase")}}},
                    "responses": {
                        "201": _json(_ref("Case"), "登録したケース(start_failure: 手続きを開始できなかった理由)"),
                        "401": UNAUTHORIZED,
                        "403": ERROR,
                        "422": _json(_ref("ValidationErrors"), "項目ごとの入力エラー(何も登録しない)"),
                    },
                }
            },
            "/api/cases/{case_id}/start": {
                "post": {
                    "summary": "ケースで別の手続き(更新・区分変更・計画変更・サービス終了など)を開始する",
                    "parameters": [CASE_ID],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["process_key"],
                                    "properties": {"process_key": {"type": "string"}},
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _json(_ref("Case"), "ケース(手続きと未完了の作業を含む)"),
                        "401": UNAUTHORIZED,
                        "403": ERROR,
                        "404": NOT_FOUND,
                        "422": _json(_ref("ValidationErrors"), "開始できない手続き"),
                    },
                }
            },
            "/api/cases/{case_id}": {
                "get": {
                    "summary": "ケース(利用者・認定・担当事業所・手続き)",
                    "parameters": [CASE_ID],
                    "responses": {"200": _json(_ref("Case"), "ケース"), "401": UNAUTHORIZED, "404": NOT_FOUND},
                }
            },
            "/api/cases/{case_id}/documents": {
                "get": {
                    "summary": "ケースの帳票(提出された様式の版)",
                    "parameters": [CASE_ID],
                    "responses": {
                        "200": _json(
                            {"type": "object", "properties": {"items": {"type": "array", "items": _ref("Document")}}},
                            "帳票の一覧",
                        ),
                        "401": UNAUTHORIZED,
                        "404": NOT_FOUND,
                    },
                }
            },
            "/api/documents/{document_id}": {
                "get": {
                    "summary": "帳票(提出内容と様式)",
                    "parameters": [DOCUMENT_ID],
                    "responses": {"200": _json(_ref("Document"), "帳票"), "401": UNAUTHORIZED, "404": NOT_FOUND},
                }
            },
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "POST /api/token で発行"},
                "session": {"type": "apiKey", "in": "cookie", "name": "kaigoflow_session"},
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "message"],
                    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
                },
                "ValidationErrors": {
                    "type": "object",
                    "required": ["errors"],
                    "properties": {
                        "error": {"type": "string"},
                        "message": {"type": "string"},
                        "errors": {
                            "type": "object",
                            "description": "項目のパス(goals.0.goal など)→ 日本語のメッセージ",
                            "additionalProperties": {"type": "string"},
                        },
                    },
                },
                "NewCase": {
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
                "Credentials": {
                    "type": "object",
                    "required": ["login", "password"],
                    "properties": {"login": {"type": "string"}, "password": {"type": "string"}},
                },
                "Token": {
                    "type": "object",
                    "properties": {
                        "token": {"type": "string"},
                        "token_type": {"const": "Bearer"},
                        "expires_in": {"type": "integer"},
                    },
                },
                "InboxItem": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "name": {"type": "string"},
                        "bpmn_id": {"type": "string"},
                        "process_key": {"type": "string"},
                        "flow_name": {"type": "string"},
                        "municipality": {"type": "string"},
                        "role": {"type": "string"},
                        "due_date": {"type": ["string", "null"], "format": "date"},
                        "due_wareki": {"type": "string"},
                        "due_label": {"type": "string"},
                        "overdue": {"type": "boolean"},
                        "due_today": {"type": "boolean"},
                        "case_id": {"type": "integer"},
                        "client_name": {"type": ["string", "null"]},
                        "claimed_by_id": {"type": ["integer", "null"]},
                    },
                },
                "TaskPage": {
                    "type": "object",
                    "properties": {
                        "section": {"type": "string"},
                        "page": {"type": "integer"},
                        "pages": {"type": "integer"},
                        "per_page": {"type": "integer"},
                        "total": {"type": "integer"},
                        "overdue": {"type": "integer"},
                        "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
                        "items": {"type": "array", "items": _ref("InboxItem")},
                    },
                },
                "Task": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "name": {"type": "string"},
                        "bpmn_id": {"type": "string"},
                        "process_key": {"type": "string"},
                        "case_id": {"type": "integer"},
                        "state": {"type": "string", "enum": ["ready", "completed", "cancelled"]},
                        "due_date": {"type": ["string", "null"], "format": "date"},
                        "claimed_by_id": {"type": ["integer", "null"]},
                        "form": {"type": ["string", "null"]},
                    },
                },
                "TaskDetail": {
                    "allOf": [
                        _ref("Task"),
                        {
                            "type": "object",
                            "properties": {
                                "instructions": {"type": "string"},
                                "form_spec": {"type": ["object", "null"]},
                                "data": {"type": "object", "description": "インスタンスのデータ(判定・検証の文脈)"},
                                "prefill": {
                                    "type": "object",
                                    "description": "空の様式の初期値: 他の帳票の自由記述は含めない",
                                },
                            },
                        },
                    ]
                },
                "Case": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "municipality": {"type": "string"},
                        "client_name": {"type": ["string", "null"]},
                        "insured_number": {"type": ["string", "null"]},
                        "care_level": {"type": ["string", "null"]},
                        "care_level_name": {"type": "string"},
                        "certification_start": {"type": ["string", "null"], "format": "date"},
                        "certification_end": {"type": ["string", "null"], "format": "date"},
                        "status": {"type": "string"},
                        "organisations": {"type": "object"},
                        "instances": {"type": "array", "items": {"type": "object"}},
                        "ready_tasks": {"type": "array", "items": _ref("Task")},
                        "startable": {
                            "type": "array",
                            "description": "このユーザーがこのケースで開始できる手続き(process_key と日本語名)",
                            "items": {"type": "object"},
                        },
                    },
                },
                "Document": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "case_id": {"type": "integer"},
                        "form": {"type": "string"},
                        "title": {"type": "string"},
                        "version": {"type": "integer"},
                        "submitted_by_id": {"type": ["integer", "null"]},
                        "submitted_at": {"type": "string", "format": "date-time"},
                        "data": {"type": "object"},
                        "schema": {"type": "object"},
                        "links": {"type": "object"},
                    },
                },
            },
        },
    }
    spec["paths"]["/api/cases"]["get"] = CASE_LIST
    spec["components"]["schemas"]["CaseListItem"] = CASE_LIST_ITEM
    # Schedules and risks (web/schedules_api.py) keep their part of the document beside their routes.
    spec["paths"].update(schedules_openapi.PATHS)
    spec["components"]["schemas"].update(schedules_openapi.SCHEMAS)
    return spec
