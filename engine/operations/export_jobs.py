"""Case exports (運営指導 用の記録一式 ZIP) as jobs: queued from the case page, built by a worker, downloaded later.

Building the ZIP draws every document's 帳票 that is not stored yet (about a second each), so a case with many
documents would keep the person waiting on a blank page. The page queues a job instead and shows `done` of
`total` documents while `kaigoflow worker` (or the demo's worker thread) builds it; when it is done the ZIP waits
in the job for the person who asked.

The engine knows nothing of PDFs or Flask: the worker passes a `Builder` (web/export_jobs.py) that writes the ZIP
and reports each document done; this module queues, claims, records progress and stores the outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.errors import KaigoflowError
from engine.operations import job_claim
from engine.store.models import ExportJob

CLAIM_SECONDS = 300
"""A running job whose worker has not reported for this long is taken over by another worker."""
UNFINISHED = ("queued", "running")

Progress = Callable[[int], None]
"""Told how many documents are in the ZIP so far."""
Builder = Callable[[ExportJob, Progress], tuple[bytes, str]]
"""Builds the job's ZIP, reporting progress; returns (the ZIP, its file name)."""


def queue(session: Session, case_id: int, actor_id: int | None, total: int, clock: Clock) -> ExportJob:
    """The person's unfinished export of this case, or a new one (asking twice does not build twice)."""
    job = unfinished(session, case_id, actor_id)
    if job is not None:
        return job
    job = ExportJob(case_id=case_id, actor_id=actor_id, status="queued", total=total, done=0, created_at=clock.now())
    session.add(job)
    session.commit()
    return job


def unfinished(session: Session, case_id: int, actor_id: int | None) -> ExportJob | None:
    return session.scalar(
        select(ExportJob)
        .where(ExportJob.case_id == case_id, ExportJob.actor_id == actor_id, ExportJob.status.in_(UNFINISHED))
        .order_by(ExportJob.id.desc())
        .limit(1)
    )


def find(session: Session, case_id: int, job_id: int, actor_id: int | None) -> ExportJob | None:
    """The job, only for the case it was asked for and the person who asked."""
    job = session.get(ExportJob, job_id)
    if job is None or job.case_id != case_id or job.actor_id != actor_id:
        return None
    return job


def run_next(session: Session, worker: str, clock: Clock, build: Builder) -> ExportJob | None:
    """Claim the oldest queued export (or one whose worker died) and build it; None when there is none."""
    job = _claim(session, worker, clock)
    if job is None:
        return None
    job_id = job.id

    def progress(done: int) -> None:
        job.done = done
        job.claimed_until = clock.now() + timedelta(seconds=CLAIM_SECONDS)
        session.commit()  # the page polls this; any PDFs drawn so far are kept as well

    try:
        archive, filename = build(job, progress)
    except Exception as exc:
        session.rollback()
        failed = session.get(ExportJob, job_id)
        assert failed is not None
        failed.status, failed.finished_at = "failed", clock.now()
        failed.message = exc.message if isinstance(exc, KaigoflowError) else "記録一式を作れませんでした"
        session.commit()
        return failed
    job.archive, job.filename, job.done = archive, filename, job.total
    job.status, job.finished_at, job.claimed_until = "done", clock.now(), None
    # Personal data kept no longer than needed: the person's earlier ZIPs of this case give way to the new one.
    session.execute(
        update(ExportJob)
        .where(ExportJob.case_id == job.case_id, ExportJob.actor_id == job.actor_id, ExportJob.id != job.id)
        .values(archive=None)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return job


def _claim(session: Session, worker: str, clock: Clock) -> ExportJob | None:
    return job_claim.claim(session, ExportJob, worker, clock, CLAIM_SECONDS, done=0)
