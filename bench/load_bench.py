"""Completions per second through the JSON API under `kaigoflow serve` (gunicorn) on PostgreSQL, with task
workers firing timers alongside (issue 7 item 11, issue 14 goal 7). Asserts nothing.

Set-up (not timed): a throw-away PostgreSQL database, one 居宅介護支援事業所 with staff, and for each run a fresh
batch of cases whose monthly モニタリング has started through the engine (a ready task each, as the worker leaves
it), plus a second batch of cases whose monthly duty timer is due and not yet fired. Then `kaigoflow serve` runs
gunicorn on loopback with 1, 2 and 4 workers (one thread each unless `--threads-per-worker`), and `--task-workers`
`kaigoflow worker` processes (default 2) run at the same time. A load generator of threads, each with its own
keep-alive connection and bearer token, takes distinct tasks from a shared queue and POSTs
/api/tasks/<id>/complete until the batch is done, while the task workers fire the due timers. Reported per run:
completions per second, latency p50/p95, conflicts and errors, the scaling against 1 worker; afterwards the
database is checked: every task completed exactly once (one document and one task_completed event each), and
every fired timer fired exactly once (one duty_started / duty_skipped / timer_fired event per fired timer, per
case), with how many timers each task worker claimed.

The load generator runs on the same machine and takes CPU from the workers and PostgreSQL; on a machine shared with
other jobs the figures move from run to run: the output says how many CPUs there are and the load average.
Every process listens on or connects to loopback only; each run is bounded (`--run-timeout`).

Usage: .venv/bin/python bench/load_bench.py [--tasks N] [--threads N] [--workers 1,2,4] [--task-workers 2]
       [--database-url URL]
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
import tempfile
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
from sqlalchemy import update
from werkzeug.security import generate_password_hash

import handlers
from engine.accounts.demo_staff import demo_organisations
from engine.accounts.demo_staff import demo_user
from engine.clock import JST
from engine.clock import SystemClock
from engine.config import Settings
from engine.services import Services
from engine.store.db import upgrade
from engine.store.models import Document
from engine.store.models import Event
from engine.store.models import Task
from engine.store.models import Timer

MUNI = "suzuka-kameyama"
PASSWORD = "bench-password"
STAFF = 16


def prepare(url: str, n_tasks: int, n_timer_cases: int) -> tuple[list[str], dict, list[int]]:
    """Open `n_tasks` cases whose monitoring of this month is ready, and `n_timer_cases` whose duty timers are
    due and left for the task workers; return the task ids, a submission and the second batch's case ids."""
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
        for _ in range(n_tasks + n_timer_cases):
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
            session.commit()  # opening the case computed its schedule and armed its monthly duties
            case_ids.append(case.id)
        ready_cases, timer_cases = case_ids[:n_tasks], case_ids[n_tasks:]
        # The first batch's duties are fired here (not timed); the second batch's are left due for the task workers.
        for timer in session.scalars(select(Timer).where(Timer.case_id.in_(timer_cases), Timer.fired_at.is_(None))):
            timer.claimed_by, timer.claimed_until = "bench-prepare", datetime(9999, 1, 1, tzinfo=JST)
        session.commit()
        runtime.fire_due(session, limit=10 * n_tasks + 100)
        session.execute(
            update(Timer).where(Timer.claimed_by == "bench-prepare").values(claimed_by=None, claimed_until=None)
        )
        session.commit()
        task_ids = session.scalars(
            select(Task.id).where(Task.case_id.in_(ready_cases), Task.state == "ready", Task.bpmn_id == "monitoring")
        ).all()
        form = services.library.resolve(MUNI, "monthly_monitoring").forms["monitoring"]
    services.engine.dispose()
    submission = {**form.example(), "month": month, "contact_date": f"{month}-01"}
    return list(task_ids), submission, timer_cases


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _kaigoflow() -> str:
    found = shutil.which("kaigoflow", path=str(Path(sys.executable).parent))
    if found is None:
        raise SystemExit("kaigoflow がありません: bash .ci/setup")
    return found


def _env(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "KAIGOFLOW_DATABASE_URL": url,
        "KAIGOFLOW_SECRET_KEY": "bench-secret-" + "x" * 32,  # at least 32 bytes (the app refuses a shorter key)
        "KAIGOFLOW_COOKIE_SECURE": "0",
        "KAIGOFLOW_CACHE_DIR": str(ROOT / "bench" / "out" / "cache"),
    }


