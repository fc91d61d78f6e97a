"""Check the process library before anything runs or is published: problems per element, in Japanese.

Rules: XML safe and well-formed; BPMN parseable by the engine; DI for every element; lanes mapped to roles;
user tasks naming an existing form whose example is valid; readable ids (no modeller ids except on plain flows);
due rules well-formed; called processes, decisions and continuations resolvable; conditions within the safe
expression subset, no scripts; exclusive gateways with conditions have a default flow; no back-loop without a
person's task or a timer on the way round; and the product's conventions (engine/process_library/conventions.py: sources
cited, ids in the glossary, DMN labels, form shape).
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from functools import partial
from pathlib import Path
from pathlib import PurePosixPath
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema import FormatChecker
from jsonschema.exceptions import SchemaError
from lxml import etree

from engine.cases import facts as casedata
from engine.errors import LibraryError
from engine.errors import Problem
from engine.process_library import conventions
from engine.process_library import sandbox
from engine.process_library import spiff
from engine.process_library import xmlsafe
from engine.process_library.forms import linear_time_validator
from engine.process_library.forms import pattern_problem
from engine.process_library.loader import NS
from engine.process_library.loader import Library
from engine.process_library.loader import decoded_text
from engine.process_library.parsecache import key_of
from engine.scheduling import deadlines
from engine.vocabulary import NODE_KINDS

BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
MODELLER_ID = re.compile(r"^(Activity|Gateway|Event|Process|Task|StartEvent|EndEvent)_[0-9a-z]{7}$")
SAFE_CALLS = frozenset({"len", "any", "all", "min", "max"})
SAFE_NODES = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.Compare,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.In,
    ast.NotIn,
    ast.Is,
    ast.IsNot,
    ast.Name,
    ast.Load,
    ast.Constant,
    ast.Tuple,
    ast.List,
    ast.Set,
    ast.Subscript,
    ast.Call,
    ast.BinOp,
    ast.Add,
    ast.Sub,
)


@dataclass
class LintReport:
    problems: list[Problem] = field(default_factory=list)
    files: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            if problem not in self.problems:
                self.problems.append(problem)


def check_expression(text: str) -> str | None:
    """Return a Japanese message when a condition is outside the safe subset, else None."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        return f"条件式「{text.strip()}」がPythonの式として読めません"
    for node in ast.walk(tree):
        if not isinstance(node, SAFE_NODES):
            return f"条件式「{text.strip()}」に使えない構文({type(node).__name__})があります"
        if isinstance(node, ast.Name) and node.id.startswith("__"):
            return f"条件式「{text.strip()}」に使えない名前({node.id})があります"
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id in SAFE_CALLS):
            return f"条件式「{text.strip()}」で呼べる関数は {', '.join(sorted(SAFE_CALLS))} だけです"
    return None


