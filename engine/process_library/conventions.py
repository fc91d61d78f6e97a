"""The product's own conventions for a library, as lint rules: sources, glossary, DMN labels, form shape.

These were pytest checks over processes/, so a version published from the modeler (it lives in the database, where
CI never looks) skipped them. engine/process_library/lint.py calls each function here, for files on disk and drafts
alike, so the command line, the modeler's save and publishing all hold a library to them.

- `source-citation`: every user task, decision task and call activity says where its rule comes from in its
  documentation: a manual line (`003_ac00e42d951987eb.txt:605`), or 全国標準 / DOMAIN.md where the manual is silent.
- `glossary`: every process, step and decision id is named in processes/GLOSSARY.md (or, for a municipality's own
  steps, in its README, which the process owner edits with the draft), so a reader can look any id up.
- `dmn-convention`: one decision per table, named after its file; hit policy UNIQUE or FIRST; inputs and outputs
  with Japanese labels; each rule described in Japanese with the manual line it rests on.
- `form-convention`: draft 2020-12 objects; fields named in snake_case; choices as `oneOf` of `{const, title}` (a
  label each), not `enum`; dates are strings; nested objects close their keys.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lxml import etree

from engine.errors import Problem
from engine.process_library.loader import NS
from engine.process_library.loader import Library

CITATION = re.compile(r"\d{3}_[0-9a-f]{16}\.txt:\d+|全国標準|DOMAIN\.md")
"""A manual line (`<seed file>:<line>`), or the national default where a manual is silent."""

CITED_KINDS = ("userTask", "businessRuleTask", "callActivity")
GLOSSARY_KINDS = ("process", *CITED_KINDS)
GLOSSARY = "GLOSSARY.md"

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
DMN_SEED_LINE = re.compile(r"\d{3}(_[0-9a-f]+\.txt)?:\d+")
DMN_NS = {"dmn": "https://www.omg.org/spec/DMN/20191111/MODEL/"}
HIT_POLICIES = ("UNIQUE", "FIRST")
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
FIELD_NAME = re.compile(r"[a-z][a-z0-9_]*")


# -- source citations ------------------------------------------------------------------------------


def check_citations(root: Any, filename: str) -> list[Problem]:
    """Each step and decision of a diagram cites its source in its documentation."""
    problems = []
    for kind in CITED_KINDS:
        for element in root.xpath(f"//bpmn:{kind}", namespaces=NS):
            text = element.xpath("string(bpmn:documentation)", namespaces=NS)
            if not CITATION.search(text):
                message = (
                    "説明(documentation)に出典がありません(資料の行「003_….txt:605」、または 全国標準 / DOMAIN.md)"
                )
                problems.append(Problem(filename, message, element=element.get("id"), rule="source-citation"))
    return problems


# -- glossary coverage -----------------------------------------------------------------------------


def check_glossary(library: Library, folders: Iterable[str]) -> list[Problem]:
    """Every process, step and decision id of the folders is named (in backquotes) in the glossary.

    The glossary is `GLOSSARY.md` at the library's root; a municipality's README*.md counts too for its own
    folder, so a process owner documents a new step in the draft itself. A library without a glossary (a test
    fixture, a folder linted on its own) has nothing to check against.
    """
    glossary_path = library.root / GLOSSARY
    if not glossary_path.is_file():
        return []
    common_text = glossary_path.read_text(encoding="utf-8")
    problems = []
    for folder in folders:
        text = common_text + "".join(p.read_text(encoding="utf-8") for p in _readmes(library, folder))
        for rel, identifier in _defined_ids(library, folder):
            if f"`{identifier}`" not in text:
                message = f"「{identifier}」が用語集(processes/GLOSSARY.md、または市町村の README)にありません"
                problems.append(Problem(rel, message, element=identifier, rule="glossary"))
    if library.python_decisions:
        for name in sorted(library.python_decisions):
            if f"`{name}`" not in common_text:
                message = f"Pythonの判定「{name}」が用語集(processes/GLOSSARY.md)にありません"
                problems.append(Problem(GLOSSARY, message, element=name, rule="glossary"))
    return problems


def glossary_inputs(library: Library, folders: Iterable[str]) -> tuple[str | bytes, ...]:
    """Everything `check_glossary` reads, for the parse cache's key: the glossary, each folder's READMEs and
    files, and the Python decisions."""
    glossary_path = library.root / GLOSSARY
    parts: list[str | bytes] = [glossary_path.read_bytes() if glossary_path.is_file() else "(none)"]
    for folder in folders:
        readmes = _readmes(library, folder)
        parts += [folder, library.folder_digest(folder), str(len(readmes))]
        for readme in readmes:
            parts += [readme.name, readme.read_bytes()]
    return (*parts, "\0".join(sorted(library.python_decisions)))


def _readmes(library: Library, folder: str) -> list[Path]:
    return sorted(library.folder(folder).glob("README*.md"))


def _defined_ids(library: Library, folder: str) -> Iterator[tuple[str, str]]:
    files = library.files(folder).files
    for name in sorted(n for n in files if n.endswith(".bpmn") and "/" not in n):
        try:
            root = etree.fromstring(files[name], etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError:
            continue  # lint reports the file itself
        for kind in GLOSSARY_KINDS:
            for element in root.iter(f"{{{NS['bpmn']}}}{kind}"):
                if element.get("id"):
                    yield f"{folder}/{name}", str(element.get("id"))
    for name in sorted(n for n in files if n.startswith("decisions/") and n.endswith(".dmn") and n.count("/") == 1):
        yield f"{folder}/{name}", name.removeprefix("decisions/").removesuffix(".dmn")


# -- decision tables -------------------------------------------------------------------------------


def check_decision_table(root: Any, filename: str) -> list[Problem]:
    """The shape and the Japanese of a DMN table (decisions/README.md)."""
    stem = Path(filename).stem
    decisions = root.xpath("/dmn:definitions/dmn:decision", namespaces=DMN_NS)
    if len(decisions) != 1 or decisions[0].get("id") != stem:
        message = f"判定表のファイルには、ファイル名と同じID「{stem}」の判定を1つだけ書いてください"
        return [Problem(filename, message, element=stem, rule="dmn-convention")]
    tables = decisions[0].xpath("dmn:decisionTable", namespaces=DMN_NS)
    if len(tables) != 1:
        return [
            Problem(
                filename, "判定には判定表(decisionTable)を1つだけ書いてください", element=stem, rule="dmn-convention"
            )
        ]
    table = tables[0]
    problems = []
    if table.get("hitPolicy", "UNIQUE") not in HIT_POLICIES:
        message = f"判定表のヒットポリシーは {' / '.join(HIT_POLICIES)} にしてください"
        problems.append(Problem(filename, message, element=table.get("id") or stem, rule="dmn-convention"))
    for kind, word in (("input", "入力"), ("output", "出力")):
        for clause in table.xpath(f"dmn:{kind}", namespaces=DMN_NS):
            if not JAPANESE.search(clause.get("label", "")):
                message = f"判定表の{word}に日本語の見出し(label)がありません"
                problems.append(Problem(filename, message, element=clause.get("id") or stem, rule="dmn-convention"))
    for rule in table.xpath("dmn:rule", namespaces=DMN_NS):
        text = "".join(rule.xpath("dmn:description/text()", namespaces=DMN_NS))
        if not (JAPANESE.search(text) and DMN_SEED_LINE.search(text)):
            message = "判定表の各行には、日本語の説明と根拠となる資料の行(例: 003:610)を書いてください"
            problems.append(Problem(filename, message, element=rule.get("id") or stem, rule="dmn-convention"))
    return problems


# -- forms -----------------------------------------------------------------------------------------


def check_form_conventions(schema: dict[str, Any], filename: str) -> list[Problem]:
    """The shape every form of the library shares, so the web renders it and the engine reads it alike."""
    problems = []

    def add(message: str, element: str | None = None) -> None:
        problems.append(Problem(filename, message, element=element, rule="form-convention"))

    if schema.get("$schema") != DRAFT_2020_12:
        add(f"様式の $schema は {DRAFT_2020_12} にしてください")
    if schema.get("type") != "object":
        add("様式は type: object にしてください")
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        add("様式に項目(properties)がありません")
        return problems
    for name in set(schema.get("required") or []) - set(properties):
        add(f"必須項目「{name}」が properties にありません", name)
    for name in properties:
        if not FIELD_NAME.fullmatch(name):
            add("項目名は英小文字・数字・_ で、英小文字から始めてください", name)
    for name, prop in _properties_deep(properties):
        inner: dict[str, Any] = prop["items"] if isinstance(prop.get("items"), dict) else prop
        if inner.get("type") == "object":
            if inner.get("additionalProperties") is not False:
                add("入れ子の項目には additionalProperties: false を書いてください", name)
            for missing in set(inner.get("required") or []) - set(inner.get("properties") or {}):
                add(f"必須項目「{missing}」が properties にありません", name)
        if "enum" in prop or "enum" in inner:
            add("選択肢は enum ではなく oneOf の [{const, title}] で、日本語の表示名を付けて書いてください", name)
        for option in (prop.get("oneOf") or []) + ((inner.get("oneOf") or []) if inner is not prop else []):
            if isinstance(option, dict) and "const" in option and not option.get("title"):
                add(f"選択肢「{option['const']}」に表示名(title)がありません", name)
        if prop.get("format") == "date" and "string" not in _types(prop):
            add("日付(format: date)の項目は type: string にしてください", name)
    return problems


def _types(prop: dict[str, Any]) -> list[str]:
    kind = prop.get("type")
    return [kind] if isinstance(kind, str) else list(kind or [])


def _properties_deep(properties: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every field with its dotted name, nested objects and arrays of objects included."""
    for name, prop in properties.items():
        if not isinstance(prop, dict):
            continue
        yield prefix + name, prop
        inner: dict[str, Any] = prop["items"] if isinstance(prop.get("items"), dict) else prop
        if isinstance(inner.get("properties"), dict):
            yield from _properties_deep(inner["properties"], f"{prefix}{name}.")
