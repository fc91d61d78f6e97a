"""The demo's cases at several stages, made by driving each municipality's real flows through the engine.

A story opens a case some weeks or months back in time, completes its steps as staff would (each form's own
valid example, the dates of the story, what the case already knows), and moves the clock to today firing every
timer on the way, as the scenario runner does. So 期限, リスク and 報告 show what the flows really produced:

- 計画実施中: a plan in force, every monthly duty done so far; this month's モニタリング is open;
- モニタリング期限超過: the same, but nothing recorded since the plan began (overdue duties and risks);
- 更新の時期: the certification ends in six weeks, so the 更新 has started;
- 暫定プラン: a 暫定ケアプラン under way while the certification is pending;
- 福祉用具の協議: a 福祉用具 例外給付 that needs the insurer's 協議.

A story that a municipality's flows cannot tell (no such flow, or a form refusing the story's data) stops where it
is, and the report says so: the demo still starts. Seeding is idempotent (a story's case is looked up by its
被保険者番号 first) and takes seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Collection
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.accounts import demo_staff
from engine.cases import facts
from engine.clock import FixedClock
from engine.clock import today as clock_today
from engine.errors import KaigoflowError
from engine.execution.runtime import Actor
from engine.execution.runtime import Runtime
from engine.process_library.loader import Library
from engine.process_library.loader import Municipality
from engine.publishing.scenario import advance_case
from engine.scheduling.deadlines import add_months
from engine.scheduling.deadlines import month_end
from engine.scheduling.duties import MANUAL
from engine.store.models import Case
from engine.store.models import ProcessInstance
from engine.store.models import ScheduleItem
from engine.store.models import Task

MAX_STEPS = 40
KEEP_DATES = frozenset(
    {"birth_date", "onset_date", "materials_kept_until", "validity_end_date", "period_from", "period_to", "end_date"}
)
"""Date fields whose example stays as it is (a birthday is not "today")."""


@dataclass(frozen=True)
class Story:
    key: str
    title: str
    client_name: str
    client_name_kana: str
    care_level: str
    delegated: bool
    flow: str
    start_data: Mapping[str, Any] = field(default_factory=dict)
    data: Mapping[str, Any] = field(default_factory=dict)
    """Answers given to every form that has the field (the example and what the case knows fill the rest)."""


EQUIPMENT_ANSWERS = {
    "equipment_item": "special_bed",
    "survey": {"1-3": 2, "1-4": 2},
    "doctor_finding": "ii",
    "doctor_confirmed": True,
    "doctor_name": "亀山一郎",
    "rental_needed": True,
    "doctor_finding_in_plan": "がん末期で急速に悪化する見込み",
    "doctor_name_in_plan": "亀山一郎",
}

STORIES = (
    Story("plan", "計画実施中", "山本 和子", "ヤマモト カズコ", "shien2", False, "new_case"),
    Story("overdue", "モニタリング期限超過", "中村 勇", "ナカムラ イサム", "kaigo2", True, "new_case"),
    Story("renewal", "更新の時期", "小林 ミサ", "コバヤシ ミサ", "shien1", False, "new_case"),
    Story(
        "provisional",
        "暫定プラン",
        "加藤 正男",
        "カトウ マサオ",
        "",
        True,
        "provisional_plan",
        start_data={"application_type": "new", "current_benefit": "none"},
    ),
    Story(
        "equipment",
        "福祉用具の協議",
        "吉田 トメ",
        "ヨシダ トメ",
        "kaigo1",
        True,
        "equipment_exception",
        data=EQUIPMENT_ANSWERS,
    ),
)


@dataclass
class _Drive:
    """One story being told: its runtime on a clock of its own, the case, and who acts for each organisation."""

    runtime: Runtime
    session: Session
    clock: FixedClock
    case: Case
    actors: dict[int, Actor]
    story: Story
    opener: Actor
    plan_start: date | None = None

    @property
    def today(self) -> date:
        return clock_today(self.clock)

    def ready(self) -> list[Task]:
        self.session.expire_all()
        return list(
            self.session.scalars(
                select(Task).where(Task.case_id == self.case.id, Task.state == "ready").order_by(Task.ready_at, Task.id)
            )
        )

    def complete(self, task: Task) -> None:
        actor = self.actors.get(task.organisation_id or 0)
        if actor is None:
            raise KaigoflowError(f"「{task.name}」を行う事業所の職員がいません")
        _, _, known = self.runtime.form_context(self.session, task.id)
        self.runtime.complete(self.session, task.id, self.submission(task, known), actor)

    def submission(self, task: Task, known: Mapping[str, Any]) -> dict[str, Any]:
        """The form's example, its dates moved to the story's days, what the case knows, then the story's answers."""
        instance = self.session.get(ProcessInstance, task.instance_id)
        if instance is None or not task.form:
            return {}
        resolved = self.runtime.spec(self.session, instance.spec_hash, task.municipality, instance.process_key)
        form = resolved.forms.get(task.form)
        if form is None:
            return {}
        submission = form.example()
        fields = form.schema.get("properties", {})
        self.move_dates(submission, fields)
        for key in fields:
            if known.get(key) is not None:
                submission[key] = known[key]
        submission.update({k: v for k, v in self.story.data.items() if k in fields})
        return submission

    def move_dates(self, values: dict[str, Any], fields: Mapping[str, Any]) -> None:
        """Put the story's days in the example's date fields, in rows (目標の期間 …) too."""
        for key, spec in fields.items():
            if spec.get("format") == "date" and key not in KEEP_DATES and key in values:
                values[key] = self.date_for(key).isoformat()
            rows = values.get(key)
            items = spec.get("items") if isinstance(spec.get("items"), dict) else {}
            if isinstance(rows, list) and items.get("properties"):
                for row in rows:
                    if isinstance(row, dict):
                        self.move_dates(row, items["properties"])

    def date_for(self, key: str) -> date:
        start = self.plan_start or self.today
        if key in ("plan_start", "service_start_date", "rental_start_date", "period_start"):
            return start
        if key in ("plan_end", "period_end"):
            end = add_months(start, 6) - timedelta(days=1)
            return min(end, self.case.certification_end) if self.case.certification_end else end
        if key in facts.DATE_COLUMNS and getattr(self.case, key, None) is not None:
            value: date = getattr(self.case, key)
            return value
        if key == "certification_start":
            return _month_start(self.today)
        if key == "certification_end":
            return add_months(_month_start(self.today), 12) - timedelta(days=1)
        return self.today

    def autopilot(self, until: Callable[[list[Task]], bool] = lambda ready: False, due_by: date | None = None) -> None:
        """Complete ready steps, earliest first, until `until` holds or none is left (only those due by `due_by`,
        when given: the rest stay open)."""
        for _ in range(MAX_STEPS):
            ready = self.ready()
            if due_by is not None:
                ready = [t for t in ready if t.due_date is not None and t.due_date <= due_by]
            if not ready or until(ready):
                return
            self.complete(ready[0])
        raise KaigoflowError(f"{MAX_STEPS}件を超える作業が続きました")

    def record_manual_duties(self) -> None:
        """Record the duties no flow records (給付管理の伝送 …) that fell due by the story's today, on their day."""
        items = self.session.scalars(
            select(ScheduleItem).where(
                ScheduleItem.case_id == self.case.id,
                ScheduleItem.status.in_(("open", "missed")),
                ScheduleItem.due_date <= self.today,
                ScheduleItem.duty.in_(list(MANUAL)),
            )
        ).all()
        for item in items:
            actor = self.actors.get(item.organisation_id or 0)
            if actor is not None:
                self.runtime.record_duty(self.session, item.id, actor, item.due_date)

    def advance(self, to: date) -> None:
        self.session.refresh(self.case)
        advance_case(self.runtime, self.session, self.clock, self.case, to)


