"""Error answers in Japanese: a page for people, JSON for the API (under /api)."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from flask import jsonify
from flask import render_template
from flask import request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from engine import KaigoflowError

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("リクエストが正しくありません", "入力内容や操作をご確認のうえ、もう一度お試しください。"),
    401: ("ログインが必要です", "ログインしてからもう一度お試しください。"),
    403: ("この操作は許可されていません", "所属の役割では、この操作はできません。"),
    404: ("ページが見つかりません", "URL が正しいか、担当の事業所のケースかをご確認ください。"),
    405: ("この方法では操作できません", "画面のボタンから操作してください。"),
    409: (
        "他の操作と重なりました",
        "他の職員が先に処理したか、同じ送信が二重に行われました。画面を開き直してください。",
    ),
    413: ("送信された内容が大きすぎます", "添付や入力の量を減らしてください。"),
    415: ("この形式は受け付けていません", "Content-Type: application/json で送ってください。"),
    422: ("入力内容に誤りがあります", "入力内容を確認してください。"),
    500: ("システムエラーが発生しました", "時間をおいてもう一度お試しください。続く場合は管理者に連絡してください。"),
    503: ("ただいま利用できません", "この機能は準備中か、一時的に利用できません。"),
}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/api"


def error_response(status: int, message: str | None = None, **extra: Any) -> Any:
    title, default = MESSAGES.get(status, MESSAGES[500] if status >= 500 else MESSAGES[400])
    text = message or default
    if wants_json():
        body = {"error": title, "message": text, **extra}
        response = jsonify(body)
        response.status_code = status
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="kaigoflow"'
        return response
    return render_template("errors/error.html", status=status, title=title, message=text), status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> Any:
        message = "画面の有効期限が切れたか、正しくない送信です。画面を開き直してから、もう一度操作してください。"
        return error_response(400, message)

    @app.errorhandler(KaigoflowError)
    def kaigoflow_error(error: KaigoflowError) -> Any:
        return error_response(error.http_status, error.message)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        status = error.code or 500
        message = error.description if status in (400, 403, 409, 422, 503) and _is_ours(error) else None
        return error_response(status, message)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Any:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500)


def _is_ours(error: HTTPException) -> bool:
    """Descriptions we wrote (Japanese) are shown; werkzeug's English defaults are not."""
    text = error.description or ""
    return any(ord(char) > 0x3000 for char in text)
