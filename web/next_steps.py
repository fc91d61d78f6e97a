"""Between steps: after 完了, the case's next steps for the same person, so nobody hunts for them in the inbox.

A step that became ready with the completion and is for the completer's own organisation is claimed for the
completer at once (the same person carries the case on: 担当 follows the person, as in the manuals' 一連の業務);
the task page then offers 「続けてこの作業へ」. Steps of other organisations are named, so the person knows who
acts next.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from engine.store.models import Organisation
from engine.store.models import Task
from web import auth
from web.extensions import db


@dataclass
class NextStep:
    task: Task
    organisation_name: str
    mine: bool
    """For the signed-in user's organisation (they may open it)."""


def following(case_id: int, staff: auth.Staff, exclude: str | None = None) -> list[NextStep]:
    """The case's ready steps: the user's organisation's first (theirs claimed first), then the others'."""
    rows = db.session.execute(
        select(Task, Organisation.name)
        .outerjoin(Organisation, Organisation.id == Task.organisation_id)
        .where(Task.case_id == case_id, Task.state == "ready")
        .order_by(Task.due_date.is_(None), Task.due_date, Task.ready_at)
    ).all()
    steps = [
        NextStep(task, name or "", task.organisation_id == staff.organisation_id)
        for task, name in rows
        if task.id != exclude
    ]
    return sorted(steps, key=lambda s: (not s.mine, s.task.claimed_by_id != staff.id))