def check_diagram(content: bytes, filename: str) -> list[Problem]:
    """Rules that need only the file itself (no overlay)."""
    root, problems = xmlsafe.parse(content, filename)
    if root is None:
        return problems
    processes = root.xpath("//bpmn:process", namespaces=NS)
    if not processes:
        return [Problem(filename, "BPMNのプロセスがありません", rule="no-process")]
    stem = Path(filename).stem
    executable = [p for p in processes if p.get("isExecutable") == "true"]
    if [p.get("id") for p in executable] != [stem]:
        message: str | None = f"実行可能プロセスはファイル名と同じID「{stem}」の1つだけにしてください"
        problems.append(Problem(filename, str(message), rule="process-id"))
    shapes = set(
        root.xpath("//bpmndi:BPMNShape/@bpmnElement | //bpmndi:BPMNEdge/@bpmnElement", namespaces={"bpmndi": BPMNDI})
    )
    for tag in (*sorted(NODE_KINDS), "sequenceFlow", "lane", "participant"):
        for element in root.xpath(f"//bpmn:{tag}", namespaces=NS):
            element_id = element.get("id", "")
            if element_id not in shapes:
                problems.append(Problem(filename, "図の情報(DI)がありません", element=element_id, rule="di"))
            plain_flow = tag == "sequenceFlow" and not len(element.xpath("bpmn:conditionExpression", namespaces=NS))
            if MODELLER_ID.match(element_id) or (
                tag == "sequenceFlow" and not plain_flow and element_id.startswith("Flow_")
            ):
                message = "自動採番のIDです。意味の分かるID(CONTRACT.mdの手順IDなど)を付けてください"
                problems.append(Problem(filename, message, element=element_id, rule="readable-id"))
    for flow in root.xpath("//bpmn:sequenceFlow[bpmn:conditionExpression]", namespaces=NS):
        text = flow.xpath("string(bpmn:conditionExpression)", namespaces=NS)
        message = check_expression(text)
        if message:
            problems.append(Problem(filename, message, element=flow.get("id"), rule="unsafe-expression"))
    for script in root.xpath("//bpmn:scriptTask", namespaces=NS):
        message = "スクリプトタスクは使えません(判定はDMNかPythonの判定にしてください)"
        problems.append(Problem(filename, message, element=script.get("id"), rule="script-task"))
    for script in root.xpath("//spiffworkflow:preScript | //spiffworkflow:postScript", namespaces=NS):
        owner = script.getparent().getparent()
        message = "タスクの前後のスクリプト(preScript/postScript)は使えません(判定はDMNかPythonの判定にしてください)"
        problems.append(Problem(filename, message, element=owner.get("id"), rule="script-task"))
    for gateway in root.xpath("//bpmn:exclusiveGateway", namespaces=NS):
        outgoing = root.xpath(f"//bpmn:sequenceFlow[@sourceRef='{gateway.get('id')}']", namespaces=NS)
        conditional = [f for f in outgoing if len(f.xpath("bpmn:conditionExpression", namespaces=NS))]
        if conditional and not gateway.get("default"):
            message = "条件付きの分岐には既定のフロー(default)が必要です"
            problems.append(Problem(filename, message, element=gateway.get("id"), rule="gateway-default"))
    for task in root.xpath("//bpmn:userTask | //bpmn:businessRuleTask", namespaces=NS):
        props = {p.get("name"): p.get("value") for p in task.xpath(".//spiffworkflow:property", namespaces=NS)}
        problems.extend(_case_fact_problems(props, task.get("id"), filename))
        if task.tag != f"{{{NS['bpmn']}}}userTask":
            continue
        if not props.get("formJsonSchemaFilename"):
            message = "ユーザータスクに様式(formJsonSchemaFilename)が指定されていません"
            problems.append(Problem(filename, message, element=task.get("id"), rule="missing-form"))
        rule = props.get("dueRule")
        if rule and (message := deadlines.check(rule)):
            problems.append(Problem(filename, message, element=task.get("id"), rule="due-rule"))
        if not task.get("name"):
            problems.append(Problem(filename, "タスクに名前がありません", element=task.get("id"), rule="name"))
    for expression in root.xpath(
        "//bpmn:loopCardinality | //bpmn:completionCondition | //bpmn:standardLoopCharacteristics/bpmn:loopCondition",
        namespaces=NS,
    ):
        message = check_expression(expression.text or "")
        if message:
            owner = expression.getparent().getparent()
            problems.append(Problem(filename, message, element=owner.get("id"), rule="unsafe-expression"))
    problems.extend(check_loops(root, filename))
    problems.extend(conventions.check_citations(root, filename))
    problems.extend(check_bounded_expressions(root, filename))
    for timer in root.xpath("//bpmn:timerEventDefinition/*", namespaces=NS):
        message = check_expression(timer.text or "")
        if message:
            owner = timer.getparent().getparent().get("id")
            problems.append(Problem(filename, message, element=owner, rule="unsafe-expression"))
    return problems


