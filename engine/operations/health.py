"""The health of a deployment as a load balancer asks it: the database answers, its schema is the code's newest
migration, and a worker has ticked recently (timers and duties are being fired). Read by /healthz."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from engine.operations import heartbeat
from engine.store.db import MIGRATIONS


@cache
def head_revision() -> str:
    """The newest migration of this code (read once: the files do not change while it runs)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    heads = ScriptDirectory.from_config(config).get_heads()
    return ",".join(sorted(heads))


@dataclass(frozen=True)
class Health:
    database: bool
    revision: str | None
    last_tick: datetime | None
    now: datetime
    stale_seconds: int = heartbeat.STALE_SECONDS

    @property
    def migrations_at_head(self) -> bool:
        return self.revision == head_revision()

    @property
    def worker_seconds_ago(self) -> int | None:
        return None if self.last_tick is None else max(0, int((self.now - self.last_tick).total_seconds()))

    @property
    def worker_ok(self) -> bool:
        ago = self.worker_seconds_ago
        return ago is not None and ago <= self.stale_seconds

    @property
    def ok(self) -> bool:
        return self.database and self.migrations_at_head and self.worker_ok

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": "ok" if self.ok else "unavailable",
            "database": {"ok": self.database},
            "migrations": {"ok": self.migrations_at_head, "current": self.revision, "head": head_revision()},
            "worker": {
                "ok": self.worker_ok,
                "last_tick": self.last_tick.isoformat() if self.last_tick else None,
                "seconds_ago": self.worker_seconds_ago,
                "stale_after_seconds": self.stale_seconds,
            },
        }


def check(session: Session, now: datetime, stale_seconds: int = heartbeat.STALE_SECONDS) -> Health:
    try:
        session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        session.rollback()
        return Health(False, None, None, now, stale_seconds)
    try:
        revision = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        session.rollback()
        revision = None  # never migrated (a database made some other way)
    try:
        last = heartbeat.last_tick(session)
    except SQLAlchemyError:
        session.rollback()
        last = None
    session.rollback()  # read only: end the transaction
    return Health(True, revision, last, now, stale_seconds)
