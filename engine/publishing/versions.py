"""Drafts, publishing and published versions of a municipality's files (diagrams, forms, decisions, parameters).

A process owner edits a *draft*: a copy of the municipality's folder kept in the database, apart from what runs.
Publishing checks the draft (lint: engine/process_library/lint.py) and runs the municipality's scenarios against it;
only when all pass is an immutable *version* recorded: number, who, when, why, the whole file bundle and its content
hash.

New process instances start on the municipality's newest published version; the files under processes/ are
version 1 (the baseline) until a first version is published. Running instances keep the spec they started with
(stored per content hash in `spec_version`), until a process owner migrates them
(engine/publishing/instance_migration.py).

A version's (or a draft's) files are materialised once into a content-addressed directory and read through a
`Library` whose overlay puts that directory in place of the municipality's folder; common/ stays shared.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.errors import ConflictError
from engine.errors import KaigoflowError
from engine.errors import NotFoundError
from engine.errors import Problem
from engine.errors import ValidationError
from engine.execution.runtime import Runtime
from engine.operations import job_claim
from engine.process_library import lint
from engine.process_library import safeload
from engine.process_library import xmlsafe
from engine.process_library.forms import FormHandler
from engine.process_library.forms import PythonDecision
from engine.process_library.loader import Library
from engine.publishing import scenario as scenario_module
from engine.publishing import scenario_suite
from engine.store.models import Event
from engine.store.models import ProcessDraft
from engine.store.models import ProcessVersion
from engine.store.models import PublishJob

FILE_PATTERN = re.compile(
    r"^(?:[A-Za-z0-9_-]+\.bpmn"
    r"|forms/[A-Za-z0-9_-]+\.(?:schema|uischema)\.json"
    r"|decisions/[A-Za-z0-9_-]+\.dmn"
    r"|municipality\.toml"
    r"|scenarios/[A-Za-z0-9_.-]+\.ya?ml"
    r"|README[A-Za-z0-9_.-]*\.md)$"
)
"""The files a municipality's folder may hold; anything else (paths with `..`, other folders) is refused."""

MAX_FILE_BYTES = xmlsafe.MAX_XML_BYTES
MAX_BUNDLE_BYTES = 20 * 1024 * 1024
MAX_FILES = 500
MAX_CACHED_LIBRARIES = 32
BASELINE_BY = "processes/"
BASELINE_REASON = "processes/ のファイル(初版)"

JOB_CLAIM_SECONDS = 600
"""A publish job's claim, renewed after each scenario: a worker that dies mid-run leaves it to another after this."""
UNFINISHED = ("queued", "running")

Progress = Callable[[Path | None, list[scenario_module.ScenarioResult]], None]


@dataclass(frozen=True)
class VersionInfo:
    """One published version as the history lists it (`baseline`: the files on disk, not yet recorded)."""

    municipality: str
    number: int
    bundle_hash: str
    reason: str
    published_by: str
    published_at: datetime | None
    baseline: bool = False


class PublishRefused(KaigoflowError):
    """The draft failed its check or its scenarios: nothing was published."""

    code = "publish_refused"
    http_status = 422
    exit_code = 2

    def __init__(self, message: str, problems: list[Problem], failures: list[str]) -> None:
        details = {str(i + 1): str(p) for i, p in enumerate(problems)}
        details.update({f"s{i + 1}": line for i, line in enumerate(failures)})
        super().__init__(message, details=details)
        self.problems = problems
        self.failures = failures


# -- files -----------------------------------------------------------------------------------------------


def bundle_hash(files: Mapping[str, str]) -> str:
    """The content hash of a bundle: the same files give the same hash wherever and whenever."""
    digests = {path: hashlib.sha256(text.encode("utf-8")).hexdigest() for path, text in sorted(files.items())}
    return hashlib.sha256(json.dumps(digests, sort_keys=True).encode()).hexdigest()


def read_folder(folder: Path) -> dict[str, str]:
    """The bundle files of a municipality folder on disk."""
    files = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and FILE_PATTERN.match(rel):
            files[rel] = path.read_text(encoding="utf-8")
    return files


DEEP = "入れ子が深すぎます"


