"""Decisions by name: a municipality's DMN table, common's, or a Python decision, in that order."""

from __future__ import annotations

from collections.abc import Mapping
from copy import deepcopy
from types import SimpleNamespace
from typing import Any

from lxml import etree

from engine import spiff
from engine import xmlsafe
from engine.errors import KaigoflowError
from engine.errors import NotFoundError
from engine.errors import ValidationError
from engine.forms import PythonDecision


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
        self._engines: dict[str, Any] = {}

    def names(self) -> list[str]:
        return sorted(set(self._dmn_sources) | set(self._python))

    def decide(self, name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """Return the decision's outputs for `inputs`; ValidationError (Japanese) on bad input."""
        if name in self._dmn_sources:
            return self._decide_dmn(name, inputs)
        if name in self._python:
            return self._python[name](deepcopy(dict(inputs)), self._params)
        raise NotFoundError(f"判定「{name}」はありません(使える判定: {', '.join(self.names())})")

    def _decide_dmn(self, name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        engine = self._engines.get(name)
        if engine is None:
            engine = self._engines[name] = _dmn_engine(name, self._dmn_sources[name])
        script_engine = spiff.KaigoflowScriptEngine(decide=self.decide)
        task = SimpleNamespace(data=dict(inputs), workflow=SimpleNamespace(script_engine=script_engine))
        try:
            result: dict[str, Any] = engine.result(task)
        except spiff.SpiffWorkflowException as exc:
            raise ValidationError(f"判定「{name}」を評価できません: {exc}") from None
        return result


def _dmn_engine(name: str, source: str) -> Any:
    root, problems = xmlsafe.parse(source.encode("utf-8"), f"{name}.dmn")
    if root is None:
        raise DecisionError(f"判定表「{name}」を読み込めません: {problems[0].message}")
    parser = spiff.KaigoflowParser()
    try:
        parser.add_dmn_xml(root, filename=f"{name}.dmn")
        return parser.get_engine(name, None)
    except (spiff.ValidationException, etree.LxmlError) as exc:
        raise DecisionError(f"判定表「{name}」が不正です: {exc}") from None
