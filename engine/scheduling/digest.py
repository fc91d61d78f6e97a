"""The daily digest: for each member of staff, what is overdue, due today and due in the coming days.

Read from the task and schedule tables only (no workflow is deserialized): the ready tasks a person has claimed,
the unclaimed ones of the cases they hold (engine.scheduling.schedule.care_manager), the duties whose care manager they
are, and, per organisation, what nobody holds yet. Printed
by `kaigoflow digest`, shown on the 期限 board and given by GET /api/digest.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import timedelta

from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.scheduling import schedule
from engine.scheduling.duties import DUTIES
from engine.store.models import Case
from engine.store.models import Organisation
from engine.store.models import ScheduleItem
from engine.store.models import Task
from engine.store.models import User

DAYS_AHEAD = 7
WEEKDAYS = "月火水木金土日"


@dataclass
class DueLine:
    """One thing to do: a task (`kind` "task", `ref` its id) or a duty (`kind` "duty", `ref` the schedule item id)."""

    kind: str
    ref: str
    name: str
    case_id: int
    client_name: str | None
    due: date | None
    claimed: bool = True
    """False for a task nobody has claimed yet (listed under the person who holds the case)."""

    def when(self, today: date) -> str:
        """overdue, today or soon."""
        if self.due is not None and self.due < today:
            return "overdue"
        return "today" if self.due == today else "soon"


@dataclass
class PersonDigest:
    """A person's list (`user_id` None: what nobody in the organisation holds yet)."""

    organisation_id: int
    organisation_name: str
    user_id: int | None
    display_name: str
    lines: list[DueLine] = field(default_factory=list)

    def count(self, when: str, today: date) -> int:
        return sum(1 for line in self.lines if line.when(today) == when)


def build(
    session: Session, today: date, organisation_ids: Iterable[int] | None = None, days: int = DAYS_AHEAD
) -> list[PersonDigest]:
    """Everyone's digest (of these organisations), people with nothing due left out; overdue first, then by date."""
    horizon = today + timedelta(days=days)
    orgs = select(Organisation.id, Organisation.name)
    if organisation_ids is not None:
        orgs = orgs.where(Organisation.id.in_(list(organisation_ids)))
    org_names = dict(session.execute(orgs).all())
    if not org_names:
        return []
    people = {
        user.id: user
        for user in session.scalars(
            select(User).where(User.organisation_id.in_(list(org_names)), User.active.is_(True))
        )
    }
    digests: dict[tuple[int, int | None], PersonDigest] = {}

    def holder(org_id: int, user_id: int | None) -> PersonDigest:
        if user_id is not None and user_id not in people:
            user_id = None  # someone who left: their work is nobody's until claimed again
        key = (org_id, user_id)
        if key not in digests:
            name = people[user_id].display_name if user_id is not None else "担当者なし"
            digests[key] = PersonDigest(org_id, org_names[org_id], user_id, name)
        return digests[key]

    tasks = session.execute(
        select(Task.id, Task.name, Task.case_id, Case.client_name, Task.due_date)
        .add_columns(Task.organisation_id, Task.claimed_by_id)
        .join(Case, Case.id == Task.case_id)
        .where(
            Task.state == "ready",
            Task.organisation_id.in_(list(org_names)),
            Task.due_date.is_not(None),
            Task.due_date <= horizon,
        )
    ).all()
    holders: dict[int, int | None] = {}
    for task_id, name, case_id, client, due, org_id, claimed_by in tasks:
        person = claimed_by
        if person is None:
            # Nobody claimed it yet: it is on the list of whoever holds the case in that organisation.
            if case_id not in holders:
                case = session.get(Case, case_id)
                holders[case_id] = schedule.care_manager(session, case) if case is not None else None
            held_by = holders[case_id]
            person = held_by if held_by in people and people[held_by].organisation_id == org_id else None
        line = DueLine("task", task_id, name, case_id, client, due, claimed=claimed_by is not None)
        holder(org_id, person).lines.append(line)
    duties = session.execute(
        select(ScheduleItem, Case.client_name)
        .join(Case, Case.id == ScheduleItem.case_id)
        .where(
            ScheduleItem.organisation_id.in_(list(org_names)),
            or_(
                ScheduleItem.status == "missed",
                (ScheduleItem.status == "open") & (ScheduleItem.due_date <= horizon),
            ),
            Case.status == "open",
        )
    ).all()
    for item, client in duties:
        assert item.organisation_id is not None
        kind = DUTIES.get(item.duty)
        line = DueLine("duty", str(item.id), kind.name if kind else item.duty, item.case_id, client, item.due_date)
        holder(item.organisation_id, item.user_id).lines.append(line)
    for digest in digests.values():
        digest.lines.sort(key=lambda line: (line.due or horizon, line.kind, line.client_name or "", line.ref))
    return sorted(
        digests.values(), key=lambda d: (d.organisation_name, d.user_id is None, d.display_name, d.user_id or 0)
    )


def day_text(day: date | None) -> str:
    """12月3日(木): the short date of a digest line (the year is this year's)."""
    if day is None:
        return "期限なし"
    return f"{day.month}月{day.day}日({WEEKDAYS[day.weekday()]})"


WHEN = {"overdue": "期限超過", "today": "今日", "soon": "近日"}


def render_text(digests: list[PersonDigest], today: date) -> str:
    """The digest as plain Japanese text, person by person (what `kaigoflow digest` prints)."""
    if not digests:
        return f"{day_text(today)}: 期限の近い作業はありません。"
    out = [f"{today.year}年{day_text(today)} の予定(期限超過・今日・{DAYS_AHEAD}日以内)"]
    for digest in digests:
        counts = "・".join(f"{WHEN[w]} {digest.count(w, today)}件" for w in WHEN)
        out.append("")
        out.append(f"■ {digest.organisation_name} {digest.display_name}({counts})")
        for line in digest.lines:
            who = line.client_name or "(氏名未登録)"
            note = "" if line.claimed else "(未担当)"
            out.append(f"  [{WHEN[line.when(today)]}] {day_text(line.due)} {line.name}{note} — {who}")
    return "\n".join(out)