def check_file(relative: str, content: bytes | str) -> str:
    """Return the file's text when it is a safe, well-formed file of its kind; else raise ValidationError.

    XML is parsed by engine/process_library/xmlsafe.py (no DTD, no entities, size limit) before anything else sees it.
    """
    rel = relative.strip().replace("\\", "/")
    if not FILE_PATTERN.match(rel):
        raise ValidationError(
            f"ファイル名「{relative}」は使えません",
            details={"path": "図は <ID>.bpmn、様式は forms/<名前>.schema.json、判定表は decisions/<ID>.dmn です"},
        )
    raw = content.encode("utf-8") if isinstance(content, str) else content
    if len(raw) > MAX_FILE_BYTES:
        raise ValidationError(
            f"「{rel}」が大きすぎます", details={rel: f"上限は {MAX_FILE_BYTES // 1024 // 1024} MB です"}
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        message = f"「{rel}」がUTF-8の文字として読めません"
        raise ValidationError(message, details={rel: "UTF-8で保存してください"}) from None
    if "\x00" in text:  # PostgreSQL cannot store it, and no diagram, form or table needs it
        raise ValidationError(f"「{rel}」を受け付けられません", details={rel: "使えない文字(NUL)が含まれています"})
    suffix = Path(rel).suffix
    if suffix in (".bpmn", ".dmn"):
        root, problems = xmlsafe.parse(raw, rel)
        if root is None:
            raise ValidationError(f"「{rel}」を受け付けられません", details={rel: problems[0].message})
    elif suffix == ".json":
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise ValidationError(f"「{rel}」がJSONとして読めません", details={rel: str(exc)}) from None
        except RecursionError:
            raise ValidationError(f"「{rel}」がJSONとして読めません", details={rel: DEEP}) from None
        if not isinstance(value, dict):
            raise ValidationError(f"「{rel}」を受け付けられません", details={rel: "JSONのオブジェクトにしてください"})
    elif suffix == ".toml":
        try:
            safeload.load_toml(text)
        except safeload.LoadRefused as exc:
            raise ValidationError(f"「{rel}」がTOMLとして読めません", details={rel: str(exc)}) from None
        except RecursionError:
            raise ValidationError(f"「{rel}」がTOMLとして読めません", details={rel: DEEP}) from None
    elif suffix in (".yaml", ".yml"):
        try:
            safeload.load_yaml(text)
        except safeload.LoadRefused as exc:
            raise ValidationError(f"「{rel}」を受け付けられません", details={rel: str(exc)}) from None
    return text


def check_bundle(files: Mapping[str, str]) -> None:
    if len(files) > MAX_FILES:
        raise ValidationError(f"ファイルが多すぎます(上限 {MAX_FILES} 件)")
    if sum(len(text.encode("utf-8")) for text in files.values()) > MAX_BUNDLE_BYTES:
        raise ValidationError(f"ファイルの合計が大きすぎます(上限 {MAX_BUNDLE_BYTES // 1024 // 1024} MB)")
    if "municipality.toml" not in files:
        raise ValidationError("municipality.toml は削除できません")


# -- versions --------------------------------------------------------------------------------------------


class Versions:
    """Published versions and drafts of every municipality, and the Library to read each one through."""

    def __init__(
        self,
        base: Library,
        cache_dir: Path,
        form_handlers: Mapping[str, FormHandler] | None = None,
        python_decisions: Mapping[str, PythonDecision] | None = None,
    ) -> None:
        self.base = base
        self.cache_dir = Path(cache_dir)
        self.form_handlers = dict(form_handlers or {})
        self.python_decisions = dict(python_decisions or {})
        """What a draft's scenarios run with (the runtime this builds for them): the installation's form handlers and
        Python decisions."""
        self._libraries: dict[tuple[str, str], Library] = {}

    # libraries ----------------------------------------------------------------------------------------

    def materialise(self, files: Mapping[str, str]) -> Path:
        """Write a bundle once into `<cache>/<hash>/` (atomically: a half-written directory is never used)."""
        digest = bundle_hash(files)
        target = self.cache_dir / digest
        if target.is_dir():
            return target
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{digest[:12]}-", dir=self.cache_dir))
        for rel, text in files.items():
            path = staging / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        try:
            os.rename(staging, target)
        except OSError:
            if not target.is_dir():
                raise
            _remove_tree(staging)  # another process materialised the same bundle first: same content
        return target

    def library_for_files(self, municipality: str, files: Mapping[str, str]) -> Library:
        """A Library in which the municipality's folder is these files (cached per content hash)."""
        return self._library(municipality, bundle_hash(files), lambda: files)

    def _library(self, municipality: str, digest: str, files: Callable[[], Mapping[str, str]]) -> Library:
        """The cached Library of the bundle with this hash; `files` is asked for only when it is not cached."""
        key = (municipality, digest)
        library = self._libraries.pop(key, None)
        if library is None:
            folder = self.materialise(files())
            overlays = {**self.base.overlays, municipality: folder}
            library = Library(self.base.root, self.base.python_decisions, overlays=overlays, cache=self.base.cache)
        self._libraries[key] = library  # most recently used last
        while len(self._libraries) > MAX_CACHED_LIBRARIES:
            del self._libraries[next(iter(self._libraries))]  # each draft save makes a new one: keep memory bounded
        return library

    def library_for_version(self, session: Session, municipality: str, number: int | None = None) -> Library:
        """The Library that reads a municipality as published version `number` (default: the newest).

        Version 1 with nothing published is the files under processes/ (the base Library itself).
        Raises NotFoundError for an unknown municipality or version number.
        """
        return self.library_for_row(municipality, self._row(session, municipality, number))

    def library_for_row(self, municipality: str, row: ProcessVersion | None) -> Library:
        """The Library of a version row already read (None: nothing published, the files under processes/)."""
        self.base.municipality(municipality)
        if row is None:
            return self.base
        # By the hash stored with the row: the bundle (the row's `files`, which the runtime's read leaves unloaded)
        # is read, decoded and hashed only when this process has not built its Library yet (issue 14).
        return self._library(municipality, row.bundle_hash, lambda: row.files)

    def active_library(self, session: Session, municipality: str) -> Library:
        """What new process instances of the municipality start on: its newest published version."""
        return self.library_for_version(session, municipality)

    def files(self, session: Session, municipality: str, number: int | None = None) -> dict[str, str]:
        row = self._row(session, municipality, number)
        if row is None:
            return read_folder(self.base.folder(municipality))
        return dict(row.files)

    def _row(self, session: Session, municipality: str, number: int | None) -> ProcessVersion | None:
        query = select(ProcessVersion).where(ProcessVersion.municipality == municipality)
        if number is None:
            return session.scalar(query.order_by(ProcessVersion.number.desc()).limit(1))
        row = session.scalar(query.where(ProcessVersion.number == number))
        if row is None and not (number == 1 and self.latest_number(session, municipality) == 1):
            raise NotFoundError(f"版 {number} はありません")
        return row

    def latest_number(self, session: Session, municipality: str) -> int:
        found = session.scalar(
            select(func.max(ProcessVersion.number)).where(ProcessVersion.municipality == municipality)
        )
        return int(found or 1)

    def list_versions(self, session: Session, municipality: str) -> list[VersionInfo]:
        """Every published version, oldest first; only the baseline (version 1 from disk) if none was published."""
        self.base.municipality(municipality)
        rows = session.scalars(
            select(ProcessVersion).where(ProcessVersion.municipality == municipality).order_by(ProcessVersion.number)
        ).all()
        if not rows:
            files = read_folder(self.base.folder(municipality))
            return [VersionInfo(municipality, 1, bundle_hash(files), BASELINE_REASON, BASELINE_BY, None, True)]
        return [
            VersionInfo(
                municipality,
                r.number,
                r.bundle_hash,
                r.reason,
                r.published_by,
                r.published_at,
                baseline=r.number == 1 and r.published_by == BASELINE_BY,
            )
            for r in rows
        ]

    # drafts -------------------------------------------------------------------------------------------

    def draft(self, session: Session, municipality: str) -> ProcessDraft | None:
        return session.get(ProcessDraft, municipality)

    def open_draft(self, session: Session, municipality: str, by: str, clock: Clock) -> ProcessDraft:
        """The municipality's draft, started from its newest version when there is none."""
        self.base.municipality(municipality)
        found = self.draft(session, municipality)
        if found is not None:
            return found
        draft = ProcessDraft(
            municipality=municipality,
            base_number=self.latest_number(session, municipality),
            files=self.files(session, municipality),
            updated_by=by,
            updated_at=clock.now(),
            version=1,
        )
        try:
            with session.begin_nested():
                session.add(draft)
        except IntegrityError:
            found = self.draft(session, municipality)
            assert found is not None
            return found
        session.commit()
        return draft

    def save_files(
        self,
        session: Session,
        municipality: str,
        changes: Mapping[str, bytes | str | None],
        by: str,
        clock: Clock,
        *,
        expected_version: int | None = None,
        replace: bool = False,
        actor_id: int | None = None,
    ) -> ProcessDraft:
        """Write files into the draft (None deletes one; `replace` makes `changes` the whole draft).

        Every file is checked (engine/process_library/xmlsafe.py for XML) before anything is written: one refused file
        leaves the draft exactly as it was. `expected_version` guards against overwriting someone else's save.
        """
        checked = {rel: (None if content is None else check_file(rel, content)) for rel, content in changes.items()}
        draft = self.open_draft(session, municipality, by, clock)
        if expected_version is not None and draft.version != expected_version:
            raise ConflictError("他の人が先に下書きを保存しました。開き直してから編集してください")
        files = {} if replace else dict(draft.files)
        for rel, text in checked.items():
            key = rel.strip().replace("\\", "/")
            if text is None:
                files.pop(key, None)
            else:
                files[key] = text
        check_bundle(files)
        draft.files = files
        draft.updated_by, draft.updated_at = by, clock.now()
        draft.version += 1
        session.add(
            Event(
                at=clock.now(),
                actor_id=actor_id,
                kind="process_draft_saved",
                detail={"municipality": municipality, "files": sorted(checked), "by": by, "draft": draft.version},
            )
        )
        session.commit()
        return draft

    def discard_draft(
        self, session: Session, municipality: str, by: str, clock: Clock, actor_id: int | None = None
    ) -> None:
        draft = self.draft(session, municipality)
        if draft is None:
            return
        session.delete(draft)
        session.add(
            Event(
                at=clock.now(),
                actor_id=actor_id,
                kind="process_draft_discarded",
                detail={"municipality": municipality, "by": by},
            )
        )
        session.commit()

    def draft_library(self, session: Session, municipality: str) -> Library:
        draft = self.draft(session, municipality)
        if draft is None:
            raise NotFoundError("下書きがありません")
        return self.library_for_files(municipality, draft.files)

    def lint_draft(self, session: Session, municipality: str) -> lint.LintReport:
        """The full check (engine/process_library/lint.py) of common plus the draft, resolving every flow it has."""
        return lint.lint_library(self.draft_library(session, municipality), [municipality])

    def run_draft_scenarios(self, session: Session, municipality: str) -> list[scenario_module.ScenarioResult]:
        library = self.draft_library(session, municipality)
        return self.run_scenarios(library, municipality)

    def run_scenarios(
        self, library: Library, municipality: str, progress: Progress | None = None
    ) -> list[scenario_module.ScenarioResult]:
        """Each scenario of the municipality on its own empty SQLite database, against `library`.

        `progress(path, results so far)` is called before each file and once at the end (path None).
        """
        files = scenario_files(library, municipality)
        return scenario_suite.run_each_on_a_fresh_database(
            files, lambda clock: Runtime(library, clock, self.form_handlers, self.python_decisions), progress=progress
        )

    # publishing ---------------------------------------------------------------------------------------

    def publish(
        self,
        session: Session,
        municipality: str,
        reason: str,
        by: str,
        clock: Clock,
        *,
        actor_id: int | None = None,
        run_scenarios: bool = True,
    ) -> VersionInfo:
        """Check the draft, run its scenarios, and record it as the next version; the draft is then gone.

        Raises PublishRefused (problems and failed scenarios listed) or ConflictError (a version was
        published since the draft was started); nothing is recorded then. The web app queues the same as a job
        (`queue_publish`), so the owner does not wait for the scenarios.
        """
        reason, by = _publisher(reason, by)
        draft = self._publishable_draft(session, municipality)
        report = self.lint_draft(session, municipality)
        failures = []
        if report.ok and run_scenarios:
            failures = [r.line() for r in self.run_draft_scenarios(session, municipality) if not r.passed]
        if not report.ok or failures:
            raise PublishRefused("下書きに問題があるため公開できません", report.problems, failures)
        return self._record(session, draft, reason, by, actor_id, clock, scenarios_run=run_scenarios)

    def _publishable_draft(self, session: Session, municipality: str) -> ProcessDraft:
        draft = self.draft(session, municipality)
        if draft is None:
            raise NotFoundError("公開する下書きがありません")
        latest = self.latest_number(session, municipality)
        if draft.base_number != latest:
            raise ConflictError(
                f"下書きは版 {draft.base_number} をもとにしていますが、その後に版 {latest} が公開されました。"
                "下書きを破棄して作り直してください"
            )
        return draft

    def _record(
        self,
        session: Session,
        draft: ProcessDraft,
        reason: str,
        by: str,
        actor_id: int | None,
        clock: Clock,
        *,
        scenarios_run: bool,
        job_id: int | None = None,
    ) -> VersionInfo:
        """Record the draft as the next version and delete the draft, in one commit."""
        municipality = draft.municipality
        latest = self.latest_number(session, municipality)
        files = dict(draft.files)
        now = clock.now()
        published = select(func.count(ProcessVersion.id)).where(ProcessVersion.municipality == municipality)
        if session.scalar(published) == 0:
            baseline = read_folder(self.base.folder(municipality))
            session.add(_version_row(municipality, 1, baseline, BASELINE_REASON, BASELINE_BY, None, now))
        number = latest + 1
        row = _version_row(municipality, number, files, reason, by, actor_id, now)
        session.add(row)
        session.delete(draft)
        detail: dict[str, Any] = {
            "municipality": municipality,
            "number": number,
            "bundle_hash": row.bundle_hash,
            "reason": reason,
            "by": by,
            "scenarios_run": scenarios_run,
        }
        if job_id is not None:
            detail["job"] = job_id
            job = session.get(PublishJob, job_id)
            if job is not None:
                job.status, job.number, job.finished_at, job.current = "published", number, now, None
        session.add(Event(at=now, actor_id=actor_id, kind="process_published", detail=detail))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            raise ConflictError("同時に別の版が公開されました。下書きを作り直してください") from None
        return VersionInfo(municipality, number, row.bundle_hash, reason, by, now)

    # publish jobs: the scenarios run in `kaigoflow worker`, the owner's page polls the job -----------------

    def queue_publish(
        self, session: Session, municipality: str, reason: str, by: str, clock: Clock, *, actor_id: int | None = None
    ) -> PublishJob:
        """Check the draft now (lint: fast, and its problems belong on the page at once) and queue the rest.

        The worker runs the scenarios and publishes when all pass (`run_next_publish_job`). Raises
        PublishRefused for lint problems, ConflictError when a job of the municipality is still under way.
        """
        reason, by = _publisher(reason, by)
        draft = self._publishable_draft(session, municipality)
        if self.unfinished_job(session, municipality) is not None:
            raise ConflictError("公開の確認がすでに実行中です。終わるまでお待ちください")
        report = self.lint_draft(session, municipality)
        if not report.ok:
            raise PublishRefused("下書きに問題があるため公開できません", report.problems, [])
        job = PublishJob(
            municipality=municipality,
            draft_version=draft.version,
            reason=reason,
            published_by=by,
            actor_id=actor_id,
            status="queued",
            total=len(scenario_files(self.draft_library(session, municipality), municipality)),
            done=0,
            failures=[],
            created_at=clock.now(),
        )
        session.add(job)
        session.commit()
        return job

    def unfinished_job(self, session: Session, municipality: str) -> PublishJob | None:
        return session.scalar(
            select(PublishJob)
            .where(PublishJob.municipality == municipality, PublishJob.status.in_(UNFINISHED))
            .order_by(PublishJob.id.desc())
            .limit(1)
        )

    def publish_job(self, session: Session, municipality: str, job_id: int) -> PublishJob:
        job = session.get(PublishJob, job_id)
        if job is None or job.municipality != municipality:
            raise NotFoundError("公開の記録が見つかりません")
        return job

    def run_next_publish_job(self, session: Session, worker: str, clock: Clock) -> PublishJob | None:
        """Claim the oldest queued publish job (or one whose worker died), run it to its end; None if none."""
        job = self._claim_job(session, worker, clock)
        if job is None:
            return None
        job_id = job.id
        try:
            self._run_job(session, job, clock)
        except Exception as exc:
            session.rollback()
            job = session.get(PublishJob, job_id)
            assert job is not None
            job.status, job.finished_at, job.current = "failed", clock.now(), None
            job.message = exc.message if isinstance(exc, KaigoflowError) else f"公開の確認が中断しました: {exc}"
            session.commit()
        return session.get(PublishJob, job_id)

    def _claim_job(self, session: Session, worker: str, clock: Clock) -> PublishJob | None:
        return job_claim.claim(session, PublishJob, worker, clock, JOB_CLAIM_SECONDS, done=0, failures=[])

    def _run_job(self, session: Session, job: PublishJob, clock: Clock) -> None:
        draft = self.draft(session, job.municipality)
        if draft is None or draft.version != job.draft_version:
            job.status, job.finished_at = "refused", clock.now()
            job.message = "公開を待つ間に下書きが変更または破棄されました。もう一度公開してください"
            session.commit()
            return
        library = self.library_for_files(job.municipality, draft.files)

        def progress(path: Path | None, results: list[scenario_module.ScenarioResult]) -> None:
            job.done = len(results)
            job.current = path.stem if path is not None else None
            job.failures = [r.line() for r in results if not r.passed]
            job.claimed_until = clock.now() + timedelta(seconds=JOB_CLAIM_SECONDS)
            session.commit()

        results = self.run_scenarios(library, job.municipality, progress)
        failures = [r.line() for r in results if not r.passed]
        if failures:
            job.status, job.finished_at, job.failures = "refused", clock.now(), failures
            job.message = "シナリオが通らないため公開しませんでした"
            session.commit()
            return
        draft = self._publishable_draft(session, job.municipality)
        if draft.version != job.draft_version:
            raise ConflictError("公開を待つ間に下書きが変更されました。もう一度公開してください")
        self._record(
            session, draft, job.reason, job.published_by, job.actor_id, clock, scenarios_run=True, job_id=job.id
        )


def scenario_files(library: Library, municipality: str) -> list[Path]:
    folder = library.folder(municipality) / "scenarios"
    return scenario_module.discover([folder]) if folder.is_dir() else []


def _publisher(reason: str, by: str) -> tuple[str, str]:
    reason, by = (reason or "").strip(), (by or "").strip()
    if not reason:
        raise ValidationError("公開の理由を入力してください", details={"reason": "必須です"})
    if not by:
        raise ValidationError("公開する人を指定してください", details={"by": "必須です"})
    return reason, by


def _version_row(
    municipality: str,
    number: int,
    files: Mapping[str, str],
    reason: str,
    by: str,
    actor_id: int | None,
    now: datetime,
) -> ProcessVersion:
    return ProcessVersion(
        municipality=municipality,
        number=number,
        bundle_hash=bundle_hash(files),
        files=dict(files),
        reason=reason,
        published_by=by,
        published_by_id=actor_id,
        published_at=now,
    )


def _remove_tree(path: Path) -> None:
    for child in sorted(path.rglob("*"), reverse=True):
        if child.is_dir():
            child.rmdir()
        else:
            child.unlink()
    path.rmdir()


def changed_files(before: Mapping[str, str], after: Mapping[str, str]) -> dict[str, str]:
    """path -> 追加 / 削除 / 変更, for the history and the draft page."""
    result = {}
    for path in sorted(set(before) | set(after)):
        if path not in before:
            result[path] = "追加"
        elif path not in after:
            result[path] = "削除"
        elif before[path] != after[path]:
            result[path] = "変更"
    return result


def problems_for_page(problems: Iterable[Problem], files: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """Problems as plain dicts (file, element, element_name, message, rule) for the owner's pages.

    `element_name` is the element's name in the diagram or decision (`files`: the draft's files), so the list says
    which step in the owner's words; the id stays for the markers and is shown beside it, small.
    """
    names: dict[str, dict[str, str]] = {}

    def name_of(problem: Problem) -> str:
        if not problem.element or files is None:
            return ""
        path = next((p for p in files if problem.file == p or problem.file.endswith(f"/{p}")), None)
        if path is None or not path.endswith(("bpmn", "dmn")):
            return ""
        if path not in names:
            root, _ = xmlsafe.parse(files[path].encode("utf-8"), path)
            found = root.xpath("//*[@id and @name]") if root is not None else []
            names[path] = {str(e.get("id")): str(e.get("name")).strip() for e in found}
        return names[path].get(problem.element, "")

    return [
        {"file": p.file, "element": p.element, "element_name": name_of(p), "message": p.message, "rule": p.rule}
        for p in problems
    ]
