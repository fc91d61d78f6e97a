"""Finding 2 of the security issue: a submission carries the fields of its form and nothing else.

Every form of every municipality (processes/, each schema's examples[0]) is sent through the task page and through
`POST /api/tasks/<id>/complete` with keys of the case record added (name, 被保険者番号, care level, the owning
organisations …). Each foreign key is refused by name (422), and the case, its documents and the task are unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

import handlers
from engine.accounts.demo_staff import demo_organisations
from engine.accounts.demo_staff import demo_user
from engine.config import Settings
from engine.execution.runtime import Actor
from engine.process_library.forms import FOREIGN
from engine.process_library.forms import foreign_fields
from engine.process_library.loader import FormSpec
from engine.services import Services
from engine.store.models import Case
from engine.store.models import Document
from engine.store.models import ProcessInstance
from engine.store.models import Task
from tests.web.conftest import PASSWORD
from tests.web.conftest import PASSWORD_HASH
from tests.web.conftest import Browser
from tests.web.conftest import made_app
from tests.web.conftest import sign_in
from tests.web.test_fuzz_forms import FORMS
from tests.web.test_fuzz_forms import LIBRARY
from tests.web.test_fuzz_forms import PROCESSES
from web import formfields

CASE_KEYS = (
    "client_name",
    "client_name_kana",
    "insured_number",
    "care_level",
    "certification_start",
    "certification_end",
    "plan_start",
    "plan_end",
    "delegated",
    "status",
    "municipality",
    "center_org_id",
    "office_org_id",
    "insurer_org_id",
    "provider_org_id",
    "is_admin",
)


def forged(other_org_id: int) -> dict[str, Any]:
    values: dict[str, Any] = {
        "client_name": "偽 名前",
        "client_name_kana": "ニセ ナマエ",
        "insured_number": "9999999999",
        "care_level": "kaigo5",
        "certification_start": "2020-01-01",
        "certification_end": "2099-12-31",
        "plan_start": "2020-01-01",
        "plan_end": "2099-12-31",
        "delegated": True,
        "status": "ended",
        "municipality": "beta",
        "is_admin": True,
    }
    return {key: values.get(key, other_org_id) for key in CASE_KEYS}


@pytest.fixture
def real_services(database_url: str) -> Iterator[Services]:
    settings = Settings(database_url=database_url, processes_dir=PROCESSES, secret_key="x" * 32)
    services = Services(settings, handlers.form_handlers(), handlers.python_decisions())
    yield services
    services.engine.dispose()


@pytest.fixture
def real_app(real_services: Services, clock) -> Iterator[Flask]:
    with made_app(real_services, clock, TESTING=True) as app:
        yield app


def snapshot(session, case_id: int) -> tuple[Any, ...]:
    session.expire_all()
    case = session.get(Case, case_id)
    columns = {c.key: getattr(case, c.key) for c in Case.__table__.columns}
    documents = session.scalar(select(func.count()).select_from(Document).where(Document.case_id == case_id))
    tasks = sorted(session.execute(select(Task.id, Task.state).where(Task.case_id == case_id)).all())
    return columns, documents, tasks


MUNICIPALITIES = sorted({municipality for municipality, _ in FORMS})
"""The forms of each municipality are a test of their own: the workers of a parallel run share them out."""


def open_a_case_in_every_municipality(
    runtime: Any, session: Any, only: str | None = None
) -> dict[str, tuple[int, str, str]]:
    """Per municipality (or only the one named): a 要支援 case with its new_case started, as (case id, first ready
    task id, the login of the staff member that task is for); committed."""
    opened: dict[str, tuple[int, str, str]] = {}
    for key, municipality in LIBRARY.municipalities().items():
        if only is not None and key != only:
            continue
        orgs = demo_organisations(session, municipality)
        staff = {role: demo_user(session, found[0], 1, password_hash=PASSWORD_HASH) for role, found in orgs.items()}
        center = staff["center"]
        actor = Actor(user_id=center.id, organisation_id=center.organisation_id, role="center")
        case = runtime.open_case(
            session,
            key,
            actor,
            client_name="山田 花子",
            insured_number="0123456789",
            care_level="shien1",
            **{f"{role}_org_id": found[0].id for role, found in orgs.items() if role != "center"},
            center_org_id=center.organisation_id,
        )
        runtime.start(session, case.id, "new_case", actor=actor)
        task = session.scalars(select(Task).where(Task.case_id == case.id, Task.state == "ready")).first()
        login = next(u.login for u in staff.values() if u.organisation_id == task.organisation_id)
        opened[key] = (case.id, task.id, login)
    session.commit()
    return opened


@pytest.mark.parametrize("municipality", MUNICIPALITIES)
def test_every_form_refuses_keys_it_does_not_have_on_the_page_and_the_api(real_app, real_services, clock, municipality):
    runtime = real_app.extensions["kaigoflow_runtime"]
    forms = [(key, name) for key, name in FORMS if key == municipality]
    with real_services.sessions() as session:
        opened = open_a_case_in_every_municipality(runtime, session, only=municipality)
        other_org = demo_organisations(session, LIBRARY.municipality(MUNICIPALITIES[-1]))["center"][0].id
        session.commit()  # made here when that municipality is not this test's: SQLite would lock the sign-ins out

        clients: dict[str, tuple[Browser, str]] = {}
        for key, (_, task_id, login) in opened.items():
            client = real_app.test_client()
            assert sign_in(client, login).status_code == 302
            browser = Browser(client, None)
            browser.refresh_token(f"/tasks/{task_id}")
            token = client.post("/api/token", json={"login": login, "password": PASSWORD}).get_json()["token"]
            clients[key] = (browser, token)
        before = {key: snapshot(session, case_id) for key, (case_id, _, _) in opened.items()}

        checked = 0
        for municipality, name in forms:
            case_id, task_id, _ = opened[municipality]
            form = LIBRARY.form(municipality, name)
            ask_for(session, runtime, task_id, form)
            example = form.example()
            assert example, f"{municipality}/{name}: the schema has no examples[0]"
            assert foreign_fields(form.schema, example) == {}, f"{municipality}/{name}: its own example is foreign"
            foreign = {k: v for k, v in forged(other_org).items() if k not in form.schema.get("properties", {})}
            assert foreign, f"{municipality}/{name}: declares every case key"
            browser, token = clients[municipality]

            api = browser.client.post(
                f"/api/tasks/{task_id}/complete",
                json={**example, **foreign},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert api.status_code == 422, (municipality, name, api.get_json())
            assert api.get_json()["errors"] == dict.fromkeys(foreign, FOREIGN), (municipality, name)

            fields = formfields.build(form.schema, form.uischema)
            posted = [
                (path, value)
                for path, values in formfields.from_data(fields, example).items()
                for value in (values if isinstance(values, list) else [values])
            ]
            posted += [(k, str(v)) for k, v in foreign.items()] + [
                ("action", "complete"),
                ("csrf_token", browser.token),
            ]
            page = browser.client.post(f"/tasks/{task_id}", data=MultiDict(posted))
            assert page.status_code == 422, (municipality, name)
            text = page.get_data(as_text=True)
            for key in foreign:
                assert f"{key}: {FOREIGN}" in text, (municipality, name, key)
            assert snapshot(session, case_id) == before[municipality], (municipality, name)
            checked += 1
    assert checked == len(forms) > 0
    assert len(FORMS) > 100


def ask_for(session, runtime, task_id: str, form: FormSpec) -> None:
    """Make the ready task ask for `form`, as a step of a published flow would (the page and the API look it up
    in the instance's resolved version, which the app's runtime keeps in memory)."""
    row = session.get(Task, task_id)
    row.form = form.name
    session.commit()
    instance = session.get(ProcessInstance, row.instance_id)
    instance_spec = runtime.spec(session, instance.spec_hash, row.municipality, instance.process_key)
    instance_spec.forms[form.name] = form
