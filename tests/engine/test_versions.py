"""Drafts, publishing and versions, and moving running instances: on SQLite and PostgreSQL.

The library is tests/fixtures/versionlib: the tiny `mini` flow (with DI, so it lints clean) in common/, and a
`demo` municipality whose scenario checks it. Each test edits the demo's draft as a process owner would.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy import select

from engine.accounts.demo_staff import demo_organisations
from engine.accounts.demo_staff import demo_user
from engine.clock import FixedClock
from engine.config import Settings
from engine.errors import ConflictError
from engine.errors import NotFoundError
from engine.errors import ValidationError
from engine.execution.runtime import Actor
from engine.publishing import instance_migration
from engine.publishing.versions import PublishRefused
from engine.services import Services
from engine.store.models import Event
from engine.store.models import ProcessInstance
from engine.store.models import ProcessVersion
from engine.store.models import Task

LIBRARY = Path(__file__).resolve().parent.parent / "fixtures" / "versionlib"
MINI = (LIBRARY / "common" / "mini.bpmn").read_text(encoding="utf-8")
INTAKE_FORM = (LIBRARY / "common" / "forms" / "intake.schema.json").read_text(encoding="utf-8")
GOOD = {"points": 70, "consultation_date": "2026-05-01", "wait_until": "2026-05-10T00:00:00+09:00"}


@pytest.fixture
def svc(database_url, tmp_path):
    settings = Settings(database_url=database_url, processes_dir=LIBRARY, cache_dir=tmp_path / "bundles")
    services = Services(settings, {}, {"score": lambda inputs, params: {"high": inputs["points"] >= 50}})
    yield services
    services.engine.dispose()


@pytest.fixture
def clock():
    return FixedClock(__import__("datetime").date(2026, 5, 1))


@pytest.fixture
def session(svc):
    with svc.sessions() as s:
        yield s


@pytest.fixture
def runtime(svc, clock):
    return svc.runtime(clock)


@pytest.fixture
def center(session, svc):
    orgs = demo_organisations(session, svc.library.municipality("demo"))
    user = demo_user(session, orgs["center"][0])
    session.commit()
    return orgs, Actor(user_id=user.id, organisation_id=orgs["center"][0].id, role="center")


def open_case(session, runtime, center):
    orgs, _ = center
    return runtime.open_case(
        session, "demo", center_org_id=orgs["center"][0].id, office_org_id=orgs["office"][0].id, care_level="shien1"
    )


def ready_tasks(session, instance_id):
    return session.scalars(select(Task).where(Task.instance_id == instance_id, Task.state == "ready")).all()


def publish(svc, session, clock, changes, reason="テストの変更"):
    svc.versions.save_files(session, "demo", changes, "owner", clock)
    return svc.versions.publish(session, "demo", reason, "owner", clock)


def renamed_intake():
    return MINI.replace('name="受付"', 'name="相談受付"')


def without_intake():
    """mini with its first user task removed: the start event leads straight to the decision."""
    text = MINI.replace(
        'sourceRef="intake" targetRef="decide_score"', 'sourceRef="start_mini" targetRef="decide_score"'
    )
    text = text.replace('<bpmn:sequenceFlow id="f1" sourceRef="start_mini" targetRef="intake"/>', "")
    start = text.index('<bpmn:userTask id="intake"')
    end = text.index("</bpmn:userTask>", start) + len("</bpmn:userTask>")
    text = text[:start] + text[end:]
    text = text.replace("<bpmn:flowNodeRef>intake</bpmn:flowNodeRef>", "")
    for di in ('<bpmndi:BPMNShape id="intake_di"', '<bpmndi:BPMNEdge id="f1_di"'):
        start = text.index(di)
        closing = "</bpmndi:BPMNShape>" if "Shape" in di else "</bpmndi:BPMNEdge>"
        text = text[:start] + text[text.index(closing, start) + len(closing) :]
    return text


# -- versions and publishing ------------------------------------------------------------------------------


def test_the_files_on_disk_are_version_1_until_something_is_published(svc, session):
    [baseline] = svc.versions.list_versions(session, "demo")
    assert (baseline.number, baseline.baseline, baseline.published_at) == (1, True, None)
    assert svc.versions.library_for_version(session, "demo", 1) is svc.library
    with pytest.raises(NotFoundError):
        svc.versions.library_for_version(session, "demo", 2)


def test_publish_records_an_immutable_version_and_only_new_instances_use_it(svc, session, runtime, clock, center):
    before = runtime.start(session, open_case(session, runtime, center).id, "mini")
    info = publish(svc, session, clock, {"mini.bpmn": renamed_intake()}, reason="受付の名称を相談受付に変更")

    assert info.number == 2
    history = svc.versions.list_versions(session, "demo")
    assert [(v.number, v.baseline) for v in history] == [(1, True), (2, False)]
    assert (history[1].reason, history[1].published_by) == ("受付の名称を相談受付に変更", "owner")
    assert svc.versions.draft(session, "demo") is None
    row = session.scalar(select(ProcessVersion).where(ProcessVersion.number == 2))
    assert row.files["mini.bpmn"] == renamed_intake() and row.bundle_hash == info.bundle_hash
    event = session.scalar(select(Event).where(Event.kind == "process_published"))
    assert event.detail["number"] == 2 and event.detail["reason"] == "受付の名称を相談受付に変更"

    after = runtime.start(session, open_case(session, runtime, center).id, "mini")
    assert [t.name for t in ready_tasks(session, after.id)] == ["相談受付"]
    assert [t.name for t in ready_tasks(session, before.id)] == ["受付"]
    assert after.spec_hash != before.spec_hash
    # The running instance still loads and runs on the version it started with.
    [task] = ready_tasks(session, before.id)
    runtime.complete(session, task.id, GOOD, center[1])
    assert session.get(ProcessInstance, before.id).spec_hash == before.spec_hash


def test_library_for_version_reads_any_two_versions_for_a_diff(svc, session, clock):
    publish(svc, session, clock, {"mini.bpmn": renamed_intake()})
    publish(svc, session, clock, {"mini.bpmn": renamed_intake().replace('name="確認"', 'name="内容確認"')})
    names = {
        n: svc.versions.library_for_version(session, "demo", n).resolve("demo", "mini").spec.task_specs
        for n in (1, 2, 3)
    }
    assert [names[n]["intake"].bpmn_name for n in (1, 2, 3)] == ["受付", "相談受付", "相談受付"]
    assert [names[n]["review"].bpmn_name for n in (1, 2, 3)] == ["確認", "確認", "内容確認"]


def test_a_draft_that_fails_lint_is_never_published(svc, session, clock):
    broken = MINI.replace("intake.schema.json", "missing.schema.json")
    svc.versions.save_files(session, "demo", {"mini.bpmn": broken}, "owner", clock)
    with pytest.raises(PublishRefused) as refused:
        svc.versions.publish(session, "demo", "壊れた変更", "owner", clock)
    assert any(p.rule == "missing-form" and p.element == "intake" for p in refused.value.problems)
    assert session.scalar(select(func.count(ProcessVersion.id))) == 0
    assert svc.versions.draft(session, "demo").files["mini.bpmn"] == broken  # nothing the owner did is lost


def test_a_draft_whose_scenario_fails_is_never_published(svc, session, clock):
    later = MINI.replace('value="ready+P3D"', 'value="ready+P5D"')  # the scenario expects intake due on 05-04
    svc.versions.save_files(session, "demo", {"mini.bpmn": later}, "owner", clock)
    with pytest.raises(PublishRefused) as refused:
        svc.versions.publish(session, "demo", "期限を延ばす", "owner", clock)
    assert refused.value.failures and "FAIL" in refused.value.failures[0]
    assert session.scalar(select(func.count(ProcessVersion.id))) == 0


def test_publishing_needs_a_reason_and_a_draft(svc, session, clock):
    with pytest.raises(NotFoundError):
        svc.versions.publish(session, "demo", "理由", "owner", clock)
    svc.versions.save_files(session, "demo", {"mini.bpmn": renamed_intake()}, "owner", clock)
    with pytest.raises(ValidationError):
        svc.versions.publish(session, "demo", "  ", "owner", clock)


def test_a_draft_started_before_another_publish_cannot_overwrite_it(svc, session, clock):
    svc.versions.save_files(session, "demo", {"mini.bpmn": renamed_intake()}, "owner", clock)
    stale = svc.versions.draft(session, "demo")
    svc.versions.publish(session, "demo", "最初の変更", "owner", clock)
    svc.versions.save_files(session, "demo", {"mini.bpmn": MINI}, "other", clock)
    session.get(type(stale), "demo").base_number = 1  # as if it had been opened before version 2
    session.commit()
    with pytest.raises(ConflictError):
        svc.versions.publish(session, "demo", "古い下書き", "other", clock)


def test_a_stale_draft_save_is_a_conflict(svc, session, clock):
    draft = svc.versions.save_files(session, "demo", {"mini.bpmn": renamed_intake()}, "owner", clock)
    seen = draft.version
    svc.versions.save_files(session, "demo", {"mini.bpmn": MINI}, "other", clock, expected_version=seen)
    with pytest.raises(ConflictError):
        svc.versions.save_files(session, "demo", {"mini.bpmn": renamed_intake()}, "owner", clock, expected_version=seen)


LOL = (
    b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa">'
    + b"".join(f'<!ENTITY l{i} "&l{i - 1};&l{i - 1};">'.encode() for i in range(1, 10))
    + b"]><r>&l9;</r>"
)
XXE = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'


@pytest.mark.parametrize(
    "path, content, message",
    [
        ("mini.bpmn", XXE, "実体"),
        ("mini.bpmn", LOL, "実体"),
        ("mini.bpmn", b"<r>" + b" " * (3 * 1024 * 1024) + b"</r>", "大きすぎ"),
        ("decisions/x.dmn", XXE, "実体"),
        ("mini.bpmn", b"<r><unclosed></r>", "XML"),
        ("forms/intake.schema.json", b"{not json", "JSON"),
        ("../../etc/passwd.bpmn", b"<r/>", "ファイル名"),
        ("municipality.toml", b"key = ", "TOML"),
    ],
)
def test_hostile_or_broken_files_are_refused_and_change_nothing(svc, session, clock, path, content, message):
    svc.versions.save_files(session, "demo", {"mini.bpmn": renamed_intake()}, "owner", clock)
    before = dict(svc.versions.draft(session, "demo").files)
    with pytest.raises(ValidationError) as refused:
        svc.versions.save_files(session, "demo", {path: content, "forms/new.schema.json": "{}"}, "owner", clock)
    assert message in str(refused.value)
    session.expire_all()
    assert svc.versions.draft(session, "demo").files == before


# -- migrating running instances --------------------------------------------------------------------------


def test_dry_run_then_migrate_a_safe_change(svc, session, runtime, clock, center):
    instance = runtime.start(session, open_case(session, runtime, center).id, "mini")
    old_hash = instance.spec_hash
    publish(svc, session, clock, {"mini.bpmn": renamed_intake()})

    [dry] = instance_migration.plan(session, runtime, svc.versions, "demo", "mini", 2)
    assert dry.verdict == "移行可" and any("相談受付" in c for c in dry.changes)
    session.expire_all()
    assert session.get(ProcessInstance, instance.id).spec_hash == old_hash  # a dry run writes nothing

    [done] = instance_migration.migrate(session, runtime, svc.versions, "demo", "mini", 2, center[1], by="owner")
    assert done.migrated
    session.expire_all()
    moved = session.get(ProcessInstance, instance.id)
    assert moved.spec_hash != old_hash
    [task] = ready_tasks(session, instance.id)
    assert task.name == "相談受付"
    runtime.complete(session, task.id, GOOD, center[1])  # it runs on, on the new version
    kinds = session.scalars(select(Event.kind).where(Event.kind.in_(["instance_migrated", "process_migration"])))
    assert sorted(kinds) == ["instance_migrated", "process_migration"]


def test_an_unfinished_task_removed_by_the_new_version_blocks_migration(svc, session, runtime, clock, center):
    instance = runtime.start(session, open_case(session, runtime, center).id, "mini")
    publish(svc, session, clock, {"mini.bpmn": without_intake(), "scenarios/high_score.yaml": None})

    [result] = instance_migration.migrate(session, runtime, svc.versions, "demo", "mini", 2, center[1])
    assert result.verdict == "移行不可" and not result.migrated
    assert any("未完了の手順「受付」(intake)" in r for r in result.reasons)
    session.expire_all()
    assert session.get(ProcessInstance, instance.id).spec_hash == instance.spec_hash
    assert [t.bpmn_id for t in ready_tasks(session, instance.id)] == ["intake"]
    # A new case starts on the new version, without the step.
    fresh = runtime.start(session, open_case(session, runtime, center).id, "mini", data={"points": 10})
    assert session.get(ProcessInstance, fresh.id).status == "completed"


def test_a_changed_form_of_a_ready_task_blocks_migration(svc, session, runtime, clock, center):
    runtime.start(session, open_case(session, runtime, center).id, "mini")
    wider = INTAKE_FORM.replace('"wait_until":', '"memo": {"type": "string", "title": "メモ"}, "wait_until":', 1)
    publish(svc, session, clock, {"forms/intake.schema.json": wider})
    [result] = instance_migration.plan(session, runtime, svc.versions, "demo", "mini", 2)
    assert result.verdict == "移行不可" and any("様式が変わります" in r for r in result.reasons)


def test_a_changed_lane_role_of_a_ready_task_blocks_migration(svc, session, runtime, clock, center):
    runtime.start(session, open_case(session, runtime, center).id, "mini")
    moved = MINI.replace("<bpmn:flowNodeRef>intake</bpmn:flowNodeRef>", "").replace(
        "<bpmn:flowNodeRef>review</bpmn:flowNodeRef>",
        "<bpmn:flowNodeRef>review</bpmn:flowNodeRef><bpmn:flowNodeRef>intake</bpmn:flowNodeRef>",
    )
    publish(svc, session, clock, {"mini.bpmn": moved, "scenarios/high_score.yaml": None})
    [result] = instance_migration.plan(session, runtime, svc.versions, "demo", "mini", 2)
    assert result.verdict == "移行不可" and any("担当(役割)" in r for r in result.reasons)


def test_migrating_to_an_unknown_version_is_not_found(svc, session, runtime):
    with pytest.raises(NotFoundError):
        instance_migration.plan(session, runtime, svc.versions, "demo", "mini", 7)
