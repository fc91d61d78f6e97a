"""The inbox: sections and counts, due marks in 和暦, filters, paging, claim/release, and its indexed queries."""

from __future__ import annotations

import re
import uuid
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import text

from engine.store.models import ProcessInstance
from engine.store.models import Task
from tests.web.conftest import ready_task
from web import inbox


def count(page: str, section: str) -> int:
    found = re.search(rf'id="{section}-title">.*?data-count="(\d+)"', page, re.S)
    assert found, f"no count for {section}"
    return int(found.group(1))


def rows(page: str, section: str) -> list[str]:
    start = page.index(f'id="{section}"')
    end = page.find("</section>", start)
    return re.findall(r'data-task-id="([^"]+)"', page[start:end])


def add_tasks(session, case, n: int, **fields) -> list[str]:
    """Extra ready task rows on the case's instance (the inbox reads rows only, so this is all it sees)."""
    instance = session.scalars(select(ProcessInstance).where(ProcessInstance.case_id == case.id)).first()
    template = ready_task(session, case.id, "intake")
    ids = []
    for index in range(n):
        row = Task(
            id=str(uuid.uuid4()),
            instance_id=instance.id,
            case_id=case.id,
            municipality=case.municipality,
            process_key=fields.get("process_key", "new_case"),
            bpmn_id=fields.get("bpmn_id", "assessment"),
            name=fields.get("name", f"追加の作業{index}"),
            role=fields.get("role", "center"),
            organisation_id=fields.get("organisation_id", template.organisation_id),
            state=fields.get("state", "ready"),
            due_date=fields.get("due_date", date(2026, 6, 1) + timedelta(days=index)),
            ready_at=template.ready_at,
        )
        session.add(row)
        ids.append(row.id)
    session.commit()
    return ids


def test_sections_and_counts(login_as, case, runtime, db_session, world):
    task = ready_task(db_session, case.id, "intake")
    others = add_tasks(db_session, case, 3)
    add_tasks(db_session, case, 2, organisation_id=world.orgs["alpha.office"].id)  # another organisation's
    add_tasks(db_session, case, 1, state="completed")
    runtime.claim(db_session, others[0], world["alpha.center"].actor())
    runtime.claim(db_session, others[1], world["alpha.center.b"].actor())  # a colleague's: in neither list
    page = login_as("alpha.center").get("/").get_data(as_text=True)
    assert count(page, "mine") == 1 and rows(page, "mine") == [others[0]]
    assert count(page, "unclaimed") == 2
    assert set(rows(page, "unclaimed")) == {task.id, others[2]}
    assert "山田 花子" in page and "相談受付・利用申込" in page and "新規" in page
    colleague = login_as("alpha.center.b").get("/").get_data(as_text=True)
    assert rows(colleague, "mine") == [others[1]]


def test_other_organisations_see_nothing(login_as, case):
    for key in ("alpha.center2", "alpha.office", "beta.center"):
        page = login_as(key).get("/").get_data(as_text=True)
        assert count(page, "unclaimed") == 0 and count(page, "mine") == 0
        assert "山田 花子" not in page


def test_due_dates_in_wareki_with_overdue_and_today_marks(login_as, case, db_session, clock):
    task = ready_task(db_session, case.id, "intake")  # due 2026-05-08
    overdue = add_tasks(db_session, case, 1, due_date=date(2026, 4, 28))[0]
    today = add_tasks(db_session, case, 1, due_date=date(2026, 5, 1))[0]
    page = login_as("alpha.center").get("/").get_data(as_text=True)
    assert "令和8年5月8日(金)" in page and "令和8年4月28日(火)" in page
    assert re.search(rf'class="due-overdue" data-task-id="{overdue}"', page)
    assert re.search(rf'class="due-today" data-task-id="{today}"', page)
    assert re.search(rf'class="due-soon" data-task-id="{task.id}"', page)
    assert "期限切れ(3日超過)" in page and "今日まで" in page and "あと7日" in page
    assert rows(page, "unclaimed")[:2] == [overdue, today]  # earliest due first
    assert "期限切れ 1件" in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("due=overdue", {"overdue"}),
        ("due=today", {"overdue", "today"}),
        ("due=week", {"overdue", "today", "sunday"}),
        ("due=all", {"overdue", "today", "sunday", "intake", "later", "monitoring", "nodue"}),
        ("process_key=monthly_monitoring", {"monitoring"}),
        ("step=intake", {"intake"}),
        ("municipality=beta", set()),
        ("municipality=alpha&due=overdue", {"overdue"}),
    ],
)
def test_filters(login_as, case, db_session, query, expected):
    # Today is Friday 2026-05-01: this week ends on Sunday 5/3; the intake task is due 5/8.
    named = {"intake": ready_task(db_session, case.id, "intake").id}
    named["sunday"] = add_tasks(db_session, case, 1, due_date=date(2026, 5, 3))[0]
    named["overdue"] = add_tasks(db_session, case, 1, due_date=date(2026, 4, 30))[0]
    named["today"] = add_tasks(db_session, case, 1, due_date=date(2026, 5, 1))[0]
    named["later"] = add_tasks(db_session, case, 1, due_date=date(2026, 5, 20))[0]
    named["monitoring"] = add_tasks(db_session, case, 1, process_key="monthly_monitoring", due_date=date(2026, 6, 1))[0]
    named["nodue"] = add_tasks(db_session, case, 1, due_date=None)[0]
    page = login_as("alpha.center").get(f"/?{query}").get_data(as_text=True)
    shown = set(rows(page, "unclaimed"))
    assert shown == {named[k] for k in expected}
    assert count(page, "unclaimed") == len(expected)


