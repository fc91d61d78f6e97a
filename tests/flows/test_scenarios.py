"""Every scenario file in processes/*/scenarios, driven through the real diagrams on each database backend."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.cli import run_scenarios
from engine.scenario import discover

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
SCENARIOS = discover([PROCESSES])


def test_there_are_scenarios_for_every_municipality_with_flows():
    with_scenarios = {p.relative_to(PROCESSES).parts[0] for p in SCENARIOS}
    municipalities = {p.parent.name for p in PROCESSES.glob("*/municipality.toml")}
    assert len(municipalities) >= 5
    assert municipalities - with_scenarios == set(), "a municipality without scenarios"


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: str(p.relative_to(PROCESSES)))
def test_scenario(path, services, database_url):
    [result] = run_scenarios(services, [path], database_url=database_url)
    assert result.passed, result.message
