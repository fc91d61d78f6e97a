"""What a condition, a decision table entry or a task script may contain, and how far evaluating it may go.

Spiff runs these with `eval`/`exec`; without builtins, `open` and `__import__` are gone, but attribute access
still reaches the interpreter (`().__class__.__base__.__subclasses__()` leads to `os`, generator frames lead to
module globals). So the code is checked before it runs, at lint time (engine/process_library/lint.py) and again every
time it is evaluated (engine/process_library/spiff.py): no imports, no definitions, no names or strings with double
underscores, and attribute access only to a few harmless methods of data values.

Checked code is also bounded in time and memory, because everything a process owner publishes runs inside a
request of the shared server. `9**9**7` or `"a" * 10**10` is one C call that no timeout can interrupt, so the
bounds are structural rather than a clock:
- statically (`problem`, at lint and at run time): `**` only with a numeric literal exponent of at most
  `MAX_EXPONENT` and no power in its base; no `:=`, no format specs in f-strings; every part of the code made of
  literals only (`9**9**7`, `"a" * 10**8`) is evaluated under the run-time bounds, so lint refuses what could
  never run;
- at run time (`evaluate`, `execute`): the code is compiled from a rewritten tree where every binary operator is a
  call to a guard that checks the size of the result *before* Python computes it (an integer of at most
  `MAX_INT_BITS` bits, a string or sequence of at most `MAX_SEQUENCE_LENGTH` items, no `%`-formatting of strings),
  and every loop or comprehension draws its items through a counter; one evaluation may take at most
  `MAX_OPERATIONS` steps and build at most `MAX_PRODUCED` items in all, and so may all evaluations of one
  `one_budget()` scope (a decision table; one engine run). Anything over a bound raises `LimitExceeded` with a
  Japanese message, within milliseconds and a few megabytes.

Why not `simpleeval` (PyPI), which has similar limits: its `MAX_POWER` bounds the operands of `**` (4,000,000), not
the result (`9 ** 3999999` is a 12.7-million-bit integer, seconds of CPU), multiplying two big integers is not
bounded at all, it evaluates expressions only (task scripts are statements), and it is a second evaluator whose
semantics differ in small ways from the Python that Spiff's DMN unary tests (`4 < ? < 6`) are written for. Keeping
Python's own evaluator on a guarded tree keeps every existing table and condition meaning what it meant.
"""

from __future__ import annotations

import ast
import copy
import math
import operator
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from types import CodeType
from typing import Any

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
    ast.NamedExpr,
)
MAX_LENGTH = 2000
"""Characters of one expression or script."""
MAX_EXPONENT = 64
"""The largest exponent `**` may have; it must be written as a number (`x ** 2`, `rate ** 0.5`)."""
MAX_INT_BITS = 4096
"""The largest integer an operator may produce: about 1,200 decimal digits, far beyond any amount of money."""
MAX_SEQUENCE_LENGTH = 100_000
"""The longest string, list or tuple an operator may produce (`+`, `*`)."""
MAX_PRODUCED = 1_000_000
"""Items (characters, elements) that operators may produce in all during one evaluation."""
MAX_OPERATIONS = 100_000
"""Operators applied plus loop and comprehension items drawn during one evaluation."""
MAX_INSTANCES = 100
"""The most instances a multi-instance activity may create (its cardinality), checked by lint and at run time."""

OP_NAME = "_kf_op"
ITER_NAME = "_kf_iter"
"""Names of the guards in compiled code; user code cannot reach them, names starting with "_" are refused."""

OPERATORS: dict[type[ast.operator], tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Add: ("+", operator.add),
    ast.Sub: ("-", operator.sub),
    ast.Mult: ("*", operator.mul),
    ast.MatMult: ("@", operator.matmul),
    ast.Div: ("/", operator.truediv),
    ast.FloorDiv: ("//", operator.floordiv),
    ast.Mod: ("%", operator.mod),
    ast.Pow: ("**", operator.pow),
    ast.LShift: ("<<", operator.lshift),
    ast.RShift: (">>", operator.rshift),
    ast.BitOr: ("|", operator.or_),
    ast.BitXor: ("^", operator.xor),
    ast.BitAnd: ("&", operator.and_),
}
FUNCTIONS = {symbol: function for symbol, function in OPERATORS.values()}
LITERAL_NODES = (
    *(ast.Constant, ast.BinOp, ast.UnaryOp, ast.Tuple, ast.List, ast.Set),
    *(ast.operator, ast.unaryop, ast.Load),
)
"""The nodes of code made of literals only (which lint can evaluate without any data)."""


