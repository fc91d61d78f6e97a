"""The JSON API: tokens, each endpoint, 401/404/409/422, CSRF for session requests, the OpenAPI document."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy import select

from engine.store.models import Case
from engine.store.models import Document
from engine.store.models import Event
from engine.store.models import Task
from engine.store.models import User
from tests.web.conftest import INTAKE
from tests.web.conftest import PASSWORD
from tests.web.conftest import ready_task

ROUTES = [
    ("get", "/api/tasks"),
    ("post", "/api/cases"),
    ("get", "/api/tasks/{task}"),
    ("post", "/api/tasks/{task}/claim"),
    ("post", "/api/tasks/{task}/release"),
    ("post", "/api/tasks/{task}/complete"),
    ("post", "/api/cases/{case}/start"),
    ("get", "/api/cases/{case}"),
    ("get", "/api/cases/{case}/documents"),
    ("get", "/api/documents/{document}"),
]


OBJECT_ROUTES = [(method, url) for method, url in ROUTES if "{" in url]
"""The routes about one task, case or document: another organisation's gets 404."""


@pytest.fixture
def token(app, world):
    def issue(key: str) -> str:
        response = app.test_client().post("/api/token", json={"login": world[key].login, "password": PASSWORD})
        assert response.status_code == 200, response.get_json()
        return response.get_json()["token"]

    return issue


@pytest.fixture
def api(app, token):
    """`api(key)`: a client that sends that person's bearer token (and no cookie, no CSRF token)."""

    class Api:
        def __init__(self, key: str) -> None:
            self.client = app.test_client(use_cookies=False)
            self.headers = {"Authorization": f"Bearer {token(key)}"}

        def get(self, url: str):
            return self.client.get(url, headers=self.headers)

        def post(self, url: str, json=None):
            return self.client.post(url, json=json if json is not None else {}, headers=self.headers)

    return Api


@pytest.fixture
def document(db_session, runtime, case, world) -> Document:
    task = ready_task(db_session, case.id, "intake")
    runtime.complete(db_session, task.id, INTAKE, world["alpha.center"].actor())
    return db_session.scalars(select(Document)).one()


def fill(url: str, case, task_id: str, document_id: int) -> str:
    return url.format(case=case.id, task=task_id, document=document_id)


@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_every_endpoint_needs_authentication(app, case, db_session, method, url):
    task = ready_task(db_session, case.id, "intake")
    client = app.test_client()
    response = getattr(client, method)(fill(url, case, task.id, 1), json={})
    assert response.status_code == 401
    assert response.get_json()["error"] == "ログインが必要です"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    bad = getattr(client, method)(fill(url, case, task.id, 1), json={}, headers={"Authorization": "Bearer nonsense"})
    assert bad.status_code == 401 and "トークン" in bad.get_json()["message"]


def test_token_needs_json_and_the_right_password(app, world):
    client = app.test_client()
    assert (
        client.post("/api/token", data={"login": world["alpha.center"].login, "password": PASSWORD}).status_code == 415
    )
    wrong = client.post("/api/token", json={"login": world["alpha.center"].login, "password": "nope"})
    assert wrong.status_code == 401 and "パスワードが違います" in wrong.get_json()["message"]


def test_a_token_dies_with_a_password_change_and_with_age(app, api, world, db_session, clock):
    client = api("alpha.center")
    assert client.get("/api/tasks").status_code == 200
    clock.advance(timedelta(hours=1))
    row = db_session.get(User, world["alpha.center"].user_id)
    row.password_hash = "pbkdf2:sha256:1000$changed$0000"
    db_session.commit()
    assert client.get("/api/tasks").status_code == 401
    app.config["API_TOKEN_MAX_AGE"] = -1
    assert api("alpha.office").get("/api/tasks").status_code == 401


