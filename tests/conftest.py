"""Fixtures that compose: a clock, a database per backend, the real library, a runtime, a session.

Every database test runs on SQLite and, when one is reachable, on PostgreSQL (a throw-away database per run;
KAIGOFLOW_TEST_POSTGRES_URL names the server, default postgresql://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy import text
from sqlalchemy.engine import make_url

import handlers
from engine.clock import FixedClock
from engine.config import Settings
from engine.db import make_engine
from engine.db import session_factory
from engine.models import Base
from engine.services import Services

ROOT = Path(__file__).resolve().parent.parent
PROCESSES = ROOT / "processes"
FIXTURE_LIBRARY = Path(__file__).resolve().parent / "fixtures" / "library"
POSTGRES_SERVER = os.environ.get("KAIGOFLOW_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _postgres_reachable() -> str | None:
    """None when reachable, else the reason (shown in the skip)."""
    try:
        engine = create_engine(POSTGRES_SERVER, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return None
    except Exception as exc:  # any failure to connect means: skip, with the reason
        return f"PostgreSQL に接続できません: {type(exc).__name__}"


@contextmanager
def _throwaway_postgres_database() -> Iterator[str]:
    reason = _postgres_reachable()
    if reason:
        pytest.skip(reason)
    name = f"kaigoflow_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_SERVER).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """One database for the session; `database_url` empties it for each test."""
    with _throwaway_postgres_database() as url:
        yield url


@pytest.fixture
def empty_postgres_url() -> Iterator[str]:
    """A database of its own that nothing else has touched (for migrations run from nothing)."""
    with _throwaway_postgres_database() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database with the current schema, on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    engine.dispose()
    yield url


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(date(2026, 5, 1))


@pytest.fixture
def services(database_url: str) -> Services:
    """The real library and handlers on a fresh database."""
    settings = Settings(database_url=database_url, processes_dir=PROCESSES)
    svc = Services(settings, handlers.form_handlers(), handlers.python_decisions())
    yield svc
    svc.engine.dispose()


@pytest.fixture
def fixture_services(database_url: str) -> Services:
    """The tiny synthetic library under tests/fixtures, for engine edge cases."""
    settings = Settings(database_url=database_url, processes_dir=FIXTURE_LIBRARY)
    svc = Services(settings, {}, {"score": lambda inputs, params: {"high": inputs["points"] >= 50}})
    yield svc
    svc.engine.dispose()


@pytest.fixture
def session(fixture_services: Services):
    with fixture_services.sessions() as s:
        yield s


@pytest.fixture
def runtime(fixture_services: Services, clock: FixedClock):
    return fixture_services.runtime(clock)


def sessions_for(url: str):
    return session_factory(make_engine(url))
