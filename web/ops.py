"""Operations: /healthz for a load balancer, and one JSON log line per request (engine/operations/oplog.py).

/healthz is public and says nothing of cases or people: whether the database answers, whether its schema is at
the newest migration, and when a worker last ticked. It answers 200 when all three are well, 503 otherwise.
"""

from __future__ import annotations

import os
import time
from typing import Any

from flask import Blueprint
from flask import Flask
from flask import g
from flask import jsonify
from flask import request
from werkzeug.wrappers import Response

from engine.operations import health
from engine.operations import heartbeat
from engine.operations import oplog
from web import wiring
from web.extensions import db

bp = Blueprint("ops", __name__)


def init_app(app: Flask) -> None:
    oplog.configure()
    app.register_blueprint(bp)
    app.before_request(_start_clock)
    app.after_request(_log_request)


@bp.get("/healthz")
def healthz() -> Any:
    stale = int(os.environ.get("KAIGOFLOW_WORKER_STALE_SECONDS", heartbeat.STALE_SECONDS))
    report = health.check(db.session(), wiring.clock().now(), stale)
    response = jsonify(report.to_dict())
    response.status_code = 200 if report.ok else 503
    return response


def _start_clock() -> None:
    g.kaigoflow_started = time.perf_counter()


def _log_request(response: Response) -> Response:
    started = g.get("kaigoflow_started")
    if started is None or request.endpoint == "static":
        return response
    # Whoever the request was for, as already loaded (by a page's sign-in check, the API's token or flask-login);
    # never loaded here only to be logged.
    staff = g.get("staff") or g.get("_login_user")
    user_id = getattr(staff, "id", None) if getattr(staff, "is_authenticated", False) else None
    # The rule (/cases/<int:case_id>), never the path or the query: no value a person typed reaches the log.
    route = request.url_rule.rule if request.url_rule is not None else "(no route)"
    oplog.request_line(
        user_id,
        request.method,
        route,
        response.status_code,
        (time.perf_counter() - started) * 1000,
    )
    return response
