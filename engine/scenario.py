"""The scenario runner: drive one case through a municipality's real diagrams, as staff would.

Shipped with the engine (as click ships CliRunner) so that process owners can check a diagram edit before they
publish it, and so the flow tests are the same files. Format: CONTRACT.md, "Scenario files", plus:
- `repeat: {times: N, steps: [...]}` runs steps N times (a ten-year case without 120 copies);
- values `${today}`, `${today+P6M-P1D}`, `${today|month}` are dates relative to the scenario clock;
- `complete: … expect_error: {field: substring}` expects the submission to be refused;
- `expect_case: {status: ended, care_level: kaigo1}` checks the case row;
- `expect_documents: {plan_draft: 2}` counts document snapshots by form;
- `expect_instances: {plan_period: {running: 1, completed: 1}}` counts the case's instances of a process by status;
- `${org.office.2}` is the id of the municipality's second demo office (for handovers: `office_org_id`);
- schedules and risks (engine.schedule): `expect_schedule: {KEY: STATUS or {due, window, status, role, done}}`,
  `expect_no_schedule: [KEY]`, `expect_risks: [CODE or {code, since, severity}]` (with `only: true`: no others),
  `expect_no_risks: []` (none) or `[CODE]`, `record_duty: KEY` (as: ROLE, on: DATE) for duties no flow records,
  `excuse: KEY` with `reason:` (特段の事情), and `update_case: {field: value}` (e.g. `video_conditions_met`).
Every step goes through the database: nothing is kept in memory between steps.
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
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import casedata
from engine import deadlines
from engine import directory
from engine.clock import FixedClock
from engine.clock import today as clock_today
from engine.errors import KaigoflowError
from engine.errors import ValidationError
from engine.models import Case
from engine.models import Document
from engine.models import ProcessInstance
from engine.models import Risk
from engine.models import ScheduleItem
from engine.models import Task
from engine.runtime import Actor
from engine.runtime import Runtime
from engine.runtime import current_data

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
class _State:
    runtime: Runtime
    session: Session
    clock: FixedClock
    case: Case
    actors: dict[int, Actor]
    """Organisation id -> a member of its staff."""
    last_instance_id: int | None = None
    step_no: int = 0
    log: list[str] = field(default_factory=list)


def load(path: Path) -> dict[str, Any]:
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ScenarioFailure(f"YAMLとして読めません: {exc}") from None
    if not isinstance(content, dict) or "municipality" not in content or "steps" not in content:
        raise ScenarioFailure("シナリオには municipality と steps が必要です")
    return content


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
        start_day = _as_date(scenario.get("today")) or date.today()
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


def _prepare(runtime: Runtime, session: Session, clock: FixedClock, scenario: dict[str, Any]) -> _State:
    muni = runtime.library.municipality(scenario["municipality"])
    orgs = directory.demo_organisations(session, muni)
    actors = {}
    for role, members in orgs.items():
        for org in members:  # one member of staff in every organisation: a task handed to the 2nd office is theirs
            user = directory.demo_user(session, org)
            actors[org.id] = Actor(user_id=user.id, organisation_id=org.id, role=role)
    session.commit()
    _ORG_IDS.set({(role, i): org.id for role, members in orgs.items() for i, org in enumerate(members, start=1)})
    fields = {k: _resolve(v, clock) for k, v in (scenario.get("case") or {}).items()}
    case = runtime.open_case(
        session,
        muni.key,
        center_org_id=orgs["center"][0].id,
        office_org_id=orgs["office"][0].id,
        insurer_org_id=orgs["insurer"][0].id,
        provider_org_id=orgs["provider"][0].id,
        **{k: _as_date(v) if k in casedata.DATE_COLUMNS else v for k, v in fields.items()},
    )
    return _State(runtime, session, clock, case, actors)


def _run_steps(state: _State, steps: list[Any]) -> None:
    for step in steps:
        if not isinstance(step, dict):
            raise ScenarioFailure(f"手順の書式が正しくありません: {step!r}")
        state.step_no += 1
        try:
            _run_step(state, step)
        except ScenarioFailure as exc:
            raise ScenarioFailure(f"手順{state.step_no} {_brief(step)}: {exc}") from None
        except KaigoflowError as exc:
            raise ScenarioFailure(f"手順{state.step_no} {_brief(step)}: {exc}") from None


def _run_step(state: _State, step: dict[str, Any]) -> None:
    if "repeat" in step:
        spec = step["repeat"]
        for _ in range(int(spec.get("times", 1))):
            _run_steps(state, spec["steps"])
    elif "expect_ready" in step:
        _expect_ready(state, step["expect_ready"])
    elif "expect_not_ready" in step:
        ready = {t.bpmn_id for t in _ready(state)}
        present = [s for s in step["expect_not_ready"] if s in ready]
        if present:
            raise ScenarioFailure(f"準備完了であってはならないタスクがあります: {present}")
    elif "complete" in step:
        _complete(state, step)
    elif "expect_data" in step:
        _expect_data(state, step["expect_data"])
    elif "advance" in step:
        _advance(state, _resolve_duration(state.clock, step["advance"]))
    elif "advance_to" in step:
        target = _as_date(_resolve(step["advance_to"], state.clock))
        if target is None:
            raise ScenarioFailure("advance_to には日付を指定してください")
        moment = FixedClock(target).now()
        if moment < state.clock.now():
            raise ScenarioFailure("時計を過去に戻すことはできません")
        _advance(state, moment - state.clock.now())
    elif "start" in step:
        _start(state, step["start"], step.get("with") or {})
    elif "expect_due" in step:
        _expect_due(state, step["expect_due"])
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
        actor = state.actors.get(step.get("as") or row.role) or next(iter(state.actors.values()))
        done_on = _as_date(_resolve(step.get("on"), state.clock)) if step.get("on") else None
        state.runtime.record_duty(state.session, row.id, actor, done_on)
    elif "excuse" in step:
        row = _schedule_row(state, step["excuse"])
        if row is None:
            raise ScenarioFailure(f"予定 {step['excuse']} がありません")
        actor = state.actors.get(step.get("as") or row.role) or next(iter(state.actors.values()))
        state.runtime.record_special_circumstances(state.session, row.id, str(step.get("reason", "")), actor)
    elif "update_case" in step:
        _update_case(state, step["update_case"])
    else:
        raise ScenarioFailure(f"知らない手順です: {sorted(step)}")


def _start(state: _State, key: str, data: Mapping[str, Any]) -> None:
    resolved = {k: _resolve(v, state.clock) for k, v in data.items()}
    instance = state.runtime.start(state.session, state.case.id, key, resolved)
    state.last_instance_id = instance.id


def _ready(state: _State) -> list[Task]:
    return list(
        state.session.scalars(
            select(Task).where(Task.case_id == state.case.id, Task.state == "ready").order_by(Task.ready_at)
        )
    )


def _expect_ready(state: _State, wanted: list[str]) -> None:
    ready = _ready(state)
    for item in wanted:
        step_id, _, role = item.partition("@")
        matches = [t for t in ready if t.bpmn_id == step_id]
        if not matches:
            have = ", ".join(f"{t.bpmn_id}@{t.role}" for t in ready) or "なし"
            raise ScenarioFailure(f"{step_id} が準備完了になっていません(準備完了: {have})")
        if role and not any(t.role == role for t in matches):
            raise ScenarioFailure(f"{step_id} の担当が {role} ではありません({matches[0].role})")


def _complete(state: _State, step: dict[str, Any]) -> None:
    step_id = step["complete"]
    matches = [t for t in _ready(state) if t.bpmn_id == step_id]
    if len(matches) != 1:
        raise ScenarioFailure(f"準備完了の {step_id} が{len(matches)}件あります(1件であるべき)")
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


def _actor_for(state: _State, task: Task, role: str) -> Actor | None:
    """A member of the task's organisation when acting in its role (client steps are recorded by it too); for another
    role, a member of the case's organisation of that role (`as:`, e.g. to show the wrong organisation is refused)."""
    if role in (task.role, "client"):
        return state.actors.get(task.organisation_id)
    state.session.refresh(state.case)
    org_id = getattr(state.case, f"{role}_org_id", None)
    return state.actors.get(org_id) if org_id else None