def test_task_list_sections_filters_and_paging(api, case, db_session, world, runtime):
    task = ready_task(db_session, case.id, "intake")
    client = api("alpha.center")
    body = client.get("/api/tasks").get_json()
    assert body["section"] == "unclaimed" and body["total"] == 1 and body["counts"] == {"unclaimed": 1, "mine": 0}
    [item] = body["items"]
    assert item["id"] == task.id and item["client_name"] == "山田 花子" and item["flow_name"] == "新規"
    assert item["due_date"] == "2026-05-08" and item["due_wareki"] == "令和8年5月8日(金)" and not item["overdue"]
    assert client.get("/api/tasks?due=overdue").get_json()["total"] == 0
    assert client.get("/api/tasks?step=assessment").get_json()["items"] == []
    assert client.get("/api/tasks?section=bogus").status_code == 400
    runtime.claim(db_session, task.id, world["alpha.center"].actor())
    mine = client.get("/api/tasks?section=mine").get_json()
    assert [i["id"] for i in mine["items"]] == [task.id] and mine["page"] == 1 and mine["pages"] == 1


def test_get_claim_release_and_complete(api, case, db_session, world):
    task = ready_task(db_session, case.id, "intake")
    client = api("alpha.center")
    detail = client.get(f"/api/tasks/{task.id}").get_json()
    assert detail["form_spec"]["title"] == "相談受付票" and detail["data"]["client_name"] == "山田 花子"
    assert detail["instructions"] == "相談内容を聞き取り、受付票に記録してください。"
    claimed = client.post(f"/api/tasks/{task.id}/claim")
    assert claimed.status_code == 200 and claimed.get_json()["claimed_by_id"] == world["alpha.center"].user_id
    released = client.post(f"/api/tasks/{task.id}/release")
    assert released.get_json()["claimed_by_id"] is None
    done = client.post(f"/api/tasks/{task.id}/complete", json=INTAKE)
    assert done.status_code == 200
    body = done.get_json()
    assert body["task"]["state"] == "completed"
    assert [t["bpmn_id"] for t in body["next_tasks"]] == ["assessment"]
    assert body["next_tasks"][0]["claimed_by_id"] == world["alpha.center"].user_id  # carried on by the completer


def test_complete_answers_422_with_field_messages(api, case, db_session):
    task = ready_task(db_session, case.id, "intake")
    response = api("alpha.center").post(f"/api/tasks/{task.id}/complete", json={**INTAKE, "insured_number": "12"})
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"insured_number": "書式が違います"}
    assert api("alpha.center").post(f"/api/tasks/{task.id}/complete", json=[1, 2]).status_code == 400


def test_conflicts_answer_409(api, case, db_session, world, runtime):
    task = ready_task(db_session, case.id, "intake")
    runtime.claim(db_session, task.id, world["alpha.center.b"].actor())
    client = api("alpha.center")
    claim = client.post(f"/api/tasks/{task.id}/claim")
    assert claim.status_code == 409 and claim.get_json()["message"] == "このタスクは他の職員が担当しています"
    assert client.post(f"/api/tasks/{task.id}/complete", json=INTAKE).status_code == 409
    colleague = api("alpha.center.b")
    assert colleague.post(f"/api/tasks/{task.id}/complete", json=INTAKE).status_code == 200
    again = colleague.post(f"/api/tasks/{task.id}/complete", json=INTAKE)
    assert again.status_code == 409 and "すでに完了" in again.get_json()["message"]


def test_cases_and_documents(api, case, document):
    client = api("alpha.office")
    body = client.get(f"/api/cases/{case.id}").get_json()
    assert body["client_name"] == "山田 花子" and body["care_level_name"] == "要支援1"
    assert body["organisations"]["office"]["name"] == "テスト市A さくら居宅介護支援事業所"
    assert [i["process_key"] for i in body["instances"]] == ["new_case"]
    assert [t["bpmn_id"] for t in body["ready_tasks"]] == ["assessment"]
    listed = client.get(f"/api/cases/{case.id}/documents").get_json()["items"]
    assert [(d["id"], d["title"], d["version"]) for d in listed] == [(document.id, "相談受付票", 1)]
    assert listed[0]["links"]["pdf"] == f"/documents/{document.id}.pdf"
    full = client.get(f"/api/documents/{document.id}").get_json()
    assert full["data"]["insured_number"] == "0123456789" and full["schema"]["title"] == "相談受付票"