class Server:
    """`kaigoflow serve` (gunicorn) with N workers serving the app on loopback."""

    def __init__(self, url: str, workers: int, threads: int) -> None:
        self.port = _free_port()
        command = [_kaigoflow(), "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        command += ["--workers", str(workers), "--threads", str(threads)]
        # The server's log goes to a file, not a pipe: a pipe nobody reads fills up after a few hundred request
        # lines and every worker then blocks in its next log write (the bench would measure its own stall).
        self.log = tempfile.TemporaryFile("w+", encoding="utf-8")
        self.process = subprocess.Popen(command, cwd=ROOT, env=_env(url), stdout=subprocess.DEVNULL, stderr=self.log)
        self._wait_ready(workers)

    def _log_tail(self) -> str:
        self.log.seek(0)
        return self.log.read()[-2000:]

    def _wait_ready(self, workers: int) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn stopped: {self._log_tail()}")
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
        _stop(self.process)
        self.log.close()


class TaskWorkers:
    """`kaigoflow worker` processes polling for due timers every half second."""

    def __init__(self, url: str, count: int) -> None:
        self.processes = [
            subprocess.Popen(
                [_kaigoflow(), "worker", "--interval", "0.5"],
                cwd=ROOT,
                env=_env(url),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(count)
        ]

    def stop(self) -> None:
        for process in self.processes:
            _stop(process)


def _stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


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


def load(port: int, task_ids: list[str], submission: dict, threads: int, office_code: str, timeout: float) -> dict:
    """Complete every task once, `threads` at a time (stopping at `timeout` seconds); return counts and latencies."""
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
        while time.perf_counter() < deadline:
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
    deadline = started + timeout
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


FIRING_EVENTS = {"duty": ("duty_started", "duty_skipped"), "bpmn": ("timer_fired",)}
"""What one firing of a timer writes, by the timer's kind (a `check` timer refreshes a schedule and writes none)."""


def wait_for_timers(url: str, case_ids: list[int], timeout: float) -> float:
    """Wait until no timer of these cases is due and unfired; return the seconds waited."""
    services = Services(Settings(url, ROOT / "processes"))
    started = time.perf_counter()
    try:
        while time.perf_counter() - started < timeout:
            with services.sessions() as session:
                left = session.scalar(
                    select(func.count())
                    .select_from(Timer)
                    .where(Timer.case_id.in_(case_ids), Timer.fired_at.is_(None), Timer.fire_at < func.now())
                )
            if not left:
                break
            time.sleep(0.5)
    finally:
        services.engine.dispose()
    return time.perf_counter() - started


def check_timers(url: str, case_ids: list[int]) -> str:
    """Every fired timer fired once: per case and kind, as many firing events as fired timers; who claimed them."""
    services = Services(Settings(url, ROOT / "processes"))
    with services.sessions() as session:
        fired = session.execute(
            select(Timer.case_id, Timer.kind, func.count())
            .where(Timer.case_id.in_(case_ids), Timer.fired_at.is_not(None))
            .group_by(Timer.case_id, Timer.kind)
        ).all()
        firing_kinds = [kind for kinds in FIRING_EVENTS.values() for kind in kinds]
        events = {
            (case_id, kind): n
            for case_id, kind, n in session.execute(
                select(Event.case_id, Event.kind, func.count())
                .where(Event.case_id.in_(case_ids), Event.kind.in_(firing_kinds))
                .group_by(Event.case_id, Event.kind)
            ).all()
        }
        unfired = session.scalar(
            select(func.count())
            .select_from(Timer)
            .where(Timer.case_id.in_(case_ids), Timer.fired_at.is_(None), Timer.fire_at < func.now())
        )
        claims = dict(
            session.execute(
                select(Timer.claimed_by, func.count())
                .where(Timer.case_id.in_(case_ids), Timer.fired_at.is_not(None))
                .group_by(Timer.claimed_by)
            ).all()
        )
    services.engine.dispose()
    total, duplicates, missing = 0, 0, 0
    for case_id, kind, n in fired:
        if kind not in FIRING_EVENTS:
            continue
        total += n
        written = sum(events.get((case_id, event_kind), 0) for event_kind in FIRING_EVENTS[kind])
        duplicates += max(0, written - n)
        missing += max(0, n - written)
    verdict = "ok" if duplicates == missing == unfired == 0 and total else "MISMATCH"
    per_worker = ", ".join(f"{n}" for _, n in sorted(claims.items(), key=lambda item: str(item[0])))
    return (
        f"{verdict}: {total} timers fired, {duplicates} duplicate firings, {missing} firings without their event, "
        f"{unfired} due timers left; claims per task worker: {per_worker}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=400, help="tasks completed per run")
    parser.add_argument("--timer-cases", type=int, default=100, help="cases whose due timers the task workers fire")
    parser.add_argument("--threads", type=int, default=8, help="concurrent clients of the load generator")
    parser.add_argument("--workers", default="1,2,4", help="gunicorn worker counts to run, in order")
    parser.add_argument("--threads-per-worker", type=int, default=1, help="gunicorn threads per worker")
    parser.add_argument("--task-workers", type=int, default=2, help="`kaigoflow worker` processes during each run")
    parser.add_argument("--run-timeout", type=float, default=180, help="seconds a run may take at most")
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
            label = f"[{workers} web worker(s), {args.task_workers} task worker(s)]"
            started = time.perf_counter()
            task_ids, submission, timer_cases = prepare(url, args.tasks, args.timer_cases)
            log(
                f"{label} {len(task_ids)} ready tasks and {len(timer_cases)} cases with due timers prepared in "
                f"{time.perf_counter() - started:.0f} s"
            )
            server = Server(url, workers, args.threads_per_worker)
            task_workers = TaskWorkers(url, args.task_workers)
            try:
                load_before = os.getloadavg()[0]
                result = load(server.port, task_ids, submission, args.threads, office_code, args.run_timeout)
                waited = wait_for_timers(url, timer_cases, args.run_timeout)
            finally:
                server.stop()
                task_workers.stop()
            ok = result["statuses"].get(200, 0)
            rates[workers] = ok / result["elapsed"]
            log(
                f"{label} {args.threads} client threads: {ok} completions in {result['elapsed']:.1f} s = "
                f"{rates[workers]:.1f} completions/s; latency {p50_p95(result['latencies'])}; "
                f"statuses {dict(sorted(result['statuses'].items()))}; load average before {load_before:.1f}, "
                f"after {os.getloadavg()[0]:.1f}"
            )
            log(f"{label} database check, tasks: {check(url, task_ids)}")
            timers = check_timers(url, timer_cases)
            log(f"{label} database check, timers (all fired {waited:.1f} s after the load): {timers}")
        base = rates.get(1)
        if base:
            scaling = ", ".join(f"{w} workers x{rate / base:.2f}" for w, rate in rates.items() if w != 1)
            log(f"scaling against 1 web worker: {scaling} ({os.cpu_count()} CPUs on this machine)")


if __name__ == "__main__":
    main()
