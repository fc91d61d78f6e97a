"""The access matrix over every route of the app: each rule is classified, and every rule that names a case,
instance, task or document answers 404 to every user of every other organisation (and to the case's other
organisations for a task that is not theirs), leaks nothing, changes nothing, and logs each refusal.

A route added to the app without a class here fails `test_every_route_is_classified`: decide what it exposes.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy import select

from engine.store.models import Case
from engine.store.models import Document
from engine.store.models import Event
from engine.store.models import ProcessInstance
from engine.store.models import Task
from tests.web.conftest import INTAKE
from tests.web.conftest import PASSWORD
from tests.web.conftest import ready_task

PUBLIC = "public"  # no personal data: sign-in, static files, the OpenAPI document, the token exchange
OWN = "own"  # lists and forms scoped to the signed-in user's organisation; no foreign id in the path
CASE = "case"  # names a case (and maybe one of its instances): visible to the case's organisations
TASK = "task"  # names a task: for the organisation it is assigned to only
DOCUMENT = "document"  # names a document: for the case's organisations that may read its form (engine/cases/readers.py)
RECORD = "record"  # the case's whole record (export ZIP): for the case's planners (center, office) only
EXPORT_JOB = "export_job"  # a case export asked for: the planner who asked only (tests/web/test_export_jobs.py)
ITEM = "item"  # names a schedule item of a case: its organisations (tests/web/test_schedules.py)
ADMIN = "admin"  # administrators only; owners for their own municipality's versions (tests/web/test_admin.py)
OWNER = "owner"  # a municipality's process owners only (tests/web/test_processes.py)
STAFF = "staff"  # administrators, and municipal administrators for their municipality (tests/web/test_staff_admin.py)
TOKEN = "token"  # no sign-in: a personal secret in the path, 404 for any other (tests/web/test_reports_calendar.py)

ROUTES = {
    "static": PUBLIC,
    "auth.login": PUBLIC,
    "auth.logout": PUBLIC,
    "api.token": PUBLIC,
    "api.openapi_document": PUBLIC,
    "ops.healthz": PUBLIC,
    "account.password": OWN,
    "inbox.index": OWN,
    "api.tasks": OWN,
    "case_opening.new": OWN,
    "case_list.index": OWN,
    "case_list_api.cases": OWN,
    "cases.show": CASE,
    "cases.export": RECORD,
    "case_exports.ask": RECORD,
    "case_exports.show": EXPORT_JOB,
    "case_exports.status": EXPORT_JOB,
    "case_exports.download": EXPORT_JOB,
    "cases.diagram_xml": CASE,
    "cases.start_flow": CASE,
    "api.case": CASE,
    "api.case_documents": CASE,
    "api.case_export": RECORD,
    "tasks.show": TASK,
    "tasks.submit": TASK,
    "tasks.claim": TASK,
    "tasks.release": TASK,
    "api.task": TASK,
    "api.claim": TASK,
    "api.release": TASK,
    "api.complete": TASK,
    "documents.document": DOCUMENT,
    "api.document": DOCUMENT,
    "documents.document_pdf": DOCUMENT,
    "documents.document_print": DOCUMENT,
    "api.open_case": OWN,
    "api.start_flow": CASE,
    "schedules_api.case_schedule": CASE,
    "schedules.board": OWN,
    "schedules.risks": OWN,
    "schedules_api.digest": OWN,
    "reports.compliance": OWN,
    "reports.compliance_pdf": OWN,
    "reports.compliance_csv": OWN,
    "calendar.settings": OWN,
    "calendar.issue": OWN,
    "calendar.revoke": OWN,
    "calendar.feed": TOKEN,
    "schedules.record_done": ITEM,
    "schedules.special_circumstances": ITEM,
    "schedules_api.done": ITEM,
    "schedules_api.special_circumstances": ITEM,
    "admin.index": ADMIN,
    "admin.compare": ADMIN,
    "admin.compare_diagram": ADMIN,
    "admin.matrix": ADMIN,
    "admin.matrix_csv": ADMIN,
    "processes.index": OWNER,
    "processes.municipality": OWNER,
    "processes.edit": OWNER,
    "processes.save": OWNER,
    "processes.lint_draft": OWNER,
    "processes.check": OWNER,
    "processes.discard": OWNER,
    "processes.publish": OWNER,
    "processes.publishing": OWNER,
    "processes.publish_status": OWNER,
    "processes.history": OWNER,
    "processes.version_file": OWNER,
    "processes.draft_file": OWNER,
    "processes.migrate": OWNER,
    "processes.new_municipality": ADMIN,
    "staff_admin.index": STAFF,
    "staff_admin.new_organisation": STAFF,
    "staff_admin.organisation": STAFF,
    "staff_admin.close_organisation": STAFF,
    "staff_admin.proxy_receipt": STAFF,
    "staff_admin.users": STAFF,
    "staff_admin.new_user": STAFF,
    "staff_admin.user": STAFF,
    "staff_admin.deactivate_user": STAFF,
    "staff_admin.reset_password": STAFF,
    "staff_admin.import_csv": STAFF,
    "staff_admin.import_template": STAFF,
}
SIGNED_IN = (OWN, ITEM, ADMIN, OWNER, STAFF)
SCOPED = (CASE, TASK, DOCUMENT, RECORD, EXPORT_JOB)
# Everyone with no organisation on the case: the other center and office of the same municipality, and every
# organisation of the other municipality.
OUTSIDERS = [
    "alpha.center2",
    "alpha.office2",
    "beta.center",
    "beta.center2",
    "beta.center.b",
    "beta.office",
    "beta.office2",
    "beta.insurer",
    "beta.provider",
]
SECRETS = ("山田", "花子", "0123456789")


def test_every_route_is_classified(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    unclassified = endpoints - set(ROUTES)
    assert not unclassified, f"classify these routes in ROUTES (who may see what they expose): {unclassified}"
    assert not set(ROUTES) - endpoints, f"ROUTES names routes that no longer exist: {set(ROUTES) - endpoints}"


@pytest.fixture
def ids(db_session, runtime, case, world) -> dict[str, Any]:
    """A case with a document (intake) and a ready task for the first center (assessment)."""
    intake = ready_task(db_session, case.id, "intake")
    runtime.complete(db_session, intake.id, INTAKE, world["alpha.center"].actor())
    instance = db_session.scalars(select(ProcessInstance)).one()
    return {
        "case_id": case.id,
        "instance_id": instance.id,
        "process_id": "new_case",
        "task_id": ready_task(db_session, case.id, "assessment").id,
        "document_id": db_session.scalars(select(Document)).one().id,
        "filename": "css/app.css",
        "item_id": 1,
        "municipality": "alpha",
        "path": "new_case.bpmn",
        "number": 1,
        "job_id": 1,
        "token": "not-a-token",
        "org_id": 1,
        "user_id": 1,
        "kind": "users",
    }


def requests_for(app, kinds: tuple[str, ...], ids: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(endpoint, method, path) for every method of every rule of these kinds."""
    adapter = app.url_map.bind("localhost")
    found = []
    for rule in app.url_map.iter_rules():
        if ROUTES.get(rule.endpoint) not in kinds:
            continue
        path = adapter.build(rule.endpoint, {name: ids[name] for name in rule.arguments})
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, path))
    return found


