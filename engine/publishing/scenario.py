"""The scenario runner: drive one case through a municipality's real diagrams, as staff would.

Shipped with the engine (as click ships CliRunner) so that process owners can check a diagram edit before they
publish it, and so the flow tests are the same files. Format: CONTRACT.md, "Scenario files", plus:
- `repeat: {times: N, steps: [...]}` runs steps N times (a ten-year case without 120 copies; N ≤ 200, 5,000 steps
  expanded; the file is read by engine/process_library/safeload.py: no anchors or aliases, ≤ 64 KB);
- values `${today}`, `${today+P6M-P1D}`, `${today|month}` are dates relative to the scenario clock;
- `complete: … expect_error: {field: substring}` expects the submission to be refused; `start: KEY` with
  `expect_error: TEXT` (or `true`) expects the start to be refused (a second copy of a running flow);
- `expect_case: {status: ended, care_level: kaigo1}` checks the case row;
- `expect_documents: {plan_draft: 2}` counts document snapshots by form;
- `expect_instances: {plan_period: {running: 1, completed: 1}}` counts the case's instances of a process by status;
- `${org.office.2}` is the id of the municipality's second demo office (for handovers: `office_org_id`);
- schedules and risks (engine.scheduling.schedule): `expect_schedule: {KEY: STATUS or {due, window, status, role,
done}}`,
  `expect_no_schedule: [KEY]`, `expect_risks: [CODE or {code, since, severity}]` (with `only: true`: no others),
  `expect_no_risks: []` (none) or `[CODE]`, `record_duty: KEY` (as: ROLE, on: DATE) for duties no flow records,
  `excuse: KEY` with `reason:` (特段の事情), and `update_case: {field: value}` (e.g. `video_conditions_met`);
- `update_organisation: {org: office.1, proxy_receipt_mandate_filed_on: null}` records a fact of a demo organisation;
- which task, when several are ready with one step id: `flow:` (process key) and `month:` (a monthly instance's
  YYYY-MM) beside `complete`, `expect_ready`, `expect_not_ready`, `expect_never_ready` and `expect_due`;
- a task's organisation: `step@role:org` or `{step, role, org, flow, month}`, org = `center.1`, `office.2`, …;
- `expect_never_ready: [step]` holds for the rest of the run; `expect_risk_history: [CODE]` raised, then cleared;
  `expect_duty_due: {KEY: DATE}` the due date of a duty on the schedule (`monitoring:2026-07` for the month's
  monitoring record); `expect_case` reads every case fact (columns, then the case's data).
The whole format is in engine/README.md, "Scenario files". Every step goes through the database: nothing is kept
in memory between steps.
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlalchemy import inspect
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.accounts import demo_staff
from engine.accounts import form_register
from engine.accounts import staff
from engine.cases import facts
from engine.clock import JST
from engine.clock import FixedClock
from engine.clock import today as clock_today
from engine.errors import KaigoflowError
from engine.errors import ValidationError
from engine.execution.runtime import Actor
from engine.execution.runtime import Runtime
from engine.execution.runtime import current_data
from engine.japanese_dates import as_date
from engine.process_library import safeload
from engine.process_library.forms import has_directory_fields
from engine.scheduling import deadlines
from engine.store.models import Case
from engine.store.models import Document
from engine.store.models import ProcessInstance
from engine.store.models import Risk
from engine.store.models import ScheduleItem
from engine.store.models import Task

MAX_FIRE_ROUNDS = 10_000


class ScenarioFailure(Exception):
    """A step did not do what the scenario expected."""


@dataclass
class ScenarioResult:
    name: str
    path: Path
    passed: bool
    message: str = ""
    steps_run: int = 0

    def line(self) -> str:
        status = "PASS" if self.passed else "FAIL"
        tail = "" if self.passed else f": {self.message}"
        return f"{status} {self.name} ({self.path}){tail}"


@dataclass
class _ScenarioRun:
    """One scenario file being run: its runtime, session, clock, case and acting staff, and what it promised."""

    runtime: Runtime
    session: Session
    clock: FixedClock
    case: Case
    actors: dict[int, Actor]
    """Organisation id -> a member of its staff."""
    last_instance_id: int | None = None
    step_no: int = 0
    log: list[str] = field(default_factory=list)
    never_ready: list[_NeverReady] = field(default_factory=list)
    """`expect_never_ready` promises still to keep: checked after every later step."""


@dataclass(frozen=True)
class TaskRef:
    """A task as a scenario names it: step id, and optionally role, organisation, flow and month."""

    step: str
    role: str | None = None
    org: str | None = None
    """A demo organisation as the runner creates them: `center.1` (the case's), `office.2` (another office), …."""
    flow: str | None = None
    """The process key of the task's instance (`monthly_monitoring`, `renewal`, `new_case`, …)."""
    month: str | None = None
    """The instance's period, YYYY-MM for a monthly モニタリング."""

    def __str__(self) -> str:
        text = self.step + (f"@{self.role}" if self.role else "") + (f":{self.org}" if self.org else "")
        chosen = [f"{k}: {v}" for k, v in (("flow", self.flow), ("month", self.month)) if v]
        return text + (f"({', '.join(chosen)})" if chosen else "")


@dataclass(frozen=True)
class _NeverReady:
    ref: TaskRef
    known: frozenset[str]
    """Ids of the task rows of that step that existed when the promise was made (done or cancelled since)."""
    step_no: int


MAX_REPEAT_TIMES = 200
"""`repeat.times` at most: a ten-year case is 120 months."""
MAX_SCENARIO_STEPS = 5_000
"""Steps of one scenario once its repeats are expanded (the longest in processes/ runs under 500)."""


def load(path: Path) -> dict[str, Any]:
    """Read a scenario file within engine/process_library/safeload.py's bounds (no aliases, size, nodes, depth) and its
    repeats'."""
    if path.stat().st_size > safeload.MAX_YAML_BYTES:
        raise ScenarioFailure(f"シナリオのファイルが大きすぎます(上限 {safeload.MAX_YAML_BYTES // 1024} KB)")
    try:
        content = safeload.load_yaml(path.read_text(encoding="utf-8"))
    except safeload.LoadRefused as exc:
        raise ScenarioFailure(str(exc)) from None
    except UnicodeDecodeError:
        raise ScenarioFailure("シナリオのファイルがUTF-8の文字として読めません") from None
    if not isinstance(content, dict) or "municipality" not in content or "steps" not in content:
        raise ScenarioFailure("シナリオには municipality と steps が必要です")
    if _expanded_steps(content["steps"]) > MAX_SCENARIO_STEPS:
        raise ScenarioFailure(f"繰り返し(repeat)を展開した手順が多すぎます(上限 {MAX_SCENARIO_STEPS:,})")
    return content


def _expanded_steps(steps: Any) -> int:
    """How many steps run once every `repeat` is expanded; ScenarioFailure for a malformed or too large repeat.

    Stops counting past the maximum, so nested repeats cannot make the count itself expensive."""
    if not isinstance(steps, list):
        raise ScenarioFailure("steps は手順の一覧(- で始まる行)で書いてください")
    total = 0
    for step in steps:
        spec = step.get("repeat") if isinstance(step, dict) else None
        if spec is None:
            total += 1
        elif not isinstance(spec, dict):
            raise ScenarioFailure("repeat には times と steps を書いてください")
        else:
            times = spec.get("times", 1)
            if not isinstance(times, int) or isinstance(times, bool) or not 0 <= times <= MAX_REPEAT_TIMES:
                raise ScenarioFailure(f"repeat の times は 0 から {MAX_REPEAT_TIMES} までの整数です")
            total += times * _expanded_steps(spec.get("steps"))
        if total > MAX_SCENARIO_STEPS:
            break
    return total


def discover(paths: Iterable[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*.yaml") if "scenarios" in p.parts))
        else:
            found.append(path)
    return found


def run_file(
    path: Path,
    make_runtime: Callable[[FixedClock], Runtime],
    make_session: Callable[[], Session],
) -> ScenarioResult:
    """Run one scenario file against a fresh database session; never raises for a scenario's failure."""
    name = path.stem
    try:
        scenario = load(path)
        name = str(scenario.get("name", name))
        start_day = as_date(scenario.get("today")) or date.today()
        clock = FixedClock(start_day)
        runtime = make_runtime(clock)
        session = make_session()
        try:
            state = _prepare(runtime, session, clock, scenario)
            if scenario.get("start"):
                _start(state, scenario["start"], scenario.get("with") or {})
            _run_steps(state, scenario["steps"])
            return ScenarioResult(name, path, True, steps_run=state.step_no)
        finally:
            session.close()
    except ScenarioFailure as exc:
        return ScenarioResult(name, path, False, str(exc))
    except KaigoflowError as exc:
        return ScenarioResult(name, path, False, f"{type(exc).__name__}: {exc}")


def _prepare(runtime: Runtime, session: Session, clock: FixedClock, scenario: dict[str, Any]) -> _ScenarioRun:
    muni = runtime.library.municipality(scenario["municipality"])
    orgs = demo_staff.demo_organisations(session, muni)
    actors = {}
    for role, members in orgs.items():
        for org in members:  # one member of staff in every organisation: a task handed to the 2nd office is theirs
            user = demo_staff.demo_user(session, org)
            actors[org.id] = Actor(user_id=user.id, organisation_id=org.id, role=role)
    for office in orgs["office"]:  # each scenario starts from the demo offices as made, whatever one before changed
        office.proxy_receipt_mandate_filed_on = demo_staff.DEMO_PROXY_RECEIPT_FILED_ON
    session.commit()
    _ORG_IDS.set({(role, i): org.id for role, members in orgs.items() for i, org in enumerate(members, start=1)})
    fields: dict[str, Any] = {}
    for key, value in (scenario.get("case") or {}).items():
        resolved = _resolve(value, clock)
        fields[key] = as_date(resolved) if key in facts.DATE_COLUMNS else resolved
    case = runtime.open_case(
        session,
        muni.key,
        center_org_id=orgs["center"][0].id,
        office_org_id=orgs["office"][0].id,
        insurer_org_id=orgs["insurer"][0].id,
        provider_org_id=orgs["provider"][0].id,
        **fields,
    )
    return _ScenarioRun(runtime, session, clock, case, actors)


def _run_steps(state: _ScenarioRun, steps: list[Any]) -> None:
    for step in steps:
        if not isinstance(step, dict):
            raise ScenarioFailure(f"手順の書式が正しくありません: {step!r}")
        state.step_no += 1
        try:
            _run_step(state, step)
            _check_never_ready(state)
        except ScenarioFailure as exc:
            raise ScenarioFailure(f"手順{state.step_no} {_brief(step)}: {exc}") from None
        except KaigoflowError as exc:
            raise ScenarioFailure(f"手順{state.step_no} {_brief(step)}: {exc}") from None


def _run_step(state: _ScenarioRun, step: dict[str, Any]) -> None:
    if "repeat" in step:
        spec = step["repeat"]
        for _ in range(int(spec.get("times", 1))):
            _run_steps(state, spec["steps"])
    elif "expect_ready" in step:
        _expect_ready(state, _refs(state, step["expect_ready"], step))
    elif "expect_not_ready" in step:
        _expect_not_ready(state, _refs(state, step["expect_not_ready"], step))
    elif "expect_never_ready" in step:
        _expect_never_ready(state, _refs(state, step["expect_never_ready"], step))
    elif "complete" in step:
        _complete(state, step)
    elif "expect_data" in step:
        _expect_data(state, step["expect_data"])
    elif "advance" in step:
        _advance(state, _resolve_duration(state.clock, step["advance"]))
    elif "advance_to" in step:
        target = as_date(_resolve(step["advance_to"], state.clock))
        if target is None:
            raise ScenarioFailure("advance_to には日付を指定してください")
        moment = FixedClock(target).now()
        if moment < state.clock.now():
            raise ScenarioFailure("時計を過去に戻すことはできません")
        _advance(state, moment - state.clock.now())
    elif "start" in step:
        _start(state, step["start"], step.get("with") or {}, step.get("expect_error"))
    elif "expect_due" in step:
        _expect_due(state, step["expect_due"], step)
    elif "expect_duty_due" in step:
        _expect_duty_due(state, step["expect_duty_due"])
    elif "expect_ended" in step:
        _expect_ended(state, step["expect_ended"])
    elif "expect_case" in step:
        _expect_case(state, step["expect_case"])
    elif "expect_instances" in step:
        _expect_instances(state, step["expect_instances"])
    elif "expect_documents" in step:
        _expect_documents(state, step["expect_documents"])
    elif "expect_risks" in step:
        _expect_risks(state, step["expect_risks"], exact=bool(step.get("only")))
    elif "expect_risk_history" in step:
        _expect_risk_history(state, step["expect_risk_history"])
    elif "expect_no_risks" in step:
        _expect_no_risks(state, step["expect_no_risks"])
    elif "expect_schedule" in step:
        _expect_schedule(state, step["expect_schedule"])
    elif "expect_no_schedule" in step:
        missing = [k for k in step["expect_no_schedule"] if _schedule_row(state, k) is not None]
        if missing:
            raise ScenarioFailure(f"予定にあってはならない業務があります: {missing}")
    elif "record_duty" in step:
        row = _schedule_row(state, step["record_duty"])
        if row is None:
            raise ScenarioFailure(f"予定 {step['record_duty']} がありません")
        actor = _duty_actor(state, row, step.get("as"))
        done_on = as_date(_resolve(step.get("on"), state.clock)) if step.get("on") else None
        state.runtime.record_duty(state.session, row.id, actor, done_on)
    elif "excuse" in step:
        row = _schedule_row(state, step["excuse"])
        if row is None:
            raise ScenarioFailure(f"予定 {step['excuse']} がありません")
        actor = _duty_actor(state, row, step.get("as"))
        state.runtime.record_special_circumstances(state.session, row.id, str(step.get("reason", "")), actor)
    elif "update_case" in step:
        _update_case(state, step["update_case"])
    elif "update_organisation" in step:
        _update_organisation(state, step["update_organisation"])
    else:
        raise ScenarioFailure(f"知らない手順です: {sorted(step)}")


def _start(state: _ScenarioRun, key: str, data: Mapping[str, Any], expect_error: Any = None) -> None:
    """Start a flow; with `expect_error` (text the message contains, or `true`), expect the start to be refused
    (a second copy of a running flow, a flow the case may not have) and the case to be left as it was."""
    resolved = {k: _resolve(v, state.clock) for k, v in data.items()}
    try:
        instance = state.runtime.start(state.session, state.case.id, key, resolved)
    except KaigoflowError as exc:
        if expect_error is None or expect_error is False:
            raise
        if isinstance(expect_error, str) and expect_error not in exc.message:
            raise ScenarioFailure(f"{key} の開始を断る理由「{exc.message}」に「{expect_error}」が含まれません") from exc
        return  # the runtime rolled the refused start back
    if expect_error is not None and expect_error is not False:
        raise ScenarioFailure(f"{key} は開始できないはずですが、開始されました")
    state.last_instance_id = instance.id


def _ready(state: _ScenarioRun) -> list[Task]:
    return list(
        state.session.scalars(
            select(Task).where(Task.case_id == state.case.id, Task.state == "ready").order_by(Task.ready_at)
        )
    )


def _expect_ready(state: _ScenarioRun, wanted: list[TaskRef]) -> None:
    ready = _ready(state)
    periods = _periods(state, ready)
    for ref in wanted:
        same_step = [t for t in ready if t.bpmn_id == ref.step]
        if not same_step:
            raise ScenarioFailure(f"{ref.step} が準備完了になっていません(準備完了: {_describe(ready, periods)})")
        matches = [t for t in same_step if _in_flow_and_month(t, ref, periods)]
        if not matches:
            raise ScenarioFailure(
                f"{ref} が準備完了になっていません(準備完了の {ref.step}: {_describe(same_step, periods)})"
            )
        if ref.role and not any(t.role == ref.role for t in matches):
            raise ScenarioFailure(f"{ref.step} の担当が {ref.role} ではありません({matches[0].role})")
        with_role = [t for t in matches if not ref.role or t.role == ref.role]
        if ref.org and not any(t.organisation_id == _org_id(ref.org) for t in with_role):
            have = ", ".join(sorted({_org_name(t.organisation_id) for t in with_role}))
            raise ScenarioFailure(f"{ref.step} の担当組織が {ref.org} ではありません({have})")


def _expect_not_ready(state: _ScenarioRun, refs: list[TaskRef]) -> None:
    ready = _ready(state)
    periods = _periods(state, ready)
    present = [str(ref) for ref in refs if any(_matches(t, ref, periods) for t in ready)]
    if present:
        raise ScenarioFailure(f"準備完了であってはならないタスクがあります: {present}")


def _expect_never_ready(state: _ScenarioRun, refs: list[TaskRef]) -> None:
    """Not ready now, and never from here to the end of the run (`_check_never_ready` after every later step)."""
    _expect_not_ready(state, refs)
    for ref in refs:
        rows = _task_rows(state, ref)
        state.never_ready.append(_NeverReady(ref, frozenset(row.id for row in rows), state.step_no))


def _check_never_ready(state: _ScenarioRun) -> None:
    for promise in state.never_ready:
        new = [row for row in _task_rows(state, promise.ref) if row.id not in promise.known]
        if new:
            became = min(new, key=lambda row: row.ready_at)
            raise ScenarioFailure(
                f"{promise.ref} は手順{promise.step_no}の expect_never_ready により以後準備完了にならないはずが、"
                f"{_japan_day(became.ready_at)} に準備完了になりました(状態: {became.state})"
            )


def _task_rows(state: _ScenarioRun, ref: TaskRef) -> list[Task]:
    """Every task row of the case for that step, whatever its state now (a row is made when a task becomes ready)."""
    state.session.expire_all()
    rows = list(state.session.scalars(select(Task).where(Task.case_id == state.case.id, Task.bpmn_id == ref.step)))
    periods = _periods(state, rows)
    return [row for row in rows if _matches(row, ref, periods)]


def _complete(state: _ScenarioRun, step: dict[str, Any]) -> None:
    ref = _ref(state, step["complete"], step)
    ready = _ready(state)
    periods = _periods(state, ready)
    matches = [t for t in ready if _matches(t, ref, periods)]
    if len(matches) != 1:
        same_step = [t for t in ready if t.bpmn_id == ref.step]
        hint = " — flow: か month: で選んでください" if len(matches) > 1 else ""
        raise ScenarioFailure(
            f"準備完了の {ref} が{len(matches)}件あります(1件であるべき。準備完了の {ref.step}: "
            f"{_describe(same_step, periods)}){hint}"
        )
    task = matches[0]
    role = step.get("as") or task.role
    actor = _actor_for(state, task, role)
    if actor is None:
        raise ScenarioFailure(f"役割 {role} の職員がいません")
    _, _, data = state.runtime.form_context(state.session, task.id)
    submission = _submission(state, task, data, step.get("data") or {})
    expect_error = step.get("expect_error")
    try:
        state.runtime.complete(state.session, task.id, submission, actor)
    except ValidationError as exc:
        if not expect_error:
            raise
        _check_expected_error(exc, expect_error)
        return
    if expect_error:
        raise ScenarioFailure("入力エラーになるはずの送信が受け付けられました")
    state.last_instance_id = task.instance_id


def _actor_for(state: _ScenarioRun, task: Task, role: str) -> Actor | None:
    """A member of the task's organisation when acting in its role (client steps are recorded by it too); for another
    role, a member of the case's organisation of that role (`as:`, e.g. to show the wrong organisation is refused)."""
    if role in (task.role, "client"):
        return state.actors.get(task.organisation_id) if task.organisation_id is not None else None
    return _member_of_role(state, role)


def _member_of_role(state: _ScenarioRun, role: str) -> Actor | None:
    """A member of the case's organisation of that role, or None when the case has none."""
    state.session.refresh(state.case)
    org_id = getattr(state.case, f"{role}_org_id", None)
    return state.actors.get(org_id) if org_id else None


def _duty_actor(state: _ScenarioRun, row: ScheduleItem, role: str | None) -> Actor:
    """Who records a scheduled duty: a member of the duty's organisation, or of the case's organisation of the role
    `as:` names (e.g. to show the wrong organisation is refused)."""
    if role:
        actor = _member_of_role(state, role)
    else:
        actor = state.actors.get(row.organisation_id) if row.organisation_id is not None else None
    if actor is None:
        raise ScenarioFailure(f"予定 {row.key} を記録する組織がこのケースにありません")
    return actor


def _submission(state: _ScenarioRun, task: Task, data: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """The form's valid example, prefilled with what the instance already knows, then the scenario's data."""
    loaded = state.runtime.load(state.session, task.instance_id)
    form = loaded.resolved.forms.get(task.form or "")
    if form is None:
        return {k: _resolve(v, state.clock) for k, v in given.items()}
    submission = form.example()
    if has_directory_fields(form.schema):
        names = form_register.form_directory(state.session, state.case.municipality)
        submission = form_register.registered_example(submission, form.schema, names)
    fields = form.schema.get("properties", {})
    for key in fields:
        if data.get(key) is not None:
            submission[key] = data[key]
    submission.update({k: _resolve(v, state.clock) for k, v in given.items()})
    return submission


def _check_expected_error(exc: ValidationError, expected: Any) -> None:
    if isinstance(expected, dict):
        for field_name, text in expected.items():
            message = exc.details.get(field_name)
            if message is None:
                raise ScenarioFailure(f"項目 {field_name} のエラーがありません(あるのは {sorted(exc.details)})")
            if text and str(text) not in message:
                raise ScenarioFailure(f"項目 {field_name} のエラー「{message}」に「{text}」が含まれません")


def _latest_data(state: _ScenarioRun) -> dict[str, Any]:
    data = facts.case_to_data(state.case)
    instance_id = state.last_instance_id or state.session.scalar(
        select(func.max(ProcessInstance.id)).where(ProcessInstance.case_id == state.case.id)
    )
    if instance_id is not None:
        data.update(current_data(state.runtime.load(state.session, instance_id).workflow))
    return data


def _expect_data(state: _ScenarioRun, expected: Mapping[str, Any]) -> None:
    state.session.refresh(state.case)
    data = _latest_data(state)
    for key, value in expected.items():
        value = _resolve(value, state.clock)
        actual = data.get(key, "<なし>")
        if not _equal(actual, value):
            raise ScenarioFailure(f"{key} は {value!r} のはずが {actual!r} です")


def _expect_due(state: _ScenarioRun, expected: Mapping[str, Any], step: Mapping[str, Any]) -> None:
    """`{step: DATE}`: the due date of the ready task (`flow:` / `month:` beside it choose among several)."""
    ready = _ready(state)
    periods = _periods(state, ready)
    for key, value in expected.items():
        ref = _ref(state, key, step)
        want = as_date(_resolve(value, state.clock))
        rows = [t for t in ready if _matches(t, ref, periods)]
        if not rows:
            raise ScenarioFailure(f"{ref} が準備完了になっていません")
        dues = {t.due_date for t in rows}
        if len(dues) > 1:
            raise ScenarioFailure(
                f"準備完了の {ref} が{len(rows)}件あり期限が異なります({_describe(rows, periods)})"
                " — flow: か month: で選んでください"
            )
        if rows[0].due_date != want:
            raise ScenarioFailure(f"{ref} の期限は {want} のはずが {rows[0].due_date} です")


def _expect_ended(state: _ScenarioRun, key: str) -> None:
    instance = state.session.scalar(
        select(ProcessInstance)
        .where(ProcessInstance.case_id == state.case.id, ProcessInstance.process_key == key)
        .order_by(ProcessInstance.id.desc())
    )
    if instance is None:
        raise ScenarioFailure(f"{key} は開始されていません")
    if instance.status != "completed":
        raise ScenarioFailure(f"{key} は終了していません(状態: {instance.status})")


def _expect_instances(state: _ScenarioRun, expected: Mapping[str, Mapping[str, int]]) -> None:
    """`{plan_period: {running: 1, cancelled: 1}}`: how many instances of a process the case has, per status."""
    for key, by_status in expected.items():
        rows = state.session.execute(
            select(ProcessInstance.status, func.count())
            .where(ProcessInstance.case_id == state.case.id, ProcessInstance.process_key == key)
            .group_by(ProcessInstance.status)
        ).all()
        actual = {status: count for status, count in rows}
        for status, count in by_status.items():
            if actual.get(status, 0) != count:
                raise ScenarioFailure(f"{key} の {status} は {count} 件のはずが {actual.get(status, 0)} 件です")


def _expect_case(state: _ScenarioRun, expected: Mapping[str, Any]) -> None:
    """Every case fact: a column of the case (whatever columns it has), else a fact kept in the case's data.

    An organisation may be named as the runner made it (`office_org_id: office.2`) or by id (`${org.office.2}`).
    """
    state.session.refresh(state.case)
    data = state.case.data or {}
    for key, value in expected.items():
        if key in _case_columns():
            actual = getattr(state.case, key)
        elif key in data or key in facts.CANONICAL_DEFAULTS:
            actual = data.get(key, facts.CANONICAL_DEFAULTS.get(key))
        else:
            raise ScenarioFailure(f"ケースに {key} という事実はありません")
        want = _resolve(value, state.clock)
        if key.endswith("_org_id") and isinstance(want, str) and _ORG_NAME.match(want):
            want = _org_id(want)
        if not _equal(actual, want):
            shown = _org_name(actual) if key.endswith("_org_id") and isinstance(actual, int) else repr(actual)
            raise ScenarioFailure(f"ケースの {key} は {value!r} のはずが {shown} です")


def _case_columns() -> frozenset[str]:
    """The case's own attributes: its columns and any property it defines (a fact derived from others)."""
    properties = {name for name in dir(Case) if isinstance(getattr(Case, name, None), property)}
    return frozenset(column.key for column in inspect(Case).mapper.column_attrs) | properties


def _expect_documents(state: _ScenarioRun, expected: Mapping[str, int]) -> None:
    for form, count in expected.items():
        actual = state.session.scalar(
            select(func.count()).select_from(Document).where(Document.case_id == state.case.id, Document.form == form)
        )
        if actual != count:
            raise ScenarioFailure(f"{form} の記録は {count} 件のはずが {actual} 件です")


def _open_risks(state: _ScenarioRun) -> list[Risk]:
    state.session.expire_all()
    return list(state.session.scalars(select(Risk).where(Risk.case_id == state.case.id, Risk.cleared_at.is_(None))))


def _expect_risks(state: _ScenarioRun, expected: list[Any], exact: bool = False) -> None:
    """`[code, …]` or `[{code: monitoring_missing, since: 2026-07-01, severity: reduction}, …]`: all open."""
    risks = _open_risks(state)
    have = ", ".join(sorted(f"{r.code}({r.since})" for r in risks)) or "なし"
    for want in expected:
        spec = want if isinstance(want, dict) else {"code": want}
        matches = [
            r
            for r in risks
            if r.code == spec["code"]
            and all(_equal(getattr(r, k), _resolve(v, state.clock)) for k, v in spec.items() if k != "code")
        ]
        if not matches:
            raise ScenarioFailure(f"リスク {spec} が出ていません(出ているリスク: {have})")
    if exact and len(risks) != len(expected):
        raise ScenarioFailure(f"リスクは {len(expected)} 件のはずが {len(risks)} 件です({have})")


def _expect_no_risks(state: _ScenarioRun, codes: list[str] | None) -> None:
    """`expect_no_risks: []` means none at all; a list names codes that must not be open."""
    risks = _open_risks(state)
    bad = [r for r in risks if not codes or r.code in codes]
    if bad:
        raise ScenarioFailure("出てはならないリスクがあります: " + ", ".join(f"{r.code}({r.since})" for r in bad))


def _expect_risk_history(state: _ScenarioRun, expected: list[Any]) -> None:
    """`[code, …]` or `[{code, since, severity, cleared}, …]`: each was raised and has been cleared since.

    A risk raised again is open again, not history (`expect_risks`).
    """
    state.session.expire_all()
    risks = list(state.session.scalars(select(Risk).where(Risk.case_id == state.case.id)))
    cleared = [r for r in risks if r.cleared_at is not None]
    have = ", ".join(sorted(f"{r.code}({r.since}〜{_japan_day(r.cleared_at)})" for r in cleared)) or "なし"
    for want in expected:
        spec = want if isinstance(want, dict) else {"code": want}
        if "code" not in spec:
            raise ScenarioFailure(f"expect_risk_history の項目には code が必要です: {spec}")

        def fits(risk: Risk, spec: Mapping[str, Any] = spec) -> bool:
            if risk.code != spec["code"]:
                return False
            for name, value in spec.items():
                actual = _japan_day(risk.cleared_at) if name == "cleared" else getattr(risk, name, None)
                if name != "code" and not _equal(actual, _resolve(value, state.clock)):
                    return False
            return True

        if any(fits(r) for r in cleared):
            continue
        still_open = [r for r in risks if r.cleared_at is None and fits(r)]
        if still_open:
            raise ScenarioFailure(f"リスク {spec} はまだ解消されていません({still_open[0].since}から)")
        raise ScenarioFailure(f"解消されたリスク {spec} がありません(解消されたリスク: {have})")


_DUTY_OF_STEP = {"monitoring": "monitoring_record"}
"""Steps whose record is a duty of another name: `monitoring:2026-07` is the July モニタリング's record."""


def _expect_duty_due(state: _ScenarioRun, expected: Mapping[str, Any]) -> None:
    """`{monitoring_record:2026-07: 2026-07-31}`: the due date of a duty on the schedule, ready or not yet."""
    for key, value in expected.items():
        duty, _, period = str(_resolve(key, state.clock)).partition(":")
        if not period:
            raise ScenarioFailure(f"expect_duty_due のキーは 業務:期間 です(例: monitoring:2026-07): {key}")
        schedule_key = f"{_DUTY_OF_STEP.get(duty, duty)}:{period}"
        row = _schedule_row(state, schedule_key)
        if row is None:
            same_duty = state.session.scalars(
                select(ScheduleItem.period).where(
                    ScheduleItem.case_id == state.case.id, ScheduleItem.duty == _DUTY_OF_STEP.get(duty, duty)
                )
            ).all()
            have = ", ".join(sorted(str(p) for p in same_duty)) or "なし"
            raise ScenarioFailure(f"予定 {schedule_key} がありません({_DUTY_OF_STEP.get(duty, duty)} の期間: {have})")
        want = as_date(_resolve(value, state.clock))
        if want is None:
            raise ScenarioFailure(f"予定 {schedule_key} の期限には日付を書いてください: {value!r}")
        if row.due_date != want:
            raise ScenarioFailure(f"予定 {schedule_key} の期限は {want} のはずが {row.due_date} です")


def _schedule_row(state: _ScenarioRun, key: str) -> ScheduleItem | None:
    state.session.expire_all()
    return state.session.scalar(
        select(ScheduleItem).where(
            ScheduleItem.case_id == state.case.id, ScheduleItem.key == _resolve(key, state.clock)
        )
    )


def _expect_schedule(state: _ScenarioRun, expected: Mapping[str, Any]) -> None:
    """`{monitoring_record:2026-06: open}` or `{renewal_application:2027-03-31: {due: 2027-03-01, status: open}}`."""
    for key, want in expected.items():
        row = _schedule_row(state, key)
        if row is None:
            raise ScenarioFailure(f"予定 {key} がありません")
        spec = want if isinstance(want, dict) else {"status": want}
        fields = {"due": "due_date", "window": "window_start", "status": "status", "role": "role", "done": "done_on"}
        for name, value in spec.items():
            actual = getattr(row, fields.get(name, name))
            if not _equal(actual, _resolve(value, state.clock)):
                raise ScenarioFailure(f"予定 {key} の {name} は {value!r} のはずが {actual!r} です")


def _update_case(state: _ScenarioRun, fields: Mapping[str, Any]) -> None:
    """Change case data outside a flow (e.g. `video_conditions_met` agreed at a meeting), then recompute."""
    state.session.refresh(state.case)
    extra = dict(state.case.data or {})
    for key, value in fields.items():
        value = _resolve(value, state.clock)
        if key in facts.CASE_COLUMNS:
            setattr(state.case, key, as_date(value) if key in facts.DATE_COLUMNS else value)
        else:
            extra[key] = value
    state.case.data = extra
    state.session.commit()
    state.runtime.refresh_schedule(state.session, state.case.id)


ORGANISATION_FACTS = frozenset({"proxy_receipt_mandate_filed_on"})
"""What `update_organisation` may change: the facts of an organisation a flow depends on."""


def _update_organisation(state: _ScenarioRun, change: Mapping[str, Any]) -> None:
    """Record a fact of a demo organisation as its municipal administrator would (`{org: office.1,
    proxy_receipt_mandate_filed_on: null}`: an office that has not filed its 代理受領委任状), with its event."""
    fields = {k: v for k, v in change.items() if k != "org"}
    unknown = sorted(set(fields) - ORGANISATION_FACTS)
    if "org" not in change or unknown or not fields:
        allowed = ", ".join(sorted(ORGANISATION_FACTS))
        raise ScenarioFailure(f"update_organisation は org と {allowed} をとります: {sorted(change)}")
    value = _resolve(fields["proxy_receipt_mandate_filed_on"], state.clock)
    operator = staff.Operator(user_id=None, via="scenario")
    staff.record_proxy_receipt_mandate(
        state.session, operator, _org_id(str(change["org"])), as_date(value) if value else None, state.clock.now()
    )


def advance_case(runtime: Runtime, session: Session, clock: FixedClock, case: Case, until: date) -> None:
    """Move a case's clock to `until`, firing its timers on the way in time order (the demo's stories use it)."""
    moment = FixedClock(until).now()
    if moment > clock.now():
        _advance(_ScenarioRun(runtime, session, clock, case, {}), moment - clock.now())


def _advance(state: _ScenarioRun, delta: timedelta) -> None:
    """Move the clock, firing everything due on the way in time order (a worker that never slept)."""
    target = state.clock.now() + delta
    rounds = 0
    while True:
        from engine.store.models import Timer

        next_due = state.session.scalar(
            select(func.min(Timer.fire_at)).where(Timer.fired_at.is_(None), Timer.case_id == state.case.id)
        )
        if next_due is None or next_due > target:
            break
        if next_due >= state.clock.now():
            state.clock.set(next_due + timedelta(seconds=1))
        if state.runtime.fire_due(state.session, worker="scenario") == 0:
            break
        rounds += 1
        if rounds > MAX_FIRE_ROUNDS:
            raise ScenarioFailure("タイマーが止まりません")
    state.clock.set(max(target, state.clock.now()))
    state.runtime.fire_due(state.session, worker="scenario")


_REF_KEYS = frozenset({"step", "role", "org", "flow", "month"})
_SELECTORS = ("flow", "month")


def _refs(state: _ScenarioRun, items: Any, step: Mapping[str, Any]) -> list[TaskRef]:
    if not isinstance(items, list):
        raise ScenarioFailure(f"タスクの一覧を書いてください(例: [plan_draft@office]): {items!r}")
    return [_ref(state, item, step) for item in items]


def _ref(state: _ScenarioRun, item: Any, step: Mapping[str, Any]) -> TaskRef:
    """`step`, `step@role`, `step@role:org` or `{step, role, org, flow, month}`; `flow:` / `month:` beside the
    scenario step apply to every task it names (the item's own win)."""
    defaults = {k: _resolve(step[k], state.clock) for k in _SELECTORS if step.get(k) is not None}
    if isinstance(item, dict):
        unknown = sorted(set(item) - _REF_KEYS)
        if unknown or "step" not in item:
            raise ScenarioFailure(f"タスクの指定に使えるのは {sorted(_REF_KEYS)} です(step は必須): {item!r}")
        fields = {**defaults, **{k: _resolve(v, state.clock) for k, v in item.items() if v is not None}}
    elif isinstance(item, str) and item:
        step_id, _, who = item.partition("@")
        role, _, org = who.partition(":")
        fields = {**defaults, "step": step_id, **({"role": role} if role else {}), **({"org": org} if org else {})}
    else:
        raise ScenarioFailure(f"タスクの指定が読めません: {item!r}")
    fields = {k: str(v) for k, v in fields.items()}
    if "org" in fields:
        _org_id(fields["org"])  # an unknown organisation fails here, with the known ones
    month = fields.get("month")
    if month is not None and not re.fullmatch(r"\d{4}-\d{2}", month):
        raise ScenarioFailure(f"month は YYYY-MM で書いてください: {month}")
    return TaskRef(**fields)


def _periods(state: _ScenarioRun, tasks: Iterable[Task]) -> dict[int, str | None]:
    """Instance id -> its period (a monthly モニタリング's YYYY-MM), for the tasks given."""
    ids = {t.instance_id for t in tasks}
    if not ids:
        return {}
    rows = state.session.execute(select(ProcessInstance.id, ProcessInstance.period).where(ProcessInstance.id.in_(ids)))
    return {instance_id: period for instance_id, period in rows}


def _in_flow_and_month(task: Task, ref: TaskRef, periods: Mapping[int, str | None]) -> bool:
    return (ref.flow is None or task.process_key == ref.flow) and (
        ref.month is None or periods.get(task.instance_id) == ref.month
    )


def _matches(task: Task, ref: TaskRef, periods: Mapping[int, str | None]) -> bool:
    return (
        task.bpmn_id == ref.step
        and _in_flow_and_month(task, ref, periods)
        and (ref.role is None or task.role == ref.role)
        and (ref.org is None or task.organisation_id == _org_id(ref.org))
    )


def _describe(tasks: Iterable[Task], periods: Mapping[int, str | None]) -> str:
    """`monitoring@office:office.1(monthly_monitoring 2026-06)`, … for messages."""
    shown = []
    for t in tasks:
        period = periods.get(t.instance_id)
        shown.append(
            f"{t.bpmn_id}@{t.role}:{_org_name(t.organisation_id)}({t.process_key}{f' {period}' if period else ''})"
        )
    return ", ".join(shown) or "なし"


_ORG_NAME = re.compile(r"^(?P<role>center|office|insurer|provider)\.(?P<index>\d+)$")


def _org_id(name: str) -> int:
    """`office.2` -> the id of the second demo office (a plain id, as `${org.office.2}` gives, is taken as it is)."""
    if name.isdigit():
        return int(name)
    ids = _ORG_IDS.get()
    match = _ORG_NAME.match(name)
    key = (match["role"], int(match["index"])) if match else None
    if key is None or key not in ids:
        known = ", ".join(f"{role}.{index}" for role, index in sorted(ids))
        raise ScenarioFailure(f"組織 {name} はありません(シナリオの組織: {known})")
    return ids[key]


def _org_name(org_id: int | None) -> str:
    names = {org: f"{role}.{index}" for (role, index), org in _ORG_IDS.get().items()}
    return names.get(org_id, str(org_id)) if org_id is not None else "なし"


def _japan_day(moment: datetime | None) -> str:
    return f"{moment.astimezone(JST):%Y-%m-%d}" if moment is not None else "なし"


_TEMPLATE = re.compile(r"\$\{([^}]*)\}")
_ORG = re.compile(r"^\s*org\.(?P<role>center|office|insurer|provider)\.(?P<index>[12])\s*$")
_ORG_IDS: contextvars.ContextVar[dict[tuple[str, int], int]] = contextvars.ContextVar("scenario_orgs")
_EXPRESSION = re.compile(r"^\s*today\s*(?P<ops>(?:[+-]\s*P\w+\s*)*)(?:\|\s*(?P<fmt>month|date))?\s*$")


def _resolve(value: Any, clock: FixedClock) -> Any:
    """Expand `${today…}` templates in scenario values (recursively in lists and dicts)."""
    if isinstance(value, dict):
        return {k: _resolve(v, clock) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, clock) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str) or "${" not in value:
        return value
    return _TEMPLATE.sub(lambda m: _expand(m.group(1), value, clock), value)


def _expand(expression: str, whole: str, clock: FixedClock) -> str:
    org = _ORG.match(expression)
    if org:
        ids = _ORG_IDS.get()
        key = (org["role"], int(org["index"]))
        if key not in ids:
            raise ScenarioFailure(f"デモ事業所 {org['role']} {org['index']} はありません")
        return str(ids[key])
    match = _EXPRESSION.match(expression)
    if not match:
        raise ScenarioFailure(f"日付の式「{whole}」が読めません(例: ${{today+P6M}}, ${{today|month}})")
    day = clock_today(clock)
    for sign, duration in re.findall(r"([+-])\s*(P\w+)", match["ops"] or ""):
        day = deadlines.apply_duration(day, duration, -1 if sign == "-" else 1)
    return f"{day:%Y-%m}" if match["fmt"] == "month" else day.isoformat()


def _resolve_duration(clock: FixedClock, text: str) -> timedelta:
    start = clock_today(clock)
    end = deadlines.apply_duration(start, str(text), 1)
    return timedelta(days=(end - start).days)


def _equal(actual: Any, expected: Any) -> bool:
    if isinstance(actual, date):
        actual = actual.isoformat()
    if isinstance(expected, date):
        expected = expected.isoformat()
    if isinstance(actual, int) and not isinstance(actual, bool) and isinstance(expected, str) and expected.isdigit():
        expected = int(expected)
    return bool(actual == expected)


def _brief(step: Mapping[str, Any]) -> str:
    key = next(iter(step))
    value = step[key]
    return f"{key}: {value}" if not isinstance(value, (dict, list)) else key
