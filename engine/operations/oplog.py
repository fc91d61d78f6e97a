"""Operations log: one JSON line per web request and per worker job, for a log collector (stderr by default).

A line says who (the user's id, never a name), what (the route's rule such as `/cases/<int:case_id>`, or the job's
kind), the status and how long it took. No names, insured numbers, query strings or form data are written: the
route's rule has no values in it, and nothing else of the request is read.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC
from datetime import datetime
from typing import Any

REQUEST_LOGGER = "kaigoflow.request"
JOB_LOGGER = "kaigoflow.job"


class JsonLines(logging.Formatter):
    """Each record's `fields` (a dict) as one JSON object per line, with the time and the logger's name."""

    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", None) or {"message": record.getMessage()}
        line = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "log": record.name,
        }
        line.update(fields)
        return json.dumps(line, ensure_ascii=False, separators=(",", ":"), default=str)


class _Stderr(logging.Handler):
    """Writes to whatever sys.stderr is at the moment (a server's redirection, or a test's capture)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
        except Exception:  # a log line must never break a request or a job
            self.handleError(record)


def configure() -> None:
    """Send both loggers' lines to stderr, once per process (the web app and the worker call this)."""
    for name in (REQUEST_LOGGER, JOB_LOGGER):
        logger = logging.getLogger(name)
        if any(isinstance(h, _Stderr) for h in logger.handlers):
            continue
        handler = _Stderr()
        handler.setFormatter(JsonLines())
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def request_line(user: int | None, method: str, route: str, status: int, ms: float) -> None:
    logging.getLogger(REQUEST_LOGGER).info(
        "request",
        extra={
            "fields": {
                "kind": "request",
                "user": user,
                "method": method,
                "route": route,
                "status": status,
                "ms": round(ms, 1),
            }
        },
    )


def job_line(worker: str, job: str, status: str, ms: float, **extra: Any) -> None:
    """One worker job: `job` is the timer's kind (bpmn, duty, check), `status` ok or failed; ids only in extra."""
    logging.getLogger(JOB_LOGGER).info(
        "job",
        extra={"fields": {"kind": "job", "worker": worker, "job": job, "status": status, "ms": round(ms, 1), **extra}},
    )
