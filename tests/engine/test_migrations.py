"""The Alembic migrations build exactly the schema the models describe, on each backend, from an empty database."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from engine.db import alembic_config
from engine.db import make_engine
from engine.db import upgrade
from engine.models import Base


def test_one_head(tmp_path):
    heads = ScriptDirectory.from_config(alembic_config(f"sqlite:///{tmp_path / 'x.sqlite3'}")).get_heads()
    assert len(heads) == 1, f"マイグレーションの先頭が複数あります: {heads}"


def _drift(url: str) -> list:
    upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()


def test_migrations_match_the_models_on_sqlite(tmp_path):
    assert _drift(f"sqlite:///{tmp_path / 'migrated.sqlite3'}") == []


def test_migrations_match_the_models_on_postgresql(empty_postgres_url):
    assert _drift(empty_postgres_url) == []
