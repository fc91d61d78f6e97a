"""Finding 6 of the security issue: providers and insurers take part in a case's flows but start none of them.

Refused on the case page, its form action, the API (`POST /api/cases/{id}/start`, `POST /api/cases`), the new-case
page and in the engine itself; nothing is written.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlalchemy import select

from engine.accounts.demo_staff import CANNOT_START
from engine.errors import PermissionDenied
from engine.store.models import Case
from engine.store.models import ProcessInstance
from tests.web.conftest import PASSWORD

BYSTANDERS = ("alpha.provider", "alpha.insurer")


def counts(db_session) -> tuple[int, int]:
    db_session.expire_all()
    return (
        db_session.scalar(select(func.count()).select_from(Case)),
        db_session.scalar(select(func.count()).select_from(ProcessInstance)),
    )


def test_providers_and_insurers_start_no_flow_on_pages_or_the_api(app, login_as, case, db_session):
    before = counts(db_session)
    for key in BYSTANDERS:
        browser = login_as(key)
        page = browser.get(f"/cases/{case.id}")
        assert page.status_code == 200  # they see the case they take part in …
        assert "手続きを開始する" not in page.get_data(as_text=True)  # … without a way to start anything
        started = browser.post(f"/cases/{case.id}/start", data={"process_key": "new_case"})
        assert started.status_code == 403 and CANNOT_START in started.get_data(as_text=True)
        assert browser.get("/cases/new").status_code == 403
        opened = browser.post("/cases/new", data={"client_name": "山田 花子", "insured_number": "0123456789"})
        assert opened.status_code == 403
        token = app.test_client().post("/api/token", json={"login": browser.person.login, "password": PASSWORD})
        bearer = {"Authorization": f"Bearer {token.get_json()['token']}"}
        api = browser.client.post(f"/api/cases/{case.id}/start", json={"process_key": "new_case"}, headers=bearer)
        assert api.status_code == 403 and api.get_json()["message"] == CANNOT_START
        api_open = browser.client.post("/api/cases", json={"client_name": "山田 花子"}, headers=bearer)
        assert api_open.status_code == 403 and api_open.get_json()["message"] == CANNOT_START
    assert counts(db_session) == before
    planner = login_as("alpha.center")
    assert "手続きを開始する" in planner.get(f"/cases/{case.id}").get_data(as_text=True)


def test_the_engine_refuses_a_start_by_a_provider_or_an_insurer(runtime, case, world, db_session):
    before = counts(db_session)
    for key in BYSTANDERS:
        with pytest.raises(PermissionDenied, match="開始できません"):
            runtime.start(db_session, case.id, "new_case", actor=world[key].actor())
        with pytest.raises(PermissionDenied):
            runtime.open_case(db_session, "alpha", world[key].actor(), client_name="山田 花子")
    assert counts(db_session) == before
