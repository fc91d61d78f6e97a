"""Import rules (ARCHITECTURE.md): the engine and the handlers know nothing of Flask or the web."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_engine_and_handlers_import_without_flask():
    code = (
        "import sys, engine.execution.runtime, engine.commands.cli, engine.publishing.scenario, engine.process_library.lint, handlers;"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('flask', 'flask_sqlalchemy', 'web')];"
        "assert not bad, bad"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_only_the_adapter_imports_spiffworkflow_at_module_level():
    importers = []
    for path in sorted((ROOT / "engine").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            if any(name.split(".")[0] == "SpiffWorkflow" for name in names):
                importers.append(path.relative_to(ROOT).as_posix())
    assert sorted(set(importers)) == ["engine/process_library/spiff.py"]
