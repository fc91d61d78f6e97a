"""Audit through the app: every change is an event with who/when/what, no route rewrites an event, and one
case's full record can be exported (page button, API, `kaigoflow export-case`) for 運営指導."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from engine.store.models import Document
from engine.store.models import Event
from tests.web.conftest import INTAKE
from tests.web.conftest import PASSWORD
from tests.web.conftest import ready_task
from tests.web.test_access_matrix import ROUTES
from tests.web.test_access_matrix import ids  # noqa: F401 - the fixture: a case with a document and a ready task
from tests.web.test_access_matrix import requests_for
from tests.web.test_access_matrix import send
from web.cli import main


def events(session) -> list[tuple]:
    session.expire_all()
    return [
        (e.id, e.at, e.kind, e.actor_id, e.case_id, e.instance_id, e.task_id, e.address, e.detail)
        for e in session.scalars(select(Event).order_by(Event.id))
    ]


def test_every_change_made_through_the_app_is_logged_with_who_when_and_what(login_as, db_session, world, clock):
    browser = login_as("alpha.center")
    me = world["alpha.center"]
    opened = browser.post(
        "/cases/new",
        {
            "client_name": "山田 花子",
            "insured_number": "0123456789",
            "care_level": "shien1",
            "process_key": "new_case",
            "office_org_id": str(world.orgs["alpha.office"].id),
        },
    )
    assert opened.status_code == 302
    case_id = int(opened.headers["Location"].rsplit("/", 1)[1])
    task = ready_task(db_session, case_id, "intake")
    clock.advance(timedelta(minutes=5))
    browser.post(f"/tasks/{task.id}/claim")
    clock.advance(timedelta(minutes=5))
    browser.post(f"/tasks/{task.id}/release")
    clock.advance(timedelta(minutes=5))
    done = browser.client.post(f"/api/tasks/{task.id}/complete", json=INTAKE, headers={"X-CSRFToken": browser.token})
    assert done.status_code == 200
    clock.advance(timedelta(minutes=5))
    # new_case still runs: a second copy is refused (issue 11) and a refusal changes nothing, so logs nothing.
    browser.post(f"/cases/{case_id}/start", {"process_key": "new_case"})
    logged = db_session.scalars(select(Event).where(Event.case_id == case_id).order_by(Event.id)).all()
    assert [e.kind for e in logged] == [
        "case_opened",
        "instance_started",
        "task_claimed",
        "task_released",
        "task_completed",
        "task_claimed",  # the next step (アセスメント), claimed for the completer
        # no "instance_started": new_case runs already, and a second copy is refused and logs nothing
    ]
    assert all(e.actor_id == me.user_id and e.address == "127.0.0.1" for e in logged)
    assert [e.at - logged[0].at for e in logged] == [timedelta(minutes=m) for m in (0, 0, 5, 10, 15, 15)]
    completed = logged[4]
    assert completed.task_id == task.id and completed.detail == {"bpmn_id": "intake", "form": "intake"}
    # What was submitted is the document snapshot of that task, by the same person at the same time.
    document = db_session.scalars(select(Document).where(Document.task_id == task.id)).one()
    assert document.submitted_by_id == me.user_id and document.submitted_at == completed.at
    assert document.data["insured_number"] == "0123456789"


def test_no_route_rewrites_or_removes_an_event(app, login_as, db_session, ids):  # noqa: F811
    """Every route, every method, as an insider with valid ids: the log before is still there, unchanged."""
    before = events(db_session)
    browser = login_as("alpha.center")
    sent = requests_for(app, tuple(set(ROUTES.values())), ids)
    for endpoint, method, path in sent:
        if endpoint == "auth.logout":
            continue  # would end the session the rest of the loop uses; it only adds an event
        with send(browser, method, path) as response:
            # /healthz answers 503 on purpose here: a test database has no migration stamp and no worker.
            assert response.status_code < 500 or endpoint == "ops.healthz", endpoint
    after = events(db_session)
    assert after[: len(before)] == before
    assert len(after) > len(before)  # the requests themselves were logged (sign-in, claim, export ...)


def read_zip(content: bytes) -> tuple[dict, zipfile.ZipFile]:
    archive = zipfile.ZipFile(io.BytesIO(content))
    return json.loads(archive.read("case.json")), archive


def check_record(body: dict, archive: zipfile.ZipFile, case, world, db_session) -> None:
    assert body["format"] == "kaigoflow-case-record"
    assert body["case"]["client_name"] == "山田 花子" and body["case"]["insured_number"] == "0123456789"
    assert body["organisations"]["center"]["name"] == "テスト市A 第一地域包括支援センター"
    assert [i["process_key"] for i in body["instances"]] == ["new_case"]
    assert {t["bpmn_id"]: t["state"] for t in body["tasks"]} == {"intake": "completed", "assessment": "ready"}
    kinds = [h["kind"] for h in body["history"]]
    assert kinds[:3] == ["case_opened", "instance_started", "task_completed"]
    completed = body["history"][2]
    assert completed["actor"]["id"] == world["alpha.center"].user_id and completed["description"] == "完了しました"
    [document] = db_session.scalars(select(Document)).all()
    [entry] = body["documents"]
    assert entry["id"] == document.id and entry["submitted_by"]["login"] == world["alpha.center"].login
    snapshot = json.loads(archive.read(entry["json"]))
    assert snapshot["data"] == document.data and snapshot["schema"]["title"] == "相談受付票"
    assert archive.read(entry["pdf"]).startswith(b"%PDF")


def test_export_from_the_case_page_and_the_api(login_as, app, db_session, runtime, case, world):
    intake = ready_task(db_session, case.id, "intake")
    runtime.complete(db_session, intake.id, INTAKE, world["alpha.center"].actor())
    browser = login_as("alpha.office")
    page = browser.get(f"/cases/{case.id}").get_data(as_text=True)
    # The page asks for a job (tests/web/test_export_jobs.py); the direct ZIP stays for links and scripts.
    assert f'action="/cases/{case.id}/exports"' in page and "記録一式を出力" in page
    response = browser.get(f"/cases/{case.id}/export.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"].startswith(f'attachment; filename="case-{case.id}-record-')
    assert response.headers["Cache-Control"] == "no-store"
    check_record(*read_zip(response.data), case, world, db_session)

    client = app.test_client(use_cookies=False)
    token = client.post("/api/token", json={"login": world["alpha.center"].login, "password": PASSWORD})
    api = client.get(f"/api/cases/{case.id}/export", headers={"Authorization": f"Bearer {token.get_json()['token']}"})
    assert api.status_code == 200
    check_record(*read_zip(api.data), case, world, db_session)
    exports = db_session.scalars(select(Event).where(Event.kind == "case_exported").order_by(Event.id)).all()
    assert [(e.actor_id, e.detail["via"], e.case_id) for e in exports] == [
        (world["alpha.office"].user_id, "page", case.id),
        (world["alpha.center"].user_id, "api", case.id),
    ]


def test_export_case_command_writes_the_zip(web_services, db_session, runtime, case, world, monkeypatch, tmp_path):
    intake = ready_task(db_session, case.id, "intake")
    runtime.complete(db_session, intake.id, INTAKE, world["alpha.center"].actor())
    monkeypatch.setenv("KAIGOFLOW_DATABASE_URL", web_services.settings.database_url)
    monkeypatch.setenv("KAIGOFLOW_PROCESSES", str(web_services.settings.processes_dir))
    monkeypatch.setenv("KAIGOFLOW_SECRET_KEY", "test-secret-key-of-at-least-32-bytes")
    target = tmp_path / "record.zip"
    monkeypatch.setattr("web.create_app", lambda *_, **__: pytest.fail("export-case built the whole web app"))
    result = CliRunner().invoke(main, ["export-case", str(case.id), "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert "記録一式" in result.output
    body, archive = read_zip(target.read_bytes())
    check_record(body, archive, case, world, db_session)
    [logged] = db_session.scalars(select(Event).where(Event.kind == "case_exported")).all()
    assert logged.actor_id is None and logged.detail == {"via": "cli"}
    missing = CliRunner().invoke(main, ["export-case", "99999", "--output", str(tmp_path / "x.zip")])
    assert missing.exit_code == 4 and "見つかりません" in missing.output
