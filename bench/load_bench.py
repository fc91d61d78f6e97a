"""Completions per second through the JSON API under gunicorn on PostgreSQL (issue 7 item 11). Asserts nothing.

Set-up (not timed): a throw-away PostgreSQL database, one 居宅介護支援事業所 with staff, and for each run a fresh
batch of cases whose monthly モニタリング has started through the engine (a ready task each, as the worker leaves
it). Then gunicorn serves `web:create_app()` on loopback with 1, then 2 sync workers, and a load generator of
threads, each with its own keep-alive connection and bearer token, takes distinct tasks from a shared queue and
POSTs /api/tasks/<id>/complete until the batch is done. Reported per run: completions per second, latency
p50/p95, conflicts and errors, and the scaling from 1 to 2 workers; afterwards the database is checked: every task
completed exactly once, one document and one task_completed event each.

The load generator runs on the same machine and takes CPU from the workers and PostgreSQL; on a machine shared with
other jobs the figures move from run to run: the output says how many CPUs there are and the load average.

Usage: .venv/bin/python bench/load_bench.py [--tasks N] [--threads N] [--workers 1,2] [--database-url URL]
Needs the `bench` extra (gunicorn): .venv/bin/pip install -e '.[bench]'
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

from common import ROOT
from common import databases
from common import log
from common import machine
from common import p50_p95
from sqlalchemy import func
from sqlalchemy import select
from werkzeug.security import generate_password_hash

import handlers
from engine import schedule
from engine.clock import JST
from engine.clock import SystemClock
from engine.config import Settings
from engine.db import upgrade
from engine.directory import demo_organisations
from engine.directory import demo_user
from engine.models import Document
from engine.models import Event
from engine.models import Task
from engine.services import Services

MUNI = "suzuka-kameyama"
PASSWORD = "bench-password"
STAFF = 16


def prepare(url: str, n_tasks: int) -> tuple[list[str], dict]:
    """Open `n_tasks` cases whose monitoring of this month is ready; return the task ids and a submission."""
    services = Services(Settings(url, ROOT / "processes"), handlers.form_handlers(), handlers.python_decisions())
    runtime = services.runtime(SystemClock())
    today = datetime.now(JST).date()
    plan_start = today.replace(day=1)
    month = f"{plan_start:%Y-%m}"
    with services.sessions() as session:
        municipality = services.library.municipality(MUNI)
        orgs = demo_organisations(session, municipality)
        office = orgs["office"][0]
        password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
        for index in range(1, STAFF + 1):
            demo_user(session, office, index, password_hash)
        session.commit()
        case_ids = []
        for _ in range(n_tasks):
            case = runtime.open_case(
                session,
                MUNI,
                center_org_id=orgs["center"][0].id,
                office_org_id=office.id,
                care_level="shien2",
                delegated=True,
                certification_start=plan_start,
                certification_end=plan_start.replace(day=28),
                plan_start=plan_start,
                plan_end=plan_start.replace(day=28),
            )
            schedule.sync_duties(session, case, municipality.params)
            session.commit()
            case_ids.append(case.id)
        runtime.fire_due(session, limit=n_tasks)
        task_ids = session.scalars(
            select(Task.id).where(Task.case_id.in_(case_ids), Task.state == "ready", Task.bpmn_id == "monitoring")
        ).all()
        form = services.library.resolve(MUNI, "monthly_monitoring").forms["monitoring"]
    services.engine.dispose()
    submission = {**form.example(), "month": month, "contact_date": f"{month}-01"}
    return list(task_ids), submission


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """gunicorn with N sync workers serving the app on loopback."""

    def __init__(self, url: str, workers: int) -> None:
        self.port = _free_port()
        gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent))
        if gunicorn is None:
            raise SystemExit("gunicorn がありません: .venv/bin/pip install -e '.[bench]'")
        env = {
            **os.environ,
            "KAIGOFLOW_DATABASE_URL": url,
            "KAIGOFLOW_SECRET_KEY": "bench-secret",
            "KAIGOFLOW_COOKIE_SECURE": "0",
        }
        self.process = subprocess.Popen(
            [gunicorn, "--workers", str(workers), "--bind", f"127.0.0.1:{self.port}", "web:create_app()"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._wait_ready(workers)

    def _wait_ready(self, workers: int) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn stopped: {self.process.stderr.read()[-2000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/login")
                if conn.getresponse().status == 200:
                    # Every worker loads the app and the library on its first request: let each do so.
                    for _ in range(workers * 4):
                        conn.request("GET", "/login")
                        conn.getresponse().read()
                    conn.close()
                    return
            except OSError:
                time.sleep(0.2)
        raise SystemExit("gunicorn did not answer within 60 s")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _token(port: int, login: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = json.dumps({"login": login, "password": PASSWORD})
    conn.request("POST", "/api/token", body, {"Content-Type": "application/json"})
    response = conn.getresponse()
    payload = json.loads(response.read())
    conn.close()
    if response.status != 200:
        raise SystemExit(f"token refused for {login}: {payload}")
    return str(payload["token"])


def load(port: int, task_ids: list[str], submission: dict, threads: int, office_code: str) -> dict:
    """Complete every task once, `threads` at a time; return the counts and latencies."""
    work: queue.Queue[str] = queue.Queue()
    for task_id in task_ids:
        work.put(task_id)
    body = json.dumps(submission)
    tokens = [_token(port, f"{office_code}-{index % STAFF + 1}") for index in range(threads)]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def run(token: str) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
        mine: list[float] = []
        seen: dict[int, int] = {}
        while True:
            try:
                task_id = work.get_nowait()
            except queue.Empty:
                break
            started = time.perf_counter()
            conn.request("POST", f"/api/tasks/{task_id}/complete", body, headers)
            response = conn.getresponse()
            response.read()
            mine.append((time.perf_counter() - started) * 1000)
            seen[response.status] = seen.get(response.status, 0) + 1
        conn.close()
        with lock:
            latencies.extend(mine)
            for status, n in seen.items():
                statuses[status] = statuses.get(status, 0) + n

    workers = [threading.Thread(target=run, args=(token,)) for token in tokens]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    return {"elapsed": elapsed, "latencies": latencies, "statuses": statuses}


def check(url: str, task_ids: list[str]) -> str:
    """Every task of the batch completed once: one document and one task_completed event each."""
    services = Services(Settings(url, ROOT / "processes"))
    with services.sessions() as session:
        completed = session.scalar(
            select(func.count()).select_from(Task).where(Task.id.in_(task_ids), Task.state == "completed")
        )
        documents = session.scalar(select(func.count()).select_from(Document).where(Document.task_id.in_(task_ids)))
        events = session.scalar(
            select(func.count()).select_from(Event).where(Event.task_id.in_(task_ids), Event.kind == "task_completed")
        )
    services.engine.dispose()
    n = len(task_ids)
    verdict = "ok" if completed == documents == events == n else "MISMATCH"
    return f"{verdict}: {completed}/{n} completed, {documents} documents, {events} task_completed events"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=400, help="tasks completed per run")
    parser.add_argument("--threads", type=int, default=8, help="concurrent clients of the load generator")
    parser.add_argument("--workers", default="1,2", help="gunicorn worker counts to run, in order")
    parser.add_argument("--database-url", help="a PostgreSQL database to use (default: a throw-away one)")
    args = parser.parse_args()
    log(f"machine: {machine()}")
    urls = [args.database_url] if args.database_url else []
    with databases(urls, "load_bench", sqlite=False) as found:
        if not found:
            raise SystemExit("PostgreSQL がありません (KAIGOFLOW_TEST_POSTGRES_URL)")
        url = found[0]
        upgrade(url)
        office_code = f"{MUNI}-office-1"
        rates = {}
        for workers in [int(w) for w in args.workers.split(",")]:
            started = time.perf_counter()
            task_ids, submission = prepare(url, args.tasks)
            log(f"[{workers} worker(s)] {len(task_ids)} ready tasks prepared in {time.perf_counter() - started:.0f} s")
            server = Server(url, workers)
            try:
                load_before = os.getloadavg()[0]
                result = load(server.port, task_ids, submission, args.threads, office_code)
            finally:
                server.stop()
            ok = result["statuses"].get(200, 0)
            rates[workers] = ok / result["elapsed"]
            log(
                f"[{workers} worker(s)] {args.threads} client threads: {ok} completions in {result['elapsed']:.1f} s = "
                f"{rates[workers]:.1f} completions/s; latency {p50_p95(result['latencies'])}; "
                f"statuses {dict(sorted(result['statuses'].items()))}; load average before {load_before:.1f}, "
                f"after {os.getloadavg()[0]:.1f}"
            )
            log(f"[{workers} worker(s)] database check: {check(url, task_ids)}")
        if 1 in rates and 2 in rates:
            log(f"scaling 1 -> 2 workers: x{rates[2] / rates[1]:.2f} ({os.cpu_count()} CPUs on this machine)")


if __name__ == "__main__":
    main()