def send(browser, method: str, path: str):
    if path.startswith("/api/"):
        headers = {"X-CSRFToken": browser.token}
        if method == "POST":
            return browser.client.post(path, json=INTAKE, headers=headers)
        return browser.client.get(path, headers=headers)
    if method == "POST":
        return browser.post(path, {"action": "complete", "process_key": "new_case", "client_name": "x"})
    return browser.get(path)


def snapshot(session) -> dict[str, Any]:
    """Everything a refused request could have changed (events apart, which it must add)."""
    session.expire_all()
    return {
        "tasks": sorted(
            (t.id, t.state, t.claimed_by_id, t.completed_by_id) for t in session.scalars(select(Task)).all()
        ),
        "instances": sorted((i.id, i.version, i.status) for i in session.scalars(select(ProcessInstance)).all()),
        "cases": sorted((c.id, c.version, c.status) for c in session.scalars(select(Case)).all()),
        "documents": session.scalar(select(func.count()).select_from(Document)),
    }


@pytest.mark.slow
@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_outsiders_get_404_on_every_scoped_route_nothing_leaks_and_each_refusal_is_logged(
    login_as, app, ids, db_session, world, outsider
):
    before = snapshot(db_session)
    browser = login_as(outsider)
    sent = requests_for(app, SCOPED, ids)
    assert {endpoint for endpoint, _, _ in sent} == {e for e, kind in ROUTES.items() if kind in SCOPED}
    for endpoint, method, path in sent:
        response = send(browser, method, path)
        assert response.status_code == 404, f"{endpoint} {method} {path}: {response.status_code}"
        body = response.get_data(as_text=True)
        assert "見つかりません" in body, endpoint
        assert not any(secret in body for secret in SECRETS), f"{endpoint} leaks the case in its 404"
        assert response.mimetype in ("text/html", "application/json"), endpoint  # never a PDF or a ZIP
    denied = db_session.scalars(
        select(Event).where(Event.kind == "access_denied", Event.actor_id == world[outsider].user_id)
    ).all()
    assert sorted((e.detail["method"], e.detail["path"]) for e in denied) == sorted((m, p) for _, m, p in sent)
    assert all(e.address == "127.0.0.1" and e.case_id == ids["case_id"] for e in denied)
    assert snapshot(db_session) == before

    # Lists and counts: the outsider's inbox and task API know nothing of the case.
    inbox = browser.get("/").get_data(as_text=True)
    assert not any(secret in inbox for secret in SECRETS)
    for section in ("mine", "unclaimed"):
        listed = browser.client.get(f"/api/tasks?section={section}&municipality=alpha").get_json()
        assert listed["total"] == 0 and listed["items"] == [] and listed["overdue"] == 0


