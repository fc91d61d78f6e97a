"""processes/GLOSSARY.md names every step, process and decision the library defines, so a reader can look any up.

The rule is lint's (`glossary`, engine/process_library/conventions.py): the whole library is linted against it here, and
a library whose glossary lacks an id, or names it only in the municipality's README, shows that the rule reads both.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import handlers
from engine.process_library.conventions import check_glossary
from engine.process_library.lint import lint_library
from engine.process_library.loader import Library

PROCESSES = Path(__file__).resolve().parent.parent / "processes"
VERSIONLIB = Path(__file__).resolve().parent / "fixtures" / "versionlib"


def test_every_id_and_python_decision_of_the_library_is_in_the_glossary():
    library = Library(PROCESSES, handlers.python_decisions())
    folders = ["common", *library.municipalities()]
    assert len(folders) >= 6
    assert check_glossary(library, folders) == []


def _library_with_glossary(tmp_path: Path, glossary: str) -> Library:
    root = tmp_path / "lib"
    shutil.copytree(VERSIONLIB, root)
    (root / "GLOSSARY.md").write_text(glossary, encoding="utf-8")
    return Library(root, python_decisions=("score",))


def test_lint_reports_an_id_missing_from_the_glossary(tmp_path):
    library = _library_with_glossary(tmp_path, "`mini` `intake` `decide_score` `score`")
    problems = [p for p in lint_library(library).problems if p.rule == "glossary"]
    assert [(p.file, p.element) for p in problems] == [("common/mini.bpmn", "review")]
    assert "用語集" in problems[0].message


def test_a_municipality_names_its_own_steps_in_its_readme(tmp_path):
    library = _library_with_glossary(tmp_path, "`mini` `intake` `decide_score` `review` `score`")
    (library.root / "demo" / "extra.bpmn").write_bytes((library.root / "common" / "mini.bpmn").read_bytes())
    mine = (library.root / "demo" / "extra.bpmn").read_text(encoding="utf-8").replace('"review"', '"demo_review"')
    (library.root / "demo" / "extra.bpmn").write_text(mine, encoding="utf-8")
    assert [p.element for p in check_glossary(library, ["demo"])] == ["demo_review"]
    (library.root / "demo" / "README.md").write_text("- `demo_review`: 確認", encoding="utf-8")
    assert check_glossary(library, ["demo"]) == []


def test_a_python_decision_missing_from_the_glossary_is_reported(tmp_path):
    library = _library_with_glossary(tmp_path, "`mini` `intake` `decide_score` `review`")
    assert [p.element for p in check_glossary(library, ["common"])] == ["score"]
