"""`care_case.schedule_generation`: a new random value whenever a row the schedule refresh reads is written.

The refresh (engine/scheduling/schedule.py) keeps each case's schedule rows, risks and duty timers in memory between
requests (engine/scheduling/snapshot.py) and trusts that copy only while the case's generation is the one it saw after
its own writes. Triggers change the generation, so no writer can be forgotten: the refresh itself, a worker marking a
duty timer fired, a duty timer cancelled, a purge, a direct SQL session. Claiming a timer (`claimed_by`,
`claimed_until`) and the flows' own `bpmn` timers do not change it: the refresh reads neither.

A random value rather than a counter: a generation written by a transaction that was rolled back, or by a case
whose id was used before (a restored or emptied database), is never taken for another.

The same statements are run by migration 0011 and, for databases made with `create_all` (tests, scenarios), by the
`after_create` listeners that engine/store/models.py attaches to the case table and the three tables.
"""

from __future__ import annotations

import secrets

from sqlalchemy import DDL
from sqlalchemy.schema import ExecutableDDLElement

TABLES = ("schedule_item", "risk", "timer")
GENERATION_BITS = 53
"""The triggers' values fit here too (PostgreSQL's: below 2**53)."""


def first_generation() -> int:
    """A new case's generation: a case none of whose rows was ever written still has one, so its refresh's copy can
    be trusted from the first (with none, every completion on a case before its plan read everything again)."""
    return secrets.randbits(GENERATION_BITS)


FILL_MISSING = {
    "sqlite": "UPDATE care_case SET schedule_generation = abs(random()) % 9007199254740991 "
    "WHERE schedule_generation IS NULL",
    "postgresql": "UPDATE care_case SET schedule_generation = floor(random() * 9007199254740991)::bigint "
    "WHERE schedule_generation IS NULL",
}
"""Migration 0012: each case made before cases were given a first generation gets one (a different value each)."""
TIMER_KINDS = "('duty', 'check')"
"""The timers the refresh keeps (engine.scheduling.schedule.sync_duties); `bpmn` timers belong to the flows."""
TIMER_COLUMNS = "case_id, kind, key, payload, fired_at"
"""The timer columns the refresh reads (and the case they belong to)."""

_SQLITE_NEW = "UPDATE care_case SET schedule_generation = random() WHERE id = NEW.case_id;"
_SQLITE_OLD = "UPDATE care_case SET schedule_generation = random() WHERE id = OLD.case_id;"


def _sqlite() -> tuple[str, ...]:
    found = []
    for table in TABLES:
        new_only = f" WHEN NEW.kind IN {TIMER_KINDS}" if table == "timer" else ""
        old_only = f" WHEN OLD.kind IN {TIMER_KINDS}" if table == "timer" else ""
        either = f" WHEN OLD.kind IN {TIMER_KINDS} OR NEW.kind IN {TIMER_KINDS}" if table == "timer" else ""
        columns = f" OF {TIMER_COLUMNS}" if table == "timer" else ""
        found += [
            f"CREATE TRIGGER IF NOT EXISTS {table}_generation_insert AFTER INSERT ON {table}{new_only}\n"
            f"BEGIN {_SQLITE_NEW} END",
            f"CREATE TRIGGER IF NOT EXISTS {table}_generation_update AFTER UPDATE{columns} ON {table}{either}\n"
            f"BEGIN {_SQLITE_OLD} {_SQLITE_NEW} END",
            f"CREATE TRIGGER IF NOT EXISTS {table}_generation_delete AFTER DELETE ON {table}{old_only}\n"
            f"BEGIN {_SQLITE_OLD} END",
        ]
    return tuple(found)


SQLITE = _sqlite()
SQLITE_DROP = tuple(
    f"DROP TRIGGER IF EXISTS {table}_generation_{op}" for table in TABLES for op in ("insert", "update", "delete")
)

_PG_BUMP = (
    "UPDATE care_case SET schedule_generation = floor(random() * 9007199254740991)::bigint WHERE id = {}.case_id;"
)


def _pg_function(name: str, old_if: str, new_if: str) -> str:
    """A trigger function that gives the case of the old and of the new row a new generation (when `old_if` and
    `new_if` hold: PL/pgSQL does not cut `OR` short, so a timer's kind is tested in a function of its own).

    An UPDATE that keeps the row's case gives that case one new generation, not two: the value is random, so a second
    one in the same row's trigger tells nobody anything more, and each costs the server a new version of the case's
    row (the refresh's writes are one-row UPDATEs: about half of the case rows a completion wrote on PostgreSQL)."""
    return f"""CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bumped integer;
BEGIN
  IF TG_OP <> 'INSERT' THEN
    IF {old_if} THEN {_PG_BUMP.format("OLD")} bumped := OLD.case_id; END IF;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    IF {new_if} THEN
      IF bumped IS DISTINCT FROM NEW.case_id THEN {_PG_BUMP.format("NEW")} END IF;
    END IF;
  END IF;
  RETURN NULL;
END $$"""


PG_FUNCTIONS = (
    _pg_function("schedule_generation_bump", "true", "true"),
    _pg_function("timer_generation_bump", f"OLD.kind IN {TIMER_KINDS}", f"NEW.kind IN {TIMER_KINDS}"),
)
"""The trigger functions alone (migration 0013 replaces the ones 0011 made, which bumped a kept case twice)."""

POSTGRESQL = (
    *PG_FUNCTIONS,
    *(
        statement
        for table in TABLES
        for statement in (
            f"DROP TRIGGER IF EXISTS {table}_generation ON {table}",
            f"CREATE TRIGGER {table}_generation AFTER INSERT OR DELETE OR UPDATE"
            f"{' OF ' + TIMER_COLUMNS if table == 'timer' else ''} ON {table}\n"
            f"FOR EACH ROW EXECUTE FUNCTION {'timer' if table == 'timer' else 'schedule'}_generation_bump()",
        )
    ),
)
POSTGRESQL_DROP = (
    *(f"DROP TRIGGER IF EXISTS {table}_generation ON {table}" for table in TABLES),
    "DROP FUNCTION IF EXISTS schedule_generation_bump()",
    "DROP FUNCTION IF EXISTS timer_generation_bump()",
)


def statements(dialect: str, drop: bool = False) -> tuple[str, ...]:
    """The SQL that installs (or removes) the triggers on one backend; none for others."""
    by_dialect = {"sqlite": (SQLITE, SQLITE_DROP), "postgresql": (POSTGRESQL, POSTGRESQL_DROP)}
    install, remove = by_dialect.get(dialect, ((), ()))
    return remove if drop else install


def ddl(table: str) -> list[ExecutableDDLElement]:
    """DDL elements for `after_create` of `table`, each run only on its own backend: PostgreSQL's function with
    `care_case` (created before the three tables that refer to it), the triggers with their own table."""
    found: list[ExecutableDDLElement] = []
    for dialect in ("sqlite", "postgresql"):
        for sql in statements(dialect):
            function = sql.startswith("CREATE OR REPLACE FUNCTION")
            if function if table == "care_case" else not function and f"{table}_generation" in sql:
                found.append(DDL(sql).execute_if(dialect=dialect))  # type: ignore[no-untyped-call]
    return found
