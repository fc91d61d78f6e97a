"""Every scenario file in processes/*/scenarios, driven through the real diagrams on each database backend."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.publishing.scenario import discover
from engine.publishing.scenario import run_file
from tests.flows.test_long_running import TEN_YEARS

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
RUN_ELSEWHERE = {TEN_YEARS}
"""Run once per backend by tests/flows/test_long_running.py, which asserts it passes and checks what it leaves."""
SCENARIOS = [path for path in discover([PROCESSES]) if path not in RUN_ELSEWHERE]

pytestmark = pytest.mark.slow
"""The scenario suites are most of the suite's time (3-70 s each, CPU-bound): `.ci/test` runs them as its second
stage, after the fast tests."""


def test_there_are_scenarios_for_every_municipality_with_flows():
    with_scenarios = {p.relative_to(PROCESSES).parts[0] for p in SCENARIOS}
    municipalities = {p.parent.name for p in PROCESSES.glob("*/municipality.toml")}
    assert len(municipalities) >= 5
    assert municipalities - with_scenarios == set(), "a municipality without scenarios"
    assert RUN_ELSEWHERE <= set(discover([PROCESSES]))  # the ten-year scenario is still there, run elsewhere


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: str(p.relative_to(PROCESSES)))
def test_scenario(path, services):
    # `services` is on the fixture's empty database of each backend (tests/conftest.py): no schema made again here.
    result = run_file(path, services.runtime, services.sessions)
    assert result.passed, result.message
