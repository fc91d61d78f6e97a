"""Inbox and case page benchmark (issue 7 item 10): 100,000 cases and about 1,000,000 task rows; prints response
times. Asserts nothing.

The rows are bulk-inserted straight into the tables (the inbox reads only the task table and, for the rows on
the page, the case table), spread over the municipalities of processes/ like a real region: per municipality
4 地域包括支援センター, 12 居宅介護支援事業所, an insurer and 6 providers; one large center holds about 5% of all
cases. Each case has about 10 task rows: mostly completed history, a few cancelled, and 1–2 ready ones (40% of
those claimed), due from 30 days ago to 60 days ahead; 6 events and 2 documents (0.6 and 0.2 million rows in all).

Each case has a running 新規 instance on the real, stored spec. The cases whose pages are requested carry a real
instance state (new_case eight steps in, made by the engine on a scratch database: about 20 KB); the others an
empty one, since 100,000 × 20 KB would be 2 GB to load and the case page finds instances through the case id index,
so their width does not enter its lookups.

Requests go through the Flask test client, signed in as a staff member of the large center (the worst inbox)
and of a typical office: the inbox with no filter, overdue only, this week, page 5, a step filter, GET /api/tasks,
and the case page (diagram with progress, ready tasks, history, documents) of their own cases in turn.
p50/p95 per request kind, then the query plans of the inbox queries.

Usage: .venv/bin/python bench/inbox_bench.py [--cases N] [--requests N] [--database-url URL ...] [--keep]
Without --database-url: a SQLite file under bench/out/ and, when reachable, a throw-away PostgreSQL database
(bench/common.py).
"""

from __future__ import annotations

import argparse
import random
import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

from common import ROOT
from common import backend
from common import databases
from common import log
from common import machine
from common import p50_p95
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import text
from werkzeug.security import generate_password_hash

import handlers
from engine.accounts.demo_staff import demo_organisations
from engine.clock import FixedClock
from engine.config import Settings
from engine.execution.runtime import SYSTEM
from engine.process_library.loader import Library
from engine.services import Services
from engine.store.db import make_engine
from engine.store.db import upgrade
from engine.store.models import Base
from engine.store.models import Case
from engine.store.models import Document
from engine.store.models import Event
from engine.store.models import Organisation
from engine.store.models import ProcessInstance
from engine.store.models import SpecVersion
from engine.store.models import Task
from engine.store.models import User

TODAY = date(2026, 5, 15)
NOW = datetime(2026, 5, 15, 1, 0, tzinfo=UTC)
PASSWORD = "bench-password"
EVENT_KINDS = ["case_opened", "instance_started", "task_claimed", "task_completed", "task_completed", "timer_fired"]
CASE_PAGES = 100
"""Cases per signed-in organisation whose pages are requested (and which carry a real instance state)."""
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


_log = log


@dataclass(frozen=True)
class Template:
    """A real 新規 instance a few steps in: its spec version and its state, to copy into the bulk rows."""

    spec_hash: str
    spec_record: dict[str, Any]
    state: dict[str, Any]


def template_instance(municipality: str, steps: int = 8) -> Template:
    """Run new_case `steps` tasks far on a scratch in-memory database, completing each with its form's example."""
    services = Services(
        Settings("sqlite://", ROOT / "processes"), handlers.form_handlers(), handlers.python_decisions()
    )
    Base.metadata.create_all(services.engine)
    runtime = services.runtime(FixedClock(date(2026, 4, 1)))
    with services.sessions() as session:
        orgs = demo_organisations(session, services.library.municipality(municipality))
        session.commit()
        case = runtime.open_case(
            session,
            municipality,
            care_level="shien1",
            delegated=True,
            **{f"{role}_org_id": orgs[role][0].id for role in ("center", "office", "insurer", "provider")},
        )
        instance = runtime.start(session, case.id, "new_case")
        for _ in range(steps):
            row = session.scalars(select(Task).where(Task.instance_id == instance.id, Task.state == "ready")).first()
            if row is None:
                break
            form = runtime.load(session, instance.id).resolved.forms.get(row.form or "")
            runtime.complete(session, row.id, form.example() if form else {}, SYSTEM)
        loaded = runtime.load(session, instance.id)
        template = Template(loaded.resolved.hash, loaded.resolved.to_record(), loaded.instance.state)
    services.engine.dispose()
    return template


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


