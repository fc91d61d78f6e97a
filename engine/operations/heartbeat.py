"""Workers' heartbeats: each tick of `kaigoflow worker` (and each `kaigoflow tick`) is recorded in the database, so
/healthz can tell whether timers and duties are being fired, from any web server of the deployment."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.store.models import WorkerHeartbeat

STALE_SECONDS = 300
"""A worker not heard of for this long (ten of its default 30-second intervals) is taken as stopped."""


def beat(session: Session, worker: str, now: datetime, fired: int = 0) -> None:
    """Record one tick of `worker` (committed: a heartbeat must not wait for other work)."""
    row = session.get(WorkerHeartbeat, worker)
    if row is None:
        session.add(WorkerHeartbeat(name=worker, started_at=now, last_tick_at=now, fired=fired))
    else:
        row.last_tick_at = now
        row.fired += fired
    session.commit()


def last_tick(session: Session) -> datetime | None:
    """The newest tick of any worker, or None when no worker has ever run."""
    return session.scalar(select(func.max(WorkerHeartbeat.last_tick_at)))
