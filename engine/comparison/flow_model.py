"""A flow as one side runs it, read for comparison: every element of every process it resolves to, in flow order.

A flow's scope is its top-level process, the processes its call activities call (e.g. plan_cycle), and the
processes it continues as (`continueWith`, e.g. new_case → plan_period) unless those are flows of their own
(renewal → new_case is another flow, not part of renewal). Each process comes from the side's overlay (the
municipality's file, else common's), so the model is what actually runs, not what a folder happens to hold.

The source of a side is anything with `resolve(municipality, process_key) -> ResolvedSpec` and
`municipality(key) -> Municipality`: the live `Library`, or a library of one published version.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from pathlib import PurePosixPath
from typing import Any
from typing import Protocol

from engine.errors import LibraryError
from engine.process_library import xmlsafe
from engine.process_library.loader import FLOW_KEYS
from engine.process_library.loader import NS
from engine.process_library.loader import FormSpec
from engine.process_library.loader import Municipality
from engine.process_library.loader import ResolvedSpec
from engine.scheduling.duewords import describe_due_rule

ACTIVITY_KINDS = frozenset(
    {
        "userTask",
        "manualTask",
        "task",
        "scriptTask",
        "serviceTask",
        "sendTask",
        "receiveTask",
        "businessRuleTask",
        "callActivity",
        "subProcess",
    }
)
NODE_KINDS = ACTIVITY_KINDS | {
    "startEvent",
    "endEvent",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "boundaryEvent",
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "eventBasedGateway",
    "complexGateway",
}
SOURCE_CITATION = re.compile(r"\d{3}_[0-9a-f]{16}\.txt(?::\d+(?:[-–]\d+)?(?:,\d+(?:[-–]\d+)?)*)?")
"""A seed-line citation in documentation, e.g. 001_0406baf8f7838dc8.txt:26-29."""


class FlowSource(Protocol):
    """What a side reads its flow from: the live Library or one published version's library."""

    def resolve(self, municipality: str, process_key: str) -> ResolvedSpec: ...

    def municipality(self, key: str) -> Municipality: ...


@dataclass(frozen=True)
class Element:
    """One flow node (step, gateway or event) of one process, with what the engine reads from it."""

    process: str
    id: str
    kind: str
    name: str = ""
    lane: str | None = None
    role: str | None = None
    form: str | None = None
    due_rule: str | None = None
    due: str | None = None
    decision: str | None = None
    called: str | None = None
    instructions: str = ""
    documentation: str = ""
    sources: tuple[str, ...] = ()
    default_flow: str | None = None
    timer: str | None = None
    script: str | None = None
    attached_to: str | None = None
    properties: tuple[tuple[str, str], ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return (self.process, self.id)

    @property
    def is_step(self) -> bool:
        return self.kind in ACTIVITY_KINDS

    @property
    def is_user_task(self) -> bool:
        return self.kind == "userTask"

    @property
    def label(self) -> str:
        return self.name or self.id


@dataclass(frozen=True)
class SequenceFlow:
    process: str
    id: str
    source: str
    target: str
    name: str = ""
    condition: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.process, self.id)


@dataclass
class FlowModel:
    """A flow of one side: its processes (with the file each came from), elements, flows, forms and decisions."""

    municipality: Municipality
    process_key: str
    processes: dict[str, str] = field(default_factory=dict)
    """process id -> the library file it resolved to, e.g. "toyokawa/new_case.bpmn" or "common/plan_cycle.bpmn"."""
    process_names: dict[str, str] = field(default_factory=dict)
    bpmn: dict[str, str] = field(default_factory=dict)
    elements: dict[tuple[str, str], Element] = field(default_factory=dict)
    flows: dict[tuple[str, str], SequenceFlow] = field(default_factory=dict)
    order: list[tuple[str, str]] = field(default_factory=list)
    """Element keys in flow order: breadth first from each start, a called process inserted where it is called."""
    forms: dict[str, FormSpec] = field(default_factory=dict)
    dmn: dict[str, str] = field(default_factory=dict)
    decision_files: dict[str, str] = field(default_factory=dict)
    form_files: dict[str, str] = field(default_factory=dict)

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.municipality.params)

    def steps(self) -> list[Element]:
        """Activities (user tasks, decisions, calls …) in flow order."""
        return [self.elements[k] for k in self.order if self.elements[k].is_step]

    def user_tasks(self) -> list[Element]:
        return [self.elements[k] for k in self.order if self.elements[k].is_user_task]

    def decisions(self) -> list[str]:
        """Decision ids called anywhere in the flow, in flow order, each once."""
        found: list[str] = []
        for key in self.order:
            decision = self.elements[key].decision
            if decision and decision not in found:
                found.append(decision)
        return found


