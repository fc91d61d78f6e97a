"""Compiled page templates kept for the life of the process, shared by every app made in it.

One app compiles each template the first time it renders it. A process that makes many apps (the test suite makes
one per test; a command that builds one next to a running server) would compile every template again for each:
Jinja's bytecode cache lets them share the compiled code. Entries are checked against the template's source, so an
edited template is compiled afresh.
"""

from __future__ import annotations

from jinja2 import BytecodeCache
from jinja2.bccache import Bucket


class ProcessBytecodeCache(BytecodeCache):
    """Jinja's bytecode, in memory, keyed by template name and checked by source checksum (Jinja's Bucket)."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()

    def clear(self) -> None:
        self._code.clear()


COMPILED_TEMPLATES = ProcessBytecodeCache()
