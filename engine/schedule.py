"""The case's schedule of duties, and claiming due timers for the worker.

Monthly duties (モニタリング each month of a plan) are short process instances started when they come due,
so a case can run for years while every instance stays small (ARCHITECTURE.md: the depth-1000 stall).
"""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Mapping
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from engine.clock import to_datetime
from engine.deadlines import add_months
from engine.models import Case
from engine.models import Timer

MONITORING_PROCESS = "monthly_monitoring"
CLAIM_SECONDS = 300
"""A worker that dies mid-fire loses its claim after this long, and another worker fires the timer."""


def months(start: date, end: date) -> Iterator[date]:
    """First days of each month from start's month to end's month, inclusive."""
    current = date(start.year, start.month, 1)
    while current <= end:
        yield current
        current = add_months(current, 1)


def monitoring_months(case: Case, params: Mapping[str, Any]) -> list[date]:
    """The months of the current plan that need a monitoring record (DOMAIN.md §11.1: every month)."""
    if case.status != "open" or not case.plan_start or not case.plan_end:
        return []
    if case.care_management_type == "C":
        return []  # ケアマネジメントC: no monitoring (000:330-332)
    return list(months(case.plan_start, case.plan_end))


def sync_duties(session: Session, case: Case, params: Mapping[str, Any]) -> None:
    """Make the unfired duty timers match the case's current plan; fired ones are history and stay."""
    wanted = {}
    for month in monitoring_months(case, params):
        period = f"{month:%Y-%m}"
        fire_at = to_datetime(max(month, case.plan_start or month))
        wanted[f"{MONITORING_PROCESS}:{period}"] = (fire_at, period)
    existing = session.scalars(select(Timer).where(Timer.case_id == case.id, Timer.kind == "duty")).all()
    for row in existing:
        if row.fired_at is None and row.key not in wanted:
            session.delete(row)
    have = {row.key for row in existing}
    for key, (fire_at, period) in wanted.items():
        if key in have:
            continue
        session.add(
            Timer(
                case_id=case.id,
                kind="duty",
                key=key,
                fire_at=fire_at,
                payload={"process_key": MONITORING_PROCESS, "period": period, "data": {"month": period}},
            )
        )


def cancel_duties(session: Session, case: Case) -> None:
    session.execute(delete(Timer).where(Timer.case_id == case.id, Timer.fired_at.is_(None)))


def claim_next(session: Session, worker: str, now: datetime) -> int | None:
    """Claim the earliest due, unclaimed timer for this worker and commit the claim; None if none is due.

    Due means strictly before now, as Spiff's own timer check is.

    On PostgreSQL, SKIP LOCKED lets several workers claim different timers without waiting on each other;
    the claim itself is a conditional UPDATE, so two workers never fire the same timer.
    """
    query = (
        select(Timer.id)
        .where(
            Timer.fired_at.is_(None),
            Timer.fire_at < now,
            or_(Timer.claimed_until.is_(None), Timer.claimed_until < now),
        )
        .order_by(Timer.fire_at, Timer.id)
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    timer_id = session.scalar(query)
    if timer_id is None:
        session.rollback()
        return None
    result = session.execute(
        update(Timer)
        .where(
            Timer.id == timer_id,
            Timer.fired_at.is_(None),
            or_(Timer.claimed_until.is_(None), Timer.claimed_until < now),
        )
        .values(claimed_by=worker, claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return timer_id if result.rowcount == 1 else claim_next(session, worker, now)
