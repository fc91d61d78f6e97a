"""Every municipality.toml parameter is read by some code: a parameter no code reads is a rule the product only
pretends to follow (issue 12). "Read" means a string constant in engine/, handlers/ or web/ code (not a docstring
or comment), or a due rule of a diagram that names it (`days.NAME`, `next_month_day.NAME`)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import handlers
from engine.process_library.loader import Library
from tests.conftest import PROCESSES
from tests.conftest import ROOT

CODE = [ROOT / "engine", ROOT / "handlers", ROOT / "web"]
_DUE_RULE_PARAM = re.compile(r'name="dueRule"\s+value="[^"]*(?:days|next_month_day)\.([A-Za-z0-9_]+)')


def _string_constants(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    }


def _read_by_code() -> set[str]:
    names: set[str] = set()
    for folder in CODE:
        for path in folder.rglob("*.py"):
            names |= _string_constants(path)
    for diagram in PROCESSES.rglob("*.bpmn"):
        names |= set(_DUE_RULE_PARAM.findall(diagram.read_text(encoding="utf-8")))
    return names


def _parameters() -> list[tuple[str, str]]:
    library = Library(PROCESSES, python_decisions=handlers.python_decisions())
    return sorted((key, name) for key, municipality in library.municipalities().items() for name in municipality.params)


READ = _read_by_code()


@pytest.mark.parametrize(("municipality", "name"), _parameters())
def test_every_parameter_is_read_by_some_code(municipality, name):
    assert name in READ, (
        f"{municipality} の municipality.toml の {name} はどのコードも読んでいません(読むか、削除してください)"
    )


def test_the_check_finds_an_unread_parameter():
    assert "progress_record_interval_months" in READ
    assert "a_parameter_nobody_reads" not in READ
    assert "retention_years" in READ


def test_video_monitoring_is_set_explicitly_in_every_municipality():
    for toml in sorted(PROCESSES.glob("*/municipality.toml")):
        assert re.search(r"^video_monitoring = (true|false)$", toml.read_text(encoding="utf-8"), re.M), toml
