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


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_modules(path: Path, modules: set[str]) -> set[str]:
    """Every module of `modules` that `path` imports, wherever the import stands (top, function, TYPE_CHECKING).

    `from web import auth` names the module web.auth, not the package: importing a sibling through its package is
    how the code spells it, and counting web/__init__ (the app factory, which imports every blueprint) would make
    every module part of one circle.
    """
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
    return {name for name in found if name in modules}


def import_circles(*packages: str) -> list[list[str]]:
    """The groups of modules of `packages` that import each other, directly or around a circle."""
    from engine.process_library.lint import _cycles  # the strongly-connected components lint finds endless loops with

    paths = {_module_name(p): p for package in packages for p in sorted((ROOT / package).rglob("*.py"))}
    graph = {name: sorted(_imported_modules(path, set(paths)) - {name}) for name, path in paths.items()}
    return sorted(sorted(circle) for circle in _cycles(graph))


def test_no_import_circles_among_web_and_handlers_modules():
    # A circle means two modules cannot be read, tested or moved apart; a lazy import inside a function hides one
    # from Python but not from the reader, so those count too.
    assert import_circles("web", "handlers") == []


def test_the_circle_finder_finds_a_circle(tmp_path, monkeypatch):
    package = tmp_path / "loop"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from loop import b\n")
    (package / "b.py").write_text("def later():\n    from loop.c import x\n")
    (package / "c.py").write_text("import loop.a\nx = 1\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert import_circles("loop") == [["loop.a", "loop.b", "loop.c"]]


def test_the_app_factory_reaches_no_command_line_code():
    # create_app is what every gunicorn worker runs: the console commands stay outside it (web/composition.py builds
    # the services for both).
    paths = {_module_name(p): p for p in sorted((ROOT / "web").rglob("*.py"))}
    reached, todo = set(), ["web"]
    while todo:
        name = todo.pop()
        if name not in reached:
            reached.add(name)
            todo.extend(_imported_modules(paths[name], set(paths)))
    assert "web.cli" not in reached
