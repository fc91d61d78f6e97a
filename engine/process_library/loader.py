"""The process library: discover processes/, resolve a municipality's overlay, parse, and hash what it uses.

A municipality's version of a flow is the set of files it resolves to: its own diagram, decision or form where it
has one, the common one otherwise. That set, hashed, is the identity of a spec version: two municipalities that
resolve to the same files share it, and an edit anywhere in the set makes a new one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import Any

from engine.errors import LibraryError
from engine.errors import NotFoundError
from engine.errors import Problem
from engine.process_library import safeload
from engine.process_library import spiff
from engine.process_library import xmlsafe
from engine.process_library.parsecache import ParseCache
from engine.process_library.parsecache import key_of

COMMON = "common"
FLOW_KEYS = ("new_case", "renewal", "level_change", "provisional_plan", "equipment_exception")
"""The flows staff start by hand (CONTRACT.md); other processes are called or started by the engine."""
CASE_FLOW_KEYS = ("plan_change", "service_termination", "handling_change", "video_monitoring")
"""The flows of a case's life between the five (issue 11): staff start them on an open case, never to open one."""

ROLES = ("center", "office", "insurer", "provider", "client", "planner")
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}


@dataclass(frozen=True)
class Municipality:
    """One municipality's folder and its parameters (municipality.toml)."""

    key: str
    name: str
    insurer: str
    source: str
    params: dict[str, Any]
    lanes: dict[str, str]
    raw: dict[str, Any]


@dataclass(frozen=True)
class FormSpec:
    name: str
    schema: dict[str, Any]
    uischema: dict[str, Any]

    @property
    def title(self) -> str:
        return str(self.schema.get("title", self.name))

    def example(self) -> dict[str, Any]:
        examples = self.schema.get("examples") or [{}]
        return dict(examples[0])


LIBRARY_SUFFIXES = (".bpmn", ".dmn", ".json")
"""The files a flow can read: diagrams, decision tables, forms."""


@dataclass(frozen=True)
class FolderFiles:
    """A folder's diagrams, decisions and forms: relative POSIX path -> bytes, and a hash of them all."""

    files: dict[str, bytes]
    digest: str

    @classmethod
    def read(cls, folder: Path) -> FolderFiles:
        files: dict[str, bytes] = {}
        digest = hashlib.sha256()
        for path in sorted(folder.rglob("*")):
            if path.suffix in LIBRARY_SUFFIXES and path.is_file():
                name = path.relative_to(folder).as_posix()
                files[name] = path.read_bytes()
                digest.update(name.encode() + b"\0")
                digest.update(hashlib.sha256(files[name]).digest())
        return cls(files, digest.hexdigest())


@dataclass
class ResolvedSpec:
    """A flow as one municipality runs it: parsed specs plus every form and decision table they name."""

    municipality: str
    process_key: str
    hash: str
    spec: Any
    subprocess_specs: dict[str, Any]
    forms: dict[str, FormSpec]
    dmn: dict[str, str]
    lanes: dict[str, str]
    sources: dict[str, str]
    bpmn: dict[str, str] = field(default_factory=dict)
    """process id -> BPMN XML text, kept so any version's diagram can be drawn and diffed."""
    form_sources: dict[str, list[str | None]] = field(default_factory=dict)
    """form name -> [schema file, uischema file or None] as `<folder key>/<name>` (empty when read from a stored
    version): the parse cache keeps these instead of the texts."""
    dmn_sources: dict[str, str] = field(default_factory=dict)
    bpmn_sources: dict[str, str] = field(default_factory=dict)

    def to_record(self) -> dict[str, Any]:
        """The JSON stored once per hash in `spec_version`."""
        return {
            "spec": spiff.spec_to_dict(self.spec),
            "subprocess_specs": {k: spiff.spec_to_dict(v) for k, v in self.subprocess_specs.items()},
            "forms": {k: {"schema": f.schema, "uischema": f.uischema} for k, f in self.forms.items()},
            "dmn": self.dmn,
            "lanes": self.lanes,
            "sources": self.sources,
            "bpmn": self.bpmn,
        }

    @classmethod
    def from_record(
        cls, municipality: str, key: str, hash_: str, rec: dict[str, Any], *, owned: bool = False
    ) -> ResolvedSpec:
        """`owned`: the record was just decoded and nothing else holds it, so its specs need no defensive copy."""
        return cls(
            municipality=municipality,
            process_key=key,
            hash=hash_,
            spec=spiff.spec_from_dict(rec["spec"], copy=not owned),
            subprocess_specs={k: spiff.spec_from_dict(v, copy=not owned) for k, v in rec["subprocess_specs"].items()},
            forms={k: FormSpec(k, v["schema"], v.get("uischema") or {}) for k, v in rec["forms"].items()},
            dmn=rec.get("dmn", {}),
            lanes=rec.get("lanes", {}),
            sources=rec.get("sources", {}),
            bpmn=rec.get("bpmn", {}),
        )

    def all_specs(self) -> Iterable[Any]:
        yield self.spec
        yield from self.subprocess_specs.values()

    def user_task_specs(self) -> Iterable[Any]:
        for process_spec in self.all_specs():
            for task_spec in process_spec.task_specs.values():
                if isinstance(task_spec, spiff.UserTaskMixin):
                    yield task_spec

    @cached_property
    def allows_parallel(self) -> bool:
        """Whether the diagram lets a case run several instances of it at once (`allowParallel` on the process,
        e.g. monthly monitoring for different months); otherwise the runtime refuses a second copy."""
        return process_properties(self.bpmn.get(self.process_key, ""), self.process_key).get("allowParallel") == "true"

    @cached_property
    def has_timers(self) -> bool:
        """Whether any of its diagrams has a timer event: without one an instance never has timer rows to sync."""
        return any(
            isinstance(getattr(task_spec, "event_definition", None), spiff.TimerEventDefinition)
            for process_spec in self.all_specs()
            for task_spec in process_spec.task_specs.values()
        )


