"""Workers record a heartbeat each tick (engine/operations/heartbeat.py, read by /healthz) and log one JSON line per job
(engine/operations/oplog.py) with the timer's kind, status and time, and no personal data."""

from __future__ import annotations

import json
from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import select

from engine.accounts.demo_staff import demo_organisations
from engine.accounts.demo_staff import demo_user
from engine.execution.runtime import Actor
from engine.operations import heartbeat
from engine.operations import oplog
from engine.store.models import Task
from engine.store.models import WorkerHeartbeat
from web.cli import main


def test_the_newest_tick_of_any_worker_is_the_last_tick(session, clock):
    assert heartbeat.last_tick(session) is None
    heartbeat.beat(session, "worker-a", clock.now(), fired=2)
    clock.advance(timedelta(seconds=40))
    heartbeat.beat(session, "worker-b", clock.now())
    heartbeat.beat(session, "worker-a", clock.now() - timedelta(seconds=10), fired=1)
    assert heartbeat.last_tick(session) == clock.now()
    assert session.get(WorkerHeartbeat, "worker-a").fired == 3


def test_each_fired_timer_is_one_json_job_line_without_personal_data(session, runtime, clock, capsys):
    oplog.configure()
    orgs = demo_organisations(session, runtime.library.municipality("demo"))
    session.commit()
    org = orgs["center"][0]
    actor = Actor(user_id=demo_user(session, org).id, organisation_id=org.id, role="center")
    case = runtime.open_case(session, "demo", actor, client_name="山田 太郎", center_org_id=org.id, care_level="shien1")
    runtime.start(session, case.id, "mini", actor=actor)
    [intake] = session.scalars(select(Task).where(Task.case_id == case.id, Task.state == "ready")).all()
    wait_until = (clock.now() + timedelta(days=1)).isoformat()
    runtime.complete(
        session, intake.id, {"points": 70, "consultation_date": "2026-05-01", "wait_until": wait_until}, actor
    )
    clock.advance(timedelta(days=2))
    capsys.readouterr()
    assert runtime.fire_due(session, worker="worker-x") == 1
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    jobs = [line for line in lines if line["kind"] == "job"]
    assert [(j["worker"], j["job"], j["status"]) for j in jobs] == [("worker-x", "bpmn", "ok")]
    assert jobs[0]["ms"] >= 0 and "山田" not in json.dumps(lines, ensure_ascii=False)


def test_the_tick_command_records_a_heartbeat(fixture_services, session, monkeypatch):
    monkeypatch.setenv("KAIGOFLOW_DATABASE_URL", fixture_services.settings.database_url)
    monkeypatch.setenv("KAIGOFLOW_PROCESSES", str(fixture_services.settings.processes_dir))
    result = CliRunner().invoke(main, ["tick"])
    assert result.exit_code == 0, result.output
    [row] = session.scalars(select(WorkerHeartbeat)).all()
    assert row.name.startswith("tick-") and row.last_tick_at is not None
