"""Web fixtures: the app on a small synthetic library (every widget kind, a call activity, two municipalities).

`world` holds organisations and staff of both municipalities; `case` is an opened case of テスト市A with its
新規 flow started (the intake task is ready for the first center). `login_as(client, key)` signs a staff member
in through the form and returns a `Browser` that posts with the CSRF token, as a page would.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from engine.accounts.demo_staff import demo_organisations
from engine.accounts.demo_staff import demo_users
from engine.clock import FixedClock
from engine.config import Settings
from engine.execution.runtime import Actor
from engine.services import Services
from engine.store.models import Case
from engine.store.models import Organisation
from engine.store.models import Task
from engine.store.models import User
from tests.web import openapi_check
from web import create_app

WEBLIB = Path(__file__).resolve().parent.parent / "fixtures" / "weblib"
PASSWORD = "correct horse battery"
PASSWORD_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")  # cheap on purpose: tests only
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

INTAKE = {
    "client_name": "山田 花子",
    "insured_number": "0123456789",
    "consultation_date": "2026-05-01",
    "route": "phone",
    "consent": True,
    "goals": [{"goal": "自宅で入浴できる"}],
}


@pytest.fixture
def web_services(database_url: str, shared_cache_dir: Path) -> Iterator[Services]:
    settings = Settings(
        database_url, WEBLIB, secret_key="test-secret-key-of-at-least-32-bytes", cache_dir=shared_cache_dir
    )
    services = Services(settings, {}, {})
    yield services
    services.engine.dispose()


@contextlib.contextmanager
def made_app(services: Services, clock: FixedClock, **config: Any) -> Iterator[Flask]:
    """An app whose database connections are closed afterwards (PostgreSQL warns about ones left open)."""
    from web.extensions import db

    app = create_app(services=services, config=config, clock=clock)
    openapi_check.install(app)  # every /api answer of every web test matches the generated document
    try:
        yield app
    finally:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(web_services: Services, clock: FixedClock) -> Iterator[Flask]:
    with made_app(web_services, clock, TESTING=True) as app:
        yield app


@pytest.fixture
def db_session(web_services: Services):
    with web_services.sessions() as session:
        yield session


@pytest.fixture
def runtime(web_services: Services, clock: FixedClock):
    return web_services.runtime(clock)


@dataclass
class Person:
    key: str
    login: str
    user_id: int
    organisation_id: int
    role: str

    def actor(self) -> Actor:
        return Actor(user_id=self.user_id, organisation_id=self.organisation_id, role=self.role)


@dataclass
class World:
    people: dict[str, Person]
    orgs: dict[str, Organisation]

    def __getitem__(self, key: str) -> Person:
        return self.people[key]


@pytest.fixture
def world(db_session, web_services: Services) -> World:
    """Staff of both municipalities: alpha.center (1st center), alpha.center2, alpha.office, … beta.center."""
    people: dict[str, Person] = {}
    orgs: dict[str, Organisation] = {}
    for key in ("alpha", "beta"):
        by_role = demo_organisations(db_session, web_services.library.municipality(key))
        for role, organisations in by_role.items():
            for index, org in enumerate(organisations, 1):
                orgs[f"{key}.{role}" + ("" if index == 1 else str(index))] = org
        named = [(name, org, 1) for name, org in orgs.items() if name.startswith(f"{key}.")]
        named.append((f"{key}.center.b", by_role["center"][0], 2))
        staff = demo_users(db_session, [(org, index) for _, org, index in named], password_hash=PASSWORD_HASH)
        for (name, org, _), user in zip(named, staff, strict=True):
            people[name] = Person(name, user.login, user.id, org.id, org.role)
    db_session.commit()
    return World(people, orgs)


@pytest.fixture
def case(db_session, runtime, world: World) -> Case:
    orgs = world.orgs
    opened = runtime.open_case(
        db_session,
        "alpha",
        world["alpha.center"].actor(),
        client_name="山田 花子",
        insured_number="0123456789",
        care_level="shien1",
        center_org_id=orgs["alpha.center"].id,
        office_org_id=orgs["alpha.office"].id,
        insurer_org_id=orgs["alpha.insurer"].id,
        provider_org_id=orgs["alpha.provider"].id,
    )
    runtime.start(db_session, opened.id, "new_case", actor=world["alpha.center"].actor())
    return opened


def ready_task(session, case_id: int, bpmn_id: str) -> Task:
    session.expire_all()
    return session.scalars(
        select(Task).where(Task.case_id == case_id, Task.bpmn_id == bpmn_id, Task.state == "ready")
    ).one()


class Browser:
    """A signed-in test client that sends the page's CSRF token with every form, like a browser would."""

    def __init__(self, client: FlaskClient, person: Person | None) -> None:
        self.client = client
        self.person = person
        self.token = ""

    def refresh_token(self, url: str = "/") -> str:
        page = self.client.get(url)
        found = CSRF.search(page.get_data(as_text=True))
        assert found, f"no CSRF token on {url}"
        self.token = found.group(1)
        return self.token

    def get(self, url: str, **kwargs: Any):
        return self.client.get(url, **kwargs)

    def post(self, url: str, data: Any = None, **kwargs: Any):
        if isinstance(data, list):
            fields = [*data, ("csrf_token", self.token)]
        else:
            fields = {**(data or {}), "csrf_token": self.token}
        return self.client.post(url, data=fields, **kwargs)


def sign_in(client: FlaskClient, login: str, password: str = PASSWORD):
    page = client.get("/login")
    token = CSRF.search(page.get_data(as_text=True)).group(1)
    return client.post("/login", data={"login": login, "password": password, "csrf_token": token})


@pytest.fixture
def login_as(app: Flask, world: World):
    """`login_as(key)`: a new client signed in as that person (e.g. "alpha.center")."""

    def make(key: str) -> Browser:
        client = app.test_client()
        person = world[key]
        response = sign_in(client, person.login)
        assert response.status_code == 302, response.get_data(as_text=True)
        browser = Browser(client, person)
        browser.refresh_token()
        return browser

    return make


def user(session, login: str) -> User:
    session.expire_all()
    return session.scalars(select(User).where(User.login == login)).one()
