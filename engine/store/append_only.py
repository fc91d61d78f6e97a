"""The audit log (`event`) is append-only in the database itself, not only in the application.

No route or function of kaigoflow updates or deletes an event; these triggers make that a property of the
schema, so neither a bug nor a direct SQL session through the app's account can rewrite the history of a case.
The one exception is retention (engine/store/retention.py): the events of a case whose retention period is over may
be deleted while that case's id is listed in `retention_purge`, a table only the purge writes to.

The same statements are run by migration 0005 and, for databases made with `create_all` (tests, scenarios), by
the `after_create` listeners that engine/store/models.py attaches to the event table.
"""

from __future__ import annotations

from sqlalchemy import DDL
from sqlalchemy.schema import ExecutableDDLElement

REFUSAL = "event log is append-only"
"""The text of the refusal on both backends (tests look for it)."""

SQLITE = (
    """CREATE TRIGGER IF NOT EXISTS event_no_update BEFORE UPDATE ON event
BEGIN SELECT RAISE(ABORT, 'event log is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS event_no_delete BEFORE DELETE ON event
WHEN NOT EXISTS (SELECT 1 FROM retention_purge WHERE retention_purge.case_id = OLD.case_id)
BEGIN SELECT RAISE(ABORT, 'event log is append-only'); END""",
)
SQLITE_DROP = ("DROP TRIGGER IF EXISTS event_no_update", "DROP TRIGGER IF EXISTS event_no_delete")

POSTGRESQL = (
    """CREATE OR REPLACE FUNCTION event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF EXISTS (SELECT 1 FROM retention_purge WHERE retention_purge.case_id = OLD.case_id) THEN
      RETURN OLD;
    END IF;
  END IF;
  RAISE EXCEPTION 'event log is append-only (%%)', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$""",
    "DROP TRIGGER IF EXISTS event_append_only ON event",
    """CREATE TRIGGER event_append_only BEFORE UPDATE OR DELETE ON event
FOR EACH ROW EXECUTE FUNCTION event_append_only()""",
    "DROP TRIGGER IF EXISTS event_no_truncate ON event",
    """CREATE TRIGGER event_no_truncate BEFORE TRUNCATE ON event
FOR EACH STATEMENT EXECUTE FUNCTION event_append_only()""",
)
POSTGRESQL_DROP = (
    "DROP TRIGGER IF EXISTS event_append_only ON event",
    "DROP TRIGGER IF EXISTS event_no_truncate ON event",
    "DROP FUNCTION IF EXISTS event_append_only()",
)


def statements(dialect: str, drop: bool = False) -> tuple[str, ...]:
    """The SQL that installs (or removes) the triggers on one backend; none for others."""
    if dialect == "sqlite":
        return SQLITE_DROP if drop else SQLITE
    if dialect == "postgresql":
        return POSTGRESQL_DROP if drop else POSTGRESQL
    return ()


def ddl() -> list[ExecutableDDLElement]:
    """DDL elements for `after_create` of the event table, each run only on its own backend."""
    found: list[ExecutableDDLElement] = []
    for dialect in ("sqlite", "postgresql"):
        for sql in statements(dialect):
            # DDL runs its text through %-formatting; the PL/pgSQL body's %% becomes the one % RAISE wants.
            found.append(DDL(sql).execute_if(dialect=dialect))
    return found
