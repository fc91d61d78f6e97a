"""A new municipality from the common flows: its folder, a municipality.toml with every parameter explained, a
README, a lint of what it resolves to, and a draft its process owner edits and publishes
(engine/publishing/versions.py).

The parameters and their explanations are processes/common/municipality.defaults.toml (the national defaults),
copied as they are; only the header (key, name, insurer) is written here. The new municipality runs the common
diagrams until its owner adds its own. 新規 (`new_case.bpmn`) has no common version (each manual's intake
differs, and the common 更新・区分変更 continue into it), so the folder starts with a copy of NEW_CASE_FROM's: the
one 新規 drawn only with common lanes, forms and decisions, which its owner then adapts.
"""

from __future__ import annotations

import re
import shutil
import tomllib

from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.errors import ValidationError
from engine.process_library import lint
from engine.process_library.loader import COMMON
from engine.process_library.loader import Library
from engine.publishing.versions import Versions
from engine.store.models import Event
from engine.store.models import ProcessDraft

DEFAULTS_FILE = "municipality.defaults.toml"
KEY_PATTERN = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
MAX_KEY_LENGTH = 40
RESERVED = frozenset({COMMON, "new"})
"""Folder names that are not municipalities (common/) or would clash with a page's address (/processes/new)."""
NEW_CASE_FROM = "oshu"
"""Whose new_case.bpmn a new municipality starts with (奥州市's uses only common lanes, forms and decisions)."""


def _quoted(text: str) -> str:
    """A TOML basic string (names come from people: quotes and backslashes must not end the string)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def municipality_toml(library: Library, key: str, name: str, insurer: str) -> str:
    text = (library.folder(COMMON) / DEFAULTS_FILE).read_text(encoding="utf-8")
    # The file's own opening comment is about the defaults file; the sections (from the first "[") are copied.
    defaults = text[text.index("\n[") + 1 :] if "\n[" in text else text
    header = (
        f"# {name}: `kaigoflow municipality new` で作成。パラメータはすべて全国標準の既定値"
        f"(common/{DEFAULTS_FILE})です。\n"
        "# マニュアルと違うところを直し、その根拠(マニュアルの行)をコメントに書いてください。\n"
        f"key = {_quoted(key)}\n"
        "# 市町村の名前(画面に表示されます)。\n"
        f"name = {_quoted(name)}\n"
        "# 保険者として画面に表示する名前(例: 〇〇市 介護保険課)。\n"
        f"insurer = {_quoted(insurer)}\n"
        "# この市町村のマニュアル(業務手順)のファイル名。行番号を引用するときの出典です。\n"
        'source = ""\n\n'
    )
    return header + defaults


def readme(key: str, name: str) -> str:
    return (
        f"# {name} (`{key}`): what it adds to or changes in the common flows\n\n"
        "Created by `kaigoflow municipality new`: every flow is the common one, `new_case.bpmn` (新規) is a copy\n"
        f"of `{NEW_CASE_FROM}`'s to adapt, and every parameter in `municipality.toml` is the national default. Add\n"
        "this municipality's own diagrams, forms and decisions as a draft (業務フローの管理), each change with the\n"
        "manual line it comes from, then publish.\n"
    )


def check_new(library: Library, key: str, name: str) -> dict[str, str]:
    problems = {}
    if not KEY_PATTERN.fullmatch(key) or len(key) > MAX_KEY_LENGTH:
        problems["key"] = "キーは半角英小文字・数字とハイフンで、英字から始めてください(例: kitakami)"
    elif key in RESERVED or key in library.municipalities() or (library.root / key).exists():
        problems["key"] = f"「{key}」はすでにあります"
    if not name.strip():
        problems["name"] = "必須です"
    elif len(name) > 100:
        problems["name"] = "100文字以内にしてください"
    return problems


def create(
    session: Session,
    versions: Versions,
    key: str,
    name: str,
    by: str,
    clock: Clock,
    *,
    insurer: str = "",
    actor_id: int | None = None,
) -> tuple[ProcessDraft, lint.LintReport]:
    """Write the folder, lint it, open the draft; on any problem nothing is left behind (ValidationError)."""
    library = versions.base
    key, name = key.strip(), name.strip()
    problems = check_new(library, key, name)
    if problems:
        raise ValidationError("市町村を作成できません", details=problems)
    folder = library.root / key
    text = municipality_toml(library, key, name, insurer.strip() or name)
    tomllib.loads(text)  # a broken defaults file must fail here, not in the new folder
    folder.mkdir()
    try:
        (folder / "municipality.toml").write_text(text, encoding="utf-8")
        (folder / "README.md").write_text(readme(key, name), encoding="utf-8")
        new_case = library.folder(NEW_CASE_FROM) / "new_case.bpmn"
        if new_case.is_file():
            (folder / "new_case.bpmn").write_bytes(new_case.read_bytes())
        library.reload()
        report = lint.lint_library(library, [key])
        if not report.ok:
            raise ValidationError(
                "作成した市町村の検査で問題が見つかりました", details={str(p.file): p.message for p in report.problems}
            )
        session.add(
            Event(
                at=clock.now(),
                actor_id=actor_id,
                kind="municipality_created",
                detail={"municipality": key, "name": name, "by": by},
            )
        )
        session.commit()
        draft = versions.open_draft(session, key, by, clock)
    except BaseException:
        session.rollback()
        shutil.rmtree(folder, ignore_errors=True)
        library.reload()
        raise
    return draft, report
