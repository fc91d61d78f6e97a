"""The specs instances run on: each municipality's active library, specs stored once per content hash and
kept in memory, and the script engine with the municipality's parameters and decisions."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.cases import facts as casedata
from engine.errors import KaigoflowError
from engine.errors import NotFoundError
from engine.execution.transactions import RuntimeTransactions
from engine.execution.transactions import _memo
from engine.process_library import spiff
from engine.process_library.decisions import Decisions
from engine.process_library.loader import Library
from engine.process_library.loader import ResolvedSpec
from engine.store.models import Case
from engine.store.models import ProcessVersion
from engine.store.models import SpecVersion


class SpecCache(RuntimeTransactions):
    """Active libraries, parameters and specs by content hash."""

    # -- internals --------------------------------------------------------------------------------

    def active_library(self, session: Session, municipality: str) -> Library:
        """The library new instances of a municipality start on: its newest published version."""
        if self.published is None:
            return self.library
        # Looked up once per transaction: the version row carries the whole file bundle, and a completion asks for
        # the parameters from several places (script engine, form context, projection, schedule).
        libraries = _memo(session)["libraries"]
        if municipality not in libraries:
            libraries[municipality] = self.published.active_library(session, municipality)
        found: Library = libraries[municipality]
        return found

    def _remember_library(self, session: Session, municipality: str, row: ProcessVersion | None) -> None:
        """The active library from a newest-version row read with something else (None: nothing published)."""
        if self.published is not None:
            _memo(session)["libraries"][municipality] = self.published.library_for_row(municipality, row)

    def params(self, session: Session, municipality: str) -> dict[str, Any]:
        """The municipality's parameters (deadlines, switches) as its newest published version sets them."""
        return self.active_library(session, municipality).municipality(municipality).params

    def spec(self, session: Session, spec_hash: str, municipality: str, process_key: str) -> ResolvedSpec:
        """The resolved spec for a hash: from this process's cache, the library, or the stored version."""
        if spec_hash not in self._specs:
            try:
                current = self.library.resolve(municipality, process_key)
            except KaigoflowError:
                current = None
            if current is not None and current.hash == spec_hash:
                self._specs[spec_hash] = current
            else:
                row = session.get(SpecVersion, spec_hash)
                if row is None:
                    raise NotFoundError(f"版 {spec_hash[:12]} が保存されていません")
                self._specs[spec_hash] = ResolvedSpec.from_record(municipality, process_key, spec_hash, row.record)
        return self._specs[spec_hash]

    def _store_spec(self, session: Session, resolved: ResolvedSpec) -> None:
        self._specs.setdefault(resolved.hash, resolved)
        if session.get(SpecVersion, resolved.hash) is not None:
            return
        try:
            with session.begin_nested():
                session.add(
                    SpecVersion(
                        hash=resolved.hash,
                        municipality=resolved.municipality,
                        process_key=resolved.process_key,
                        record=resolved.to_record(),
                        created_at=self.clock.now(),
                    )
                )
        except IntegrityError:
            pass  # another process stored the same content first: same hash, same content

    def _script_engine(self, session: Session, resolved: ResolvedSpec, case: Case) -> spiff.KaigoflowScriptEngine:
        params = self.params(session, case.municipality)
        decisions = Decisions(resolved.dmn, self.python_decisions, params)
        return spiff.KaigoflowScriptEngine(decide=decisions.decide, defaults=casedata.CANONICAL_DEFAULTS)