class Library:
    """The processes/ folder, read once; `reload()` after files change.

    `overlays` replaces a municipality's folder with another directory (a draft or a published version,
    materialised by engine/publishing/versions.py) while common/ and the other municipalities stay where they are.
    `cache` keeps parsed flows on disk by the content hash of the files they reach
    (engine/process_library/parsecache.py), so a new process does not parse an unchanged library again.
    """

    def __init__(
        self,
        root: Path,
        python_decisions: Iterable[str] = (),
        overlays: Mapping[str, Path] | None = None,
        cache: ParseCache | None = None,
    ) -> None:
        self.root = Path(root)
        self.python_decisions = frozenset(python_decisions)
        self.overlays = {key: Path(folder) for key, folder in (overlays or {}).items()}
        self.cache = cache or ParseCache(None)
        self._resolved: dict[tuple[str, str], ResolvedSpec] = {}
        self._municipalities: dict[str, Municipality] | None = None
        self._folders: dict[str, FolderFiles] = {}
        self._decoded: dict[tuple[str, str], Any] = {}
        self._by_content: dict[str, ResolvedSpec] = {}

    def reload(self) -> None:
        self._resolved.clear()
        self._municipalities = None
        self._folders.clear()
        self._decoded.clear()
        self._by_content.clear()

    # -- municipalities -------------------------------------------------------------------------

    def municipalities(self) -> dict[str, Municipality]:
        if self._municipalities is None:
            common_lanes = self._read_toml(self.root / COMMON / "lanes.toml").get("lanes", {})
            found = {}
            keys = {p.parent.name for p in self.root.glob("*/municipality.toml")} | set(self.overlays)
            for key in sorted(keys):
                toml_path = self.folder(key) / "municipality.toml"
                if not toml_path.is_file():
                    continue
                raw = self._read_toml(toml_path)
                params: dict[str, Any] = {}
                for section in ("deadlines", "switches"):
                    params.update(raw.get(section, {}))
                params["retention_years"] = raw.get("retention", {}).get("years", 5)
                params.setdefault("due_date_shift", "none")
                found[key] = Municipality(
                    key=key,
                    name=raw.get("name", key),
                    insurer=raw.get("insurer", ""),
                    source=raw.get("source", ""),
                    params=params,
                    lanes={**common_lanes, **raw.get("lanes", {})},
                    raw=raw,
                )
            self._municipalities = found
        return self._municipalities

    def municipality(self, key: str) -> Municipality:
        try:
            return self.municipalities()[key]
        except KeyError:
            raise NotFoundError(f"市町村「{key}」は登録されていません") from None

    # -- files and overlay ----------------------------------------------------------------------

    def folder(self, key: str) -> Path:
        """Where a municipality's (or common's) files are: its overlay if it has one, else under root."""
        return self.overlays.get(key, self.root / key)

    def relative(self, path: Path) -> str:
        """A path as `<folder key>/<file>`, the same whether it lies under root or in an overlay."""
        for key, folder in self.overlays.items():
            if path.is_relative_to(folder):
                return str(Path(key) / path.relative_to(folder))
        return str(path.relative_to(self.root))

    def find(self, municipality: str, relative: str) -> Path | None:
        """The municipality's file if it has one, else common's, else None."""
        for folder in (municipality, COMMON):
            candidate = self.folder(folder) / relative
            if candidate.is_file():
                return candidate
        return None

    def process_keys(self, municipality: str) -> list[str]:
        keys = {
            name.removesuffix(".bpmn")
            for folder in (municipality, COMMON)
            for name in self.files(folder).files
            if name.endswith(".bpmn") and "/" not in name
        }
        return sorted(keys)

    def flows(self, municipality: str) -> list[str]:
        """The flows a case may be opened with (the five of CONTRACT.md the municipality has)."""
        available = set(self.process_keys(municipality))
        return [key for key in FLOW_KEYS if key in available]

    def startable(self, municipality: str) -> list[str]:
        """Every flow staff may start in an open case: the five, then the case's life (plan change, service end …).

        A municipality leaves out a common flow its manual has no place for with `case_flows_not_used` (前橋: no
        center, so no change of delegation).
        """
        available = set(self.process_keys(municipality))
        unused = set(self.municipality(municipality).params.get("case_flows_not_used") or ())
        return [key for key in (*FLOW_KEYS, *CASE_FLOW_KEYS) if key in available and key not in unused]

    def overrides(self, municipality: str) -> list[str]:
        """The files a municipality changes, relative to its folder."""
        folder = self.folder(municipality)
        return sorted(
            str(p.relative_to(folder))
            for p in folder.rglob("*")
            if p.is_file() and p.suffix in (".bpmn", ".dmn", ".json")
        )

    def form(self, municipality: str, name: str) -> FormSpec:
        schema_at = self.located(municipality, f"forms/{name}.schema.json")
        if schema_at is None:
            raise NotFoundError(f"様式「{name}」が見つかりません")
        ui_at = self.located(municipality, f"forms/{name}.uischema.json")
        return FormSpec(name, self._decoded_json(schema_at), self._decoded_json(ui_at) if ui_at else {})

    # -- the files as read once -----------------------------------------------------------------

    def files(self, key: str) -> FolderFiles:
        """Every diagram, decision and form of a folder (its overlay if any), read once until `reload()`.

        Parsing, linting and the cache keys all use these bytes, so a file edited while a process runs cannot
        be parsed in one version and keyed in another.
        """
        if key not in self._folders:
            self._folders[key] = FolderFiles.read(self.folder(key))
        return self._folders[key]

    def located(self, municipality: str, name: str) -> tuple[str, str] | None:
        """(folder key, name) of the municipality's file if it has one, else common's, else None."""
        for folder in (municipality, COMMON):
            if name in self.files(folder).files:
                return folder, name
        return None

    def content(self, at: tuple[str, str]) -> bytes:
        folder, name = at
        return self.files(folder).files[name]

    def _decoded_json(self, at: tuple[str, str]) -> Any:
        """A form file's JSON, decoded once per library: the flows that show the same form share it (nothing
        changes a schema once loaded)."""
        if at not in self._decoded:
            self._decoded[at] = json.loads(self.content(at).decode("utf-8"))
        return self._decoded[at]

    # -- resolution -----------------------------------------------------------------------------

    def resolve(self, municipality: str, process_key: str) -> ResolvedSpec:
        """Parse the municipality's version of a flow, with its called processes, forms and decisions.

        Raises LibraryError listing every problem (file, element, Japanese message) when any file is broken.
        """
        cache_key = (municipality, process_key)
        if cache_key not in self._resolved:
            self._resolved[cache_key] = self._resolve_cached(municipality, process_key)
        return self._resolved[cache_key]

    def folder_digest(self, key: str) -> str:
        """A hash of every diagram, decision and form in a folder (its overlay if any), by relative path."""
        return self.files(key).digest

    def resolve_key(self, municipality: str, process_key: str) -> str:
        """The parse cache's key of a flow as this library holds it: the municipality's folder and common/ (every
        file, since which ones a flow reaches is only known after reading them), its lanes, the Python decisions."""
        return key_of(
            "resolve",
            municipality,
            process_key,
            self.folder_digest(municipality),
            self.folder_digest(COMMON),
            json.dumps(self.municipality(municipality).lanes, sort_keys=True, ensure_ascii=False),
            json.dumps(sorted(self.python_decisions)),
        )

    def _resolve_cached(self, municipality: str, process_key: str) -> ResolvedSpec:
        """`_resolve`, or its result from the parse cache, found in two steps.

        By folder (`resolve_key`): the files have not changed since a flow was parsed; the entry names the parsed
        content. By content: the files the flow reaches (its spec hash) were parsed before, for another
        municipality that resolves the flow to the same files, or before an edit to a file this flow does not
        reach. Only the second needs the files read again (with lxml, not Spiff), so each distinct content is
        parsed once.
        """
        by_folder = self.resolve_key(municipality, process_key)
        by_content = self.cache.get("resolve", by_folder)
        if isinstance(by_content, str) and (found := self._restore(municipality, process_key, by_content)):
            return found
        try:
            reached = self._gather(municipality, process_key, parser=None)
        except LibraryError:
            reached = None  # _resolve reports it, in the order a modeller expects
        if reached is not None:
            by_content = self._content_key(process_key, reached.hash)
            if found := self._restore(municipality, process_key, by_content):
                self.cache.put("resolve", by_folder, by_content)
                return found
        resolved = self._resolve(municipality, process_key)  # a LibraryError is not cached: it is re-reported
        by_content = self._content_key(process_key, resolved.hash)
        self.cache.put("parsed", by_content, self._entry(by_content, resolved))
        self.cache.put("resolve", by_folder, by_content)
        self._by_content[by_content] = resolved
        return resolved

    def _content_key(self, process_key: str, spec_hash: str) -> str:
        return key_of("parsed", process_key, spec_hash, json.dumps(sorted(self.python_decisions)))

    def _entry(self, key: str, resolved: ResolvedSpec) -> dict[str, Any]:
        """What the parse cache keeps of a flow: the parsed specs, and where its texts are (they are in the files,
        which the key covers, so they are not stored again)."""
        return {
            "key": key,
            "hash": resolved.hash,
            "spec": spiff.spec_to_dict(resolved.spec),
            "subprocess_specs": {k: spiff.spec_to_dict(v) for k, v in resolved.subprocess_specs.items()},
            "forms": resolved.form_sources,
            "dmn": resolved.dmn_sources,
            "bpmn": resolved.bpmn_sources,
            "lanes": resolved.lanes,
            "sources": resolved.sources,
        }

    def _restore(self, municipality: str, process_key: str, key: str) -> ResolvedSpec | None:
        """The flow from its parse cache entry; None when there is none or it does not restore.

        The entry is JSON read by Spiff's registry, which builds only the classes registered with it: a damaged or
        foreign entry can fail to restore, never run code, and failing is a miss.
        """
        if key in self._by_content:  # another municipality's flow of the same files: its specs, read-only, shared
            return replace(self._by_content[key], municipality=municipality)
        entry = self.cache.get("parsed", key)
        if not isinstance(entry, dict) or entry.get("key") != key:
            return None

        def read(rel: str | None) -> bytes:
            """A file the flow reached, only ever from the two folders a flow reads."""
            folder, name = _at(rel)
            if folder not in (municipality, COMMON):
                raise KeyError(rel)
            return self.content((folder, name))

        def decoded(rel: str | None) -> Any:
            read(rel)
            return self._decoded_json(_at(rel))

        try:
            restored = ResolvedSpec(
                municipality=municipality,
                process_key=process_key,
                hash=str(entry["hash"]),
                spec=spiff.spec_from_dict(entry["spec"], copy=False),
                subprocess_specs={k: spiff.spec_from_dict(v, copy=False) for k, v in entry["subprocess_specs"].items()},
                forms={
                    name: FormSpec(name, decoded(schema), decoded(ui) if ui else {})
                    for name, (schema, ui) in entry["forms"].items()
                },
                dmn={d: decoded_text(read(rel)) for d, rel in entry["dmn"].items()},
                lanes=dict(entry["lanes"]),
                sources=dict(entry["sources"]),
                bpmn={pid: read(rel).decode("utf-8") for pid, rel in entry["bpmn"].items()},
                form_sources=entry["forms"],
                dmn_sources=entry["dmn"],
                bpmn_sources=entry["bpmn"],
            )
        except Exception:  # whatever a damaged entry makes Spiff raise, it is only a miss
            return None
        self._by_content[key] = restored
        return restored

    def _resolve(self, municipality: str, process_key: str) -> ResolvedSpec:
        parser = spiff.KaigoflowParser(validator=spiff.VALIDATOR)
        reached = self._gather(municipality, process_key, parser)
        try:
            spec = parser.get_spec(process_key)
            subprocess_specs = parser.get_subprocess_specs(process_key)
        except spiff.ValidationException as exc:
            raise LibraryError(
                f"{self.municipality(municipality).name}の「{process_key}」を読み込めません",
                [_problem_from_spiff(process_key, exc)],
            ) from None
        return ResolvedSpec(
            municipality=municipality,
            process_key=process_key,
            hash=reached.hash,
            spec=spec,
            subprocess_specs=subprocess_specs,
            forms=reached.forms,
            dmn={d: decoded_text(self.content(_at(rel))) for d, rel in reached.dmn.items()},
            lanes=reached.lanes,
            sources=reached.digests,
            bpmn={Path(r).stem: c.decode("utf-8") for r, c in reached.sources.items() if r.endswith(".bpmn")},
            form_sources=reached.form_sources,
            dmn_sources=reached.dmn,
            bpmn_sources={Path(r).stem: r for r in reached.sources if r.endswith(".bpmn")},
        )

    def _gather(self, municipality: str, process_key: str, parser: Any) -> _Reached:
        """Every file a flow reaches (its diagram, the processes it calls, their forms and decisions) and its lanes;
        LibraryError listing every problem. With a parser, each diagram is also added to it (Spiff validates it);
        without one, only lxml reads them, to find which parsed content the flow is."""
        muni = self.municipality(municipality)
        problems: list[Problem] = []
        sources: dict[str, bytes] = {}
        roots: dict[str, Any] = {}
        pending = [process_key]
        while pending:
            pid = pending.pop()
            if pid in roots:
                continue
            at = self.located(municipality, f"{pid}.bpmn")
            if at is None:
                problems.append(Problem(f"{pid}.bpmn", f"プロセス「{pid}」が見つかりません", rule="missing-process"))
                continue
            rel = _rel(at)
            content = self.content(at)
            root, found = xmlsafe.parse(content, rel)
            problems.extend(found)
            if root is None:
                continue
            sources[rel] = content
            roots[pid] = root
            if parser is not None:
                try:
                    parser.add_bpmn_xml(root, filename=rel)
                except spiff.ValidationException as exc:
                    problems.append(_problem_from_spiff(rel, exc))
                    continue
            pending.extend(root.xpath("//bpmn:callActivity/@calledElement", namespaces=NS))
        if problems:
            raise LibraryError(f"{muni.name}の「{process_key}」を読み込めません", problems)

        forms: dict[str, FormSpec] = {}
        form_sources: dict[str, list[str | None]] = {}
        dmn: dict[str, str] = {}
        lanes: dict[str, str] = {}
        for pid, root in roots.items():
            rel = next(r for r in sources if Path(r).stem == pid)
            for task_id, name in _form_names(root):
                at = self.located(municipality, f"forms/{name}.schema.json")
                if at is None:
                    message = f"様式「{name}」がありません"
                    problems.append(Problem(rel, message, element=task_id, rule="missing-form"))
                    continue
                if name in forms:
                    continue
                try:
                    forms[name] = self.form(municipality, name)
                except (ValueError, RecursionError) as exc:
                    path = str(self.folder(at[0]) / at[1])
                    problems.append(Problem(path, f"様式のJSONが読めません: {exc}", rule="bad-form"))
                    continue
                sources[_rel(at)] = self.content(at)
                ui = self.located(municipality, f"forms/{name}.uischema.json")
                if ui is not None:
                    sources[_rel(ui)] = self.content(ui)
                form_sources[name] = [_rel(at), _rel(ui) if ui else None]
            for caller_id, decision_id in _decision_ids(root):
                at = self.located(municipality, f"decisions/{decision_id}.dmn")
                if at is not None:
                    dmn[decision_id] = _rel(at)
                    sources[_rel(at)] = self.content(at)
                elif decision_id not in self.python_decisions:
                    message = f"判定「{decision_id}」がDMNにもPythonにもありません"
                    problems.append(Problem(rel, message, element=caller_id, rule="missing-decision"))
            for lane_element in root.xpath("//bpmn:lane[@name]", namespaces=NS):
                lane = lane_element.get("name")
                role = muni.lanes.get(lane)
                if role not in ROLES:
                    message = f"レーン「{lane}」に役割が割り当てられていません(lanes.toml)"
                    problems.append(Problem(rel, message, element=lane_element.get("id"), rule="unmapped-lane"))
                else:
                    lanes[lane] = role
        if problems:
            raise LibraryError(f"{muni.name}の「{process_key}」を読み込めません", problems)
        return _Reached(sources, forms, form_sources, dmn, lanes)

    @staticmethod
    def _read_toml(path: Path) -> dict[str, Any]:
        if not path.is_file():
            return {}
        try:
            return safeload.load_toml(path.read_text(encoding="utf-8"))
        except safeload.LoadRefused as exc:
            problem = Problem(str(path), str(exc), rule="bad-toml")
            raise LibraryError(f"{path.name} を読み込めません", [problem]) from None