@pytest.mark.parametrize("other_role", ["alpha.office", "alpha.insurer", "alpha.provider"])
def test_the_cases_other_organisations_get_404_on_a_task_that_is_not_theirs(
    login_as, app, ids, db_session, world, other_role
):
    """They see the case but not the center's task: every task route refuses and logs. The intake document and
    the whole record are the planners' (the office's too), not the insurer's or the provider's."""
    before = snapshot(db_session)
    browser = login_as(other_role)
    planner = other_role == "alpha.office"
    for kind, expected in ((CASE, 200), (DOCUMENT, 200 if planner else 404), (RECORD, 200 if planner else 404)):
        for endpoint, method, path in requests_for(app, (kind,), ids):
            if method == "GET":
                assert send(browser, method, path).status_code == expected, endpoint
    refused = [] if planner else [r for r in requests_for(app, (DOCUMENT, RECORD), ids) if r[1] == "GET"]
    sent = requests_for(app, (TASK,), ids)
    for endpoint, method, path in sent:
        response = send(browser, method, path)
        assert response.status_code == 404, f"{endpoint} {method} {path}"
    denied = db_session.scalars(
        select(Event).where(Event.kind == "access_denied", Event.actor_id == world[other_role].user_id)
    ).all()
    assert sorted((e.detail["method"], e.detail["path"]) for e in denied) == sorted(
        (m, p) for _, m, p in sent + refused
    )
    after = snapshot(db_session)
    assert after["tasks"] == before["tasks"] and after["instances"] == before["instances"]


def test_a_bearer_token_of_another_organisation_gets_the_same_404(app, ids, db_session, world):
    client = app.test_client(use_cookies=False)
    token = client.post("/api/token", json={"login": world["beta.center"].login, "password": PASSWORD}).get_json()
    headers = {"Authorization": f"Bearer {token['token']}"}
    sent = [r for r in requests_for(app, SCOPED, ids) if r[2].startswith("/api/")]
    assert sent
    for endpoint, method, path in sent:
        response = client.open(path, method=method, json={} if method == "POST" else None, headers=headers)
        assert response.status_code == 404, endpoint
        assert response.get_json()["error"] == "ページが見つかりません"
    assert db_session.scalar(select(func.count()).select_from(Event).where(Event.kind == "access_denied")) == len(sent)


@pytest.mark.parametrize("role", ["alpha.insurer", "alpha.provider"])
def test_opening_a_case_is_refused_with_403_for_roles_that_do_not_open_cases(login_as, db_session, role):
    browser = login_as(role)
    assert browser.get("/cases/new").status_code == 403
    response = browser.post("/cases/new", {"client_name": "x", "insured_number": "0123456789"})
    assert response.status_code == 403 and "地域包括支援センター" in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(Case)) == 0


def test_own_routes_need_a_sign_in_and_public_routes_carry_no_case_data(app, ids):
    client = app.test_client()
    for endpoint, method, path in requests_for(app, (*SIGNED_IN, *SCOPED), ids):
        response = client.open(path, method=method, json={} if path.startswith("/api/") else None)
        if path.startswith("/api/"):
            assert response.status_code == 401, endpoint
        else:
            # CSRF protection answers an anonymous POST before the sign-in check does; either way nothing shows.
            assert response.status_code in (302, 400), endpoint
            assert response.status_code == 400 or response.headers["Location"].startswith("/login"), endpoint
        assert not any(secret in response.get_data(as_text=True) for secret in SECRETS), endpoint
    for endpoint, method, path in requests_for(app, (PUBLIC, TOKEN), ids):
        if method == "GET":
            with client.get(path) as response:
                body = response.get_data(as_text=True)
            assert not any(secret in body for secret in SECRETS), endpoint
