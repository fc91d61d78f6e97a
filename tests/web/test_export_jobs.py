"""The case page's 記録一式 as a job (issue 13, item 11): asked for on the page, built by the worker with its
progress shown, downloaded by the person who asked; the download is the `case_exported` event."""

from __future__ import annotations

from sqlalchemy import select

from engine.clock import SystemClock
from engine.operations import export_jobs as export_job
from engine.operations import worker_tick
from engine.store.models import Event
from engine.store.models import ExportJob
from tests.web.conftest import INTAKE
from tests.web.conftest import ready_task
from tests.web.test_audit_trail import check_record
from tests.web.test_audit_trail import read_zip
from web.export_jobs import ExportRunner


def ask(browser, case_id: int) -> str:
    asked = browser.post(f"/cases/{case_id}/exports", {})
    assert asked.status_code == 302
    return asked.headers["Location"]


def test_an_export_is_queued_built_by_the_worker_and_downloaded_by_who_asked(
    login_as, app, web_services, db_session, runtime, case, world
):
    intake = ready_task(db_session, case.id, "intake")
    runtime.complete(db_session, intake.id, INTAKE, world["alpha.center"].actor())
    office = login_as("alpha.office")
    page_url = ask(office, case.id)
    assert ask(office, case.id) == page_url  # asking again while it waits: the same job, not a second ZIP
    waiting = office.get(page_url).get_data(as_text=True)
    assert "作成の順番を待っています(帳票 1件)" in waiting and "job_progress.js" in waiting
    assert "ワーカー" in waiting  # no worker has run in this test yet: the page says why nothing moves
    assert office.get(f"{page_url}/status").get_json() == {"status": "queued", "done": 0, "total": 1}
    assert office.get(f"{page_url}/download").status_code == 404  # not built yet
    # The center plans this case too, but the job is the office's: not theirs to see or download.
    center = login_as("alpha.center")
    assert center.get(page_url).status_code == 404 and center.get(f"{page_url}/download").status_code == 404

    web_services.queued_work.append(ExportRunner(web_services, clock=app.extensions["kaigoflow_clock"]))
    with web_services.sessions() as session:
        ran = worker_tick.work_once(web_services, session, runtime, "test-worker", lambda line: None)
    assert ran == 1
    assert office.get(f"{page_url}/status").get_json() == {"status": "done", "done": 1, "total": 1}
    done = office.get(page_url).get_data(as_text=True)
    assert "記録一式ができました" in done and f'href="{page_url}/download"' in done and "job_progress.js" not in done
    assert not db_session.scalars(select(Event).where(Event.kind == "case_exported")).all()  # built, not handed out
    response = office.get(f"{page_url}/download")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"].startswith(f'attachment; filename="case-{case.id}-record-')
    check_record(*read_zip(response.data), case, world, db_session)
    [exported] = db_session.scalars(select(Event).where(Event.kind == "case_exported")).all()
    assert (exported.actor_id, exported.detail, exported.case_id) == (
        world["alpha.office"].user_id,
        {"via": "page"},
        case.id,
    )


def test_a_newer_export_replaces_the_earlier_zip_and_a_failed_one_says_so(
    login_as, app, web_services, db_session, runtime, case, world
):
    office = login_as("alpha.office")
    runner = ExportRunner(web_services, clock=app.extensions["kaigoflow_clock"])
    first = ask(office, case.id)
    assert runner("test-worker") == 1
    second = ask(office, case.id)
    assert second != first
    assert runner("test-worker") == 1
    assert "より新しい出力に置き換わりました" in office.get(first).get_data(as_text=True)
    assert office.get(f"{first}/download").status_code == 404
    assert office.get(f"{second}/download").status_code == 200

    def broken(job, progress):
        raise RuntimeError("disk full")

    third = ask(office, case.id)
    with web_services.sessions() as session:
        failed = export_job.run_next(session, "test-worker", SystemClock(), broken)
    assert failed is not None and failed.status == "failed"
    page = office.get(third).get_data(as_text=True)
    assert "記録一式を作れませんでした" in page and "disk full" not in page
    jobs = db_session.scalars(select(ExportJob).order_by(ExportJob.id)).all()
    assert [j.status for j in jobs] == ["done", "done", "failed"]
