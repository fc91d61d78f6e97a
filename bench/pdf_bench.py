"""帳票 PDFs, the case export and publishing, as staff and owners wait for them (issue 14 goal 6). Asserts nothing.

Set-up (not timed): a SQLite database under bench/out/ with one 鈴鹿亀山 case whose monthly モニタリング has been
recorded `--documents` times (40 documents), and the web app on it.

Printed, in this order, in one process:
- the first PDF the process draws (WeasyPrint loads its fonts), then a PDF drawn for another document, then the
  same document again (served from `rendered_pdf`, web/pdf_cache.py): goal ≤ 300 ms;
- the case export with every PDF to draw (none stored), then again (all stored): goal ≤ 2 s;
- publishing a municipality's draft: what the owner waits for (`queue_publish`: lint, then the job is queued),
  against what the worker then does (every scenario, then the version) and the old in-request publish: goal ≤ 5 s.
Each figure is also printed as this process's CPU time, steadier than wall time on a shared machine.

Usage: .venv/bin/python bench/pdf_bench.py [--documents N]
"""

from __future__ import annotations

import argparse
import time

from common import log
from common import machine
from common import sqlite_url
from engine_bench import MonitoringCase
from engine_bench import Timing
from engine_bench import _services
from sqlalchemy import delete
from sqlalchemy import select

from engine.clock import SystemClock
from engine.services import Services
from engine.store.models import Case
from engine.store.models import Document
from engine.store.models import RenderedPdf

MUNI = "suzuka-kameyama"


def make_case(url: str, documents: int) -> tuple[Services, int]:
    svc = _services(url)
    case = MonitoringCase(svc, months=documents + 2)
    for month in range(documents):
        task_id, submission = case.prepare(month)
        case.complete(task_id, submission)
    return svc, case.case_id


def figure(name: str, timing: Timing, goal: str = "") -> None:
    tail = f" (goal {goal})" if goal else ""
    log(f"{name}: {timing.wall * 1000:.0f} ms, CPU {timing.cpu * 1000:.0f} ms{tail}")


def bench_pdfs(svc: Services, case_id: int) -> None:
    from web import create_app
    from web import export
    from web.cases import _print_arguments
    from web.extensions import db
    from web.pdf_cache import document_pdf

    app = create_app(services=svc, config={"SESSION_COOKIE_SECURE": False})
    with app.test_request_context():
        case = db.session.get(Case, case_id)
        docs = db.session.scalars(select(Document).where(Document.case_id == case_id).order_by(Document.id)).all()
        log(f"case with {len(docs)} documents ({', '.join(sorted({d.form for d in docs}))})")

        def pdf(doc: Document) -> Timing:
            with Timing() as timing:
                arguments = _print_arguments(doc, case)
                document_pdf(doc, case, arguments.pop("organisations"), **arguments)
                db.session.commit()
            return timing

        figure("first PDF of the process (fonts loaded)", pdf(docs[0]))
        drawn = [pdf(doc) for doc in docs[1:4]]
        figure("a PDF drawn (median of 3 documents)", sorted(drawn, key=lambda t: t.wall)[1])
        cached = [pdf(doc) for doc in docs[1:4]]
        best = sorted(cached, key=lambda t: t.wall)[1]
        figure("the same PDF again, stored (median of 3)", best, "<= 300 ms")
        log(f"    drawn / stored: {sorted(drawn, key=lambda t: t.wall)[1].wall / best.wall:.0f}x")

        db.session.execute(delete(RenderedPdf))
        db.session.commit()
        with Timing() as cold:
            size = len(export.archive(case))
            db.session.commit()
        figure(f"case export of {len(docs)} documents, every PDF drawn ({size // 1024} KiB)", cold)
        with Timing() as warm:
            export.archive(case)
            db.session.commit()
        figure(f"case export of {len(docs)} documents, PDFs stored", warm, "<= 2 s")
        db.session.remove()


def bench_publish(svc: Services) -> None:
    clock = SystemClock()
    versions = svc.versions

    def edit(session, note: str) -> None:
        versions.save_files(session, MUNI, {"README.md": f"ベンチマーク {note}\n"}, "bench", clock)

    with svc.sessions() as session:
        edit(session, "1")
        with Timing() as queued:
            job = versions.queue_publish(session, MUNI, "ベンチマーク", "bench", clock)
        figure("publish: what the owner waits for (lint, job queued)", queued, "<= 5 s")
        with Timing() as worker:
            job = versions.run_next_publish_job(session, "bench-worker", clock)
        figure(f"publish: the worker's run ({job.total} scenarios, then version {job.number}: {job.status})", worker)
        edit(session, "2")
        with Timing() as in_request:
            info = versions.publish(session, MUNI, "ベンチマーク", "bench", clock)
        figure(f"publish in one request as before (version {info.number})", in_request)
        log(f"    owner's wait before / now: {in_request.wall / queued.wall:.0f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=40)
    args = parser.parse_args()
    log(f"machine: {machine()}")
    started = time.perf_counter()
    svc, case_id = make_case(sqlite_url("pdf_bench"), args.documents)
    log(f"set-up: {args.documents} monitoring records in {time.perf_counter() - started:.0f} s")
    bench_pdfs(svc, case_id)
    bench_publish(svc)
    svc.engine.dispose()


if __name__ == "__main__":
    main()
