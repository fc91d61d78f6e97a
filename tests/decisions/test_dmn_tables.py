"""Every DMN table in processes/ is DMN 1.3, named after its file, and documented per rule (decisions/README.md)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from lxml import etree

from engine.process_library.lint import check_decision

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
TABLES = sorted(PROCESSES.glob("*/decisions/*.dmn"))
NS = {"dmn": "https://www.omg.org/spec/DMN/20191111/MODEL/"}
CONTRACT_OUTPUTS = {
    "provisional_plan_author": {"plan_author", "plan_benefit", "coordinate_with_center"},
    "minor_change": {"minor"},
    "provisional_outcome": {"outcome"},
    "equipment_exception": {"equipment_restricted", "exception_route", "consultation_required"},
    "special_handling": {"special_handling_eligible"},
    "monitoring_requirement": {"contact_required", "home_visit_required", "video_allowed", "record_required"},
}


def _schema() -> etree.XMLSchema:
    spec = importlib.util.find_spec("SpiffWorkflow")
    assert spec is not None and spec.origin is not None
    xsd = Path(spec.origin).parent / "dmn" / "parser" / "schema" / "DMN13.xsd"
    return etree.XMLSchema(etree.parse(str(xsd)))


def test_the_common_tables_exist() -> None:
    names = {p.stem for p in TABLES if p.parent.parent.name == "common"}
    assert {"minor_change", "provisional_plan_author"} <= names


@pytest.mark.parametrize("path", TABLES, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_table_conventions(path: Path) -> None:
    doc = etree.parse(str(path))
    schema = _schema()
    assert schema.validate(doc), schema.error_log
    # one decision named after the file, UNIQUE/FIRST, Japanese labels, each rule described with its seed line:
    # lint's rules (engine/process_library/conventions.py), so a table published from the modeler is held to them too
    assert check_decision(path.read_bytes(), str(path.relative_to(PROCESSES))) == []
    if path.stem in CONTRACT_OUTPUTS:
        outputs = doc.xpath("/dmn:definitions/dmn:decision/dmn:decisionTable/dmn:output", namespaces=NS)
        assert {o.get("name") for o in outputs} == CONTRACT_OUTPUTS[path.stem]


def test_lint_reports_a_label_or_rule_description_that_breaks_the_conventions() -> None:
    path = PROCESSES / "common" / "decisions" / "minor_change.dmn"
    text = path.read_text(encoding="utf-8")
    english = re.sub(r'(<(?:\w+:)?output [^>]*label=")[^"]*"', r'\1minor"', text, count=1)
    english = re.sub(r"(<(?:\w+:)?rule [^>]*>\s*<(?:\w+:)?description>)[^<]*", r"\1no source", english, count=1)
    problems = check_decision(english.encode(), "common/decisions/minor_change.dmn")
    assert {p.rule for p in problems} == {"dmn-convention"}
    assert len(problems) == 2, problems
