"""A database that `kaigoflow init-db` never created: one Japanese page saying what to run, never a 500."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from engine.store.db import make_engine
from engine.store.db import upgrade
from engine.store.models import Base
from tests.web.conftest import made_app


@pytest.fixture(autouse=True)
def no_revision_left_behind(database_url):
    """The PostgreSQL database is the session's: a revision row left here would make every later test's app 503."""
    yield
    _drop_revision(database_url)


def _drop_revision(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


def _drop_everything(url: str) -> None:
    engine = make_engine(url)
    Base.metadata.drop_all(engine)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


def test_every_page_says_to_run_init_db(web_services, database_url, clock):
    _drop_everything(database_url)
    with made_app(web_services, clock, TESTING=True) as app:
        client = app.test_client()
        for path in ("/", "/login", "/cases", "/deadlines"):
            response = client.get(path)
            assert response.status_code == 503, path
            page = response.get_data(as_text=True)
            assert "データベースが初期化されていません" in page
            assert "kaigoflow init-db" in page
        api = client.get("/api/tasks")
        assert api.status_code == 503 and "kaigoflow init-db" in api.get_json()["message"]
        with client.get("/static/css/app.css") as css:  # closed: a file response left open warns
            assert css.status_code == 200
        # Running init-db while the app is up is enough: no restart.
        upgrade(database_url)
        assert client.get("/login").status_code == 200


def test_a_database_behind_the_newest_migration_asks_for_init_db(web_services, database_url, clock):
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        connection.execute(text("INSERT INTO alembic_version VALUES ('0000_older')"))
    engine.dispose()
    with made_app(web_services, clock, TESTING=True) as app:
        response = app.test_client().get("/login")
        assert response.status_code == 503
        assert "データベースの更新が必要です" in response.get_data(as_text=True)