@dataclass
class _Reached:
    """What `Library._gather` found: the bytes of every file by `<folder key>/<name>`, the forms, where the forms
    and decision tables are, and the lanes' roles."""

    sources: dict[str, bytes]
    forms: dict[str, FormSpec]
    form_sources: dict[str, list[str | None]]
    dmn: dict[str, str]
    lanes: dict[str, str]

    @cached_property
    def digests(self) -> dict[str, str]:
        digests = {rel: hashlib.sha256(content).hexdigest() for rel, content in sorted(self.sources.items())}
        digests["lanes"] = hashlib.sha256(json.dumps(self.lanes, sort_keys=True).encode()).hexdigest()
        return digests

    @property
    def hash(self) -> str:
        """The spec version's identity: the files reached, by name and content, and the lanes."""
        return hashlib.sha256(json.dumps(self.digests, sort_keys=True).encode()).hexdigest()


def _rel(at: tuple[str, str]) -> str:
    """A file as `<folder key>/<name>`, as problems and spec versions name it."""
    return f"{at[0]}/{at[1]}"


def _at(rel: str | None) -> tuple[str, str]:
    folder, _, name = str(rel).partition("/")
    return folder, name


def decoded_text(content: bytes) -> str:
    """A file's text with universal newlines, as `Path.read_text` gives it."""
    return content.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")


