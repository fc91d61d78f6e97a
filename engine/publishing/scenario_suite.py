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
                template = template or db.empty_schema_file(Path(tmp) / "schema.sqlite3")
                copy = Path(tmp) / f"scenario-{index}.sqlite3"
                shutil.copyfile(template, copy)
                engine = db.throwaway_sqlite(copy)
            try:
                results.append(scenario.run_file(path, make_runtime, db.session_factory(engine)))
            finally:
                engine.dispose()
    if progress is not None:
        progress(None, results)
    return results
