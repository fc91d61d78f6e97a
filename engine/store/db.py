"""Database engines and schema migration (Alembic), for SQLite and PostgreSQL alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy import create_engine
from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def engine_options(url: str) -> dict[str, Any]:
    """The settings each backend needs to be safe under concurrent use: this module's engines and the web's
    (Flask-SQLAlchemy's `SQLALCHEMY_ENGINE_OPTIONS`) take them from here."""
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30}}
    return {"pool_pre_ping": True}


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine with `engine_options`, and SQLite's pragmas on every connection."""
    if url.startswith("sqlite") and ":///" in url and not url.endswith(":memory:") and url != "sqlite://":
        Path(url.split(":///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **{**engine_options(url), **kwargs})
    if url.startswith("sqlite"):
        event.listen(engine, "connect", sqlite_pragmas)
    return engine


def sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Connect hook for every SQLite engine (this module's and Flask-SQLAlchemy's)."""
    # WAL lets the web app read while the worker writes; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    """Create or migrate the schema to the newest revision."""
    from alembic import command

    command.upgrade(alembic_config(url), "head")
