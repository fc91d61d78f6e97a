"""The case's schedule of duties, and claiming due timers for the worker.

Monthly duties (モニタリング each month of a plan) are short process instances started when they come due,
so a case can run for years while every instance stays small (ARCHITECTURE.md: the depth-1000 stall).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from engine.clock import JST
from engine.clock import to_datetime
from engine.scheduling import compliance
from engine.scheduling import duties
from engine.store.models import Case
from engine.store.models import Document
from engine.store.models import Event
from engine.store.models import Risk
from engine.store.models import ScheduleItem
from engine.store.models import Task
from engine.store.models import Timer

MONITORING_PROCESS = "monthly_monitoring"
RENEWAL_PROCESS = "renewal"
RENEWAL_LEAD_DAYS = 60
EXCLUSIVE_FLOWS = ("renewal", "level_change", "provisional_plan")
"""While one of these runs for the case, the worker does not start a 更新 beside it."""
RECORD_EVENTS = ("duty_recorded", "duty_record_withdrawn", "special_circumstances_recorded")
CLAIM_SECONDS = 300
"""A worker that dies mid-fire loses its claim after this long, and another worker fires the timer."""


def monitoring_months(
    case: Case, params: Mapping[str, Any], plans: list[duties.Plan], today: date
) -> list[tuple[date, date]]:
    """(month, plan start) for each month that needs a monitoring record (DOMAIN.md §11.1: every month).

    The months of a plan replaced mid-period run until the new plan starts (engine.scheduling.duties.plans).
    """
    if case.status != "open" or not duties.monitored(case, params):
        return []  # ケアマネジメントC: no monitoring (000:330-332)
    found: dict[date, date] = {}
    earliest = today - RECORDS_LOOKBACK
    for plan in plans:
        # Every month since the plan started (a month missed during downtime still gets its duty, once), back to
        # the records' look-back: older months' timers have fired long ago and are history.
        for month in duties.plan_months(plan, today, since=max(plan.start, earliest)):
            found[month] = max(month, plan.start)
    return sorted(found.items())


def renewal_start(case: Case) -> date | None:
    """When the worker starts the 更新 flow: 60 days before the certification ends (DOMAIN.md §6.2 [N])."""
    if case.status != "open" or not case.certification_end or case.care_level in (None, "pending", "higaito"):
        return None
    return case.certification_end - timedelta(days=RENEWAL_LEAD_DAYS)


def sync_duties(
    session: Session,
    case: Case,
    params: Mapping[str, Any],
    plans: list[duties.Plan],
    today: date,
    checks: set[date] | None = None,
    visit_months: frozenset[str] = frozenset(),
) -> None:
    """Make the unfired duty and check timers match the case's schedule; fired ones are history and stay.

    Duties start a process (a month's モニタリング, the 更新 before the certification ends); checks only
    re-evaluate the case's schedule and risks the day after a due date, so a missed duty is noticed on time.
    A month's モニタリング starts with what the schedule requires of it: `home_visit_required` when the month is in
    `visit_months` (its home-visit duty, from the monitoring_requirement decision, is not done yet), which its
    handler enforces. An unfired timer's start data follows the schedule (a visit earlier in a 3-month period
    does the last month's duty, so that month starts without the requirement).
    """
    wanted: dict[tuple[str, str], tuple[datetime, dict[str, Any]]] = {}
    for month, first_day in monitoring_months(case, params, plans, today):
        period = f"{month:%Y-%m}"
        fire_at = to_datetime(first_day)
        data = {"month": period, "home_visit_required": period in visit_months}
        payload = {"process_key": MONITORING_PROCESS, "period": period, "data": data}
        wanted[("duty", f"{MONITORING_PROCESS}:{period}")] = (fire_at, payload)
    renewal = renewal_start(case)
    if renewal is not None and case.certification_end is not None:
        end = case.certification_end.isoformat()
        payload = {
            "process_key": RENEWAL_PROCESS,
            "period": end,
            "data": {},
            "unless_running": list(EXCLUSIVE_FLOWS),
            "unless_started_since": (case.certification_start or renewal).isoformat(),
        }
        wanted[("duty", f"{RENEWAL_PROCESS}:{end}")] = (to_datetime(renewal), payload)
    for day in checks or set():
        wanted[("check", f"check:{day.isoformat()}")] = (to_datetime(day), {})
    # Fired timers are history: only the unfired ones and the ones wanted again are needed (a case runs for years).
    existing = session.scalars(
        select(Timer).where(
            Timer.case_id == case.id,
            Timer.kind.in_(("duty", "check")),
            or_(Timer.fired_at.is_(None), Timer.key.in_([key for _kind, key in wanted])),
        )
    ).all()
    for row in existing:
        if row.fired_at is None and (row.kind, row.key) not in wanted:
            session.delete(row)
    have = {(row.kind, row.key) for row in existing}
    for row in existing:
        if row.fired_at is None and (row.kind, row.key) in wanted and row.payload != wanted[(row.kind, row.key)][1]:
            row.payload = wanted[(row.kind, row.key)][1]
    for (kind, key), (fire_at, payload) in wanted.items():
        if (kind, key) in have:
            continue
        session.add(Timer(case_id=case.id, kind=kind, key=key, fire_at=fire_at, payload=payload))


def refresh(
    session: Session,
    case: Case,
    params: Mapping[str, Any],
    decide: duties.Decide | None,
    now: datetime,
) -> list[ScheduleItem]:
    """Recompute the case's schedule rows, risks and timers from the case and its records (one transaction).

    Rows of duties that no longer apply (a plan or level change moved them) are removed unless they are history
    (done, missed or excused); a risk that no longer holds is cleared, one that holds again is raised again.
    """
    today = duties.japan_date(now)
    # The open rows are read once: they give the oldest open due date (how far back to read records) and are the
    # rows kept in step below.
    open_rows = session.scalars(
        select(ScheduleItem).where(ScheduleItem.case_id == case.id, ScheduleItem.status == "open")
    ).all()
    oldest_open = min((row.due_date for row in open_rows), default=None)
    records = gather(session, case, since=min(oldest_open or today, today) - RECORDS_LOOKBACK)
    items = duties.compute(case, params, records, decide, today, since=oldest_open)
    orgs = {role: _organisation(case, role) for role in ("center", "office", "provider")}
    user_id = care_manager(session, case)
    # Rows that are history (done, missed, excused and no longer computed) are not loaded again; computed ones that
    # are not open are read only when there are some.
    rows = {row.key: row for row in open_rows}
    others = [item.key for item in items if item.key not in rows]
    if others:
        query = select(ScheduleItem).where(ScheduleItem.case_id == case.id, ScheduleItem.key.in_(others))
        rows.update({row.key: row for row in session.scalars(query)})
    keep = set()
    for item in items:
        keep.add(item.key)
        row = rows.get(item.key)
        if row is None:
            row = ScheduleItem(case_id=case.id, key=item.key, updated_at=now)
            session.add(row)
            rows[item.key] = row
        values = {
            "duty": item.duty,
            "period": item.period,
            "window_start": item.window_start,
            "due_date": item.due_date,
            "status": item.status(today),
            "done_on": item.done_on,
            "role": item.role,
            "organisation_id": orgs.get(item.role),
            "user_id": user_id if item.role in ("center", "office") else None,
            "rule": item.kind.rule,
            "source": duties.source_of(item.duty, case.municipality),
            "detail": {**item.detail, **({"excuse": item.excuse} if item.excuse else {})},
        }
        changed = {k: v for k, v in values.items() if getattr(row, k) != v}
        for key, value in changed.items():
            setattr(row, key, value)
        if changed:
            row.updated_at = now
    for key, row in rows.items():
        if key in keep:
            continue
        if row.status == "open" and row.due_date < today:
            row.status, row.updated_at = "missed", now  # it passed before anyone recomputed: history now
        if row.status == "open":
            session.delete(row)
    _sync_risks(session, case, params, items, records, today, now, orgs, user_id, keep)
    checks = {item.due_date + timedelta(days=1) for item in items if item.status(today) == "open"}
    checks |= compliance.upcoming(case, records, today)
    # A month needs its home visit while its duty is not done (a visit earlier in the 3-month period does it).
    visits = frozenset(item.period for item in items if item.duty == "home_visit" and item.done_on is None)
    sync_duties(session, case, params, duties.plans(case, records, today), today, checks, visits)
    return [rows[k] for k in keep]


def _sync_risks(
    session: Session,
    case: Case,
    params: Mapping[str, Any],
    items: list[duties.Item],
    records: duties.Records,
    today: date,
    now: datetime,
    orgs: Mapping[str, int | None],
    user_id: int | None,
    computed: set[str],
) -> None:
    """Raise what holds, clear what no longer does; a risk of a duty no longer computed (history) stays as it is."""
    found = {risk.key: risk for risk in compliance.find(case, params, items, records, today)}
    rows = {
        row.key: row
        for row in session.scalars(
            select(Risk).where(Risk.case_id == case.id, or_(Risk.cleared_at.is_(None), Risk.key.in_(list(found))))
        )
    }
    for key, row in rows.items():
        if key not in found and row.cleared_at is None and (row.duty_key is None or row.duty_key in computed):
            row.cleared_at = now
    for key, risk in found.items():
        row = rows.get(key)
        if row is None:
            row = Risk(case_id=case.id, key=key, raised_at=now)
            session.add(row)
        elif row.cleared_at is not None:
            row.cleared_at, row.raised_at = None, now
        row.code, row.duty_key, row.since = risk.code, risk.duty_key, risk.since
        row.severity = compliance.severity(risk.code, case)
        row.organisation_id = orgs.get(risk.role)
        row.user_id = user_id if risk.role in ("center", "office") else None
        row.rule, row.source = risk.kind.rule, risk.kind.source


RECORDS_LOOKBACK = timedelta(days=400)
"""How far back every document is read: a plan period (≤ 12 months) and the visit periods before it. Older ones
count only as the latest of their form (the contract, the plan in force, the last equipment consultation), so a
ten-year case reads as much on each refresh as a one-year case does."""


def gather(session: Session, case: Case, since: date | None = None) -> duties.Records:
    """The case's documents (oldest first: all since `since`, and the latest of each form before it) and the events
    that record duties done or excused."""
    records = duties.Records()
    columns = (Document.form, Document.submitted_at, Document.data, Document.id)
    query = select(*columns).where(Document.case_id == case.id)
    if since is not None:
        cutoff = datetime.combine(since, datetime.min.time(), tzinfo=JST)
        latest_before = (
            select(func.max(Document.id))
            .where(Document.case_id == case.id, Document.submitted_at < cutoff)
            .group_by(Document.form)
        )
        query = query.where(or_(Document.submitted_at >= cutoff, Document.id.in_(latest_before)))
    for form, at, data, _id in session.execute(query.order_by(Document.submitted_at, Document.id)):
        records.documents.append((form, duties.japan_date(at), data or {}))
    events = select(Event.kind, Event.at, Event.detail).where(Event.case_id == case.id, Event.kind.in_(RECORD_EVENTS))
    if since is not None:
        # Duties older than `since` are history rows that are no longer recomputed: their records are not needed.
        events = events.where(Event.at >= datetime.combine(since, datetime.min.time(), tzinfo=JST))
    for kind, at, detail in session.execute(events.order_by(Event.at, Event.id)):
        key = (detail or {}).get("schedule_key")
        if not key:
            continue
        if kind == "duty_recorded":
            records.recorded[key] = duties.as_date(detail.get("done_on")) or duties.japan_date(at)
        elif kind == "duty_record_withdrawn":
            records.recorded.pop(key, None)
        elif kind == "special_circumstances_recorded":
            records.excused[key] = str(detail.get("reason", ""))
    return records


def care_manager(session: Session, case: Case) -> int | None:
    """The staff member who holds the case: whoever last completed or claimed a task of the planner's organisation."""
    org = _organisation(case, duties.planner_role(case))
    if org is None:
        return None
    row = session.execute(
        select(Task.completed_by_id, Task.claimed_by_id)
        .where(Task.case_id == case.id, Task.organisation_id == org)
        .where((Task.completed_by_id.is_not(None)) | (Task.claimed_by_id.is_not(None)))
        .order_by(func.coalesce(Task.completed_at, Task.claimed_at).desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return row[0] or row[1]


def _organisation(case: Case, role: str) -> int | None:
    value: int | None = getattr(case, f"{role}_org_id", None)
    return value


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
