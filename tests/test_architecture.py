"""Import rules (ARCHITECTURE.md): the engine and the handlers know nothing of Flask or the web."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_engine_and_handlers_import_without_flask():
    code = (
        "import sys, engine, engine.execution.runtime, engine.commands.cli, engine.publishing.scenario,"
        " engine.process_library.lint, handlers;"
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


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) of every import in a file, at any depth, except under `if TYPE_CHECKING:` (no run-time edge)."""
    found: list[tuple[str, list[str]]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, [alias.name for alias in node.names]))
        elif isinstance(node, ast.Import):
            found.extend((alias.name, []) for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def _engine_modules() -> dict[str, Path]:
    modules = {}
    for path in sorted((ROOT / "engine").rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if "migrations" in parts:
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def test_engine_modules_import_each_other_without_circles():
    """A circle makes the import order matter and hides which module depends on which; function-level imports count
    (an import moved into a function to break a circle is still one)."""
    modules = _engine_modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for module, names in _imports(path):
            targets |= {t for t in [module, *(f"{module}.{n}" for n in names)] if t in modules and t != name}
        graph[name] = targets
    circles = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path_so_far: list[str] = []

    def walk(node: str) -> None:
        state[node] = 1
        path_so_far.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                circles.append(" → ".join([*path_so_far[path_so_far.index(target) :], target]))
            elif target not in state:
                walk(target)
        path_so_far.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            walk(node)
    assert not circles, "\n".join(circles)


def test_engine_modules_never_import_the_public_api():
    """engine/__init__.py is for the engine's users; a module inside that imported it would make every lazy name a
    possible circle."""
    modules = _engine_modules()
    inside = [
        f"{path.relative_to(ROOT)}: from engine import {', '.join(names)}"
        for name, path in modules.items()
        if name != "engine"
        for module, names in _imports(path)
        if module == "engine" and any(f"engine.{n}" not in modules for n in names)  # a submodule is not the API
    ]
    assert not inside, "\n".join(inside)


WEB_EXCEPTIONS: dict[str, str] = {}
"""web/ module -> why it may import an engine module directly. None: everything web/ needs is in the public API
(engine/__init__.py), so the engine's packages can move without touching the web."""


def test_web_imports_the_engine_only_through_its_public_api():
    import engine

    public = set(engine.__all__)
    wrong = []
    for path in sorted((ROOT / "web").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel in WEB_EXCEPTIONS:
            continue
        for module, names in _imports(path):
            if module.startswith("engine."):
                wrong.append(f"{rel}: from {module} import {', '.join(names) or '…'}")
            elif module == "engine" and (not names or set(names) - public):
                wrong.append(f"{rel}: engine has no public {sorted(set(names) - public) or 'module import'}")
    assert not wrong, "\n".join(wrong)


def test_every_public_name_resolves():
    import engine

    missing = []
    for name in engine.__all__:
        try:
            getattr(engine, name)
        except (AttributeError, ImportError) as exc:
            missing.append(f"{name}: {exc}")
    assert not missing, "\n".join(missing)


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


def test_only_the_japanese_dates_module_writes_a_year():
    """Staff read 和暦 (令和8年5月1日). A `{day.year}年` or `%Y年` written anywhere but engine/japanese_dates.py would
    show them 西暦, as handler messages once did."""
    western_year = re.compile(r"\.year\}年|%Y年|\[:4\]\)\}年")
    found = []
    for package in ("engine", "handlers", "web"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.relative_to(ROOT).as_posix() == "engine/japanese_dates.py":
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if western_year.search(line):
                    found.append(f"{path.relative_to(ROOT).as_posix()}:{number}")
    assert found == []