def _month_start(day: date) -> date:
    return date(day.year, day.month, 1)


def _tell(drive: _Drive, today: date) -> None:
    story = drive.story
    if story.key in ("plan", "overdue", "renewal"):
        drive.runtime.start(drive.session, drive.case.id, story.flow, actor=drive.opener)
        drive.autopilot()  # intake … plan delivery: the plan is in force, the flow waits for its months
        keep_up = story.key != "overdue"
        month = add_months(_month_start(drive.today), 1)
        while month < _month_start(today):
            # Early in each past month: that month's モニタリング is done within it, last month's 伝送 on its day.
            drive.advance(month + timedelta(days=4))
            if keep_up:
                drive.autopilot(due_by=month_end(month))
                drive.record_manual_duties()
            month = add_months(month, 1)
        drive.advance(today)
        if keep_up:
            drive.record_manual_duties()
    elif story.key == "provisional":
        start_data = {**story.start_data, "application_date": (today - timedelta(days=14)).isoformat()}
        drive.runtime.start(drive.session, drive.case.id, story.flow, start_data, actor=drive.opener)
        drive.autopilot(until=lambda ready: any(t.bpmn_id == "plan_draft" for t in ready))
        drive.advance(today)
    else:
        drive.runtime.start(drive.session, drive.case.id, story.flow, actor=drive.opener)
        drive.autopilot(until=lambda ready: any(t.role == "insurer" for t in ready))
        drive.advance(today)