def load_flow(source: FlowSource, municipality: str, process_key: str) -> FlowModel:
    """Read one side's flow: resolve it (and its continuations) through the overlay, then read every process.

    Raises NotFoundError for an unknown municipality and LibraryError when a file of the flow is broken.
    """
    muni = source.municipality(municipality)
    model = FlowModel(municipality=muni, process_key=process_key)
    lanes: dict[str, str] = {}
    pending, resolved_keys = [process_key], set()
    while pending:
        key = pending.pop(0)
        if key in resolved_keys:
            continue
        resolved_keys.add(key)
        resolved = source.resolve(municipality, key)
        lanes.update(resolved.lanes)
        model.forms.update(resolved.forms)
        model.dmn.update(resolved.dmn)
        for rel in resolved.sources:
            path = PurePosixPath(rel)
            if rel.endswith(".bpmn"):
                model.processes.setdefault(path.stem, rel)
            elif rel.endswith(".dmn"):
                model.decision_files.setdefault(path.stem, rel)
            elif rel.endswith(".schema.json"):
                model.form_files.setdefault(path.name.removesuffix(".schema.json"), rel)
        for pid, xml in resolved.bpmn.items():
            if pid in model.bpmn:
                continue
            model.bpmn[pid] = xml
            for target in _read_process(model, pid, xml, lanes):
                if target not in FLOW_KEYS and target not in resolved_keys:
                    pending.append(target)
    # Lanes first met in a later resolution still name their roles.
    for element_key, element in list(model.elements.items()):
        if element.lane and element.role is None and element.lane in lanes:
            model.elements[element_key] = replace(element, role=lanes[element.lane])
    model.order = _flow_order(model)
    return model


def _text(node: Any, path: str) -> str:
    return " ".join("".join(node.xpath(path, namespaces=NS)).split())


def _read_process(model: FlowModel, pid: str, xml: str, lanes: Mapping[str, str]) -> list[str]:
    """Add a process's elements and flows to the model; return the processes it continues as."""
    root, problems = xmlsafe.parse(xml.encode("utf-8"), f"{pid}.bpmn")
    if root is None:
        raise LibraryError(f"「{pid}」の図を読み込めません", problems)
    found = root.xpath("//bpmn:process[@id=$pid]", namespaces=NS, pid=pid)
    if not found:
        return []
    process = found[0]
    model.process_names[pid] = process.get("name", "") or pid
    lane_of: dict[str, str] = {}
    # Nested lanes come after their parents in document order, so the innermost lane wins.
    for lane in process.xpath(".//bpmn:lane", namespaces=NS):
        for ref in lane.xpath("./bpmn:flowNodeRef/text()", namespaces=NS):
            lane_of[ref.strip()] = lane.get("name", "") or lane.get("id", "")
    params = model.municipality.params
    continues: list[str] = []
    for node in process.iter():
        if not isinstance(node.tag, str):
            continue
        kind = node.tag.rpartition("}")[2]
        if kind == "sequenceFlow":
            condition = _text(node, "./bpmn:conditionExpression/text()") or None
            flow = SequenceFlow(
                process=pid,
                id=node.get("id", ""),
                source=node.get("sourceRef", ""),
                target=node.get("targetRef", ""),
                name=node.get("name", "") or "",
                condition=condition,
            )
            model.flows[flow.key] = flow
            continue
        if kind not in NODE_KINDS:
            continue
        element_id = node.get("id", "")
        props = {
            p.get("name", ""): p.get("value", "")
            for p in node.xpath(
                "./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", namespaces=NS
            )
        }
        form = props.pop("formJsonSchemaFilename", None)
        props.pop("formUiSchemaFilename", None)
        due_rule = props.pop("dueRule", None) or None
        documentation = _text(node, "./bpmn:documentation/text()")
        lane = lane_of.get(element_id)
        if "continueWith" in props:
            continues.append(props["continueWith"])
        element = Element(
            process=pid,
            id=element_id,
            kind=kind,
            name=" ".join((node.get("name") or "").split()),
            lane=lane,
            role=lanes.get(lane) if lane else None,
            form=form.removesuffix(".schema.json").removesuffix(".json") if form else None,
            due_rule=due_rule,
            due=describe_due_rule(due_rule, params) if due_rule else None,
            decision=_text(node, "./bpmn:extensionElements/spiffworkflow:calledDecisionId/text()") or None,
            called=node.get("calledElement") or None,
            instructions=_text(node, "./bpmn:extensionElements/spiffworkflow:instructionsForEndUser/text()"),
            documentation=documentation,
            sources=tuple(dict.fromkeys(SOURCE_CITATION.findall(documentation))),
            default_flow=node.get("default") or None,
            timer=_text(node, "./bpmn:timerEventDefinition/*/text()") or None,
            script=_text(node, "./bpmn:script/text()") or None,
            attached_to=node.get("attachedToRef") or None,
            properties=tuple(sorted(props.items())),
        )
        model.elements[element.key] = element
    return continues


