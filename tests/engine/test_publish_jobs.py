"""Publish jobs (engine/publishing/versions.py): queued by the web app, run by `kaigoflow worker`, each run once, never
lost."""

from __future__ import annotations

from datetime import date
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy import select

from engine.clock import FixedClock
from engine.config import Settings
from engine.errors import ConflictError
from engine.publishing.versions import JOB_CLAIM_SECONDS
from engine.publishing.versions import PublishRefused
from engine.services import Services
from engine.store.models import ProcessVersion
from engine.store.models import PublishJob

LIBRARY = Path(__file__).resolve().parent.parent / "fixtures" / "versionlib"
MINI = (LIBRARY / "common" / "mini.bpmn").read_text(encoding="utf-8")
RENAMED = MINI.replace('name="受付"', 'name="相談受付"')


@pytest.fixture
def svc(database_url, tmp_path):
    settings = Settings(database_url=database_url, processes_dir=LIBRARY, cache_dir=tmp_path / "bundles")
    services = Services(settings, {}, {"score": lambda inputs, params: {"high": inputs["points"] >= 50}})
    yield services
    services.engine.dispose()


@pytest.fixture
def clock():
    return FixedClock(date(2026, 5, 1))


@pytest.fixture
def session(svc):
    with svc.sessions() as s:
        yield s


def queued(svc, session, clock, bpmn: str = RENAMED) -> int:
    svc.versions.save_files(session, "demo", {"mini.bpmn": bpmn}, "owner", clock)
    return svc.versions.queue_publish(session, "demo", "名称変更", "owner", clock).id


def versions(session) -> int:
    return session.scalar(select(func.count()).select_from(ProcessVersion))


def test_queueing_publishes_nothing_and_the_worker_publishes_once(svc, session, clock):
    job_id = queued(svc, session, clock)
    assert versions(session) == 0
    job = svc.versions.run_next_publish_job(session, "w1", clock)
    assert (job.id, job.status, job.number, job.done) == (job_id, "published", 2, job.total)
    assert job.total >= 1 and job.failures == [] and job.claimed_by == "w1"
    assert versions(session) == 2
    assert svc.versions.run_next_publish_job(session, "w2", clock) is None  # nothing left: never run twice


def test_lint_problems_refuse_at_once_without_a_job(svc, session, clock):
    svc.versions.save_files(session, "demo", {"mini.bpmn": MINI.replace("intake.schema.json", "x.json")}, "o", clock)
    with pytest.raises(PublishRefused):
        svc.versions.queue_publish(session, "demo", "壊れた変更", "owner", clock)
    assert session.scalar(select(func.count()).select_from(PublishJob)) == 0


def test_one_job_per_municipality_at_a_time(svc, session, clock):
    queued(svc, session, clock)
    with pytest.raises(ConflictError):
        svc.versions.queue_publish(session, "demo", "もう一度", "owner", clock)


def test_a_job_whose_worker_died_is_taken_over_after_its_claim_expires(svc, session, clock):
    job_id = queued(svc, session, clock)
    job = session.get(PublishJob, job_id)
    job.status, job.claimed_by, job.claimed_until = "running", "dead-worker", clock.now() + timedelta(seconds=60)
    session.commit()
    assert svc.versions.run_next_publish_job(session, "w2", clock) is None  # the claim still holds
    clock.advance(timedelta(seconds=JOB_CLAIM_SECONDS + 61))
    job = svc.versions.run_next_publish_job(session, "w2", clock)
    assert (job.status, job.claimed_by) == ("published", "w2")
    assert versions(session) == 2


def test_a_run_that_breaks_ends_the_job_as_failed_with_a_message(svc, session, clock, monkeypatch):
    job_id = queued(svc, session, clock)

    def broken(*_args, **_kwargs):
        raise OSError("ディスクがいっぱいです")

    monkeypatch.setattr(type(svc.versions), "run_scenarios", broken)
    job = svc.versions.run_next_publish_job(session, "w1", clock)
    assert (job.id, job.status) == (job_id, "failed")
    assert "ディスクがいっぱいです" in job.message
    assert versions(session) == 0
    assert svc.versions.draft(session, "demo") is not None  # nothing the owner edited is lost