def _dates(story: Story, today: date) -> tuple[date, date | None, date | None]:
    """(the day the story begins, certification start, certification end)."""
    if story.key in ("plan", "overdue"):
        begin = add_months(_month_start(today), -2) + timedelta(days=9)
        return begin, _month_start(begin), add_months(_month_start(begin), 12) - timedelta(days=1)
    if story.key == "renewal":
        # Certified for six months, ending in 45 days; the plan began two months ago (after a late 相談).
        end = today + timedelta(days=45)
        return add_months(_month_start(today), -2) + timedelta(days=9), add_months(end, -6) + timedelta(days=1), end
    if story.key == "provisional":
        return today - timedelta(days=10), None, None
    begin = today - timedelta(days=7)
    return begin, _month_start(begin), add_months(_month_start(begin), 12) - timedelta(days=1)


def _care_level(runtime: Runtime, municipality: str, story: Story) -> str | None:
    """The story's level, or 要介護1 where the municipality's 受付 takes 要介護 only (前橋: 居宅介護支援)."""
    if not story.care_level:
        return None
    try:
        forms = runtime.library.resolve(municipality, "new_case").forms
    except KaigoflowError:
        return story.care_level
    for form in forms.values():
        options = form.schema.get("properties", {}).get("care_level", {}).get("oneOf")
        if options:
            allowed = [option.get("const") for option in options]
            return story.care_level if story.care_level in allowed else "kaigo1"
    return story.care_level


def seed(
    session: Session,
    library: Library,
    make_runtime: Callable[[FixedClock], Runtime],
    today: date,
    only: Collection[str] | None = None,
) -> list[str]:
    """Tell (once) every story in every municipality (or `only` these); one Japanese line per case made."""
    report = []
    clock = FixedClock(today)
    runtime = make_runtime(clock)  # one for every story (its caches stay warm); each story sets the clock back
    for number, municipality in enumerate(sorted(library.municipalities().values(), key=lambda m: m.key), 1):
        if only is not None and municipality.key not in only:
            continue
        flows = library.flows(municipality.key)
        for index, story in enumerate(STORIES, 1):
            insured_number = f"98{number:04d}{index:04d}"
            exists = session.scalar(
                select(Case.id).where(Case.municipality == municipality.key, Case.insured_number == insured_number)
            )
            if exists is not None:
                continue
            if story.flow not in flows:
                continue
            line = _seed_one(session, municipality, story, insured_number, runtime, clock, today)
            report.append(f"{municipality.name}: {line}")
    return report


def _seed_one(
    session: Session,
    municipality: Municipality,
    story: Story,
    insured_number: str,
    runtime: Runtime,
    clock: FixedClock,
    today: date,
) -> str:
    orgs = demo_staff.demo_organisations(session, municipality)
    actors = {}
    for role, members in orgs.items():
        for org in members:
            user = demo_staff.demo_user(session, org)
            actors[org.id] = Actor(user_id=user.id, organisation_id=org.id, role=role)
    session.commit()
    begin, certification_start, certification_end = _dates(story, today)
    clock.set(begin)
    case = runtime.open_case(
        session,
        municipality.key,
        actors[orgs["center"][0].id],
        client_name=story.client_name,
        client_name_kana=story.client_name_kana,
        insured_number=insured_number,
        care_level=_care_level(runtime, municipality.key, story),
        delegated=story.delegated,
        certification_start=certification_start,
        certification_end=certification_end,
        center_org_id=orgs["center"][0].id,
        office_org_id=orgs["office"][0].id,
        insurer_org_id=orgs["insurer"][0].id,
        provider_org_id=orgs["provider"][0].id,
    )
    plan_start = add_months(_month_start(begin), 1)
    drive = _Drive(runtime, session, clock, case, actors, story, actors[orgs["center"][0].id], plan_start)
    try:
        _tell(drive, today)
    except KaigoflowError as failure:
        session.rollback()
        return f"「{story.client_name}」({story.title})は途中までです: {failure.message}"
    return f"「{story.client_name}」({story.title}、被保険者番号 {insured_number})"
