"""The generated OpenAPI document (web/openapi.py) against real answers of every /api route.

tests/web/openapi_check.py validates every /api answer of every web test against the document; here each route is
called once with a successful answer and the usual errors, and a serializer that drifts from its schema fails.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from engine.store.models import Document
from engine.store.models import ScheduleItem
from tests.web import openapi_check
from tests.web.conftest import INTAKE
from tests.web.conftest import PASSWORD
from tests.web.conftest import ready_task
from web import api as api_module
from web import openapi


@pytest.fixture
def bearer(app, world):
    def headers(key: str) -> dict[str, str]:
        answer = app.test_client().post("/api/token", json={"login": world[key].login, "password": PASSWORD})
        return {"Authorization": f"Bearer {answer.get_json()['token']}"}

    return headers


def test_every_route_answers_as_the_document_says(app, bearer, case, db_session, clock):
    case.plan_start, case.plan_end = date(2026, 4, 1), date(2026, 9, 30)
    case.certification_start, case.certification_end = date(2026, 1, 1), date(2026, 12, 31)
    db_session.commit()
    clock.set(date(2026, 5, 6))  # the April monitoring is due, the April claim open (tests/web/test_schedules.py)
    client = app.test_client(use_cookies=False)
    center, office = bearer("alpha.center"), bearer("alpha.office")
    seen: list[tuple[str, str, int]] = []

    def call(method: str, url: str, headers: dict[str, str] | None = None, **kwargs) -> dict:
        answer = getattr(client, method)(url, headers=headers or {}, **kwargs)
        seen.append((method, url, answer.status_code))
        return answer.get_json(silent=True) or {}

    call("get", "/api/openapi.json")
    call("post", "/api/token", json={"login": "nobody", "password": "x"})
    call("get", "/api/tasks", center)
    call("get", "/api/tasks?section=bogus", center)
    task = ready_task(db_session, case.id, "intake")
    call("get", f"/api/tasks/{task.id}", center)
    call("post", f"/api/tasks/{task.id}/claim", center)
    call("post", f"/api/tasks/{task.id}/release", center)
    call("post", f"/api/tasks/{task.id}/complete", center, json={**INTAKE, "insured_number": "12"})
    call("post", f"/api/tasks/{task.id}/complete", center, json=INTAKE)
    call("post", f"/api/tasks/{task.id}/complete", center, json=INTAKE)
    call("get", "/api/tasks/unknown", center)
    call("post", "/api/cases", center, json={"client_name": "", "insured_number": "1"})
    opened = call("post", "/api/cases", center, json={"client_name": "佐藤 一郎", "insured_number": "0000000009"})
    call("post", "/api/cases", bearer("alpha.provider"), json={"client_name": "x", "insured_number": "1"})
    call("post", f"/api/cases/{case.id}/start", center, json={"process_key": "nothing"})
    call("get", f"/api/cases/{opened.get('id', case.id)}", center)
    call("post", f"/api/cases/{opened.get('id', case.id)}/start", center, json={"process_key": "new_case"})  # 409
    call("post", f"/api/cases/{opened.get('id', case.id)}/start", center, json={"process_key": "service_termination"})
    call("get", "/api/cases?q=佐藤", center)
    call("get", "/api/digest", center)
    call("get", f"/api/cases/{case.id}", office)
    call("get", f"/api/cases/{case.id}/documents", office)
    document = db_session.scalars(select(Document)).first()
    call("get", f"/api/documents/{document.id}", office)
    call("get", f"/api/cases/{case.id}/export", center)
    call("get", f"/api/cases/{case.id}/schedule", center)
    call("get", f"/api/cases/{case.id}", {})
    items = {i.key: i.id for i in db_session.scalars(select(ScheduleItem).where(ScheduleItem.case_id == case.id))}
    contact, claim = items["monitoring_contact:2026-04"], items["claim_transmission:2026-04"]
    call("post", f"/api/schedule/{contact}/special-circumstances", center, json={"reason": ""})
    call("post", f"/api/schedule/{contact}/special-circumstances", center, json={"reason": "本人の入院"})
    call("post", f"/api/schedule/{claim}/done", center, json={"done_on": "not a date"})
    call("post", f"/api/schedule/{claim}/done", center, json={"done_on": "2026-05-06"})

    statuses = {(m, u.split("?")[0], s) for m, u, s in seen}
    assert ("post", "/api/cases", 201) in statuses and ("post", "/api/cases", 422) in statuses
    assert {s for _m, _u, s in seen} >= {200, 201, 400, 401, 403, 404, 409, 422}
    document_paths = openapi.document(app)["paths"]
    operations = {(method, path) for path, ops in document_paths.items() for method in ops if method != "parameters"}
    answered = {(m, p) for m, p, s in openapi_check.SEEN if s.startswith("2")}
    assert operations - answered == set(), "a documented route no test has called successfully"


def test_a_serializer_that_drifts_from_its_schema_fails(app, bearer, case, db_session, monkeypatch):
    task = ready_task(db_session, case.id, "intake")
    original = api_module.task_json
    monkeypatch.setattr(api_module, "task_json", lambda row: {**original(row), "surprise": 1})
    with pytest.raises(openapi_check.ResponseMismatch, match="surprise"):
        app.test_client().get(f"/api/tasks/{task.id}", headers=bearer("alpha.center"))
    monkeypatch.setattr(api_module, "task_json", lambda row: {k: v for k, v in original(row).items() if k != "name"})
    with pytest.raises(openapi_check.ResponseMismatch, match="name"):
        app.test_client().get(f"/api/tasks/{task.id}", headers=bearer("alpha.center"))


def test_every_api_route_declares_its_operation(app):
    document = openapi.document(app)
    assert document["openapi"] == "3.1.0"
    declared = {path for path in document["paths"]}
    routes = {openapi.ARGUMENT.sub(lambda m: "{" + m.group(2) + "}", r.rule) for r in app.url_map.iter_rules()}
    assert declared == {r for r in routes if r.startswith("/api/")}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method != "parameters":
                assert operation["summary"] and "default" in operation["responses"], (method, path)
