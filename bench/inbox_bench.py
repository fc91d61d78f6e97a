"""Inbox benchmark: 100,000 cases and about 1,000,000 task rows; prints inbox response times. Asserts nothing.

The rows are bulk-inserted straight into the tables (the inbox reads only the task table and, for the rows on
the page, the case table), spread over the municipalities of processes/ like a real region: per municipality
4 地域包括支援センター, 12 居宅介護支援事業所, an insurer and 6 providers; one large center holds about 5% of all
cases. Each case has about 10 task rows: mostly completed history, a few cancelled, and 1–2 ready ones (40% of
those claimed), due from 30 days ago to 60 days ahead.

Requests go through the Flask test client, signed in as a staff member of the large center (the worst inbox)
and of a typical office: the inbox with no filter, overdue only, this week, page 5, and GET /api/tasks.
p50/p95 per request kind, then the query plans of the two inbox queries.

Usage: .venv/bin/python bench/inbox_bench.py [--cases N] [--requests N] [--database-url URL ...]
Without --database-url: a SQLite file under bench/out/ and, when reachable, a throw-away PostgreSQL database
(KAIGOFLOW_TEST_POSTGRES_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import time
import uuid
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.engine import make_url
from werkzeug.security import generate_password_hash

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.clock import FixedClock  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.db import make_engine  # noqa: E402
from engine.db import upgrade  # noqa: E402
from engine.library import Library  # noqa: E402
from engine.models import Case  # noqa: E402
from engine.models import Organisation  # noqa: E402
from engine.models import ProcessInstance  # noqa: E402
from engine.models import SpecVersion  # noqa: E402
from engine.models import Task  # noqa: E402
from engine.models import User  # noqa: E402
from engine.services import Services  # noqa: E402

TODAY = date(2026, 5, 15)
NOW = datetime(2026, 5, 15, 1, 0, tzinfo=UTC)
PASSWORD = "bench-password"
POSTGRES_SERVER = os.environ.get("KAIGOFLOW_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
STEPS = [
    ("intake", "相談受付・利用申込", "center"),
    ("contract", "契約・重要事項説明・個人情報同意", "planner"),
    ("assessment", "アセスメント(居宅訪問・面接)", "planner"),
    ("plan_draft", "ケアプラン原案作成", "planner"),
    ("plan_review", "原案の確認・包括意見", "center"),
    ("service_meeting", "サービス担当者会議", "planner"),
    ("plan_consent", "説明・同意・署名", "planner"),
    ("plan_delivery", "ケアプランの交付", "planner"),
    ("monitoring", "モニタリング", "planner"),
    ("results_submission", "利用票・実績・請求明細の提出", "planner"),
]
FLOWS = ["new_case", "new_case", "plan_period", "monthly_monitoring", "monthly_monitoring", "renewal"]
CHUNK = 20_000


def _log(message: str) -> None:
    print(message, flush=True)


def _organisations(conn, municipalities: list[str]) -> dict[str, dict[str, list[int]]]:
    by_muni: dict[str, dict[str, list[int]]] = {}
    counts = {"center": 4, "office": 12, "insurer": 1, "provider": 6}
    rows = []
    for muni in municipalities:
        for role, n in counts.items():
            for index in range(1, n + 1):
                rows.append(
                    {
                        "municipality": muni,
                        "role": role,
                        "name": f"{muni} {role} {index}",
                        "code": f"{muni}-{role}-{index}",
                    }
                )
    conn.execute(insert(Organisation), rows)
    for org_id, muni, role in conn.execute(select(Organisation.id, Organisation.municipality, Organisation.role)):
        by_muni.setdefault(muni, {}).setdefault(role, []).append(org_id)
    return by_muni


def _users(conn, orgs: dict[str, dict[str, list[int]]]) -> dict[int, list[int]]:
    password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    rows = []
    for roles in orgs.values():
        for org_ids in roles.values():
            for org_id in org_ids:
                for index in (1, 2, 3):
                    rows.append(
                        {
                            "login": f"bench-{org_id}-{index}",
                            "display_name": f"職員{index}",
                            "password_hash": password_hash,
                            "organisation_id": org_id,
                            "is_process_owner": False,
                            "is_admin": False,
                            "active": True,
                            "failed_logins": 0,
                        }
                    )
    conn.execute(insert(User), rows)
    users: dict[int, list[int]] = {}
    for user_id, org_id in conn.execute(select(User.id, User.organisation_id)):
        users.setdefault(org_id, []).append(user_id)
    return users


def populate(url: str, n_cases: int, municipalities: list[str], seed: int = 7) -> dict[str, int]:
    """Fill an empty database; return the organisation ids the requests sign in as."""
    rng = random.Random(seed)
    engine = make_engine(url)
    started = time.perf_counter()
    with engine.begin() as conn:
        orgs = _organisations(conn, municipalities)
        users = _users(conn, orgs)
        conn.execute(
            insert(SpecVersion),
            [
                {
                    "hash": "0" * 64,
                    "municipality": municipalities[0],
                    "process_key": "new_case",
                    "record": {},
                    "created_at": NOW,
                }
            ],
        )
    big_center = orgs[municipalities[0]]["center"][0]
    typical_office = orgs[municipalities[-1]]["office"][5]
    total_tasks = 0
    next_case = 1
    while next_case <= n_cases:
        last = min(n_cases, next_case + CHUNK - 1)
        cases, instances, tasks = [], [], []
        for case_id in range(next_case, last + 1):
            muni = municipalities[case_id % len(municipalities)]
            roles = orgs[muni]
            center = big_center if rng.random() < 0.05 else rng.choice(roles["center"])
            delegated = rng.random() < 0.6
            office = rng.choice(roles["office"]) if delegated or rng.random() < 0.3 else None
            cases.append(
                {
                    "id": case_id,
                    "municipality": muni,
                    "insured_number": f"{case_id:010d}",
                    "client_name": f"利用者 {case_id}",
                    "care_level": rng.choice(["shien1", "shien2", "kaigo1", "kaigo2", "kaigo3"]),
                    "delegated": delegated,
                    "center_org_id": center,
                    "office_org_id": office,
                    "insurer_org_id": roles["insurer"][0],
                    "provider_org_id": rng.choice(roles["provider"]),
                    "status": "open",
                    "data": {},
                    "created_at": NOW,
                    "version": 1,
                }
            )
            instances.append(
                {
                    "id": case_id,
                    "case_id": case_id,
                    "process_key": "new_case",
                    "spec_hash": "0" * 64,
                    "status": "running",
                    "state": {},
                    "version": 1,
                    "started_at": NOW,
                }
            )
            history = rng.randint(6, 12)
            ready = 1 if rng.random() < 0.7 else 2
            for index in range(history + ready):
                step, name, lane = STEPS[index % len(STEPS)]
                role = "center" if lane == "center" or not delegated or office is None else "office"
                org = center if role == "center" else office
                is_ready = index >= history
                state = "ready" if is_ready else ("cancelled" if rng.random() < 0.05 else "completed")
                due = (
                    TODAY + timedelta(days=rng.randint(-30, 60))
                    if is_ready
                    else TODAY - timedelta(days=rng.randint(31, 700))
                )
                claimed = rng.choice(users[org]) if is_ready and rng.random() < 0.4 else None
                done_by = rng.choice(users[org]) if state == "completed" else None
                tasks.append(
                    {
                        "id": str(uuid.UUID(int=rng.getrandbits(128))),
                        "instance_id": case_id,
                        "case_id": case_id,
                        "municipality": muni,
                        "process_key": rng.choice(FLOWS),
                        "bpmn_id": step,
                        "name": name,
                        "lane": None,
                        "role": role,
                        "organisation_id": org,
                        "form": step,
                        "state": state,
                        "due_date": due if rng.random() < 0.95 else None,
                        "ready_at": NOW - timedelta(days=rng.randint(0, 60)),
                        "claimed_by_id": claimed,
                        "claimed_at": NOW if claimed else None,
                        "completed_by_id": done_by,
                        "completed_at": NOW - timedelta(days=31) if done_by else None,
                    }
                )
        with engine.begin() as conn:
            conn.execute(insert(Case), cases)
            conn.execute(insert(ProcessInstance), instances)
            conn.execute(insert(Task), tasks)
        total_tasks += len(tasks)
        next_case = last + 1
        _log(f"  {last:>7} cases, {total_tasks:>8} task rows ({time.perf_counter() - started:.0f} s)")
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            for table in ("care_case", "process_instance"):
                sequence = f"pg_get_serial_sequence('{table}', 'id')"
                conn.execute(text(f"SELECT setval({sequence}, (SELECT max(id) FROM {table}))"))
        if engine.dialect.name == "sqlite":
            conn.execute(text("ANALYZE"))
        ready_big = conn.scalar(
            select(text("count(*)")).select_from(Task).where(Task.organisation_id == big_center, Task.state == "ready")
        )
        ready_office = conn.scalar(
            select(text("count(*)"))
            .select_from(Task)
            .where(Task.organisation_id == typical_office, Task.state == "ready")
        )
    if engine.dialect.name == "postgresql":
        # What autovacuum would have done by the time anyone signs in: statistics and the visibility map.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    elapsed = time.perf_counter() - started
    _log(f"  loaded in {elapsed:.0f} s; ready tasks: large center {ready_big}, office {ready_office}")
    return {"large center": big_center, "typical office": typical_office}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(url: str, who: dict[str, int], requests: int) -> None:
    from web import create_app

    settings = Settings(database_url=url, processes_dir=ROOT / "processes", secret_key="bench")
    services = Services(settings, {}, {})
    app = create_app(services=services, config={"TESTING": True, "WTF_CSRF_ENABLED": False}, clock=FixedClock(TODAY))
    kinds = {
        "inbox": "/",
        "inbox overdue": "/?due=overdue",
        "inbox this week": "/?due=week",
        "inbox page 5": "/?page=5",
        "inbox step filter": "/?step=assessment",
        "api tasks": "/api/tasks",
    }
    for label, org_id in who.items():
        client = app.test_client()
        login = f"bench-{org_id}-1"
        response = client.post("/login", data={"login": login, "password": PASSWORD})
        assert response.status_code == 302, "sign-in failed"
        page = client.get("/").get_data(as_text=True)
        counts = re.findall(r'data-count="(\d+)"', page)
        _log(f"  {label} ({login}): mine {counts[0]}, unclaimed {counts[1]}")
        for kind, path in kinds.items():
            for _ in range(3):
                client.get(path)  # warm caches (library parse, statement cache)
            timings = []
            for _ in range(requests):
                start = time.perf_counter()
                response = client.get(path)
                timings.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200
            _log(
                f"    {kind:<18} p50 {statistics.median(timings):7.1f} ms   p95 {_percentile(timings, 0.95):7.1f} ms"
                f"   ({requests} requests)"
            )
    _plans(app, who)
    from web.extensions import db

    with app.app_context():
        db.engine.dispose()
    services.engine.dispose()


def _plans(app, who: dict[str, int]) -> None:
    from flask import g

    from web import inbox
    from web.auth import load_staff
    from web.extensions import db

    with app.test_request_context("/"):
        user_id = db.session.scalar(select(User.id).where(User.organisation_id == who["large center"]).limit(1))
        g.staff = staff = load_staff(user_id)
        dialect = db.engine.dialect
        today = TODAY
        prefix = "EXPLAIN QUERY PLAN " if dialect.name == "sqlite" else "EXPLAIN "
        for key in inbox.SECTIONS:
            where = inbox.section_conditions(key, staff)
            queries = {
                "count": select(func.count()).select_from(Task).where(*where),
                "overdue count": select(func.count()).select_from(Task).where(*where, Task.due_date < today),
                "page 1": inbox.page_query([*where, Task.due_date.is_not(None)], inbox.DATED_ORDER, 0, 50),
            }
            for name, query in queries.items():
                sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
                plan = [" | ".join(str(c) for c in row) for row in db.session.execute(text(prefix + sql))]
                _log(f"  plan ({key}, {name}):")
                for line in plan:
                    _log(f"    {line}")


def _postgres_database() -> str | None:
    try:
        admin = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with admin.connect() as conn:
            name = f"kaigoflow_bench_{uuid.uuid4().hex[:8]}"
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    except Exception as exc:  # unreachable: say so and go on with SQLite only
        _log(f"PostgreSQL: skipped ({type(exc).__name__}: {exc})")
        return None
    return make_url(POSTGRES_SERVER).set(database=name).render_as_string(hide_password=False)


def _drop_postgres(url: str) -> None:
    name = make_url(url).database
    admin = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--database-url", action="append", default=[])
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database and SQLite file")
    args = parser.parse_args()
    municipalities = sorted(Library(ROOT / "processes").municipalities()) or ["bench"]
    targets: list[tuple[str, bool]] = [(u, False) for u in args.database_url]
    if not targets:
        out = ROOT / "bench" / "out"
        out.mkdir(parents=True, exist_ok=True)
        sqlite_file = out / "inbox_bench.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)
        targets.append((f"sqlite:///{sqlite_file}", False))
        pg = _postgres_database()
        if pg:
            targets.append((pg, True))
    for url, throwaway in targets:
        backend = make_url(url).get_backend_name()
        _log(
            f"== {backend}: {args.cases} cases over {len(municipalities)} municipalities ({', '.join(municipalities)})"
        )
        try:
            upgrade(url)
            who = populate(url, args.cases, municipalities)
            measure(url, who, args.requests)
        finally:
            if throwaway and not args.keep:
                _drop_postgres(url)


if __name__ == "__main__":
    main()