EXPRESSION_PATHS = (
    "//bpmn:sequenceFlow/bpmn:conditionExpression",
    "//bpmn:conditionalEventDefinition/bpmn:condition",
    "//bpmn:timerEventDefinition/*",
    "//bpmn:multiInstanceLoopCharacteristics/bpmn:loopCardinality",
    "//bpmn:multiInstanceLoopCharacteristics/bpmn:completionCondition",
    "//bpmn:standardLoopCharacteristics/bpmn:loopCondition",
)
"""Every place of a diagram where an owner writes an expression that the engine evaluates."""


def check_bounded_expressions(root: Any, filename: str) -> list[Problem]:
    """Every expression of the diagram within engine/process_library/sandbox.py's rules and bounds, as it will be when
    it runs.

    A `conditionalEventDefinition`'s condition is held to the gateway-condition subset (`check_expression`) like
    every other expression here (check_diagram reports those); a multi-instance cardinality written as a number
    and a loop's maximum must be at most `sandbox.MAX_INSTANCES`, and a loop must state its maximum.
    """
    problems = []
    for path in EXPRESSION_PATHS:
        for expression in root.xpath(path, namespaces=NS):
            text = (expression.text or "").strip()
            owner = _expression_owner(expression)
            subset = check_expression(text)
            if subset and "conditionalEventDefinition" not in path:
                continue  # check_diagram reports it already
            message = subset or (sandbox.problem(text) if text else None)
            if message is None and path.endswith("loopCardinality") and _too_many(text):
                message = f"繰り返し回数「{text[:20]}」が多すぎます(上限 {sandbox.MAX_INSTANCES})"
            if message:
                problems.append(Problem(filename, message, element=owner, rule="unsafe-expression"))
    for loop in root.xpath("//bpmn:standardLoopCharacteristics", namespaces=NS):
        maximum = loop.get("loopMaximum", "").strip()
        if not maximum.isdigit() or int(maximum) > sandbox.MAX_INSTANCES:
            message = f"繰り返しには上限(loopMaximum、{sandbox.MAX_INSTANCES} まで)を指定してください"
            problems.append(Problem(filename, message, element=loop.getparent().get("id"), rule="unsafe-expression"))
    return problems


def _expression_owner(expression: Any) -> str | None:
    """The id of the flow, event or activity an expression belongs to (the nearest ancestor that is not a
    definition or loop characteristics)."""
    for ancestor in expression.iterancestors():
        tag = etree.QName(ancestor).localname
        if not tag.endswith(("EventDefinition", "LoopCharacteristics")) and ancestor.get("id"):
            return str(ancestor.get("id"))
    return None


def _too_many(text: str) -> bool:
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False  # not a literal: bounded when it is evaluated (engine/process_library/spiff.py)
    return isinstance(value, int | float) and value > sandbox.MAX_INSTANCES


def _case_fact_problems(props: dict[str | None, str | None], element: str | None, filename: str) -> list[Problem]:
    """`setsCaseFacts` names only case facts (engine.cases.facts.FACTS): a typo would silently set nothing."""
    problems = []
    for name in casedata.declared_facts({k: v or "" for k, v in props.items() if k}):
        if name not in casedata.FACTS:
            known = "、".join(casedata.FACTS)
            message = f"setsCaseFacts の「{name}」はケースの記録の項目ではありません(使える項目: {known})"
            problems.append(Problem(filename, message, element=element, rule="case-facts"))
    return problems


WAIT_NODES = ("userTask", "manualTask", "receiveTask")
"""A cycle through one of these waits for a person (or a message) on every turn, so it cannot spin."""


