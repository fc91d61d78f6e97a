"""Run hostile code in a child process and report how it ended: the tests' guard against a regression that hangs.

`probe(source)` runs `source` (which defines `attempt()`, returning what the test wants to see) in a fresh Python
with tracemalloc on, and returns {"result": ..., "error": ..., "peak_mb": ...}; a child that runs past the timeout
is killed and the probe says so, so the suite fails instead of hanging.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_SECONDS = 60
"""Far above what a bounded evaluation needs (milliseconds); only a regression gets near it."""

RUNNER = """
import json, sys, tracemalloc
{source}
tracemalloc.start()
try:
    outcome = {{"result": attempt(), "error": None}}
except Exception as exc:
    outcome = {{"result": None, "error": f"{{type(exc).__name__}}: {{exc}}"}}
outcome["peak_mb"] = tracemalloc.get_traced_memory()[1] / 1024 / 1024
print("PROBE " + json.dumps(outcome, ensure_ascii=False, default=str))
"""


def probe(source: str) -> dict[str, object]:
    code = RUNNER.format(source=textwrap.dedent(source))
    try:
        done = subprocess.run(
            [sys.executable, "-"], input=code, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT_SECONDS
        )
    except subprocess.TimeoutExpired:
        return {"result": None, "error": f"timeout after {TIMEOUT_SECONDS} s", "peak_mb": None}
    lines = [line for line in done.stdout.splitlines() if line.startswith("PROBE ")]
    assert lines, done.stderr[-2000:]
    return json.loads(lines[-1].removeprefix("PROBE "))  # type: ignore[no-any-return]
