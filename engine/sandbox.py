"""What a condition, a decision table entry or a task script may contain before Python evaluates it.

Spiff runs these with `eval`/`exec`; without builtins, `open` and `__import__` are gone, but attribute access
still reaches the interpreter (`().__class__.__base__.__subclasses__()` leads to `os`, generator frames lead to
module globals). So the code is checked before it runs, at lint time (engine/lint.py) and again every time it
is evaluated (engine/spiff.py): no imports, no definitions, no names or strings with double underscores, and
attribute access only to a few harmless methods of data values.
"""

from __future__ import annotations

import ast
from functools import lru_cache

ALLOWED_ATTRIBUTES = frozenset(
    {
        "get",
        "keys",
        "values",
        "items",
        "startswith",
        "endswith",
        "lower",
        "upper",
        "strip",
        "count",
        "index",
        "isoformat",
        "year",
        "month",
        "day",
    }
)
FORBIDDEN_NODES = (
    ast.Import,
    ast.ImportFrom,
    ast.Global,
    ast.Nonlocal,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.Lambda,
    ast.Yield,
    ast.YieldFrom,
    ast.Await,
    ast.With,
    ast.AsyncWith,
    ast.Try,
    ast.Raise,
    ast.Delete,
    ast.While,
    ast.Starred,
)
MAX_LENGTH = 2000


@lru_cache(maxsize=4096)
def problem(code: str, mode: str = "eval") -> str | None:
    """A Japanese message when `code` may not run, else None. `mode` is "eval" (an expression) or "exec"."""
    text = code.strip()
    if len(text) > MAX_LENGTH:
        return f"式が長すぎます({MAX_LENGTH}文字まで)"
    try:
        tree = ast.parse(text, mode=mode)
    except SyntaxError:
        return None  # not ours to judge: Spiff reports the syntax error itself, and nothing runs
    for node in ast.walk(tree):
        if isinstance(node, FORBIDDEN_NODES):
            return f"式「{_short(text)}」に使えない構文({type(node).__name__})があります"
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            return f"式「{_short(text)}」に使えない名前({node.id})があります"
        if isinstance(node, ast.Attribute) and node.attr not in ALLOWED_ATTRIBUTES:
            return f"式「{_short(text)}」で使えない属性({node.attr})があります"
        if isinstance(node, ast.Constant) and isinstance(node.value, str | bytes) and _dunder(node.value):
            return f"式「{_short(text)}」に「__」を含む文字列は使えません"
    return None


def _dunder(value: str | bytes) -> bool:
    return ("__" if isinstance(value, str) else b"__") in value  # type: ignore[operator]


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."