def check_loops(root: Any, filename: str) -> list[Problem]:
    """Report every cycle of sequence flows that nothing stops: no person's task and no timer on the way round.

    Spiff runs such a cycle in one engine step until its task iterator gives up at depth 1000, and the instance
    then stalls silently (ARCHITECTURE.md); a loop must wait for someone or for time on each turn.
    """
    graph: dict[str, list[str]] = {}
    for flow in root.xpath("//bpmn:sequenceFlow", namespaces=NS):
        graph.setdefault(flow.get("sourceRef", ""), []).append(flow.get("targetRef", ""))
    kinds: dict[str, str] = {}
    for element in root.xpath("//bpmn:*[@id]", namespaces=NS):
        tag = etree.QName(element).localname
        if tag == "intermediateCatchEvent" and element.xpath("bpmn:timerEventDefinition", namespaces=NS):
            tag = "timer"
        kinds[element.get("id")] = tag
    problems = []
    for component in _cycles(graph):
        if any(kinds.get(node) in (*WAIT_NODES, "timer") for node in component):
            continue
        gateways = sorted(n for n in component if kinds.get(n, "").endswith("Gateway"))
        element = gateways[0] if gateways else sorted(component)[0]
        names = "→".join(sorted(component))
        message = f"待ち(担当者のタスクやタイマー)のない繰り返しがあります({names})。無限に回り続けるおそれがあります"
        problems.append(Problem(filename, message, element=element, rule="unbounded-loop"))
    return problems


def _cycles(graph: dict[str, list[str]]) -> list[set[str]]:
    """Strongly connected components that contain a cycle (Tarjan, iterative so deep diagrams cannot overflow)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[set[str]] = []
    counter = 0
    nodes = set(graph) | {t for targets in graph.values() for t in targets}
    for start in sorted(nodes):
        if start in index:
            continue
        work = [(start, 0)]
        while work:
            node, position = work.pop()
            if position == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            targets = graph.get(node, [])
            if position < len(targets):
                work.append((node, position + 1))
                target = targets[position]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph.get(node, []):
                    found.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found


def check_decision(content: bytes, filename: str) -> list[Problem]:
    """A DMN table must be safe XML, parse, and define a decision whose id is the file's stem."""
    root, problems = xmlsafe.parse(content, filename)
    if root is None:
        return problems
    stem = Path(filename).stem
    unsafe = _unsafe_dmn_entries(root, filename)
    if unsafe:
        return unsafe
    parser = spiff.KaigoflowParser()
    try:
        parser.add_dmn_xml(root, filename=filename)
        parser.get_engine(stem, None)
    except Exception as exc:  # Spiff raises several kinds for a broken table; all mean the same to a modeller
        message = f"判定表「{stem}」を読み込めません(ファイル名と判定IDは同じにしてください): {exc}"
        return [Problem(filename, message, element=stem, rule="dmn-invalid")]
    return conventions.check_decision_table(root, filename)


COMPARISON_START = re.compile(r"^\s*(<=|>=|==|!=|<|>|not\s+in\b|in\b)")


def _unsafe_dmn_entries(root: Any, filename: str) -> list[Problem]:
    """Every expression of a decision table (inputs, input and output entries) within the sandbox's rules.

    Entries are unary tests (`< 5`, `"a","b"`, `4 < ? < 6`); they are checked as the expression Spiff will build.
    """
    problems = []
    for text in root.xpath("//*[local-name()='text']"):
        raw = (text.text or "").strip()
        if not raw or raw == "-":
            continue
        code = raw.replace("?", "dmninputexpr")
        if COMPARISON_START.match(code):
            code = f"dmninputexpr {code}"
        message = sandbox.problem(code)
        if message:
            owner = text.getparent()
            problems.append(Problem(filename, message, element=owner.get("id"), rule="unsafe-expression"))
    return problems


MAX_FORM_BYTES = 512 * 1024
"""The largest form schema in processes/ is about 22 KB; anything past 512 KB is refused before parsing."""


def _schema_problems(schema: object, rel: str) -> list[Problem]:
    """References that would leave the file, and patterns RE2 cannot match in linear time, anywhere in the schema."""
    problems = []
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and not ref.startswith("#"):
                problems.append(Problem(rel, f"様式の外への参照($ref: {ref[:80]})は使えません", rule="bad-form"))
            problems.extend(_pattern_problems(node, rel))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return problems


