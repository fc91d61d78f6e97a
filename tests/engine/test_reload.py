"""An instance loads the same however often it is loaded, including tasks inside a called subprocess."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select

from engine.accounts.demo_staff import demo_organisations
from engine.execution.runtime import SYSTEM
from engine.store.models import Task

MUNI = "suzuka-kameyama"


def _subprocess_task(session, runtime, instance_id):
    """Complete ready tasks with their forms' examples until one is ready inside a called subprocess."""
    for _ in range(20):
        row = session.scalars(select(Task).where(Task.instance_id == instance_id, Task.state == "ready")).first()
        loaded = runtime.load(session, instance_id)
        task = loaded.workflow.get_task_from_id(UUID(row.id))
        if task.workflow is not loaded.workflow:
            return row
        form = loaded.resolved.forms[row.form]
        runtime.complete(session, row.id, form.example(), SYSTEM)
    raise AssertionError("no task inside a called subprocess became ready")


def test_loading_twice_in_one_session_keeps_called_subprocesses(services, clock):
    runtime = services.runtime(clock)
    with services.sessions() as session:
        orgs = demo_organisations(session, services.library.municipality(MUNI))
        session.commit()
        case = runtime.open_case(
            session,
            MUNI,
            care_level="shien1",
            delegated=True,
            center_org_id=orgs["center"][0].id,
            office_org_id=orgs["office"][0].id,
            insurer_org_id=orgs["insurer"][0].id,
            provider_org_id=orgs["provider"][0].id,
        )
        instance = runtime.start(session, case.id, "new_case")
        row = _subprocess_task(session, runtime, instance.id)

        first = runtime.load(session, instance.id).workflow
        second = runtime.load(session, instance.id).workflow  # the same stored dict, read again
        ids = [sorted(str(t.id) for t in w.get_tasks()) for w in (first, second)]
        assert ids[0] == ids[1]
        assert second.subprocesses.keys() == first.subprocesses.keys() != set()

        _, _, data = runtime.form_context(session, row.id)  # a third load, then complete's own
        assert data["case_id"] == case.id
        form = runtime.load(session, instance.id).resolved.forms[row.form]
        runtime.complete(session, row.id, form.example(), SYSTEM)
        assert session.get(Task, row.id).state == "completed"
