"""The runtime's footing: who acts, one transaction per mutation, the case lock and the per-transaction memo.

Every change the runtime makes runs inside `_transaction` (commit on success, rollback on any error), locks
the case it changes first (`_lock_case`), and writes its events through `_event`. The layers above
(spec_cache, case_changes, supersede, instances, tasks, timers) build on these; `Runtime` is all of them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from typing import Protocol
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock as clock_module
from engine.cases import access
from engine.clock import Clock
from engine.errors import NotFoundError
from engine.errors import PermissionDenied
from engine.execution import prebuilt
from engine.process_library.forms import FormHandler
from engine.process_library.forms import PythonDecision
from engine.process_library.loader import Library
from engine.process_library.loader import ResolvedSpec
from engine.store.models import Case
from engine.store.models import ProcessInstance
from engine.store.models import ProcessVersion


class PublishedLibraries(Protocol):
    """What the runtime asks publishing for, so that publishing depends on the runtime and never the reverse: the
    Library new instances of a municipality start on (its newest published version). `Versions` is one."""

    def active_library(self, session: Session, municipality: str) -> Library: ...

    def library_for_row(self, municipality: str, row: ProcessVersion | None) -> Library:
        """The same from a newest-version row the runtime read with its own query (None: nothing published); the
        row's `files` may be left unloaded (it is then loaded only if the library is not cached)."""
        ...


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user of an organisation, or the system (worker, scenario set-up)."""

    user_id: int | None = None
    organisation_id: int | None = None
    role: str | None = None
    address: str | None = None
    system: bool = False


SYSTEM = Actor(system=True)


@dataclass
class LoadedInstance:
    """An instance restored for one run: its row, its case, the spec it runs and the live workflow."""

    instance: ProcessInstance
    case: Case
    resolved: ResolvedSpec
    workflow: Any
    completed_before: frozenset[UUID] = frozenset()
    """The tasks already completed when the instance was loaded: the steps of this run are the others."""
    ready_rows: frozenset[str] = frozenset()
    """The ids of the task rows that are `ready` in the database: the ready user tasks of the stored state (the
    projection writes both in one transaction), so the projection knows them without reading them."""


def _fresh_memo() -> dict[str, Any]:
    # draftless: tasks read under the lock that had no draft then (complete_and_continue deletes none for them).
    # prefetched: instances (with their case) read with the locked task, for the first `load` of each.
    # events: the events of this transaction not yet written (see RuntimeTransactions._event).
    return {
        "libraries": {},
        "loaded": {},
        "locked": set(),
        "fresh_tasks": set(),
        "draftless": set(),
        "prefetched": {},
        "events": [],
    }


def _memo(session: Session) -> dict[str, Any]:
    """What this session's current transaction has already looked up: the active libraries, the instances
    loaded, the cases locked. Dropped when the transaction ends (a commit or rollback starts a fresh one), so a
    publish or another worker's write is seen by the next transaction, never mid-way through this one."""
    # A scoped session (Flask-SQLAlchemy's db.session) proxies no get_transaction(): ask the session it stands for.
    real = session() if callable(session) and not isinstance(session, Session) else session
    transaction = real.get_transaction()
    if transaction is None:
        return _fresh_memo()  # nothing read yet
    held = session.info.get("kaigoflow_memo")
    if held is None or held[0] is not transaction:
        held = (transaction, _fresh_memo())
        session.info["kaigoflow_memo"] = held
    return held[1]


class RuntimeTransactions:
    """The runtime's state (library, clock, handlers, spec cache) and the transaction, lock and event helpers."""

    def __init__(
        self,
        library: Library,
        clock: Clock,
        handlers: Mapping[str, FormHandler] | None = None,
        python_decisions: Mapping[str, PythonDecision] | None = None,
        published: PublishedLibraries | None = None,
    ) -> None:
        self.library = library
        self.published = published
        """Where new instances find their municipality's newest published version (engine/publishing/versions.py);
        None: they start on `library` (a draft's scenarios, tests)."""
        self.clock = clock
        self.handlers = dict(handlers or {})
        self.python_decisions = dict(python_decisions or {})
        self._specs: dict[str, ResolvedSpec] = {}
        clock_module.install_spiff_clock()

    @staticmethod
    def _may_start(actor: Actor) -> None:
        """Only planners (and the system: workers, scenarios) open cases and start flows; a flow that follows
        another when it ends is started by the engine itself, whoever finished the last step."""
        refusal = None if actor.system else access.start_refusal(actor.role, actor.organisation_id)
        if refusal:
            raise PermissionDenied(refusal)

    def _case(self, session: Session, case_id: int, actor: Actor) -> Case:
        case = session.scalar(select(Case).where(Case.id == case_id).execution_options(populate_existing=True))
        if case is None:
            raise NotFoundError("ケースが見つかりません")
        return case

    def _lock_case(self, session: Session, case_id: int) -> None:
        """Serialize the mutations of one case until this transaction ends; reads after it see the latest commit.

        A no-op UPDATE of the case row: on PostgreSQL it takes the row lock (a second writer of the same case
        waits, then reads what the first committed); on SQLite it takes the database's write lock before anything
        is read for the change, so a lost race is seen as a completed task (409), never as a unique-key error.
        The instance's version check stays as the last line of defence.
        """
        prebuilt.LOCK_CASE.run(session, {"case_id": case_id})
        _memo(session)["locked"].add(case_id)

    def _event(self, session: Session, actor: Actor, kind: str, **fields: Any) -> None:
        """Record an event of this transaction. Kept until `_write_events` (before the schedule refresh, which reads
        events, and before the commit), so a completion's events (the task completed, the next steps claimed)
        are one INSERT (issue 14: a task POST counts its statements). Nobody reads an event back before then."""
        session.connection()  # the transaction the pending events belong to
        row = {"instance_id": None, "task_id": None, "case_id": None, "detail": {}, **fields}
        row.update(at=self.clock.now(), actor_id=actor.user_id, kind=kind, address=actor.address)
        _memo(session)["events"].append(row)

    @staticmethod
    def _write_events(session: Session) -> None:
        """Write the pending events of this transaction, after the rows they name, in the order they happened."""
        pending: list[dict[str, Any]] = _memo(session)["events"]
        if pending:
            session.flush()
            prebuilt.INSERT_EVENT.run(session, pending)
            pending.clear()

    @contextlib.contextmanager
    def _transaction(self, session: Session) -> Iterator[None]:
        """One mutation, one transaction: commit at the end of the outermost call, roll back on any error."""
        if session.info.get("kaigoflow_in_tx"):
            yield
            return
        session.info["kaigoflow_in_tx"] = True
        try:
            yield
            self._write_events(session)
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.info["kaigoflow_in_tx"] = False
