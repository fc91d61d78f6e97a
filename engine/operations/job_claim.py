"""Claiming a queued job (publish, case export) for one worker: the oldest queued, or one whose worker went quiet.

On PostgreSQL the row is locked with SKIP LOCKED so two workers never pick the same job; on SQLite (one writer at
a time) the conditional update alone decides, and the loser looks again.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from typing import TypeVar

from sqlalchemy import and_
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from engine.clock import Clock

Job = TypeVar("Job")


def claim(session: Session, model: type[Job], worker: str, clock: Clock, seconds: int, **reset: Any) -> Job | None:
    """Mark the next claimable job of `model` running for `worker` (with `reset` columns set); None if none."""
    table: Any = model
    now = clock.now()
    claimable = or_(table.status == "queued", and_(table.status == "running", table.claimed_until < now))
    query = select(table.id).where(claimable).order_by(table.id).limit(1)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    job_id = session.scalar(query)
    if job_id is None:
        session.rollback()
        return None
    claimed = session.execute(
        update(table)
        .where(table.id == job_id, claimable)
        .values(
            status="running", claimed_by=worker, claimed_until=now + timedelta(seconds=seconds), started_at=now, **reset
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return claim(session, model, worker, clock, seconds, **reset)  # another worker took it first
    job = session.get(model, job_id)
    if job is not None:
        session.refresh(job)
    return job