class LimitExceeded(Exception):
    """An evaluation went past one of the bounds above; the message is Japanese."""


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
    except (RecursionError, MemoryError):
        return f"式「{_short(text)}」の入れ子が深すぎます"
    for node in ast.walk(tree):
        if isinstance(node, FORBIDDEN_NODES):
            return f"式「{_short(text)}」に使えない構文({type(node).__name__})があります"
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            return f"式「{_short(text)}」に使えない名前({node.id})があります"
        if isinstance(node, ast.Attribute) and node.attr not in ALLOWED_ATTRIBUTES:
            return f"式「{_short(text)}」で使えない属性({node.attr})があります"
        if isinstance(node, ast.Constant) and isinstance(node.value, str | bytes) and _dunder(node.value):
            return f"式「{_short(text)}」に「__」を含む文字列は使えません"
        if isinstance(node, ast.FormattedValue) and node.format_spec is not None:
            return f"式「{_short(text)}」でf文字列の書式指定(:...)は使えません"
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and (message := _power_problem(node)):
            return f"式「{_short(text)}」: {message}"
    try:
        _compiled(text, mode)  # the guarded tree is built recursively: a very deep expression is refused here
    except (RecursionError, MemoryError):
        return f"式「{_short(text)}」の入れ子が深すぎます"
    return _literal_problem(tree, text)


def _power_problem(node: ast.BinOp) -> str | None:
    exponent = node.right
    if isinstance(exponent, ast.UnaryOp) and isinstance(exponent.op, ast.USub | ast.UAdd):
        exponent = exponent.operand
    literal = isinstance(exponent, ast.Constant) and type(exponent.value) in (int, float)
    if not literal or abs(exponent.value) > MAX_EXPONENT:  # type: ignore[attr-defined]
        return f"べき乗(**)の指数は {MAX_EXPONENT} 以下の数で書いてください"
    if any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.Pow) for n in ast.walk(node.left)):
        return "べき乗(**)を重ねることはできません"
    return None


def _literal_problem(tree: ast.AST, text: str) -> str | None:
    """Evaluate every operator made of literals only under the run-time bounds: what could never run is refused."""
    done: set[int] = set()
    for node in ast.walk(tree):
        if id(node) in done or not isinstance(node, ast.BinOp):
            continue
        if not all(isinstance(n, LITERAL_NODES) for n in ast.walk(node)):
            continue
        done.update(id(n) for n in ast.walk(node))
        expression = ast.Expression(body=copy.deepcopy(node))
        try:
            eval(_compile(expression, "<literal>", "eval"), _namespace({}, _Budget()))  # noqa: S307 - guarded tree
        except LimitExceeded as exc:
            return f"式「{_short(text)}」: {exc}"
        except Exception:  # noqa: S112 - a literal that fails otherwise (1/0) is for the run-time error to report
            continue
    return None


@contextmanager
def one_budget() -> Iterator[None]:
    """Evaluations inside share one budget: all entries of a decision table, all conditions of one engine run.

    Without it each evaluation has its own, and a table of a thousand entries could spend a thousand budgets.
    Nested scopes keep the outermost budget."""
    if _SHARED.get() is not None:
        yield
        return
    token = _SHARED.set(_Budget())
    try:
        yield
    finally:
        _SHARED.reset(token)


def evaluate(code: str, names: MutableMapping[str, Any]) -> Any:
    """Evaluate a checked expression with `names` as its globals, within the bounds (LimitExceeded past them)."""
    compiled = _compiled(code.strip(), "eval")
    try:
        return eval(compiled, _namespace(names, _current_budget()))  # noqa: S307 - checked and guarded code
    except LimitExceeded as exc:
        raise LimitExceeded(f"式「{_short(code.strip())}」: {exc}") from None


def execute(code: str, names: dict[str, Any]) -> None:
    """Run a checked script in `names` (which it may change), within the bounds; the guards are removed after."""
    compiled = _compiled(code.strip(), "exec")
    budget = _current_budget()
    names[OP_NAME] = budget.apply
    names[ITER_NAME] = budget.draw
    try:
        exec(compiled, names)  # noqa: S102 - checked and guarded code
    except LimitExceeded as exc:
        raise LimitExceeded(f"スクリプト「{_short(code.strip())}」: {exc}") from None
    finally:
        names.pop(OP_NAME, None)
        names.pop(ITER_NAME, None)


@lru_cache(maxsize=4096)
def _compiled(code: str, mode: str) -> CodeType:
    return _compile(ast.parse(code, mode=mode), "<kaigoflow>", mode)


def _compile(tree: ast.AST, filename: str, mode: str) -> CodeType:
    guarded = ast.fix_missing_locations(_Guard().visit(tree))
    return compile(guarded, filename, mode)


def _namespace(names: MutableMapping[str, Any], budget: _Budget) -> dict[str, Any]:
    # The guards and the empty builtins are set last, so no task data key can replace them.
    return {**names, "__builtins__": {}, OP_NAME: budget.apply, ITER_NAME: budget.draw}


