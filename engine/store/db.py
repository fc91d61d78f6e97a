"""Database engines and schema migration (Alembic), for SQLite and PostgreSQL alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import CursorResult
from sqlalchemy import Engine
from sqlalchemy import Result
from sqlalchemy import create_engine
from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


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
    return configure_engine(create_engine(url, **{**engine_options(url), **kwargs}))


def configure_engine(engine: Engine) -> Engine:
    """What every engine gets after `engine_options`, this module's and one made elsewhere (Flask-SQLAlchemy's) alike:
    on SQLite, the pragmas on every connection."""
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", sqlite_pragmas)
    return engine


def sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Connect hook for every SQLite engine (configure_engine installs it)."""
    # WAL lets the web app read while the worker writes; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def throwaway_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Connect hook for a SQLite database deleted after use (a scenario's run, a test): commits do not wait for the
    disk (`synchronous=OFF`). What a commit leaves is the same and survives the process being killed; only a crash
    of the machine could lose it, which a throw-away database does not care about. Each wait is milliseconds, and
    a scenario commits after every step."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=OFF")
    cursor.close()


def throwaway_sqlite(path: Path) -> Engine:
    """An engine on a throw-away SQLite file (`throwaway_pragmas` on every connection)."""
    engine = make_engine(f"sqlite:///{path}")
    event.listen(engine, "connect", throwaway_pragmas)
    return engine


def empty_schema_file(path: Path) -> Path:
    """A SQLite file with the current schema and no rows, made once and copied for each throw-away database:
    creating the schema costs more than many a short scenario or test, copying the file a millisecond."""
    from engine.store.models import Base  # the tables import this module's neighbours, not the other way round

    engine = throwaway_sqlite(path)
    Base.metadata.create_all(engine)
    engine.dispose()  # the last connection closed: the WAL is checkpointed into the file, which is all there is
    return path


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def rows_changed(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE changed. Session.execute is typed as returning a Result; for those statements it
    is a CursorResult, the one that counts rows."""
    if not isinstance(result, CursorResult):
        raise TypeError("rows_changed needs the result of an UPDATE or DELETE")
    return result.rowcount


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
