"""Access matrix: another organisation gets 404 on every case, task and document route, and it is logged."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.store.models import Document
from engine.store.models import Event
from engine.store.models import ProcessInstance
from engine.store.models import Task
from tests.web.conftest import INTAKE
from tests.web.conftest import ready_task

PAGE_ROUTES = [
    ("get", "/cases/{case}"),
    ("get", "/cases/{case}/instances/{instance}/new_case.bpmn"),
    ("get", "/cases/{case}/instances/{instance}/plan_cycle.bpmn"),
    ("post", "/cases/{case}/start"),
    ("get", "/tasks/{task}"),
    ("post", "/tasks/{task}"),
    ("post", "/tasks/{task}/claim"),
    ("post", "/tasks/{task}/release"),
    ("get", "/documents/{document}"),
    ("get", "/documents/{document}.pdf"),
    ("get", "/documents/{document}/print"),
]
API_ROUTES = [
    ("get", "/api/cases/{case}"),
    ("get", "/api/cases/{case}/documents"),
    ("get", "/api/documents/{document}"),
    ("get", "/api/tasks/{task}"),
    ("post", "/api/tasks/{task}/claim"),
    ("post", "/api/tasks/{task}/release"),
    ("post", "/api/tasks/{task}/complete"),
]
OUTSIDERS = ["alpha.center2", "alpha.office2", "beta.center", "beta.insurer"]


@pytest.fixture
def ids(db_session, runtime, case, world):
    """A case with a document and a ready task (assessment, for the first center)."""
    intake = ready_task(db_session, case.id, "intake")
    runtime.complete(db_session, intake.id, INTAKE, world["alpha.center"].actor())
    instance = db_session.scalars(select(ProcessInstance)).one()
    return {
        "case": case.id,
        "instance": instance.id,
        "task": ready_task(db_session, case.id, "assessment").id,
        "document": db_session.scalars(select(Document)).one().id,
    }


@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_outsiders_get_404_everywhere_and_each_attempt_is_logged(login_as, ids, db_session, world, outsider):
    browser = login_as(outsider)
    for method, url in PAGE_ROUTES + API_ROUTES:
        path = url.format(**ids)
        if path.startswith("/api/"):
            body = {"json": {}} if method == "post" else {}
            response = getattr(browser.client, method)(path, headers={"X-CSRFToken": browser.token}, **body)
        else:
            response = browser.post(path) if method == "post" else browser.get(path)
        assert response.status_code == 404, f"{method} {path}: {response.status_code}"
        body = response.get_data(as_text=True)
        assert "見つかりません" in body
        assert "山田" not in body  # nothing of the case leaks into the answer
    denied = db_session.scalars(
        select(Event).where(Event.kind == "access_denied", Event.actor_id == world[outsider].user_id)
    ).all()
    assert len(denied) == len(PAGE_ROUTES) + len(API_ROUTES)
    assert {e.detail["path"] for e in denied} == {url.format(**ids) for _, url in PAGE_ROUTES + API_ROUTES}
    assert all(e.address == "127.0.0.1" and e.case_id == ids["case"] for e in denied)
    # Nothing was changed by any of it.
    db_session.expire_all()
    task = db_session.get(Task, ids["task"])
    assert task.state == "ready" and task.claimed_by_id is None
    assert len(db_session.scalars(select(ProcessInstance)).all()) == 1


@pytest.mark.parametrize("insider", ["alpha.center", "alpha.office", "alpha.insurer", "alpha.provider"])
def test_every_organisation_of_the_case_sees_it(login_as, ids, insider):
    browser = login_as(insider)
    for url in ("/cases/{case}", "/cases/{case}/instances/{instance}/new_case.bpmn"):
        assert browser.get(url.format(**ids)).status_code == 200, url
    # The intake is the planners' document (engine/cases/readers.py): tests/web/test_readers.py covers who reads what.
    planner = insider in ("alpha.center", "alpha.office")
    assert browser.get("/documents/{document}".format(**ids)).status_code == (200 if planner else 404)
    assert browser.get("/api/cases/{case}".format(**ids)).status_code == 200


@pytest.mark.parametrize("other", ["alpha.office", "alpha.insurer", "alpha.provider", "alpha.center.b"])
def test_a_task_is_for_its_organisation_only(login_as, ids, db_session, other):
    """The office sees the case but not the center's task; a colleague of the same center does."""
    response = login_as(other).get("/tasks/{task}".format(**ids))
    expected = 200 if other == "alpha.center.b" else 404
    assert response.status_code == expected
    logged = db_session.scalars(select(Event).where(Event.kind == "access_denied")).all()
    assert len(logged) == (0 if expected == 200 else 1)


def test_missing_ids_are_plain_404(login_as, ids):
    browser = login_as("alpha.center")
    for url in ("/cases/99999", "/tasks/nope", "/documents/99999", "/api/cases/99999"):
        assert browser.get(url).status_code == 404
