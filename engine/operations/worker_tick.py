"""One round of a worker: fire due timers and duties, run queued publish jobs and the work people queued on the
pages (case exports), record the heartbeat.

`kaigoflow worker`, `kaigoflow tick` and the demo's worker thread (web/demo.py) all do exactly this, so a publish
queued from the owners' page runs wherever a worker runs, and /healthz sees every kind of worker alive.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from engine.errors import KaigoflowError
from engine.execution.runtime import Runtime
from engine.operations import heartbeat
from engine.services import Services

PUBLISH_OUTCOMES = {"published": "公開しました", "refused": "公開しませんでした", "failed": "中断しました"}


def work_once(svc: Services, session: Session, runtime: Runtime, name: str, say: Callable[[str], None]) -> int:
    """Everything due now, once; how many timers, duties, publish jobs and queued works were run."""
    try:
        fired = runtime.fire_due(session, worker=name)
    except KaigoflowError as exc:
        say(f"エラー: {exc}")
        fired = 0
    while (job := svc.versions.run_next_publish_job(session, name, runtime.clock)) is not None:
        say(f"公開の確認({job.municipality}): {PUBLISH_OUTCOMES.get(job.status, job.status)}")
        fired += 1
    for work in svc.queued_work:  # case exports asked for on the case page (web/export_jobs.py)
        try:
            fired += work(name)
        except Exception as failure:  # one kind of work failing must not stop the timers of the next round
            say(f"エラー: {failure}")
    # Every round, whether or not anything was due: /healthz reads how recently a worker was alive.
    heartbeat.beat(session, name, runtime.clock.now(), fired)
    return fired