def _submission(state: _State, task: Task, data: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """The form's valid example, prefilled with what the instance already knows, then the scenario's data."""
    loaded = state.runtime.load(state.session, task.instance_id)
    form = loaded.resolved.forms.get(task.form or "")
    if form is None:
        return {k: _resolve(v, state.clock) for k, v in given.items()}
    submission = form.example()
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


def _latest_data(state: _State) -> dict[str, Any]:
    data = casedata.case_to_data(state.case)
    instance_id = state.last_instance_id or state.session.scalar(
        select(func.max(ProcessInstance.id)).where(ProcessInstance.case_id == state.case.id)
    )
    if instance_id is not None:
        data.update(current_data(state.runtime.load(state.session, instance_id).workflow))
    return data


def _expect_data(state: _State, expected: Mapping[str, Any]) -> None:
    state.session.refresh(state.case)
    data = _latest_data(state)
    for key, value in expected.items():
        value = _resolve(value, state.clock)
        actual = data.get(key, "<なし>")
        if not _equal(actual, value):
            raise ScenarioFailure(f"{key} は {value!r} のはずが {actual!r} です")


def _expect_due(state: _State, expected: Mapping[str, Any]) -> None:
    ready = _ready(state)
    for step_id, value in expected.items():
        want = _as_date(_resolve(value, state.clock))
        rows = [t for t in ready if t.bpmn_id == step_id]
        if not rows:
            raise ScenarioFailure(f"{step_id} が準備完了になっていません")
        if rows[0].due_date != want:
            raise ScenarioFailure(f"{step_id} の期限は {want} のはずが {rows[0].due_date} です")


def _expect_ended(state: _State, key: str) -> None:
    instance = state.session.scalar(
        select(ProcessInstance)
        .where(ProcessInstance.case_id == state.case.id, ProcessInstance.process_key == key)
        .order_by(ProcessInstance.id.desc())
    )
    if instance is None:
        raise ScenarioFailure(f"{key} は開始されていません")
    if instance.status != "completed":
        raise ScenarioFailure(f"{key} は終了していません(状態: {instance.status})")


def _expect_instances(state: _State, expected: Mapping[str, Mapping[str, int]]) -> None:
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


def _expect_case(state: _State, expected: Mapping[str, Any]) -> None:
    state.session.refresh(state.case)
    for key, value in expected.items():
        actual = getattr(state.case, key, None)
        if not _equal(actual, _resolve(value, state.clock)):
            raise ScenarioFailure(f"ケースの {key} は {value!r} のはずが {actual!r} です")


def _expect_documents(state: _State, expected: Mapping[str, int]) -> None:
    for form, count in expected.items():
        actual = state.session.scalar(
            select(func.count()).select_from(Document).where(Document.case_id == state.case.id, Document.form == form)
        )
        if actual != count:
            raise ScenarioFailure(f"{form} の記録は {count} 件のはずが {actual} 件です")


def _open_risks(state: _State) -> list[Risk]:
    state.session.expire_all()
    return list(state.session.scalars(select(Risk).where(Risk.case_id == state.case.id, Risk.cleared_at.is_(None))))


def _expect_risks(state: _State, expected: list[Any], exact: bool = False) -> None:
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


def _expect_no_risks(state: _State, codes: list[str] | None) -> None:
    """`expect_no_risks: []` means none at all; a list names codes that must not be open."""
    risks = _open_risks(state)
    bad = [r for r in risks if not codes or r.code in codes]
    if bad:
        raise ScenarioFailure("出てはならないリスクがあります: " + ", ".join(f"{r.code}({r.since})" for r in bad))


def _schedule_row(state: _State, key: str) -> ScheduleItem | None:
    state.session.expire_all()
    return state.session.scalar(
        select(ScheduleItem).where(
            ScheduleItem.case_id == state.case.id, ScheduleItem.key == _resolve(key, state.clock)
        )
    )


def _expect_schedule(state: _State, expected: Mapping[str, Any]) -> None:
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


def _update_case(state: _State, fields: Mapping[str, Any]) -> None:
    """Change case data outside a flow (e.g. `video_conditions_met` agreed at a meeting), then recompute."""
    state.session.refresh(state.case)
    extra = dict(state.case.data or {})
    for key, value in fields.items():
        value = _resolve(value, state.clock)
        if key in casedata.CASE_COLUMNS:
            setattr(state.case, key, _as_date(value) if key in casedata.DATE_COLUMNS else value)
        else:
            extra[key] = value
    state.case.data = extra
    state.session.commit()
    state.runtime.refresh_schedule(state.session, state.case.id)


def advance_case(runtime: Runtime, session: Session, clock: FixedClock, case: Case, until: date) -> None:
    """Move a case's clock to `until`, firing its timers on the way in time order (the demo's stories use it)."""
    moment = FixedClock(until).now()
    if moment > clock.now():
        _advance(_State(runtime, session, clock, case, {}), moment - clock.now())


def _advance(state: _State, delta: timedelta) -> None:
    """Move the clock, firing everything due on the way in time order (a worker that never slept)."""
    target = state.clock.now() + delta
    rounds = 0
    while True:
        from engine.models import Timer

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


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


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