def test_other_organisations_get_404_and_it_is_logged(api, case, document, db_session, world):
    task = ready_task(db_session, case.id, "assessment")
    client = api("beta.center")
    for method, url in OBJECT_ROUTES:
        response = getattr(client, method)(fill(url, case, task.id, document.id))
        assert response.status_code == 404, url
        assert response.get_json()["error"] == "ページが見つかりません"
    denied = db_session.scalars(select(Event).where(Event.kind == "access_denied")).all()
    assert len(denied) == len(OBJECT_ROUTES)
    assert {e.actor_id for e in denied} == {world["beta.center"].user_id}
    assert {e.detail["path"] for e in denied} == {fill(u, case, task.id, document.id) for _, u in OBJECT_ROUTES}
    # And nothing changed.
    db_session.expire_all()
    assert db_session.get(Task, task.id).claimed_by_id is None


def test_session_requests_need_the_csrf_header(login_as, case, db_session):
    task = ready_task(db_session, case.id, "intake")
    browser = login_as("alpha.center")
    assert browser.client.get("/api/tasks").status_code == 200  # reading needs no token
    refused = browser.client.post(f"/api/tasks/{task.id}/claim", json={})
    assert refused.status_code == 400
    db_session.expire_all()
    assert db_session.get(Task, task.id).claimed_by_id is None
    allowed = browser.client.post(f"/api/tasks/{task.id}/claim", json={}, headers={"X-CSRFToken": browser.token})
    assert allowed.status_code == 200


