"""What the benchmarks share: where the databases come from, percentiles, the machine they ran on.

Each benchmark runs on a SQLite file under bench/out/ and, when one is reachable, on a throw-away PostgreSQL
database (KAIGOFLOW_TEST_POSTGRES_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/postgres) that is
dropped afterwards. `--database-url` replaces both with the databases named.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from datetime import datetime
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy import text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

POSTGRES_SERVER = os.environ.get("KAIGOFLOW_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def log(message: str) -> None:
    print(message, flush=True)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1) of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def p50_p95(values: list[float]) -> str:
    return f"p50 {statistics.median(values):7.1f} ms   p95 {percentile(values, 0.95):7.1f} ms"


def backend(url: str) -> str:
    return make_url(url).get_backend_name()


def sqlite_url(name: str) -> str:
    """A fresh SQLite file under bench/out/ (any previous one and its WAL removed)."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def postgres_database(prefix: str) -> str | None:
    """A new, empty database on the PostgreSQL server; None (and a line saying why) when it is unreachable."""
    try:
        admin = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    except Exception as exc:  # unreachable: say so and go on with SQLite only
        log(f"PostgreSQL: skipped ({type(exc).__name__}: {exc})")
        return None
    return make_url(POSTGRES_SERVER).set(database=name).render_as_string(hide_password=False)


def drop_postgres(url: str) -> None:
    name = make_url(url).database
    admin = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@contextmanager
def databases(urls: list[str], name: str, keep: bool = False, sqlite: bool = True) -> Iterator[list[str]]:
    """The databases a benchmark runs on: the given URLs, or a SQLite file (unless `sqlite` is false) plus a
    throw-away PostgreSQL database when one is reachable."""
    throwaway: list[str] = []
    if urls:
        chosen = list(urls)
    else:
        chosen = [sqlite_url(name)] if sqlite else []
        pg = postgres_database(f"kaigoflow_{name}")
        if pg:
            chosen.append(pg)
            throwaway.append(pg)
    try:
        yield chosen
    finally:
        if not keep:
            for url in throwaway:
                drop_postgres(url)


def machine() -> str:
    """One line on what the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        meminfo = Path("/proc/meminfo").read_text().splitlines()
        mem_kb = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal"))
        memory = f"{mem_kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration):
        memory = "?"
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {cpu}, {os.cpu_count()} CPUs, {memory} RAM; "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def rss_mib() -> float:
    """Resident memory of this process now (Linux /proc), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")
