"""Decisions by name: a municipality's DMN table, common's, or a Python decision, in that order.

A DMN table's inputs are checked before it is evaluated, so a bad input gets a Japanese message naming it rather
than a Python error from Spiff's expression engine: every input clause whose expression is a plain variable name
must be present (not null), must be a bool when its `typeRef` is `boolean`, and must be one of its
`inputValues` when the clause lists them (DMN 1.3 unary tests, written as Python literals: `"a","b"`). A table
that no rule matches is an error too, because an empty result would silently leave the outputs unset.
"""

from __future__ import annotations

import ast
import keyword
from collections.abc import Mapping
from copy import deepcopy
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from lxml import etree

from engine.errors import KaigoflowError
from engine.errors import NotFoundError
from engine.errors import ValidationError
from engine.process_library import sandbox
from engine.process_library import spiff
from engine.process_library import xmlsafe
from engine.process_library.forms import PythonDecision


class DecisionError(KaigoflowError):
    code = "decision"


class Decisions:
    """Evaluates decisions for one municipality: DMN sources (already resolved) and Python functions."""

    def __init__(
        self,
        dmn_sources: Mapping[str, str],
        python: Mapping[str, PythonDecision],
        params: Mapping[str, Any],
    ) -> None:
        self._dmn_sources = dict(dmn_sources)
        self._python = python
        self._params = params
        self._engines: dict[str, tuple[Any, list[InputClause]]] = {}

    def names(self) -> list[str]:
        return sorted(set(self._dmn_sources) | set(self._python))

    def decide(self, name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """Return the decision's outputs for `inputs`; ValidationError (Japanese) on bad input."""
        if name in self._dmn_sources:
            return self._decide_dmn(name, inputs)
        if name in self._python:
            return self._python[name](own_copy(inputs), self._params)
        raise NotFoundError(f"判定「{name}」はありません(使える判定: {', '.join(self.names())})")

    def _decide_dmn(self, name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        cached = self._engines.get(name)
        if cached is None:
            cached = self._engines[name] = _dmn_engine(name, self._dmn_sources[name])
        engine, clauses = cached
        check_dmn_inputs(name, clauses, inputs)
        script_engine = spiff.KaigoflowScriptEngine(decide=self.decide)
        # What Spiff's DMN engine reads of a task, and what its WorkflowTaskException reads when an entry fails
        # (the task's spec and its workflow's file): without them a failing entry is an AttributeError, not a
        # Japanese error naming the decision.
        workflow = SimpleNamespace(script_engine=script_engine, spec=SimpleNamespace(file=f"{name}.dmn"))
        workflow.top_workflow = workflow
        spec = SimpleNamespace(name=name, bpmn_id=name, bpmn_name=name)
        task = SimpleNamespace(data=dict(inputs), workflow=workflow, task_spec=spec)
        try:
            with sandbox.one_budget():  # every entry of the table draws on one budget
                result: dict[str, Any] = engine.result(task)
        except spiff.SpiffWorkflowException as exc:
            raise ValidationError(f"判定「{name}」を評価できません: {exc}") from None
        if not result:
            shown = ", ".join(f"{c.name}={inputs.get(c.name)!r}" for c in clauses if c.name)
            raise ValidationError(f"判定「{name}」: 入力の組み合わせに当てはまる規則がありません({shown})")
        return dict(result)


_ATOMS = frozenset({bool, int, float, str, type(None)})


def own_copy(values: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a decision's inputs or outputs its receiver may change: flat ones (the schedule's, a few hundred a
    refresh) copied flat, as deepcopy would leave these values themselves; any other deep."""
    if all(type(value) in _ATOMS for value in values.values()):
        return dict(values)
    return deepcopy(dict(values))


@dataclass(frozen=True)
class InputClause:
    """One input column of a DMN decision table, as far as input checking needs it."""

    name: str | None
    """The input expression when it is a plain variable name (then the input is checked), else None."""
    label: str
    type_ref: str
    allowed: tuple[Any, ...] | None
    """The clause's `inputValues` as Python values, or None when it lists none (or they are not literals)."""

    @property
    def shown(self) -> str:
        return self.label or str(self.name)  # staff read these messages: the id only when there is no label


def input_clauses(root: Any) -> list[InputClause]:
    """Read the input clauses of the (first) decision table of a parsed DMN document."""
    clauses = []
    for clause in root.xpath("//*[local-name()='decisionTable'][1]/*[local-name()='input']"):
        text = "".join(clause.xpath("./*[local-name()='inputExpression']/*[local-name()='text']/text()")).strip()
        type_ref = "".join(clause.xpath("./*[local-name()='inputExpression']/@typeRef")).strip()
        values = "".join(clause.xpath("./*[local-name()='inputValues']/*[local-name()='text']/text()")).strip()
        name = text if text.isidentifier() and not keyword.iskeyword(text) else None
        clauses.append(InputClause(name, clause.get("label", "").strip(), type_ref, _literals(values)))
    return clauses


def check_dmn_inputs(decision: str, clauses: list[InputClause], inputs: Mapping[str, Any]) -> None:
    """Raise ValidationError (Japanese, per input) when an input a table reads is missing or not allowed."""
    details: dict[str, str] = {}
    for clause in clauses:
        if clause.name is None:
            continue
        value = inputs.get(clause.name)
        if value is None:
            details[clause.name] = f"{clause.shown}を入力してください"
        elif clause.allowed is not None and not any(_same(value, v) for v in clause.allowed):
            details[clause.name] = f"{clause.shown}は選択肢の中から指定してください"
        elif clause.type_ref == "boolean" and not isinstance(value, bool):
            details[clause.name] = f"{clause.shown}は はい か いいえ で指定してください"
    if details:
        raise ValidationError(f"判定「{decision}」の入力が正しくありません", details=details)


def _same(value: Any, allowed: Any) -> bool:
    return type(value) is type(allowed) and bool(value == allowed)


def _literals(text: str) -> tuple[Any, ...] | None:
    if not text:
        return None
    try:
        values = ast.literal_eval(f"[{text}]")
    except (ValueError, SyntaxError):
        return None
    return tuple(values)


def _dmn_engine(name: str, source: str) -> tuple[Any, list[InputClause]]:
    root, problems = xmlsafe.parse(source.encode("utf-8"), f"{name}.dmn")
    if root is None:
        raise DecisionError(f"判定表「{name}」を読み込めません: {problems[0].message}")
    parser = spiff.KaigoflowParser()
    try:
        parser.add_dmn_xml(root, filename=f"{name}.dmn")
        return parser.get_engine(name, None), input_clauses(root)
    except (spiff.ValidationException, etree.LxmlError) as exc:
        raise DecisionError(f"判定表「{name}」が不正です: {exc}") from None
