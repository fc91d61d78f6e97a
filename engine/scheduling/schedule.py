"""The case's schedule of duties, and claiming due timers for the worker.

Monthly duties (モニタリング each month of a plan) are short process instances started when they come due,
so a case can run for years while every instance stays small (ARCHITECTURE.md: the depth-1000 stall).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Hashable
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import cast
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import literal
from sqlalchemy import null
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import union_all
from sqlalchemy import update
from sqlalchemy.orm import Session

from engine.clock import JST
from engine.clock import to_datetime
from engine.errors import KaigoflowError
from engine.japanese_dates import as_date
from engine.process_library.decisions import Decisions
from engine.process_library.decisions import own_copy
from engine.process_library.forms import PythonDecision
from engine.scheduling import compliance
from engine.scheduling import duties
from engine.scheduling import rowsync
from engine.scheduling import snapshot
from engine.store.db import rows_changed
from engine.store.direct import Prepared
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
    work: _Working | None = None,
) -> snapshot.TimersFrom:
    """Make the unfired duty and check timers match the case's schedule; fired ones are history and stay.

    Duties start a process (a month's モニタリング, the 更新 before the certification ends); checks only
    re-evaluate the case's schedule and risks the day after a due date, so a missed duty is noticed on time.
    A month's モニタリング starts with what the schedule requires of it: `home_visit_required` when the month is in
    `visit_months` (its home-visit duty, from the monitoring_requirement decision, is not done yet), which its
    handler enforces. An unfired timer's start data follows the schedule (a visit earlier in a 3-month period
    does the last month's duty, so that month starts without the requirement).

    Returns everything the timers wanted were computed from. When they are what the refresh that kept `work`'s copy
    computed them from, the timers it left are the ones wanted (firing one since kept the copy right, and any other
    write to them would have voided it), so nothing is computed, read or written; when only the checks and the
    months' visit requirements differ, only the timers of the days and months that differ are.
    """
    months = monitoring_months(case, params, plans, today)
    renewal = renewal_start(case)
    inputs = snapshot.TimersFrom(
        (tuple(months), renewal, case.certification_start, case.certification_end),
        frozenset(checks or ()),
        visit_months,
    )
    held = None if work is None else work.timers
    previous = work.previous.timer_inputs if work is not None and work.previous is not None else None
    if held is None or previous is None or previous.dates != inputs.dates:
        wanted = _wanted_timers(case, months, renewal, inputs.checks, visit_months)
        scope: Iterable[tuple[str, str]] | None = None
    elif previous == inputs:
        return inputs
    else:
        # The timers held are the ones the previous inputs wanted: only the keys whose timer those wanted differently.
        scope = {("check", f"check:{day.isoformat()}") for day in previous.checks ^ inputs.checks}
        changed = previous.visit_months ^ inputs.visit_months
        changed_months = [m for m in months if f"{m[0]:%Y-%m}" in changed] if changed else []
        scope |= {("duty", f"{MONITORING_PROCESS}:{month:%Y-%m}") for month, _ in changed_months}
        wanted = _wanted_timers(case, changed_months, None, inputs.checks - previous.checks, visit_months)
    existing = _known(session, _TIMERS, case, held, wanted)
    changes = rowsync.Changes()
    for key in existing if scope is None else [key for key in scope if key in existing]:
        row = existing[key]
        if row.values["fired_at"] is not None:
            continue
        if key not in wanted:
            changes.deletes.append(row.id)
        elif row.values["payload"] != wanted[key][1]:
            changes.update(row.id, {"payload": wanted[key][1]})
    for (kind, key), (fire_at, payload) in wanted.items():
        if (kind, key) not in existing:
            changes.inserts.append(
                {"case_id": case.id, "kind": kind, "key": key, "fire_at": fire_at, "payload": payload}
            )
    inserted = changes.write(session, Timer)
    if work is not None:
        changes.apply(existing, _TIMERS.columns, _TIMERS.key, inserted)
        work.wrote |= bool(changes)
        # Fired timers not wanted again are history: the next refresh does not read them either.
        unwanted = [k for k in (existing if scope is None else scope) if k in existing and k not in wanted]
        for key in unwanted:
            if existing[key].values["fired_at"] is not None:
                del existing[key]
        work.timers = existing
    return inputs


def _wanted_timers(
    case: Case,
    months: Iterable[tuple[date, date]],
    renewal: date | None,
    checks: Iterable[date],
    visit_months: frozenset[str],
) -> dict[tuple[str, str], tuple[datetime, dict[str, Any]]]:
    """The duty and check timers wanted, by (kind, key): (when it fires, its payload)."""
    wanted: dict[tuple[str, str], tuple[datetime, dict[str, Any]]] = {}
    for month, first_day in months:
        period = f"{month:%Y-%m}"
        data = {"month": period, "home_visit_required": period in visit_months}
        payload = {"process_key": MONITORING_PROCESS, "period": period, "data": data}
        wanted[("duty", f"{MONITORING_PROCESS}:{period}")] = (to_datetime(first_day), payload)
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
    for day in checks:
        wanted[("check", f"check:{day.isoformat()}")] = (to_datetime(day), {})
    return wanted


def _known(
    session: Session, reader: rowsync.Reader, case: Case, held: dict[Any, rowsync.Stored] | None, wanted: Iterable[Any]
) -> dict[Any, rowsync.Stored]:
    """The stored rows of `reader` (its unsettled ones and those of the `wanted` keys): the held copy, with the keys it
    does not know read now (they may be history), or all of them read now."""
    if held is None:
        return reader.read(session, case_id=case.id, keys=[_plain(key) for key in wanted])
    unknown = [_plain(key) for key in wanted if key not in held]
    if unknown:
        held.update(reader.read(session, case_id=case.id, keys=unknown))
    return held


def _plain(key: Any) -> str:
    """The `key` column of a row key (a timer's is (kind, key))."""
    return key[1] if isinstance(key, tuple) else str(key)


SCHEDULE_COLUMNS = (
    "key",
    "duty",
    "period",
    "window_start",
    "due_date",
    "status",
    "done_on",
    "role",
    "organisation_id",
    "user_id",
    "rule",
    "source",
    "detail",
)
RISK_COLUMNS = ("key", "code", "duty_key", "since", "severity", "organisation_id", "user_id", "rule", "source")


_Results = dict[Hashable, "dict[str, Any] | KaigoflowError"]
_DECISIONS: dict[int, tuple[Mapping[str, Any], Mapping[str, PythonDecision], _Results]] = {}
"""Results of the schedule's decisions by the parameters they were made with (kept with them, so an id is never
reused while its entry lives): the monitoring_requirement of every computed month is asked on each refresh, and a
completion changes the inputs of one or two months at most."""
_DECISIONS_BOUND = 4096


def remembered_decisions(python: Mapping[str, PythonDecision], params: Mapping[str, Any]) -> duties.Decide:
    """The municipality's Python decisions for the schedule, each result remembered for the same inputs: they are
    pure functions of their inputs and the parameters."""
    entry = _DECISIONS.get(id(params))
    if entry is None or entry[0] is not params or entry[1] is not python:
        if len(_DECISIONS) >= 32:
            _DECISIONS.clear()
        entry = _DECISIONS[id(params)] = (params, python, {})
    results = entry[2]
    decisions = Decisions({}, python, params)

    def decide(name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        try:
            # The types too: True and 1 are equal keys, but not equal inputs. The same inputs in another order are
            # another key (a miss, never a wrong result); the rules build theirs in one order.
            values = tuple(inputs.values())
            key: Hashable = (name, tuple(inputs), values, tuple(map(type, values)))
            hash(key)
        except TypeError:  # a list or a mapping among the inputs
            key = name + json.dumps(inputs, sort_keys=True, default=str)
        if key not in results:
            if len(results) >= _DECISIONS_BOUND:
                results.clear()
            try:
                results[key] = decisions.decide(name, inputs)
            except KaigoflowError as refused:  # a month no rule covers is refused on every refresh: remembered too
                results[key] = refused
        result = results[key]
        if isinstance(result, KaigoflowError):
            raise result.with_traceback(None)
        return own_copy(result)  # the caller may change it; the memo keeps its own

    return decide


def refresh(
    session: Session,
    case: Case,
    params: Mapping[str, Any],
    decide: duties.Decide | None,
    now: datetime,
) -> list[str]:
    """Recompute the case's schedule rows, risks and timers from the case and its records (one transaction); return
    the keys of the schedule rows computed.

    Rows of duties that no longer apply (a plan or level change moved them) are removed unless they are history
    (done, missed or excused); a risk that no longer holds is cleared, one that holds again is raised again. Only
    what differs from the stored rows is written (engine.rowsync): a completion changes a few rows of a month. The
    stored rows and the records come from the copy the case's last refresh kept (engine.scheduling.snapshot) while
    nobody wrote its rows since; then only the records added since are read, and what that refresh computed is reused
    where its inputs are equal (snapshot.Computed): no row values are built for an item computed as before, the
    給付管理 section is taken again, the timers are compared only where what they were wanted for changed.
    """
    today = duties.japan_date(now)
    work = _read(session, case, today)
    records, user_id, rows = work.records, work.holder, work.rows
    # Sections of the duties are taken again from the last refresh where their inputs are equal (only from its copy:
    # a refresh that reads everything starts afresh).
    reuse = duties.Reuse(work.previous.sections if work.previous is not None else None)
    items = duties.compute(case, params, records, decide, today, since=work.oldest_open, reuse=reuse)
    orgs = {role: _organisation(case, role) for role in ("center", "office", "provider")}
    # Rows that are history (done, missed, excused and no longer computed) are not read again; computed ones that
    # are not open are read only when there are some.
    others = [item.key for item in items if item.key not in rows]
    if others:
        rows.update(_ROWS_BY_KEY.read(session, case_id=case.id, keys=others))
    changes = rowsync.Changes()
    keep: dict[str, None] = {}
    row_context = (orgs["center"], orgs["office"], orgs["provider"], user_id, case.municipality)
    previous = work.previous
    unchanged = previous.items if previous is not None and previous.row_context == row_context else {}
    computed: dict[str, tuple[duties.Item, str]] = {}
    for item in items:
        keep[item.key] = None
        status = item.status(today)
        computed[item.key] = (item, status)
        if item.key in rows and unchanged.get(item.key) == (item, status):
            continue  # computed as last time, in the same context: its row holds these values (nobody wrote since)
        values = {
            "key": item.key,
            "duty": item.duty,
            "period": item.period,
            "window_start": item.window_start,
            "due_date": item.due_date,
            "status": status,
            "done_on": item.done_on,
            "role": item.role,
            "organisation_id": orgs.get(item.role),
            "user_id": user_id if item.role in ("center", "office") else None,
            "rule": item.kind.rule,
            "source": duties.source_of(item.duty, case.municipality),
            "detail": {**item.detail, **({"excuse": item.excuse} if item.excuse else {})},
        }
        row = rows.get(item.key)
        if row is None:
            changes.inserts.append({"case_id": case.id, **values, "updated_at": now})
        elif values != row.values:
            changes.update(row.id, {**values, "updated_at": now})
    for key, row in rows.items():
        if key in keep or row.values["status"] != "open":
            continue
        if row.values["due_date"] < today:
            changes.update(row.id, {"status": "missed", "updated_at": now})  # it passed before anyone recomputed
        else:
            changes.deletes.append(row.id)
    inserted = changes.write(session, ScheduleItem)
    changes.apply(rows, SCHEDULE_COLUMNS, _by_key, inserted)
    work.wrote |= bool(changes)
    # Every computed key has its row now; open rows not computed were removed or marked missed (history).
    work.rows = {key: rows[key] for key in keep}
    risk_inputs = _sync_risks(session, case, params, items, records, today, now, orgs, user_id, set(keep), work)
    checks = {item.due_date + timedelta(days=1) for item, status in computed.values() if status == "open"}
    checks |= compliance.upcoming(case, records, today)
    # A month needs its home visit while its duty is not done (a visit earlier in the 3-month period does it).
    visits = frozenset(
        item.period for item in items if item.duty == "home_visit" and item.done_on is None and item.period is not None
    )
    timer_inputs = sync_duties(session, case, params, duties.plans(case, records, today), today, checks, visits, work)
    work.computed = snapshot.Computed(row_context, computed, risk_inputs, timer_inputs, reuse)
    _keep(session, case, work)
    return list(keep)


@dataclass
class _Working:
    """A refresh's view of the case's stored rows (a kept copy or read now, brought up to date as it writes) and of
    its records."""

    generation: int | None
    rows: dict[str, rowsync.Stored]
    """The open schedule rows, and any other read by key."""
    risks: dict[str, rowsync.Stored] | None
    """The risks not cleared and any other read by key; None: not read yet."""
    timers: dict[tuple[str, str], rowsync.Stored] | None
    """The unfired duty and check timers and any other read by key; None: not read yet."""
    oldest_open: date | None
    cutoff: datetime
    documents: list[snapshot.Record]
    events: list[snapshot.Record]
    holder: int | None
    records: duties.Records = field(default_factory=duties.Records)
    wrote: bool = False
    previous: snapshot.Computed | None = None
    """What the refresh that kept the copy computed (None: read from the database, nothing to reuse)."""
    computed: snapshot.Computed | None = None


def _read(session: Session, case: Case, today: date) -> _Working:
    """The stored rows and the records: from the kept copy and the records added since (one statement) when the
    case's generation is still the copy's, else read from the database."""
    org = _organisation(case, duties.planner_role(case))  # None: no organisation, no holder row
    kept = snapshot.held(session, case.id)
    if kept is not None:
        oldest_open = _oldest_open(kept.rows)
        cutoff = _cutoff(today, oldest_open)
        if cutoff >= kept.cutoff:  # the copy holds every record the refresh needs
            params = {
                "case_id": case.id,
                "cutoff": cutoff,
                "org": org,
                "after_document": kept.last_document,
                "after_event": kept.last_event,
            }
            generation, holder, documents, events = _parse(rowsync.run(session, _RECORDS_SINCE, params))
            if generation is not None and generation == kept.generation:
                work = _Working(
                    generation,
                    dict(kept.rows),
                    dict(kept.risks),
                    dict(kept.timers),
                    oldest_open,
                    cutoff,
                    _window([*kept.documents, *documents], cutoff),
                    sorted((r for r in (*kept.events, *events) if r[2] >= cutoff), key=_oldest_first),
                    holder,
                )
                work.records = _records(work.documents, work.events)
                work.previous = kept.computed
                return work
    # The open rows are read first: they give the oldest open due date (how far back to read records) and are the
    # rows kept in step.
    rows = _OPEN_ROWS.read(session, case_id=case.id)
    oldest_open = _oldest_open(rows)
    cutoff = _cutoff(today, oldest_open)
    params = {"case_id": case.id, "cutoff": cutoff, "org": org}
    generation, holder, documents, events = _parse(rowsync.run(session, _RECORDS, params))
    work = _Working(generation, rows, None, None, oldest_open, cutoff, documents, events, holder)
    work.records = _records(documents, events)
    return work


def kept_copy(session: Session, case_id: int) -> snapshot.Kept | None:
    """The copy the case's last refresh kept, if nobody wrote its rows since (one statement; see note_fired)."""
    kept = snapshot.held(session, case_id)
    if kept is None or rowsync.run(session, _GENERATION_OF, {"case_id": case_id}).scalar() != kept.generation:
        return None
    return kept


def note_fired(session: Session, case_id: int, kept: snapshot.Kept | None, timer: Timer) -> None:
    """Keep `kept` (taken by kept_copy before `timer` was marked fired) right after marking it: a worker fires a
    month's duty, and the completion of its task that follows should not read every row again."""
    key = (timer.kind, timer.key)
    if kept is None or key not in kept.timers:
        return
    generation = rowsync.run(session, _GENERATION_OF, {"case_id": case_id}).scalar()
    stored = kept.timers[key]
    timers = {**kept.timers, key: rowsync.Stored(stored.id, {**stored.values, "fired_at": timer.fired_at})}
    snapshot.keep(session, case_id, dataclasses.replace(kept, generation=generation, timers=timers))


def _oldest_open(rows: Mapping[str, rowsync.Stored]) -> date | None:
    due: date | None = min(
        (row.values["due_date"] for row in rows.values() if row.values["status"] == "open"), default=None
    )
    return due


def _cutoff(today: date, oldest_open: date | None) -> datetime:
    """Records older than this are not needed (bar the latest of each form): duties older than the oldest open one
    are history rows that are no longer recomputed."""
    since = min(oldest_open or today, today) - RECORDS_LOOKBACK
    return datetime.combine(since, datetime.min.time(), tzinfo=JST)


def _keep(session: Session, case: Case, work: _Working) -> None:
    """Keep what the refresh leaves for the case's next refresh, under the generation its writes gave the case."""
    generation = work.generation
    if work.wrote:
        generation = rowsync.run(session, _GENERATION_OF, {"case_id": case.id}).scalar()
    if generation is None or work.risks is None or work.timers is None:
        snapshot.keep(session, case.id, None)
        return
    snapshot.keep(
        session,
        case.id,
        snapshot.Kept(
            generation,
            work.rows,
            work.risks,
            work.timers,
            work.cutoff,
            tuple(work.documents),
            tuple(work.events),
            max((record[0] for record in work.documents), default=0),
            max((record[0] for record in work.events), default=0),
            work.computed,
        ),
    )


def _by_key(row: dict[str, Any]) -> str:
    key: str = row["key"]
    return key


_OPEN_ROWS = rowsync.Reader(
    ScheduleItem, SCHEDULE_COLUMNS, _by_key, lambda t: (t.c.case_id == bindparam("case_id"), t.c.status == "open")
)
_ROWS_BY_KEY = rowsync.Reader(
    ScheduleItem,
    SCHEDULE_COLUMNS,
    _by_key,
    lambda t: (t.c.case_id == bindparam("case_id"), t.c.key.in_(bindparam("keys", expanding=True))),
)
_RISKS = rowsync.Reader(
    Risk,
    (*RISK_COLUMNS, "cleared_at"),
    _by_key,
    lambda t: (
        t.c.case_id == bindparam("case_id"),
        or_(t.c.cleared_at.is_(None), t.c.key.in_(bindparam("keys", expanding=True))),
    ),
)
_TIMERS = rowsync.Reader(
    Timer,
    ("kind", "key", "payload", "fired_at"),
    lambda row: (row["kind"], row["key"]),
    lambda t: (
        t.c.case_id == bindparam("case_id"),
        t.c.kind.in_(("duty", "check")),
        or_(t.c.fired_at.is_(None), t.c.key.in_(bindparam("keys", expanding=True))),
    ),
)
"""Fired timers are history: only the unfired ones and the ones wanted again are needed (a case runs for years)."""


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
    work: _Working,
) -> tuple[Any, ...]:
    """Raise what holds, clear what no longer does; a risk of a duty no longer computed (history) stays as it is.

    Returns everything the risks' rows were made from. When they are what the refresh that kept `work`'s copy made
    them from, the risks it left are these (any other write would have voided the copy): nothing is compared.
    """
    found = {risk.key: risk for risk in compliance.find(case, params, items, records, today)}
    inputs = (tuple(found.values()), duties.is_care(case), tuple(orgs.items()), user_id, frozenset(computed))
    if work.risks is not None and work.previous is not None and work.previous.risk_inputs == inputs:
        return inputs
    rows = _known(session, _RISKS, case, work.risks, found)
    changes = rowsync.Changes()
    for key, row in rows.items():
        duty_key = row.values["duty_key"]
        if key not in found and row.values["cleared_at"] is None and (duty_key is None or duty_key in computed):
            changes.update(row.id, {"cleared_at": now})
    for key, risk in found.items():
        values = {
            "key": key,
            "code": risk.code,
            "duty_key": risk.duty_key,
            "since": risk.since,
            "severity": compliance.severity(risk.code, case),
            "organisation_id": orgs.get(risk.role),
            "user_id": user_id if risk.role in ("center", "office") else None,
            "rule": risk.kind.rule,
            "source": risk.kind.source,
        }
        stored = rows.get(key)
        if stored is None:
            changes.inserts.append({"case_id": case.id, **values, "raised_at": now, "cleared_at": None})
        elif stored.values["cleared_at"] is not None:
            changes.update(stored.id, {**values, "cleared_at": None, "raised_at": now})
        elif any(stored.values[name] != value for name, value in values.items()):
            changes.update(stored.id, values)
    inserted = changes.write(session, Risk)
    changes.apply(rows, _RISKS.columns, _RISKS.key, inserted)
    work.wrote |= bool(changes)
    # Cleared risks not found again are history: the next refresh does not read them either.
    work.risks = {key: row for key, row in rows.items() if row.values["cleared_at"] is None or key in found}
    return inputs


RECORDS_LOOKBACK = timedelta(days=400)
"""How far back every document is read: a plan period (≤ 12 months) and the visit periods before it. Older ones
count only as the latest of their form (the contract, the plan in force, the last equipment consultation), so a
ten-year case reads as much on each refresh as a one-year case does."""


_DOCUMENTS = select(
    literal("document").label("source"),
    Document.form.label("name"),
    Document.submitted_at.label("at"),
    Document.data.label("data"),
    Document.id.label("id"),
).where(
    Document.case_id == bindparam("case_id"),
    or_(
        Document.submitted_at >= bindparam("cutoff"),
        Document.id.in_(
            select(func.max(Document.id))
            .where(Document.case_id == bindparam("case_id"), Document.submitted_at < bindparam("cutoff"))
            .group_by(Document.form)
        ),
    ),
)
"""All documents since the cutoff and the latest of each form before it."""
_RECORD_EVENTS = select(
    literal("event").label("source"),
    Event.kind.label("name"),
    Event.at.label("at"),
    Event.detail.label("data"),
    Event.id.label("id"),
).where(Event.case_id == bindparam("case_id"), Event.kind.in_(RECORD_EVENTS), Event.at >= bindparam("cutoff"))
"""The events that record duties done or excused since the cutoff."""
_HOLDER = (
    select(
        literal("holder").label("source"),
        cast(null(), Document.form.type).label("name"),
        func.coalesce(Task.completed_at, Task.claimed_at).label("at"),
        cast(null(), Document.data.type).label("data"),  # typed: PostgreSQL unions json with json only
        func.coalesce(Task.completed_by_id, Task.claimed_by_id).label("id"),
    )
    .where(Task.case_id == bindparam("case_id"), Task.organisation_id == bindparam("org"))
    .where((Task.completed_by_id.is_not(None)) | (Task.claimed_by_id.is_not(None)))
    .order_by(func.coalesce(Task.completed_at, Task.claimed_at).desc())
    .limit(1)
    .subquery()
)
"""Whoever last completed or claimed a task of the organisation `org` in the case, as the `id` column (a third part of
_RECORDS, and care_manager's query)."""
_CARE_MANAGER = Prepared(select(_HOLDER.c.id))
_GENERATION = select(
    literal("generation").label("source"),
    cast(null(), Document.form.type).label("name"),
    cast(null(), Document.submitted_at.type).label("at"),
    cast(null(), Document.data.type).label("data"),
    Case.schedule_generation.label("id"),
).where(Case.id == bindparam("case_id"))
"""The case's schedule generation (engine.scheduling.snapshot), as a fourth part of _RECORDS."""
_GENERATION_OF = Prepared(select(Case.schedule_generation).where(Case.id == bindparam("case_id")))
_RECORDS = Prepared(
    union_all(_DOCUMENTS, _RECORD_EVENTS, select(*_HOLDER.c), _GENERATION).order_by("source", "at", "id")
)
"""The four in one statement (a completion's refresh counts its statements, issue 14), documents and events oldest
first (built once: see rowsync)."""
_RECORDS_SINCE = Prepared(
    union_all(
        _DOCUMENTS.where(Document.id > bindparam("after_document")),
        _RECORD_EVENTS.where(Event.id > bindparam("after_event")),
        select(*_HOLDER.c),
        _GENERATION,
    ).order_by("source", "at", "id")
)
"""The same, only the records added since a kept copy was made (with higher ids than it holds)."""


def _parse(result: Any) -> tuple[int | None, int | None, list[snapshot.Record], list[snapshot.Record]]:
    """(generation, holder, documents, events) from the rows of _RECORDS or _RECORDS_SINCE."""
    generation: int | None = None
    holder: int | None = None
    documents: list[snapshot.Record] = []
    events: list[snapshot.Record] = []
    for source, name, at, data, row_id in result:
        if source == "generation":
            generation = row_id
        elif source == "holder":
            holder = row_id
        elif source == "document":
            documents.append((row_id, name, at, data or {}))
        else:
            events.append((row_id, name, at, data or {}))
    return generation, holder, documents, events


def _window(documents: list[snapshot.Record], cutoff: datetime) -> list[snapshot.Record]:
    """What _DOCUMENTS gives for `cutoff`: every document since, and the latest (highest id) of each form before it;
    oldest first."""
    latest: dict[str, snapshot.Record] = {}
    recent = []
    for record in documents:
        if record[2] >= cutoff:
            recent.append(record)
        elif record[1] not in latest or record[0] > latest[record[1]][0]:
            latest[record[1]] = record
    return sorted([*latest.values(), *recent], key=_oldest_first)


def _oldest_first(record: snapshot.Record) -> tuple[datetime, int]:
    """The order of _RECORDS: by time, then by id."""
    return record[2], record[0]


def _records(documents: list[snapshot.Record], events: list[snapshot.Record]) -> duties.Records:
    """The documents (oldest first) and the duties recorded done or excused, in the shape the rules read."""
    records = duties.Records()
    records.documents = [(form, duties.japan_date(at), data) for _id, form, at, data in documents]
    for _id, name, at, data in events:
        key = data.get("schedule_key")
        if not key:
            continue
        if name == "duty_recorded":
            records.recorded[key] = as_date(data.get("done_on")) or duties.japan_date(at)
        elif name == "duty_record_withdrawn":
            records.recorded.pop(key, None)
        elif name == "special_circumstances_recorded":
            records.excused[key] = str(data.get("reason", ""))
    return records


def care_manager(session: Session, case: Case) -> int | None:
    """The staff member who holds the case: whoever last completed or claimed a task of the planner's organisation."""
    org = _organisation(case, duties.planner_role(case))
    if org is None:
        return None
    holder: int | None = rowsync.run(session, _CARE_MANAGER, {"case_id": case.id, "org": org}).scalar()
    return holder


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
    return timer_id if rows_changed(result) == 1 else claim_next(session, worker, now)