def test_tasks_without_due_date_come_last(login_as, case, db_session):
    nodue = add_tasks(db_session, case, 1, due_date=None)[0]
    page = login_as("alpha.center").get("/").get_data(as_text=True)
    assert rows(page, "unclaimed")[-1] == nodue


def test_paging_fifty_per_page_keeps_filters(login_as, case, db_session):
    add_tasks(db_session, case, 59)  # 60 with the intake task
    browser = login_as("alpha.center")
    first = browser.get("/?due=all").get_data(as_text=True)
    assert count(first, "unclaimed") == 60 and len(rows(first, "unclaimed")) == 50
    assert "1 / 2 ページ" in first
    assert 'href="/?page=2"' in first
    second = browser.get("/?page=2").get_data(as_text=True)
    assert len(rows(second, "unclaimed")) == 10
    assert not set(rows(first, "unclaimed")) & set(rows(second, "unclaimed"))
    filtered = browser.get("/?step=assessment").get_data(as_text=True)
    assert 'href="/?step=assessment&amp;page=2"' in filtered
    beyond = browser.get("/?page=99").get_data(as_text=True)
    assert "2 / 2 ページ" in beyond


def test_claim_and_release_from_the_inbox(login_as, case, db_session, world):
    task = ready_task(db_session, case.id, "intake")
    browser = login_as("alpha.center")
    response = browser.post(f"/tasks/{task.id}/claim", data={"next": "/?due=all"})
    assert response.status_code == 302 and response.headers["Location"] == "/?due=all"
    page = browser.get("/").get_data(as_text=True)
    assert rows(page, "mine") == [task.id] and "を担当しました" in page
    db_session.expire_all()
    assert db_session.get(Task, task.id).claimed_by_id == world["alpha.center"].user_id
    browser.post(f"/tasks/{task.id}/release", data={"next": "/"})
    page = browser.get("/").get_data(as_text=True)
    assert rows(page, "mine") == [] and task.id in rows(page, "unclaimed")


def test_claiming_a_task_a_colleague_holds_is_a_clear_conflict(login_as, case, runtime, db_session, world):
    task = ready_task(db_session, case.id, "intake")
    runtime.claim(db_session, task.id, world["alpha.center.b"].actor())
    browser = login_as("alpha.center")
    browser.post(f"/tasks/{task.id}/claim", data={"next": "/"})
    page = browser.get("/").get_data(as_text=True)
    assert "このタスクは他の職員が担当しています" in page
    db_session.expire_all()
    assert db_session.get(Task, task.id).claimed_by_id == world["alpha.center.b"].user_id


