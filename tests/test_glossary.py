"""processes/GLOSSARY.md names every step, process and decision the library defines, so a reader can look any up.

An id counts as listed only as the first cell of a row of the glossary's tables (its own entry with a Japanese name),
not because it is mentioned in another entry's text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

import handlers

PROCESSES = Path(__file__).resolve().parent.parent / "processes"
GLOSSARY = (PROCESSES / "GLOSSARY.md").read_text(encoding="utf-8")
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
KINDS = ("process", "userTask", "businessRuleTask", "callActivity")
LISTED = set(re.findall(r"^\| `([^`]+)` \|", GLOSSARY, re.M))


def _library_ids() -> list[str]:
    ids: set[str] = set()
    for path in PROCESSES.glob("*/*.bpmn"):
        tree = etree.parse(str(path))
        for kind in KINDS:
            ids.update(el.get("id") for el in tree.iter(f"{BPMN}{kind}"))
    ids.update(path.stem for path in PROCESSES.glob("*/decisions/*.dmn"))
    return sorted(ids)


@pytest.mark.parametrize("identifier", _library_ids())
def test_every_id_of_the_library_is_in_the_glossary(identifier):
    assert identifier in LISTED, f"{identifier} を processes/GLOSSARY.md の表に追加してください"


def test_every_python_decision_is_in_the_glossary():
    missing = [name for name in handlers.python_decisions() if name not in LISTED]
    assert not missing


def test_a_mention_in_another_entry_does_not_count():
    assert "assessment" in LISTED
    assert "plan_draft" in LISTED
    assert "a_step_nobody_defines" not in LISTED
