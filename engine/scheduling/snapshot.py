"""A case's schedule rows, risks, duty timers and records as its last refresh left them, kept in memory between
requests (issue 14), so a completion reads only what is new since.

Trusted only while the case's `schedule_generation` is the one seen after that refresh's own writes: triggers give it
a new random value whenever anyone writes a schedule row, risk or duty timer of the case
(engine/store/schedule_generation.py). The records (documents and the events that record duties) are never changed
once written, so what is new is what has a higher id: every writer of a case's records holds the case's lock, as the
refresh does, so none with a lower id can still appear.

With the rows it keeps what the refresh computed from them (`Computed`), so the next refresh reuses the work whose
inputs did not change: an item computed as before has the row it had, a section of the duties read from the same
records and facts gives the same items, timers wanted for the same reasons are the ones held. Each reuse compares
everything its work read (engine.scheduling.schedule.refresh, engine.scheduling.duties.Reuse), never a guess of
what a change can touch.

A copy made in a transaction is seen by that transaction only, and by the others once it is committed (a rolled back
one is dropped with its transaction). Each process keeps its own copies; one that another process made stale is
noticed by the generation and read again.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from typing import Any
from typing import NamedTuple

from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.orm import SessionTransaction

from engine.scheduling.duties import Item
from engine.scheduling.duties import Reuse
from engine.scheduling.rowsync import Stored

Record = tuple[int, str, datetime, dict[str, Any]]
"""(id, form or event kind, when, data) of a document or an event that records a duty."""


class TimersFrom(NamedTuple):
    """Everything the duty and check timers wanted are computed from (engine.scheduling.schedule.sync_duties)."""

    dates: tuple[Any, ...]
    """The monitoring months with their first days, the renewal's start, the certification's start and end: when
    these differ, every timer is computed again."""
    checks: frozenset[date]
    """The check days: only the timers of the days that differ are compared."""
    visit_months: frozenset[str]
    """The months whose monitoring starts with a home visit required: only those that differ are compared."""


@dataclass(frozen=True)
class Computed:
    """What the refresh that kept a copy computed, with what it computed it from, so the next refresh skips the work
    whose inputs are the same (engine.scheduling.schedule.refresh)."""

    row_context: tuple[Any, ...]
    """What a schedule row holds besides its item and status (the organisations, the holder, the municipality)."""
    items: dict[str, tuple[Item, str]]
    """The items computed and their status, by key: in the same `row_context` an equal item of the same status has the
    row it had then."""
    risk_inputs: tuple[Any, ...]
    """Everything the risks' rows were made from (engine.scheduling.schedule._sync_risks)."""
    timer_inputs: TimersFrom
    """What the duty and check timers wanted were computed from."""
    sections: Reuse
    """The sections of the duties computed, by their inputs (engine.scheduling.duties.compute)."""


@dataclass(frozen=True)
class Kept:
    """What a refresh left: the rows as stored (by key) and the records it read, as of `generation`."""

    generation: int
    rows: dict[str, Stored]
    risks: dict[str, Stored]
    timers: dict[tuple[str, str], Stored]
    cutoff: datetime
    """Every record since is held, and the latest document of each form before it."""
    documents: tuple[Record, ...]
    events: tuple[Record, ...]
    last_document: int
    last_event: int
    computed: Computed | None = None
    """None: the refresh that kept the copy left no computed work to reuse."""


_KEPT: dict[int, Kept] = {}
_BOUND = 256
"""Cases kept per process, the most recently refreshed: a case of a year's plan takes about 150 KB (73 schedule rows,
69 timers, 24 risks, 14 documents) and its computed work about a fifth more (completion_bench's case: 113 KB and
28 KB), so about 50 MB at most."""
_STAGED = "kaigoflow_schedule_kept"
_PUBLISHING = threading.Lock()


def held(session: Session, case_id: int) -> Kept | None:
    """The copy this transaction made, else the last committed one (to be checked against the generation)."""
    staged: dict[int, Kept] | None = session.info.get(_STAGED)
    if staged and case_id in staged:
        return staged[case_id]
    return _KEPT.get(case_id)


def keep(session: Session, case_id: int, kept: Kept | None) -> None:
    """Hold `kept` for this transaction; it is seen by others once the transaction commits. None: keep nothing."""
    session.info.setdefault(_STAGED, {})[case_id] = kept


def forget() -> None:
    """Drop every committed copy (tests that change rows behind the triggers' back, such as a schema reset)."""
    _KEPT.clear()


@event.listens_for(Session, "after_commit")
def _publish(session: Session) -> None:
    staged: dict[int, Kept | None] | None = session.info.pop(_STAGED, None)
    if not staged:
        return
    with _PUBLISHING:  # the threads of one web worker
        for case_id, kept in staged.items():
            _KEPT.pop(case_id, None)
            if kept is not None:
                _KEPT[case_id] = kept  # last in the order: the oldest refreshed go first
        while len(_KEPT) > _BOUND:
            del _KEPT[next(iter(_KEPT))]


@event.listens_for(Session, "after_transaction_end")
def _drop(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost: after a commit the copies were published, else they are void
        session.info.pop(_STAGED, None)


@event.listens_for(Session, "after_soft_rollback")
def _void(session: Session, _previous: SessionTransaction) -> None:
    session.info.pop(_STAGED, None)  # any rollback, a savepoint's too: what this transaction wrote may be gone
