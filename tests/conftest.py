"""Fixtures that compose: a clock, a database per backend, the real library, a runtime, a session.

Every database test runs on SQLite and, when one is reachable, on PostgreSQL (a throw-away database per run;
KAIGOFLOW_TEST_POSTGRES_URL names the server, default postgresql://postgres@127.0.0.1:5432/postgres).

The schema is created once per run and each test starts from it empty: on SQLite as a copy of a template file made
once, on PostgreSQL by deleting every row and restarting the id sequences in one transaction. Creating the schema
for every test cost about half a second on SQLite and a second on PostgreSQL (most of the suite's time); emptying
it costs milliseconds. A test that changes the schema itself (a migration run on `database_url`) is noticed and the
schema is made again.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy import create_engine
from sqlalchemy import event
from sqlalchemy import text
from sqlalchemy.engine import make_url

import handlers
from engine.clock import FixedClock
from engine.config import Settings
from engine.services import Services
from engine.store.db import empty_schema_file
from engine.store.db import make_engine
from engine.store.db import session_factory
from engine.store.db import throwaway_pragmas
from engine.store.models import Base

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


@event.listens_for(Engine, "connect")
def _sqlite_commits_without_fsync(dbapi_connection: Any, record: Any) -> None:
    """Every SQLite connection a test makes, the product's own engines included, is a throw-away database's
    (`db.throwaway_pragmas`): waiting for fsync on each commit was a few milliseconds, several times a test.
    (PostgreSQL's test databases are made with the same setting, `_throwaway_postgres_database`.)"""
    if isinstance(dbapi_connection, sqlite3.Connection):
        throwaway_pragmas(dbapi_connection, record)


@contextmanager
def _throwaway_postgres_database() -> Iterator[str]:
    reason = _postgres_reachable()
    if reason:
        pytest.skip(reason)
    name = f"kaigoflow_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        # Commits do not wait for the WAL to reach the disk (as `_sqlite_commits_without_fsync` for SQLite).
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    url = make_url(POSTGRES_SERVER).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """One database for the session, with the schema; `database_url` empties it for each test."""
    with _throwaway_postgres_database() as url:
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        engine.dispose()
        yield url


@pytest.fixture
def empty_postgres_url() -> Iterator[str]:
    """A database of its own that nothing else has touched (for migrations run from nothing)."""
    with _throwaway_postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with the current schema and no rows, copied for each test."""
    return empty_schema_file(tmp_path_factory.mktemp("schema") / "template.sqlite3")


RESTART_SEQUENCES = (
    "SELECT setval((quote_ident(schemaname) || '.' || quote_ident(sequencename))::regclass, start_value, false) "
    "FROM pg_sequences WHERE schemaname = current_schema()"
)
"""Every id sequence back to its start, as ALTER SEQUENCE … RESTART would: in the same round trip as the deletes,
and without RESTART's new file for each sequence (the emptier took 50 ms instead of 120 under load)."""


class PostgresEmptier:
    """Empties the session's PostgreSQL database for the next test, or makes the schema again if a test changed it."""

    TRIGGERS = ("event_append_only", "event_no_truncate")

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        tables = Base.metadata.sorted_tables
        # Children before parents; the event log's own triggers refuse deletes, so they are off for this one
        # transaction (the table owner may do that; the triggers are back before it commits).
        self.delete = ";".join(
            [
                "ALTER TABLE event DISABLE TRIGGER USER",
                *(f'DELETE FROM "{table.name}"' for table in reversed(tables)),
                "ALTER TABLE event ENABLE TRIGGER USER",
                RESTART_SEQUENCES,
            ]
        )
        self.names = sorted(table.name for table in tables)

    def __call__(self) -> None:
        with self.engine.begin() as conn:
            intact = conn.scalar(
                text(
                    "SELECT (SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() "
                    "AND tablename = ANY(:names)) = :tables AND (SELECT count(*) FROM pg_trigger "
                    "WHERE tgname = ANY(:triggers) AND NOT tgisinternal) = :triggers_n"
                ),
                {
                    "names": self.names,
                    "tables": len(self.names),
                    "triggers": list(self.TRIGGERS),
                    "triggers_n": len(self.TRIGGERS),
                },
            )
            if intact:
                conn.exec_driver_sql(self.delete)
                return
        Base.metadata.drop_all(self.engine)
        Base.metadata.create_all(self.engine)

    def close(self) -> None:
        self.engine.dispose()


@pytest.fixture(scope="session")
def postgres_emptier(postgres_url: str) -> Iterator[PostgresEmptier]:
    emptier = PostgresEmptier(postgres_url)
    yield emptier
    emptier.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database with the current schema, on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "test.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_url")
        request.getfixturevalue("postgres_emptier")()
    yield url


@pytest.fixture(scope="session")
def shared_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache directory for the run: flows parsed by one test are read, not parsed, by the next (the entries
    are keyed by content, so tests cannot see each other's data through it)."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(date(2026, 5, 1))


@pytest.fixture
def services(database_url: str, shared_cache_dir: Path) -> Services:
    """The real library and handlers on a fresh database."""
    settings = Settings(database_url=database_url, processes_dir=PROCESSES, cache_dir=shared_cache_dir)
    svc = Services(settings, handlers.form_handlers(), handlers.python_decisions())
    yield svc
    svc.engine.dispose()


@pytest.fixture
def fixture_services(database_url: str, shared_cache_dir: Path) -> Services:
    """The tiny synthetic library under tests/fixtures, for engine edge cases."""
    settings = Settings(database_url=database_url, processes_dir=FIXTURE_LIBRARY, cache_dir=shared_cache_dir)
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


def _share_url_builders() -> None:
    """Every app a test makes registers the same ~80 routes, and werkzeug compiles two URL-building functions for
    each (Python source, parsed and compiled): 50 ms of the 55 ms a `create_app` costs. The function it makes
    depends only on the rule's text, its parsed parts and its defaults' names, and keeps no reference to the rule
    (the rule is passed in as `self`), so the tests' apps share them. Rules whose defaults fill a part of the URL
    (the built text depends on the default's value) are compiled as before. A werkzeug without these internals
    is left alone."""
    from werkzeug.routing.rules import Rule

    original = getattr(Rule, "_compile_builder", None)
    if original is None:
        return
    built: dict[tuple[Any, ...], Any] = {}

    def shared(self: Rule, append_unknown: bool = True) -> Any:
        defaults = self.defaults or {}
        trace = getattr(self, "_trace", None)
        if trace is None or any(dynamic and part in defaults for dynamic, part in trace):
            return original(self, append_unknown)
        key = (self.rule, tuple(trace), tuple(defaults), append_unknown)
        if key not in built:
            built[key] = original(self, append_unknown)
        return built[key]

    Rule._compile_builder = shared  # type: ignore[method-assign]


_share_url_builders()
