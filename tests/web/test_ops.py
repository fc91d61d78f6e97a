"""/healthz (database, migrations at head, the worker's last tick: 200 or 503) and the JSON request log lines,
which carry who (a user id), what (the route's rule), the status and how long, and no personal data."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import text

from engine.config import Settings
from engine.operations import heartbeat
from engine.operations.health import head_revision
from engine.services import Services
from tests.web.conftest import INTAKE
from tests.web.conftest import WEBLIB
from tests.web.conftest import made_app
from tests.web.conftest import ready_task


def stamp_head(session) -> None:
    session.execute(text("CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL)"))
    session.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": head_revision()})
    session.commit()


def test_healthz_is_503_until_migrated_and_a_worker_ticks_then_200(app, db_session, clock):
    client = app.test_client()
    first = client.get("/healthz")
    assert first.status_code == 503
    body = first.get_json()
    assert body["database"]["ok"] and not body["migrations"]["ok"] and body["worker"]["last_tick"] is None
    stamp_head(db_session)
    heartbeat.beat(db_session, "worker-1", clock.now() - timedelta(seconds=30))
    ok = client.get("/healthz")
    assert ok.status_code == 200, ok.get_json()
    assert ok.get_json()["status"] == "ok" and ok.get_json()["worker"]["seconds_ago"] == 30
    clock.advance(timedelta(seconds=heartbeat.STALE_SECONDS))
    stale = client.get("/healthz")
    assert stale.status_code == 503 and not stale.get_json()["worker"]["ok"]


def test_healthz_is_503_when_the_database_does_not_answer(clock):
    unreachable = "postgresql+psycopg://postgres@127.0.0.1:1/nothing?connect_timeout=2"
    services = Services(Settings(database_url=unreachable, processes_dir=WEBLIB, secret_key="x" * 32), {}, {})
    with made_app(services, clock, TESTING=True) as app:
        response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.get_json()["database"]["ok"] is False


def log_lines(captured: str) -> list[dict]:
    return [json.loads(line) for line in captured.splitlines() if line.startswith("{")]


def test_one_json_line_per_request_with_the_route_not_the_data(login_as, case, db_session, world, capsys):
    browser = login_as("alpha.center")
    capsys.readouterr()
    task = ready_task(db_session, case.id, "intake")
    browser.get(f"/cases/{case.id}?q=山田")
    browser.post(f"/tasks/{task.id}", {**INTAKE, "action": "save"})
    lines = log_lines(capsys.readouterr().err)
    requests = [line for line in lines if line["kind"] == "request"]
    assert [(r["method"], r["route"]) for r in requests] == [
        ("GET", "/cases/<int:case_id>"),
        ("POST", "/tasks/<task_id>"),
    ]
    assert all(r["user"] == world["alpha.center"].user_id and r["ms"] >= 0 for r in requests)
    assert requests[0]["status"] == 200
    everything = json.dumps(lines, ensure_ascii=False)
    for secret in ("山田", "花子", "0123456789", "自宅で入浴", task.id):
        assert secret not in everything
