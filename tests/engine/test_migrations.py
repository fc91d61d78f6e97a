"""The Alembic migrations build exactly the schema the models describe, on each backend, from an empty database."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from engine.store.db import alembic_config
from engine.store.db import make_engine
from engine.store.db import upgrade
from engine.store.models import Base


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


def _migrate_cases(url: str) -> dict[str, tuple[str, bool]]:
    """Cases written under 0005 (one `delegated` flag), then upgraded to head: name -> (planner, delegated)."""
    from alembic import command
    from sqlalchemy import text

    command.upgrade(alembic_config(url), "0005_schedules_and_risks")
    engine = make_engine(url)
    rows = [
        # (client_name, care_level, delegated, has a center)
        ("委託の要支援", "shien2", True, True),
        ("包括直営の要支援", "shien1", False, True),
        ("包括のない要介護", "kaigo2", False, False),
        ("包括のある要介護", "kaigo3", False, True),
        ("委託の要介護", "kaigo1", True, True),
    ]
    try:
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO organisation (id, name, role, municipality) VALUES (1, '包括', 'center', 'demo')")
            )
            for name, level, delegated, center in rows:
                conn.execute(
                    text(
                        "INSERT INTO care_case (municipality, client_name, care_level, delegated, center_org_id,"
                        " status, data, created_at, version)"
                        " VALUES ('demo', :name, :level, :delegated, :center, 'open', '{}', CURRENT_TIMESTAMP, 1)"
                    ),
                    {"name": name, "level": level, "delegated": delegated, "center": 1 if center else None},
                )
        upgrade(url)
        with engine.connect() as conn:
            found = conn.execute(text("SELECT client_name, planner, delegated FROM care_case")).all()
    finally:
        engine.dispose()
    return {name: (planner, bool(delegated)) for name, planner, delegated in found}


EXPECTED_AFTER_0006 = {
    "委託の要支援": ("office", True),
    "包括直営の要支援": ("center", False),
    "包括のない要介護": ("office", False),
    "包括のある要介護": ("center", False),
    "委託の要介護": ("office", True),
}


def test_0006_moves_delegated_into_planner_without_loss_on_sqlite(tmp_path):
    assert _migrate_cases(f"sqlite:///{tmp_path / 'facts.sqlite3'}") == EXPECTED_AFTER_0006


def test_0006_moves_delegated_into_planner_without_loss_on_postgresql(empty_postgres_url):
    assert _migrate_cases(empty_postgres_url) == EXPECTED_AFTER_0006


def _proxy_receipt_up_and_down(url: str) -> tuple[list, list[str]]:
    """An office written under 0009, upgraded to head (no 代理受領委任状 date yet) and downgraded again."""
    from alembic import command
    from sqlalchemy import inspect
    from sqlalchemy import text

    config = alembic_config(url)
    command.upgrade(config, "0009_export_job")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO organisation (id, name, role, municipality) VALUES (1, '居宅', 'office', 'demo')")
            )
        upgrade(url)
        with engine.connect() as conn:
            after_up = conn.execute(text("SELECT name, proxy_receipt_mandate_filed_on FROM organisation")).all()
        command.downgrade(config, "0009_export_job")
        engine.dispose()
        columns = [c["name"] for c in inspect(engine).get_columns("organisation")]
        with engine.connect() as conn:
            names = [row[0] for row in conn.execute(text("SELECT name FROM organisation"))]
    finally:
        engine.dispose()
    return [tuple(row) for row in after_up], [*names, *(c for c in columns if c.startswith("proxy"))]


def test_0010_adds_the_proxy_receipt_date_and_removes_it_on_sqlite(tmp_path):
    assert _proxy_receipt_up_and_down(f"sqlite:///{tmp_path / 'proxy.sqlite3'}") == ([("居宅", None)], ["居宅"])


def test_0010_adds_the_proxy_receipt_date_and_removes_it_on_postgresql(empty_postgres_url):
    assert _proxy_receipt_up_and_down(empty_postgres_url) == ([("居宅", None)], ["居宅"])


def _generations_after_0012(url: str) -> list:
    """Cases written under 0011 (no generation until a schedule row was written), upgraded to head."""
    from alembic import command
    from sqlalchemy import text

    command.upgrade(alembic_config(url), "0011_schedule_generation")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            for name in ("受付中の一", "受付中の二", "受付中の三"):
                conn.execute(
                    text(
                        "INSERT INTO care_case (municipality, client_name, planner, delegated, status, data,"
                        " created_at, version)"
                        " VALUES ('demo', :name, 'center', false, 'open', '{}', CURRENT_TIMESTAMP, 1)"
                    ),
                    {"name": name},
                )
        upgrade(url)
        with engine.connect() as conn:
            return [row[0] for row in conn.execute(text("SELECT schedule_generation FROM care_case"))]
    finally:
        engine.dispose()


def test_0012_gives_every_case_its_own_generation_on_sqlite(tmp_path):
    found = _generations_after_0012(f"sqlite:///{tmp_path / 'generation.sqlite3'}")
    assert None not in found and len(set(found)) == 3, found


def test_0012_gives_every_case_its_own_generation_on_postgresql(empty_postgres_url):
    found = _generations_after_0012(empty_postgres_url)
    assert None not in found and len(set(found)) == 3, found
