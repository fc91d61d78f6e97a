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
    from engine.cli import run_scenarios

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
    lines = result.output.strip().splitlines()
    assert lines[-1] == "1 passed, 1 failed"
    assert sum(line.startswith(("PASS", "FAIL")) for line in lines) == 2
    assert result.exit_code == 1
