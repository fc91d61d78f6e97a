"""The scenario runner itself, on the synthetic library: passing, failing, and the command's output."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from engine.config import Settings
from engine.services import Services
from web.cli import main

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "library"
SCENARIOS = FIXTURE / "demo" / "scenarios"


def _svc(url: str) -> Services:
    return Services(Settings(url, FIXTURE), {}, {"score": lambda i, p: {"high": i["points"] >= 50}})


def test_passing_and_failing_scenarios_are_reported_with_the_step(database_url):
    from engine.commands.cli import run_scenarios

    results = {
        r.path.name: r
        for r in run_scenarios(_svc(database_url), sorted(SCENARIOS.glob("*.yaml")), database_url=database_url)
    }
    assert results["high_score.yaml"].passed, results["high_score.yaml"].message
    failed = results["wrong_expectation.yaml"]
    assert not failed.passed
    assert "手順2" in failed.message and "high" in failed.message


def test_scenario_command_prints_one_line_each_and_the_totals(monkeypatch):
    monkeypatch.setenv("KAIGOFLOW_PROCESSES", str(FIXTURE))
    import web.cli as web_cli

    monkeypatch.setattr(web_cli, "build_services", lambda: _svc("sqlite://"))
    result = CliRunner().invoke(main, ["scenario", "run", str(SCENARIOS)])
    lines = result.stdout.strip().splitlines()  # job log lines go to stderr
    assert lines[-1] == "1 passed, 1 failed"
    assert sum(line.startswith(("PASS", "FAIL")) for line in lines) == 2
    assert result.exit_code == 1


# -- choosing among ready tasks, organisations, never-ready, risk history, duty due dates, case facts -------------
# On the real library (前橋, 要介護2 delegated so the planner is the office): with a plan from June, the engine
# starts one monthly モニタリング per month; left undone, June's and July's are both ready on 2 July.

_CASE = """\
municipality: maebashi
today: 2026-05-20
case: {care_level: kaigo2, delegated: true, certification_start: 2026-04-01, certification_end: 2027-03-31,
       plan_start: 2026-06-01, plan_end: 2026-11-30}
steps:
"""


def _write(tmp_path: Path, name: str, steps: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(f"name: {name}\n{_CASE}{steps}", encoding="utf-8")
    return path


def test_selectors_organisations_never_ready_risk_history_duty_due_and_case_facts(services, database_url, tmp_path):
    from engine.commands.cli import run_scenarios

    path = _write(
        tmp_path,
        "passing",
        """\
  - expect_duty_due: {monitoring:2026-07: 2026-07-31, home_visit:2026-08: 2026-08-31}   # not ready yet
  - expect_never_ready: [evaluation_review, {step: monitoring, month: 2026-12}]
  - advance_to: 2026-07-02
  - expect_ready: [monitoring@office:office.1, {step: monitoring, role: office, org: office.1, month: 2026-07}]
  - expect_ready: [monitoring@office]
    flow: monthly_monitoring
    month: 2026-06
  - expect_due: {monitoring: 2026-06-30}
    month: 2026-06
  - expect_due: {monitoring: 2026-07-31}
    month: 2026-07
  - expect_risks: [{code: monitoring_missing, since: 2026-07-01}]
  - complete: monitoring
    flow: monthly_monitoring
    month: 2026-06
    data: {contact_date: 2026-06-30}
  - expect_instances: {monthly_monitoring: {completed: 1, running: 1}}
  - expect_not_ready: [monitoring]
    month: 2026-06
  - expect_risk_history: [monitoring_missing, {code: monitoring_missing, since: 2026-07-01, cleared: 2026-07-02}]
  - expect_case: {care_level: kaigo2, delegated: true, office_org_id: office.1, center_org_id: '${org.center.1}',
                  plan_end: 2026-11-30, current_benefit: null, status: open}
  - advance_to: 2026-08-01
""",
    )
    [result] = run_scenarios(services, [path], database_url=database_url)
    assert result.passed, result.message


FAILING = {
    "two_ready_unchosen": (
        "  - advance_to: 2026-07-02\n  - complete: monitoring\n",
        ["手順2", "準備完了の monitoring が2件", "monthly_monitoring 2026-06", "month: で選んでください"],
    ),
    "due_of_two_unchosen": (
        "  - advance_to: 2026-07-02\n  - expect_due: {monitoring: 2026-06-30}\n",
        ["手順2", "期限が異なります", "month: で選んでください"],
    ),
    "month_not_ready": (
        "  - advance_to: 2026-07-02\n  - expect_ready: [monitoring]\n    month: 2026-09\n",
        ["monitoring(month: 2026-09) が準備完了になっていません", "monthly_monitoring 2026-07"],
    ),
    "wrong_organisation": (
        "  - advance_to: 2026-06-02\n  - expect_ready: ['monitoring@office:office.2']\n",
        ["monitoring の担当組織が office.2 ではありません(office.1)"],
    ),
    "unknown_organisation": (
        "  - advance_to: 2026-06-02\n  - expect_ready: ['monitoring@office:office.9']\n",
        ["組織 office.9 はありません", "office.2"],
    ),
    "bad_task_mapping": (
        "  - expect_ready: [{step: monitoring, months: 2026-06}]\n",
        ["タスクの指定に使えるのは", "month"],
    ),
    "never_ready_broken_later": (
        "  - expect_never_ready: [monitoring]\n    month: 2026-07\n  - advance_to: 2026-06-15\n"
        "  - advance_to: 2026-07-02\n",
        ["手順3 advance_to", "monitoring(month: 2026-07) は手順1の expect_never_ready", "2026-07-01 に準備完了"],
    ),
    "never_ready_already_ready": (
        "  - advance_to: 2026-06-02\n  - expect_never_ready: [monitoring]\n",
        ["手順2", "準備完了であってはならないタスクがあります", "monitoring"],
    ),
    "risk_still_open": (
        "  - advance_to: 2026-07-02\n  - expect_risk_history: [monitoring_missing]\n",
        ["monitoring_missing", "まだ解消されていません", "2026-07-01"],
    ),
    "risk_never_raised": (
        "  - expect_risk_history: [monitoring_missing]\n",
        ["解消されたリスク {'code': 'monitoring_missing'} がありません", "なし"],
    ),
    "duty_due_wrong": (
        "  - expect_duty_due: {monitoring:2026-07: 2026-07-30}\n",
        ["予定 monitoring_record:2026-07 の期限は 2026-07-30 のはずが 2026-07-31 です"],
    ),
    "duty_not_scheduled": (
        "  - expect_duty_due: {monitoring:2027-02: 2027-02-28}\n",
        ["予定 monitoring_record:2027-02 がありません", "2026-06"],
    ),
    "case_fact_unknown": (
        "  - expect_case: {nickname: たろう}\n",
        ["ケースに nickname という事実はありません"],
    ),
    "case_fact_differs": (
        "  - expect_case: {office_org_id: office.2}\n",
        ["ケースの office_org_id は 'office.2' のはずが office.1 です"],
    ),
}


def test_each_new_step_fails_with_a_message_that_says_why(services, database_url, tmp_path):
    from engine.commands.cli import run_scenarios

    paths = [_write(tmp_path, name, steps) for name, (steps, _) in FAILING.items()]
    results = {r.path.stem: r for r in run_scenarios(services, paths, database_url=database_url)}
    for name, (_, fragments) in FAILING.items():
        result = results[name]
        assert not result.passed, name
        for fragment in fragments:
            assert fragment in result.message, (name, result.message)