def test_openapi_lists_every_api_route(app):
    document = app.test_client().get("/api/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    paths = document["paths"]
    seen = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        assert path in paths, f"{path} is not in the OpenAPI document"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in paths[path], f"{method} {path} is not in the OpenAPI document"
        seen.add(path)
    assert seen == set(paths), "the OpenAPI document names routes that do not exist"


def test_api_writes_leave_one_event_each(api, case, db_session):
    task = ready_task(db_session, case.id, "intake")
    client = api("alpha.center")
    client.post(f"/api/tasks/{task.id}/claim")
    client.post(f"/api/tasks/{task.id}/complete", json=INTAKE)
    kinds = db_session.scalars(select(Event.kind).where(Event.task_id == task.id).order_by(Event.id)).all()
    assert kinds == ["task_claimed", "task_completed"]
    assert db_session.scalar(select(func.count()).select_from(Document)) == 1


def test_a_case_is_opened_and_its_first_flow_started_through_the_api(api, world, db_session):
    client = api("alpha.office")
    opened = client.post("/api/cases", json={"client_name": "佐藤 一郎", "insured_number": "０１２３４５６７８９"})
    assert opened.status_code == 201, opened.get_json()
    body = opened.get_json()
    assert body["client_name"] == "佐藤 一郎" and body["insured_number"] == "0123456789"
    assert body["organisations"]["office"]["id"] == world.orgs["alpha.office"].id  # the user's own organisation
    assert body["start_failure"] is None and opened.headers["Location"] == f"/api/cases/{body['id']}"
    shown = client.get(f"/api/cases/{body['id']}").get_json()
    assert [i["process_key"] for i in shown["instances"]] == ["new_case"]
    assert api("beta.office").get(f"/api/cases/{body['id']}").status_code == 404


def test_opening_a_case_refuses_bad_fields_and_writes_nothing(api, db_session):
    before = db_session.scalar(select(func.count()).select_from(Case))
    refused = api("alpha.office").post(
        "/api/cases", json={"client_name": "", "insured_number": "12", "care_level": "x"}
    )
    assert refused.status_code == 422
    assert set(refused.get_json()["errors"]) == {"client_name", "insured_number", "care_level"}
    assert (
        api("alpha.insurer").post("/api/cases", json={"client_name": "a", "insured_number": "0123456789"}).status_code
        == 403
    )
    db_session.expire_all()
    assert db_session.scalar(select(func.count()).select_from(Case)) == before


def test_another_flow_is_started_in_a_case_only_by_its_organisations(api, case, db_session):
    unknown = api("alpha.center").post(f"/api/cases/{case.id}/start", json={"process_key": "no_such_flow"})
    assert unknown.status_code == 422 and "process_key" in unknown.get_json()["errors"]
    assert api("beta.center").post(f"/api/cases/{case.id}/start", json={"process_key": "new_case"}).status_code == 404
    # new_case already runs in the case: no second copy (issue 11), a 409 with a message saying so.
    again = api("alpha.center").post(f"/api/cases/{case.id}/start", json={"process_key": "new_case"})
    assert again.status_code == 409
    assert "すでに進行中" in again.get_json()["errors"]["process_key"]
    shown = api("alpha.center").get(f"/api/cases/{case.id}").get_json()
    assert [i["process_key"] for i in shown["instances"]] == ["new_case"]


def test_opening_a_case_refuses_fields_a_case_does_not_have_by_name(api, db_session):
    before = db_session.scalar(select(func.count()).select_from(Case))
    refused = api("alpha.office").post(
        "/api/cases", json={"client_name": "佐藤 一郎", "insured_number": "0123456789", "nickname": "いっちゃん"}
    )
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == {"nickname": "この項目はケースの登録にはありません"}
    db_session.expire_all()
    assert db_session.scalar(select(func.count()).select_from(Case)) == before


def test_the_api_sets_planner_and_delegation_when_a_case_is_opened(api, world):
    office = world.orgs["alpha.office"].id
    # An office's own 要介護 case (居宅介護支援): no center is needed, the office plans, nothing is delegated.
    care = api("alpha.office").post(
        "/api/cases", json={"client_name": "佐藤 一郎", "insured_number": "0123456789", "care_level": "kaigo1"}
    )
    assert care.status_code == 201, care.get_json()
    assert (care.get_json()["planner"], care.get_json()["delegated"]) == ("office", False)
    assert "center" not in care.get_json()["organisations"]
    # A center that delegates to an office: the office plans.
    delegated = api("alpha.center").post(
        "/api/cases",
        json={
            "client_name": "鈴木 花子",
            "insured_number": "0123456788",
            "care_level": "shien1",
            "delegated": True,
            "office_org_id": office,
        },
    )
    assert delegated.status_code == 201, delegated.get_json()
    assert (delegated.get_json()["planner"], delegated.get_json()["delegated"]) == ("office", True)
    # A delegation needs the office it goes to; an office is not a center.
    refused = api("alpha.center").post(
        "/api/cases",
        json={"client_name": "a", "insured_number": "0123456787", "delegated": True, "planner": "center"},
    )
    assert refused.status_code == 422 and set(refused.get_json()["errors"]) == {"planner", "office_org_id"}
    wrong = api("alpha.office").post(
        "/api/cases", json={"client_name": "a", "insured_number": "0123456787", "center_org_id": office}
    )
    assert wrong.status_code == 422 and set(wrong.get_json()["errors"]) == {"center_org_id"}


def test_the_case_lists_the_flows_its_user_may_start(api, case):
    center = api("alpha.center").get(f"/api/cases/{case.id}").get_json()
    assert {"process_key": "service_termination", "flow_name": "サービスの終了"} in center["startable"]
    assert "plan_cycle" not in [flow["process_key"] for flow in center["startable"]]
    assert api("alpha.insurer").get(f"/api/cases/{case.id}").get_json()["startable"] == []


def test_a_flow_of_the_case_life_is_started_through_the_api_by_the_planner_only(api, case):
    refused = api("alpha.insurer").post(f"/api/cases/{case.id}/start", json={"process_key": "service_termination"})
    assert refused.status_code == 403
    started = api("alpha.center").post(f"/api/cases/{case.id}/start", json={"process_key": "service_termination"})
    assert started.status_code == 200
    assert "service_termination" in [i["process_key"] for i in started.get_json()["instances"]]