def _flow_order(model: FlowModel) -> list[tuple[str, str]]:
    """Each process in topological order of its forward flows (back-loops ignored), a called process inlined.

    Ties go to the order a depth-first walk from the start meets the nodes, so a branch stays together.
    """
    successors: dict[tuple[str, str], list[str]] = {}
    for flow in model.flows.values():
        successors.setdefault((flow.process, flow.source), []).append(flow.target)
    by_process: dict[str, list[Element]] = {}
    for element in model.elements.values():
        by_process.setdefault(element.process, []).append(element)
        if element.attached_to:
            successors.setdefault((element.process, element.attached_to), []).append(element.id)
    order: list[tuple[str, str]] = []
    walked: set[str] = set()

    def walk(pid: str) -> None:
        if pid in walked or pid not in by_process:
            return
        walked.add(pid)
        ids = [e.id for e in by_process[pid]]
        known = set(ids)
        forward = _forward_edges(pid, ids, successors, [e.id for e in by_process[pid] if e.kind == "startEvent"])
        rank = {element_id: index for index, element_id in enumerate(forward.preorder)}
        rank.update({i: len(rank) + n for n, i in enumerate(i for i in ids if i not in rank)})
        incoming = dict.fromkeys(ids, 0)
        for source, targets in forward.edges.items():
            for target in targets:
                if target in known and source in known:
                    incoming[target] += 1
        ready = [(rank[i], i) for i in ids if incoming[i] == 0]
        heapq.heapify(ready)
        later: list[str] = []
        while ready:
            _, element_id = heapq.heappop(ready)
            order.append((pid, element_id))
            element = model.elements[(pid, element_id)]
            if element.called:
                walk(element.called)
            later.extend(value for name, value in element.properties if name == "continueWith")
            for target in forward.edges.get(element_id, []):
                if target in incoming:
                    incoming[target] -= 1
                    if incoming[target] == 0:
                        heapq.heappush(ready, (rank[target], target))
        for target in later:
            walk(target)

    walk(model.process_key)
    for pid in model.bpmn:
        walk(pid)
    return order


@dataclass
class _Forward:
    preorder: list[str]
    edges: dict[str, list[str]]


def _forward_edges(
    pid: str, ids: list[str], successors: Mapping[tuple[str, str], list[str]], starts: list[str]
) -> _Forward:
    """Depth-first from the starts (then any node not reached): the edges that do not close a loop."""
    preorder: list[str] = []
    edges: dict[str, list[str]] = {}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for root in [*starts, *ids]:
        if root in state:
            continue
        stack: list[tuple[str, Iterator[str]]] = [(root, iter(successors.get((pid, root), [])))]
        state[root] = 1
        preorder.append(root)
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
                continue
            if state.get(child) == 1:
                continue  # a back-loop (e.g. 受け入れられなければ別の居宅へ): not a forward edge
            edges.setdefault(node, []).append(child)
            if child not in state:
                state[child] = 1
                preorder.append(child)
                stack.append((child, iter(successors.get((pid, child), []))))
    return _Forward(preorder, edges)