def _form_names(root: Any) -> list[tuple[str, str]]:
    """(user task id, form name) for every user task that names a form."""
    found = []
    for prop in root.xpath("//bpmn:userTask//spiffworkflow:property[@name='formJsonSchemaFilename']", namespaces=NS):
        task = next(a for a in prop.iterancestors() if a.tag == f"{{{BPMN_NS}}}userTask")
        value = prop.get("value", "")
        found.append((task.get("id"), value.removesuffix(".schema.json").removesuffix(".json")))
    return found


def _decision_ids(root: Any) -> list[tuple[str | None, str]]:
    """(element id, decision id) for every element that calls a decision (no id: the element has none)."""
    found = []
    for called in root.xpath("//spiffworkflow:calledDecisionId", namespaces=NS):
        owner = next((a for a in called.iterancestors() if a.tag.startswith(f"{{{BPMN_NS}}}") and a.get("id")), None)
        found.append((owner.get("id") if owner is not None else None, (called.text or "").strip()))
    return found


def _problem_from_spiff(filename: str, exc: Exception) -> Problem:
    element = getattr(exc, "id", None) or getattr(exc, "name", None)
    line = getattr(exc, "line_number", None)
    file_name = getattr(exc, "file_name", None) or filename
    return Problem(file_name, f"BPMNとして不正です: {exc}", element=element, rule="bpmn-invalid", line=line)


def process_properties(bpmn_xml: str, process_id: str) -> dict[str, str]:
    """The `spiffworkflow:property` elements on a process element (not on its tasks)."""
    if not bpmn_xml:
        return {}
    root, problems = xmlsafe.parse(bpmn_xml.encode("utf-8"), f"{process_id}.bpmn")
    if root is None or problems:
        return {}
    found: dict[str, str] = {}
    for process in root.iter(f"{{{BPMN_NS}}}process"):
        if process.get("id") != process_id:
            continue
        for ext in process.findall(f"{{{BPMN_NS}}}extensionElements"):
            for prop in ext.iter(f"{{{SPIFF_NS}}}property"):
                found[prop.get("name") or ""] = prop.get("value") or ""
    return found
