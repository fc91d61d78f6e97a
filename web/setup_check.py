"""Before any page: is the database ready? If `kaigoflow init-db` was never run (or a migration is pending, or the
database cannot be reached), every request gets one Japanese page saying what to run, never a 500.

The answer is remembered once the database is ready; until then it is asked again on each request, so running
init-db while the app is up is enough.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask import current_app
from flask import jsonify
from flask import render_template
from flask import request

from engine.store import schema_state
from web.extensions import db

MESSAGES = {
    schema_state.MISSING: (
        "データベースが初期化されていません",
        "このデータベースには kaigoflow の表がまだありません。サーバーで次のコマンドを実行してから、"
        "この画面を開き直してください。",
    ),
    schema_state.OUTDATED: (
        "データベースの更新が必要です",
        "このデータベースは古い版のままです。サーバーで次のコマンドを実行して更新してから、この画面を開き直してください。",
    ),
    schema_state.UNREACHABLE: (
        "データベースに接続できません",
        "データベースが起動しているか、接続先(KAIGOFLOW_DATABASE_URL)が正しいかを確認してください。"
        "初めて使う場合は次のコマンドで作成します。",
    ),
}
COMMAND = "kaigoflow init-db"


def init_app(app: Flask) -> None:
    app.before_request(require_ready_database)


def require_ready_database() -> Any:
    if current_app.extensions.get("kaigoflow_database_ready") or request.endpoint in ("static", "ops.healthz"):
        return None  # /healthz reports an unready database itself, as JSON a load balancer reads
    state = schema_state.check(db.engine)
    if state == schema_state.READY:
        current_app.extensions["kaigoflow_database_ready"] = True
        return None
    title, message = MESSAGES[state]
    if request.path.startswith("/api/"):
        response = jsonify({"error": title, "message": f"{message} {COMMAND}"})
    else:
        response = current_app.make_response(
            render_template("errors/setup.html", title=title, message=message, command=COMMAND)
        )
    response.status_code = 503
    response.headers["Retry-After"] = "30"
    return response
