"""processes/GLOSSARY.md names every step, process and decision the library defines, so a reader can look any up."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

import handlers

PROCESSES = Path(__file__).resolve().parent.parent / "processes"
GLOSSARY = (PROCESSES / "GLOSSARY.md").read_text(encoding="utf-8")
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
KINDS = ("process", "userTask", "businessRuleTask", "callActivity")


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
    assert f"`{identifier}`" in GLOSSARY, f"{identifier} を processes/GLOSSARY.md に追加してください"


def test_every_python_decision_is_in_the_glossary():
    missing = [name for name in handlers.python_decisions() if f"`{name}`" not in GLOSSARY]
    assert not missing