def _pattern_problems(node: dict[str, Any], rel: str) -> list[Problem]:
    """A schema node's `pattern` must compile in RE2 (engine/process_library/forms.py matches with it);
    `patternProperties` is refused: jsonschema matches its keys with Python's `re` for `additionalProperties`, and a
    form's fields are named in `properties` anyway."""
    problems = []
    message: str | None
    if "patternProperties" in node:
        message = "patternProperties(正規表現による項目名)は使えません。項目は properties に名前で書いてください"
        problems.append(Problem(rel, message, rule="bad-form"))
    pattern = node.get("pattern")
    if isinstance(pattern, str) and (message := pattern_problem(pattern)):
        problems.append(Problem(rel, message, rule="bad-form"))
    return problems


def check_form(path: Path, rel: str) -> list[Problem]:
    if path.stat().st_size > MAX_FORM_BYTES:
        return _too_big(rel)
    return check_form_content(path.read_bytes(), rel)


def _too_big(rel: str) -> list[Problem]:
    return [Problem(rel, f"ファイルが大きすぎます(上限 {MAX_FORM_BYTES // 1024} KB)", rule="bad-form")]


def check_form_content(content: bytes, rel: str) -> list[Problem]:
    """A form schema (or its uischema, `rel` ending in .uischema.json) as read from its file."""
    if len(content) > MAX_FORM_BYTES:
        return _too_big(rel)
    try:
        schema = json.loads(decoded_text(content))
    except ValueError as exc:
        return [Problem(rel, f"JSONとして読めません: {exc}", rule="bad-form")]
    except RecursionError:
        return [Problem(rel, "JSONの入れ子が深すぎます", rule="bad-form")]
    if rel.endswith(".uischema.json"):
        return []
    if not isinstance(schema, dict):
        return [Problem(rel, "様式はJSONのオブジェクト({...})で書いてください", rule="bad-form")]
    problems = _schema_problems(schema, rel)
    if problems:
        return problems
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        return [Problem(rel, f"JSON Schemaとして不正です: {exc.message}", rule="bad-form")]
    except RecursionError:
        return [Problem(rel, "JSON Schemaの入れ子が深すぎます", rule="bad-form")]
    examples = schema.get("examples") or []
    if not examples:
        problems.append(Problem(rel, "入力例(examples)がありません", rule="form-example"))
    else:
        validator = linear_time_validator(schema, format_checker=FormatChecker())
        try:
            for error in validator.iter_errors(examples[0]):
                where = ".".join(str(p) for p in error.absolute_path) or "(全体)"
                message = f"入力例が様式に合いません: {where}: {error.message}"
                problems.append(Problem(rel, message, rule="form-example"))
        except RecursionError:
            problems.append(Problem(rel, "入力例の入れ子が深すぎます", rule="form-example"))
    if schema.get("additionalProperties") is not False:
        message = '様式が閉じていません: "additionalProperties": false を書いてください(様式にない項目を拒むため)'
        problems.append(Problem(rel, message, rule="open-form"))
    if not schema.get("title"):
        problems.append(Problem(rel, "様式に題名(title)がありません", rule="form-title"))
    for name, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, dict) or not prop.get("title"):
            problems.append(Problem(rel, "項目に日本語の題名(title)がありません", element=name, rule="form-title"))
    problems.extend(conventions.check_form_conventions(schema, rel))
    return problems


