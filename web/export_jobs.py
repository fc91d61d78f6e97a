"""The case page's 記録一式 (運営指導 用 ZIP) as a job: asked for here, built by the worker, downloaded when done.

The person asks (POST), sees the documents done of the total while the worker builds it (the page polls), and
downloads the ZIP from the same page; only the person who asked may see the job. The download is what hands
personal data out, so it is the `case_exported` event. `ExportRunner` is the worker's part
(engine/operations/export_jobs.py claims and records; this draws the ZIP with web/export.py on the same database
session, without a web app).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import Response
from flask import abort
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from sqlalchemy.orm import Session

from engine import HEARTBEAT_STALE_SECONDS
from engine import Case
from engine import Clock
from engine import ExportJob
from engine import Library
from engine import Services
from engine import SystemClock
from engine import export_jobs as export_job
from engine import last_worker_tick
from web import access
from web import app_services
from web import auth
from web import export
from web import signed_in
from web.extensions import db

bp = Blueprint("case_exports", __name__)
bp.before_request(auth.require_login)


def _job_or_404(case_id: int, job_id: int) -> tuple[Case, ExportJob]:
    case = access.export_or_404(case_id)
    job = export_job.find(db.session, case.id, job_id, signed_in.staff().id)
    if job is None:
        abort(404)
    return case, job


@bp.post("/cases/<int:case_id>/exports")
def ask(case_id: int) -> Response:
    """Queue the case's record for the worker (or find the one already under way) and show its progress."""
    case = access.export_or_404(case_id)
    job = export_job.queue(
        db.session, case.id, signed_in.staff().id, export.document_count(db.session(), case), app_services.clock()
    )
    return redirect(url_for("case_exports.show", case_id=case.id, job_id=job.id))  # type: ignore[return-value]


@bp.get("/cases/<int:case_id>/exports/<int:job_id>")
def show(case_id: int, job_id: int) -> str:
    case, job = _job_or_404(case_id, job_id)
    last = last_worker_tick(db.session)
    now = app_services.clock().now()
    worker_quiet = last is None or (now - last).total_seconds() > HEARTBEAT_STALE_SECONDS
    return render_template("cases/export.html", case=case, job=job, worker_quiet=worker_quiet)


@bp.get("/cases/<int:case_id>/exports/<int:job_id>/status")
def status(case_id: int, job_id: int) -> Any:
    """What the page polls: the job's state and how many documents are in the ZIP so far."""
    _, job = _job_or_404(case_id, job_id)
    return jsonify({"status": job.status, "done": job.done, "total": job.total})


@bp.get("/cases/<int:case_id>/exports/<int:job_id>/download")
def download(case_id: int, job_id: int) -> Response:
    case, job = _job_or_404(case_id, job_id)
    if job.status != "done" or job.archive is None:
        abort(404)
    export.log_export(db.session(), app_services.clock(), case, signed_in.staff().id, request.remote_addr, "page")
    response = Response(job.archive, mimetype="application/zip")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{job.filename or export.filename(case, app_services.clock())}"'
    )
    return response


def builder(session: Session, library: Library, clock: Clock) -> export_job.Builder:
    """What builds a job's ZIP: web/export.py's archive, reporting each document done (no web app needed)."""

    def build(job: ExportJob, progress: export_job.Progress) -> tuple[bytes, str]:
        case = session.get(Case, job.case_id)
        if case is None:
            raise LookupError(job.case_id)
        return export.archive(session, library, clock, case, progress=progress), export.filename(case, clock)

    return build


class ExportRunner:
    """The worker's part: build every queued case export (kaigoflow worker, tick and the demo's worker thread) with
    a database session of its own and the library, as `kaigoflow export-case` does."""

    def __init__(self, services: Services, clock: Clock | None = None) -> None:
        self.services = services
        self.clock = clock or SystemClock()

    def __call__(self, worker: str) -> int:
        built = 0
        with self.services.sessions() as session:
            build = builder(session, self.services.library, self.clock)
            while export_job.run_next(session, worker, self.clock, build) is not None:
                built += 1
        return built
