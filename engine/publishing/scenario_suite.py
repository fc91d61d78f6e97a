"""Run scenario files one after another, each on an empty database of its own.

The scenario runner (engine/publishing/scenario.py) runs one file against the sessions it is given; this is the loop
around it that `kaigoflow scenario run` and publishing (engine/publishing/versions.py) share, so a scenario never sees
another's cases, timers or events.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy import event

from engine.clock import FixedClock
from engine.publishing import scenario
from engine.store import db
from engine.store.models import Base


def run_each_on_a_fresh_database(
    files: Iterable[Path],
    make_runtime: Callable[[FixedClock], Any],
    database_url: str | None = None,
    progress: Callable[[Path | None, list[scenario.ScenarioResult]], None] | None = None,
) -> list[scenario.ScenarioResult]:
    """Each file on a temporary SQLite file of its own, or on `database_url` emptied before each file.

    `progress(path, results so far)` is called before each file and `progress(None, results)` at the end (the
    owners' publish page shows it).
    """
    results: list[scenario.ScenarioResult] = []
    with tempfile.TemporaryDirectory(prefix="kaigoflow-scenario-") as tmp:
        template: Path | None = None
        for index, path in enumerate(files):
            if progress is not None:
                progress(path, results)
            if database_url:
                engine = db.make_engine(database_url)
                Base.metadata.drop_all(engine)
                Base.metadata.create_all(engine)
            else:
                template = template or _empty_schema(Path(tmp) / "schema.sqlite3")
                copy = Path(tmp) / f"scenario-{index}.sqlite3"
                shutil.copyfile(template, copy)
                engine = _throwaway(db.make_engine(f"sqlite:///{copy}"))
            try:
                results.append(scenario.run_file(path, make_runtime, db.session_factory(engine)))
            finally:
                engine.dispose()
    if progress is not None:
        progress(None, results)
    return results


def _empty_schema(path: Path) -> Path:
    """A SQLite file with the schema and no rows, made once and copied for each file: creating the schema costs
    more than many a short scenario, copying the file a millisecond."""
    engine = _throwaway(db.make_engine(f"sqlite:///{path}"))
    Base.metadata.create_all(engine)
    engine.dispose()  # the last connection closed: the WAL is checkpointed into the file, which is all there is
    return path


def _throwaway(engine: Engine) -> Engine:
    """A scenario's database is deleted after its run: waiting for each commit to reach the disk buys nothing (a
    scenario commits after every step; each wait is milliseconds on a real disk)."""
    event.listen(engine, "connect", _no_disk_waits)
    return engine


def _no_disk_waits(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=OFF")
    cursor.close()
