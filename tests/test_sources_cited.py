"""Every step and decision of the library says where its rule comes from (issue: trace each step to its manual line).

A citation is a seed file and line (`003_ac00e42d951987eb.txt:605`), or 全国標準 / DOMAIN.md where a manual is silent
and the national default applies. The rule is lint's (`source-citation`, engine/process_library/conventions.py), so a
draft published from the modeler is held to it too; these tests run it on processes/ and show that it catches a missing
source.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.process_library.lint import check_diagram

PROCESSES = Path(__file__).resolve().parent.parent / "processes"
DIAGRAMS = sorted(PROCESSES.glob("*/*.bpmn"))


@pytest.mark.parametrize("path", DIAGRAMS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_each_step_and_decision_cites_its_source(path):
    rel = str(path.relative_to(PROCESSES))
    problems = [p for p in check_diagram(path.read_bytes(), rel) if p.rule == "source-citation"]
    assert problems == []


def test_the_library_has_diagrams_to_check():
    assert len({p.parent.name for p in DIAGRAMS}) >= 5


def test_lint_reports_a_step_without_its_source():
    diagram = (PROCESSES / "common" / "renewal.bpmn").read_text(encoding="utf-8")
    uncited = re.sub(r"\d{3}_[0-9a-f]{16}\.txt:\d+|全国標準|DOMAIN\.md", "資料", diagram)
    problems = [p for p in check_diagram(uncited.encode(), "common/renewal.bpmn") if p.rule == "source-citation"]
    assert problems and all(p.element for p in problems)
    assert "出典" in problems[0].message
