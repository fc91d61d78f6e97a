"""Parse and lint results kept on disk, keyed by the content hash of what they were computed from.

Parsing the library's diagrams and checking its form schemas against the JSON Schema meta-schema cost seconds per
process start (bench/engine_bench.py (c)); the files rarely change between starts. The kinds of entry:

- `lint`: the problems of one file (by its bytes), of the glossary check, and of one flow (by its `resolve` key and
  the municipality's settings), so linting an unchanged library restores no spec;
- `resolve`: a flow as a library holds it (the folders' digests) -> the `parsed` key of the content it reaches;
- `parsed`: the specs of a flow by the files it reaches (its spec hash), shared by every municipality that resolves
  the flow to the same files and kept across edits to files the flow does not reach.

A result is stored as JSON under `<directory>/<kind>/<key>.json`, written atomically, so several processes may share
one directory. Never pickle: unpickling runs whatever the file names, and JSON restored through Spiff's registry
builds only the spec classes registered with it, so a file planted in the directory can at worst be a wrong cache
entry, never code. The key covers the inputs' bytes and the code that turns them into the result
(`code_fingerprint`), so an edit to a file, a lint rule or a library upgrade simply misses the cache. A missing,
unreadable, corrupt or foreign entry is a miss, never an error.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

FORMAT = 1
"""Bumped when the stored shape of an entry changes."""

_CODE = (
    "process_library/loader.py",
    "process_library/lint.py",
    "process_library/conventions.py",
    "process_library/forms.py",
    "cases/facts.py",
    "process_library/spiff.py",
    "process_library/xmlsafe.py",
    "scheduling/deadlines.py",
    "process_library/sandbox.py",
    "process_library/parsecache.py",
)
"""The engine modules (paths below engine/) whose code decides what a parse or a lint check returns."""
_PACKAGES = ("SpiffWorkflow", "jsonschema", "lxml")


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of the code that produces cached results: any change to it invalidates every entry."""
    digest = hashlib.sha256(f"format {FORMAT}".encode())
    here = Path(__file__).resolve().parent.parent  # engine/: _CODE names paths below it
    for name in _CODE:
        digest.update(name.encode())
        digest.update((here / name).read_bytes())
    for package in _PACKAGES:
        digest.update(f"{package}=={version(package)}".encode())
    return digest.hexdigest()


def key_of(*parts: str | bytes) -> str:
    """The entry key of these inputs (with the code fingerprint): sha256 over length-prefixed parts."""
    digest = hashlib.sha256(code_fingerprint().encode())
    for part in parts:
        raw = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(raw).to_bytes(8, "big"))
        digest.update(raw)
    return digest.hexdigest()


class ParseCache:
    """JSON entries under a directory; `ParseCache(None)` stores nothing (every lookup misses)."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = Path(directory) if directory is not None else None

    def get(self, kind: str, key: str) -> Any | None:
        if self.directory is None:
            return None
        try:
            return json.loads((self.directory / kind / f"{key}.json").read_bytes())
        except (OSError, ValueError):
            return None  # absent, or half-written by a crashed older version: recompute

    def put(self, kind: str, key: str, value: Any) -> None:
        if self.directory is None:
            return
        folder = self.directory / kind
        try:
            folder.mkdir(parents=True, exist_ok=True)
            handle, staging = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=folder)
            with os.fdopen(handle, "wb") as out:
                out.write(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
            os.replace(staging, folder / f"{key}.json")  # atomic: readers see the old entry, the new, or none
        except OSError:
            return  # a read-only or full disk costs speed, not correctness