class _Guard(ast.NodeTransformer):
    """Rewrite `a * b` into `_kf_op("*", a, b)`, `x += 1` into `x = _kf_op("+", x, 1)`, `for x in xs` into
    `for x in _kf_iter(xs)` (statements and comprehensions alike)."""

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        return _call(OP_NAME, ast.Constant(OPERATORS[type(node.op)][0]), node.left, node.right)

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        self.generic_visit(node)
        current = copy.deepcopy(node.target)
        current.ctx = ast.Load()
        value = _call(OP_NAME, ast.Constant(OPERATORS[type(node.op)][0]), current, node.value)
        return ast.copy_location(ast.Assign(targets=[node.target], value=value), node)

    def visit_comprehension(self, node: ast.comprehension) -> ast.AST:
        self.generic_visit(node)
        node.iter = _call(ITER_NAME, node.iter)
        return node

    def visit_For(self, node: ast.For) -> ast.AST:
        self.generic_visit(node)
        node.iter = _call(ITER_NAME, node.iter)
        return node


def _call(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=list(args), keywords=[])


class _Budget:
    """The steps and items one evaluation (or one `one_budget` scope) has used; the guards report to it."""

    def __init__(self) -> None:
        self.operations = 0
        self.produced = 0

    def _step(self) -> None:
        self.operations += 1
        if self.operations > MAX_OPERATIONS:
            raise LimitExceeded(f"計算の手数が多すぎます(上限 {MAX_OPERATIONS:,} 回)")

    def apply(self, symbol: str, left: Any, right: Any) -> Any:
        self._step()
        _check_before(symbol, left, right)
        result = FUNCTIONS[symbol](left, right)
        size = _size(result)
        if isinstance(result, int) and not isinstance(result, bool) and size > MAX_INT_BITS:
            raise LimitExceeded(f"計算結果の整数が大きすぎます(上限 {MAX_INT_BITS} ビット)")
        if not isinstance(result, int) and size > MAX_SEQUENCE_LENGTH:
            raise LimitExceeded(f"文字列や一覧が長すぎます(上限 {MAX_SEQUENCE_LENGTH:,} 個)")
        if not isinstance(result, int):  # integers are bounded one by one; a sum of many small ones is fine
            self.produced += size
        if self.produced > MAX_PRODUCED:
            raise LimitExceeded(f"式が作る値が大きすぎます(合計 {MAX_PRODUCED:,} 個まで)")
        return result

    def draw(self, iterable: Iterable[Any]) -> Iterator[Any]:
        for item in iterable:
            self._step()
            yield item


_SHARED: ContextVar[_Budget | None] = ContextVar("kaigoflow_sandbox_budget", default=None)


def _current_budget() -> _Budget:
    return _SHARED.get() or _Budget()


def _check_before(symbol: str, left: Any, right: Any) -> None:
    """Refuse an operation whose result would be too big, before Python spends time and memory computing it."""
    if symbol == "%" and isinstance(left, str | bytes):
        raise LimitExceeded("文字列の % による書式は使えません")
    if symbol == "*":
        for sequence, count in ((left, right), (right, left)):
            if _is_sequence(sequence) and _is_int(count) and len(sequence) * count > MAX_SEQUENCE_LENGTH:
                raise LimitExceeded(f"文字列や一覧が長すぎます(上限 {MAX_SEQUENCE_LENGTH:,} 個)")
        if _is_int(left) and _is_int(right) and left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise LimitExceeded(f"計算結果の整数が大きすぎます(上限 {MAX_INT_BITS} ビット)")
    elif symbol == "+" and _is_sequence(left) and _is_sequence(right):
        if len(left) + len(right) > MAX_SEQUENCE_LENGTH:
            raise LimitExceeded(f"文字列や一覧が長すぎます(上限 {MAX_SEQUENCE_LENGTH:,} 個)")
    elif symbol == "**" and _is_int(left) and _is_int(right) and right > 0 and abs(left) > 1:
        if right > MAX_INT_BITS or right * math.log2(abs(left)) > MAX_INT_BITS:
            raise LimitExceeded(f"計算結果の整数が大きすぎます(上限 {MAX_INT_BITS} ビット)")
    elif symbol == "<<" and _is_int(left) and _is_int(right) and left and right > 0:
        if right > MAX_INT_BITS or left.bit_length() + right > MAX_INT_BITS:
            raise LimitExceeded(f"計算結果の整数が大きすぎます(上限 {MAX_INT_BITS} ビット)")


def _is_int(value: Any) -> bool:
    return isinstance(value, int)


def _is_sequence(value: Any) -> bool:
    return isinstance(value, str | bytes | list | tuple)


def _size(value: Any) -> int:
    if isinstance(value, int):
        return value.bit_length()
    if isinstance(value, str | bytes | list | tuple | dict | set | frozenset):
        return len(value)
    return 0


def _dunder(value: str | bytes) -> bool:
    return ("__" if isinstance(value, str) else b"__") in value  # type: ignore[operator]


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."
