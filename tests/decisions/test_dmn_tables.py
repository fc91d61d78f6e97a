"""Every DMN table in processes/ is DMN 1.3, named after its file, and documented per rule (decisions/README.md)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from lxml import etree

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
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
SEED_LINE = re.compile(r"\d{3}(_[0-9a-f]+\.txt)?:\d+")


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
    decisions = doc.xpath("/dmn:definitions/dmn:decision", namespaces=NS)
    assert len(decisions) == 1 and decisions[0].get("id") == path.stem
    tables = decisions[0].xpath("dmn:decisionTable", namespaces=NS)
    assert len(tables) == 1 and tables[0].get("hitPolicy", "UNIQUE") in ("UNIQUE", "FIRST")
    table = tables[0]
    for clause in table.xpath("dmn:input", namespaces=NS):
        assert JAPANESE.search(clause.get("label", "")), etree.tostring(clause)
    outputs = table.xpath("dmn:output", namespaces=NS)
    assert all(JAPANESE.search(o.get("label", "")) for o in outputs)
    if path.stem in CONTRACT_OUTPUTS:
        assert {o.get("name") for o in outputs} == CONTRACT_OUTPUTS[path.stem]
    for rule in table.xpath("dmn:rule", namespaces=NS):
        text = "".join(rule.xpath("dmn:description/text()", namespaces=NS))
        assert JAPANESE.search(text) and SEED_LINE.search(text), rule.get("id")
