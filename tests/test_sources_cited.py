"""Every step and decision of the library says where its rule comes from (issue: trace each step to its manual line).

A citation is a seed file and line (`003_ac00e42d951987eb.txt:605`), or 全国標準 / DOMAIN.md where a manual is silent
and the national default applies.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

PROCESSES = Path(__file__).resolve().parent.parent / "processes"
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
CITATION = re.compile(r"\d{3}_[0-9a-f]{16}\.txt:\d+|全国標準|DOMAIN\.md")
CITED_KINDS = ("userTask", "businessRuleTask", "callActivity")


def _elements() -> list[tuple[str, str]]:
    found = []
    for path in sorted(PROCESSES.glob("*/*.bpmn")):
        tree = etree.parse(str(path))
        for kind in CITED_KINDS:
            found += [(str(path.relative_to(PROCESSES)), el.get("id")) for el in tree.iter(f"{BPMN}{kind}")]
    return found


@pytest.mark.parametrize(("diagram", "element"), _elements())
def test_each_step_and_decision_cites_its_source(diagram, element):
    tree = etree.parse(str(PROCESSES / diagram))
    [node] = tree.xpath(f"//*[@id='{element}']")
    documentation = node.find(f"{BPMN}documentation")
    text = documentation.text if documentation is not None else ""
    assert CITATION.search(text or ""), f"{diagram} {element}: documentation に出典(資料の行 / 全国標準)がありません"
