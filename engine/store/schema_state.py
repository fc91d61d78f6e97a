"""Whether a database is ready for the app: reachable, created by `kaigoflow init-db`, and at the newest revision.

The web app asks before its first request is served (and again until the answer is yes), so a database that
init-db never created gets a Japanese page saying what to run instead of a 500 on every page.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import Engine
from sqlalchemy import inspect
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from engine.store.db import alembic_config
from engine.store.models import Base

READY = "ready"
UNREACHABLE = "unreachable"
MISSING = "missing"
OUTDATED = "outdated"


@cache
def head_revision() -> str | None:
    """The newest migration of engine/migrations (read once per process)."""
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    return heads[0] if len(heads) == 1 else None


def check(engine: Engine) -> str:
    """READY, UNREACHABLE (no connection), MISSING (tables not created) or OUTDATED (an older migration)."""
    try:
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            if not set(Base.metadata.tables) <= tables:
                return MISSING
            if "alembic_version" not in tables:
                return READY  # made by metadata.create_all (tests): no revision to compare
            revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        return UNREACHABLE
    head = head_revision()
    return OUTDATED if head is not None and revision != head else READY
