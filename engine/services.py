"""The engine's parts wired from settings: library, database, runtime. Built once per process."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from engine.clock import Clock
from engine.clock import SystemClock
from engine.config import Settings
from engine.execution.runtime import Runtime
from engine.process_library.decisions import Decisions
from engine.process_library.forms import FormHandler
from engine.process_library.forms import PythonDecision
from engine.process_library.loader import Library
from engine.process_library.parsecache import ParseCache
from engine.publishing.versions import Versions
from engine.store.db import make_engine
from engine.store.db import session_factory


@dataclass
class Services:
    settings: Settings
    form_handlers: Mapping[str, FormHandler] = field(default_factory=dict)
    python_decisions: Mapping[str, PythonDecision] = field(default_factory=dict)
    queued_work: list[Callable[[str], int]] = field(default_factory=list)
    """What people asked for on the pages and a worker does every round, each given the worker's name and returning
    how much it did (the composition root adds building case exports; the engine knows nothing of PDFs)."""
    idle_work: list[Callable[[], int]] = field(default_factory=list)
    """What `kaigoflow worker` does when nothing is due, each returning how much it did (the composition root adds
    drawing the PDFs of new documents; the engine knows nothing of them)."""

    @cached_property
    def library(self) -> Library:
        return Library(self.settings.processes_dir, python_decisions=self.python_decisions, cache=self.parse_cache)

    @cached_property
    def parse_cache(self) -> ParseCache:
        """Parsed flows and lint results on disk under the cache directory (none when it is not set)."""
        return ParseCache(self.settings.cache_dir / "parsed" if self.settings.cache_dir else None)

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database_url)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return session_factory(self.engine)

    @cached_property
    def versions(self) -> Versions:
        cache_dir = self.settings.cache_dir or Path(tempfile.mkdtemp(prefix="kaigoflow-bundles-"))
        return Versions(self.library, cache_dir, self.form_handlers, self.python_decisions)

    def runtime(self, clock: Clock | None = None) -> Runtime:
        """The runtime for cases: new instances start on each municipality's newest published version."""
        return Runtime(
            self.library,
            clock or SystemClock(),
            self.form_handlers,
            self.python_decisions,
            published=self.versions,
        )

    def decisions(self, municipality: str) -> Decisions:
        """Every decision a municipality can call, DMN (its own, then common) and Python."""
        muni = self.library.municipality(municipality)
        sources: dict[str, Any] = {}
        for folder in ("common", municipality):
            for path in sorted((self.settings.processes_dir / folder / "decisions").glob("*.dmn")):
                sources[path.stem] = path.read_text(encoding="utf-8")
        return Decisions(sources, self.python_decisions, muni.params)