def lint_library(library: Library, municipalities: Iterable[str] | None = None) -> LintReport:
    """Lint every file, then resolve every flow of every (or the given) municipality.

    Each part's problems come from the parse cache when what it reads is unchanged (`_cached`): a file by its
    bytes, the glossary check by the glossary, the READMEs and the folders' files, a flow by every file it could
    reach and its municipality's settings; so linting an unchanged library restores no spec.
    """
    report = LintReport()
    keys = list(municipalities) if municipalities is not None else sorted(library.municipalities())
    folders = ["common", *keys]
    for folder in folders:
        files = library.files(folder).files
        for name in sorted(files, key=lambda name: PurePosixPath(name).parts):
            rel, content = f"{folder}/{name}", files[name]
            if name.endswith(".bpmn"):
                report.files += 1
                report.add(_cached(library, ("diagram", rel, content), partial(check_diagram, content, rel)))
            elif name.endswith(".dmn"):
                report.files += 1
                report.add(_cached(library, ("decision", rel, content), partial(check_decision, content, rel)))
            elif name.endswith(".json") and "forms" in PurePosixPath(name).parts[:-1]:
                report.files += 1
                if len(content) > MAX_FORM_BYTES:
                    report.add(_too_big(rel))  # refused before decoding: nothing worth caching
                    continue
                report.add(_cached(library, ("form", rel, content), partial(check_form_content, content, rel)))
    glossary = conventions.glossary_inputs(library, folders)
    report.add(_cached(library, ("glossary", *glossary), partial(conventions.check_glossary, library, folders)))
    for key in keys:
        settings = json.dumps(library.municipality(key).raw, sort_keys=True, ensure_ascii=False, default=str)
        for process_key in library.process_keys(key):
            parts = ("flow", library.resolve_key(key, process_key), settings)
            report.add(_cached(library, parts, partial(_resolve_problems, library, key, process_key)))
    return report


def _cached(library: Library, parts: tuple[str | bytes, ...], check: Callable[[], list[Problem]]) -> list[Problem]:
    """Problems from the parse cache when the same inputs (`parts`: the rule set, then everything it reads) were
    checked before.

    Checking a form schema against the meta-schema is most of a cold lint (bench/engine_bench.py (c)).
    """
    key = key_of("lint", *parts)
    stored = library.cache.get("lint", key)
    if isinstance(stored, list):
        try:
            return [Problem(**entry) for entry in stored]
        except TypeError:
            pass  # not an entry this code wrote: check again
    problems = check()
    library.cache.put("lint", key, [asdict(problem) for problem in problems])
    return problems


def _resolve_problems(library: Library, municipality: str, process_key: str) -> list[Problem]:
    try:
        resolved = library.resolve(municipality, process_key)
    except LibraryError as exc:
        return exc.problems
    problems = []
    params = library.municipality(municipality).params
    for process_spec in resolved.all_specs():
        for task_spec in process_spec.task_specs.values():
            props = (getattr(task_spec, "extensions", None) or {}).get("properties") or {}
            for name in deadlines.parameters(props.get("dueRule") or ""):
                if name not in params:
                    message = f"期限ルールが読むパラメータ「{name}」が {municipality} の municipality.toml にありません"
                    problems.append(
                        Problem(f"{process_spec.name}.bpmn", message, element=task_spec.bpmn_id, rule="due-rule")
                    )
            follow = props.get("continueWith")
            if follow and follow not in library.process_keys(municipality):
                message = f"続けて開始するプロセス「{follow}」がありません"
                problems.append(
                    Problem(f"{process_spec.name}.bpmn", message, element=task_spec.bpmn_id, rule="continue-with")
                )
    return problems


def lint_paths(library: Library, paths: Iterable[Path]) -> LintReport:
    """Lint what the paths cover: the whole library, a municipality folder, or single files."""
    report = LintReport()
    root = library.root.resolve()
    municipalities: set[str] = set()
    whole = False
    for path in paths:
        path = path.resolve()
        if path == root:
            whole = True
            continue
        try:
            rel = path.relative_to(root)
        except ValueError:
            if path.suffix == ".bpmn":
                report.files += 1
                report.add(check_diagram(path.read_bytes(), str(path)))
            continue
        top = rel.parts[0]
        if top == "common":
            whole = True
        elif top in library.municipalities():
            municipalities.add(top)
    if whole or municipalities:
        report.add(lint_library(library, None if whole else sorted(municipalities)).problems)
        report.files += sum(1 for _ in root.rglob("*.bpmn"))
    return report


def describe(report: LintReport) -> list[str]:
    lines = [str(p) for p in report.problems]
    lines.append(f"{len(report.problems)}件の問題" if report.problems else "問題はありません")
    return lines