def test_an_unsafe_next_is_ignored(login_as, case, db_session):
    task = ready_task(db_session, case.id, "intake")
    response = login_as("alpha.center").post(f"/tasks/{task.id}/claim", data={"next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def _plan(session, query) -> str:
    """The query plan. PostgreSQL is asked what the indexes *can* do: with scans and sorts priced out, a query
    shape that no index can serve in order would still show a Seq Scan or a full Sort."""
    compiled = query.compile(dialect=session.bind.dialect, compile_kwargs={"literal_binds": True})
    if session.bind.dialect.name == "sqlite":
        return "\n".join(str(r) for r in session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all())
    settings = ("enable_seqscan", "enable_bitmapscan", "enable_sort")
    for name in settings:
        session.execute(text(f"SET {name} = off"))
    try:
        return "\n".join(r[0] for r in session.execute(text(f"EXPLAIN {compiled}")).all())
    finally:
        for name in settings:
            session.execute(text(f"RESET {name}"))


def _realistic_history(session, case, world) -> None:
    """Enough rows, mostly finished history, for the planners' statistics to look like a real database."""
    instance_id = session.scalars(select(ProcessInstance.id).where(ProcessInstance.case_id == case.id)).first()
    orgs = [world.orgs[k].id for k in ("alpha.center", "alpha.center2", "alpha.office", "alpha.office2")]
    claimers = [world["alpha.center"].user_id, world["alpha.center.b"].user_id]
    rows = []
    for index in range(4000):
        ready = index % 10 == 0
        org = orgs[index % len(orgs)]
        rows.append(
            {
                "id": str(uuid.UUID(int=index + 1)),
                "instance_id": instance_id,
                "case_id": case.id,
                "municipality": "alpha",
                "process_key": "new_case",
                "bpmn_id": "assessment",
                "name": "履歴",
                "role": "center",
                "organisation_id": org,
                "state": "ready" if ready else "completed",
                "due_date": date(2026, 5, 1) + timedelta(days=index % 90 - 30),
                "ready_at": datetime(2026, 4, 1, tzinfo=UTC),
                "claimed_by_id": claimers[index % 2] if ready and index % 30 == 0 else None,
            }
        )
    session.execute(insert(Task), rows)
    if session.bind.dialect.name == "postgresql":
        # The test databases commit without waiting for the WAL (tests/conftest.py); VACUUM marks a page
        # all-visible only once the rows' commit is on disk, so this one commit waits for it.
        session.execute(text("SET LOCAL synchronous_commit = on"))
    session.commit()
    # PostgreSQL: VACUUM too (as autovacuum would), so index-only scans know the pages are all-visible.
    command = "ANALYZE" if session.bind.dialect.name == "sqlite" else "VACUUM ANALYZE task"
    with session.bind.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(command))


@pytest.mark.parametrize("key", ["unclaimed", "mine"])
def test_inbox_queries_walk_the_queue_index_in_due_order(app, case, db_session, world, key):
    """Counts and pages come from ix_task_queue: no scan of the task table, no sort of a whole list."""
    from flask import g

    from web.signed_in import load_staff

    _realistic_history(db_session, case, world)
    with app.test_request_context("/"):
        g.staff = staff = load_staff(world["alpha.center"].user_id)
        where = inbox.section_conditions(key, staff)
        queries = [
            select(func.count()).select_from(Task).where(*where),
            select(func.count()).select_from(Task).where(*where, Task.due_date < date(2026, 5, 1)),
            inbox.page_query([*where, Task.due_date.is_not(None)], inbox.DATED_ORDER, 100, 50),
        ]
        # PostgreSQL prices the indexes by its statistics: it may walk ix_task_inbox when nearly every ready task
        # is unclaimed (both serve due order), and may count the unclaimed through ix_task_claimed. What matters is
        # asserted below for both databases: no scan of the table and no sort of a whole list.
        if db_session.bind.dialect.name == "sqlite":
            indexes = ("ix_task_queue",)
        else:
            indexes = ("ix_task_queue", "ix_task_inbox", "ix_task_claimed")
        for query in queries:
            plan = _plan(db_session, query)
            assert any(index in plan for index in indexes), plan
            assert "SCAN task" not in plan and "Seq Scan on task" not in plan, plan
            assert "USE TEMP B-TREE FOR ORDER BY" not in plan, plan  # SQLite: at most ties are sorted
            assert not re.search(r"(^|->\s+)Sort\s+\(", plan, re.M), plan  # PostgreSQL: at most an Incremental Sort


def test_the_inbox_reads_no_workflow(login_as, case, db_session, monkeypatch):
    from engine.process_library import spiff

    def refuse(*args, **kwargs):
        raise AssertionError("the inbox must not deserialize a workflow")

    browser = login_as("alpha.center")
    monkeypatch.setattr(spiff, "instance_from_dict", refuse)
    assert browser.get("/?due=week").status_code == 200


def test_filters_offer_only_what_the_user_can_have(login_as):
    """One municipality (the user's: no choice to make), and only the steps of the user's role, each once."""
    center = login_as("alpha.center").get("/").get_data(as_text=True)
    assert 'id="filter-municipality"' not in center and "テスト市B" not in center
    assert '<option value="intake">相談受付・利用申込</option>' in center
    assert '<option value="assessment">アセスメント</option>' in center  # a planner's step
    assert "保険者の確認" not in center
    insurer = login_as("alpha.insurer").get("/").get_data(as_text=True)
    assert '<option value="insurer_check">保険者の確認</option>' in insurer
    assert "相談受付・利用申込" not in insurer and "アセスメント" not in insurer
    options = re.findall(r'<option value="([^"]*)"', insurer.split('id="filter-step"')[1].split("</select>")[0])
    assert len(options) == len(set(options))


def test_a_step_choice_may_stand_for_several_ids(login_as, case):
    """Two ids of one name are one choice ("a,b"): the filter finds the tasks of either."""
    browser = login_as("alpha.center")
    assert browser.get("/api/tasks?step=intake,other").get_json()["total"] == 1
    assert browser.get("/api/tasks?step=other").get_json()["total"] == 0