def populate(url: str, n_cases: int, municipalities: list[str], template: Template, seed: int = 7) -> Population:
    """Fill an empty database; return who the requests sign in as and which of their cases they open."""
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
                    "hash": template.spec_hash,
                    "municipality": municipalities[0],
                    "process_key": "new_case",
                    "record": template.spec_record,
                    "created_at": NOW,
                }
            ],
        )
    big_center = orgs[municipalities[0]]["center"][0]
    typical_office = orgs[municipalities[-1]]["office"][5]
    pages: dict[int, list[int]] = {big_center: [], typical_office: []}
    total_tasks = total_events = total_documents = 0
    next_case = 1
    while next_case <= n_cases:
        last = min(n_cases, next_case + CHUNK - 1)
        cases, instances, tasks, events, documents = [], [], [], [], []
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
            shown = [org for org in pages if org in (center, office) and len(pages[org]) < CASE_PAGES]
            for org in shown[:1]:
                pages[org].append(case_id)
            instances.append(
                {
                    "id": case_id,
                    "case_id": case_id,
                    "process_key": "new_case",
                    "spec_hash": template.spec_hash,
                    "status": "running",
                    "state": template.state if shown else {},
                    "version": 1,
                    "started_at": NOW,
                }
            )
            case_tasks: list[str] = []
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
                case_tasks.append(str(uuid.UUID(int=rng.getrandbits(128))))
                tasks.append(
                    {
                        "id": case_tasks[-1],
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
            actor = rng.choice(users[center])
            for index, kind in enumerate(EVENT_KINDS):
                events.append(
                    {
                        "at": NOW - timedelta(days=60 - index * 5, minutes=rng.randint(0, 600)),
                        "case_id": case_id,
                        "instance_id": case_id,
                        "task_id": case_tasks[index] if kind.startswith("task") else None,
                        "actor_id": None if kind == "timer_fired" else actor,
                        "kind": kind,
                        "detail": {},
                        "address": "127.0.0.1",
                    }
                )
            for index, form in enumerate(("intake", "basic_checklist")):
                documents.append(
                    {
                        "case_id": case_id,
                        "instance_id": case_id,
                        "task_id": case_tasks[index],
                        "form": form,
                        "title": form,
                        "version": 1,
                        "data": {"note": "ベンチマーク"},
                        "schema": {},
                        "spec_hash": template.spec_hash,
                        "submitted_by_id": actor,
                        "submitted_at": NOW - timedelta(days=50 - index),
                    }
                )
        with engine.begin() as conn:
            conn.execute(insert(Case), cases)
            conn.execute(insert(ProcessInstance), instances)
            conn.execute(insert(Task), tasks)
            conn.execute(insert(Event), events)
            conn.execute(insert(Document), documents)
        total_tasks += len(tasks)
        total_events += len(events)
        total_documents += len(documents)
        next_case = last + 1
        _log(
            f"  {last:>7} cases, {total_tasks:>8} task rows, {total_events:>8} events, {total_documents:>7} documents"
            f" ({time.perf_counter() - started:.0f} s)"
        )
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            for table in ("care_case", "process_instance", "event", "document"):
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
    return Population({"large center": big_center, "typical office": typical_office}, pages)


@dataclass(frozen=True)
class Population:
    who: dict[str, int]
    """label -> organisation id signed in as"""
    case_pages: dict[int, list[int]]
    """organisation id -> ids of its cases whose pages are requested"""


def measure(url: str, population: Population, requests: int) -> None:
    from web import create_app

    who = population.who
    settings = Settings(
        database_url=url, processes_dir=ROOT / "processes", secret_key="bench-key-of-at-least-thirty-two-bytes"
    )
    services = Services(settings, handlers.form_handlers(), handlers.python_decisions())
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
        case_ids = population.case_pages[org_id]
        paths = {kind: [path] for kind, path in kinds.items()}
        paths["case page"] = [f"/cases/{case_id}" for case_id in case_ids]
        for kind, choices in paths.items():
            for index in range(3):
                client.get(choices[index % len(choices)])  # warm caches (library parse, statement cache)
            timings = []
            for index in range(requests):
                path = choices[index % len(choices)]
                start = time.perf_counter()
                response = client.get(path)
                timings.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, (path, response.status_code)
            if kind == "case page":
                # Progress markers come from the deserialized instance, not the task-table fallback.
                assert "data-current='[\"" in response.get_data(as_text=True), "the case page drew no progress"
            _log(f"    {kind:<18} {p50_p95(timings)}   ({requests} requests)")
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--database-url", action="append", default=[])
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    args = parser.parse_args()
    _log(f"machine: {machine()}")
    municipalities = sorted(Library(ROOT / "processes").municipalities()) or ["bench"]
    template = template_instance(municipalities[0])
    with databases(args.database_url, "inbox_bench", keep=args.keep) as urls:
        for url in urls:
            _log(
                f"== {backend(url)}: {args.cases} cases over {len(municipalities)} municipalities "
                f"({', '.join(municipalities)})"
            )
            upgrade(url)
            population = populate(url, args.cases, municipalities, template)
            measure(url, population, args.requests)


if __name__ == "__main__":
    main()
