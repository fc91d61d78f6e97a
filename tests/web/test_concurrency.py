"""Twenty people complete the same task at the same moment, through the API: from threads of one app and from
twenty separate processes. Exactly one wins; the others get 409 in Japanese; one event, one document; the
instance loads and the task table agrees with the workflow (tests/consistency.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy import select

from engine.store.models import Document
from engine.store.models import Event
from tests import consistency
from tests.web.conftest import INTAKE
from tests.web.conftest import PASSWORD
from tests.web.conftest import WEBLIB
from tests.web.conftest import ready_task

ROOT = Path(__file__).resolve().parents[2]
RACERS = 20

CLIENT = """
import json, os, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from engine.config import Settings
from engine.services import Services
from web import create_app
from web.extensions import db

root, url, library, task_id, token, go, body = sys.argv[1:]
secret_key = "test-secret-key-of-at-least-32-bytes"
services = Services(Settings(database_url=url, processes_dir=Path(library), secret_key=secret_key), {}, {})
app = create_app(services=services, config={"TESTING": True})
client = app.test_client(use_cookies=False)
headers = {"Authorization": "Bearer " + token}
assert client.get("/api/tasks", headers=headers).status_code == 200  # warm: connected, signed in, ready to race
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.001)
response = client.post(f"/api/tasks/{task_id}/complete", json=json.loads(body), headers=headers)
print(json.dumps({"status": response.status_code, "body": response.get_json()}), flush=True)
with app.app_context():
    db.engine.dispose()
"""


def bearer(app, world, key: str) -> str:
    response = app.test_client().post("/api/token", json={"login": world[key].login, "password": PASSWORD})
    return response.get_json()["token"]


def check_outcome(statuses: Counter, messages: list[str], db_session, runtime, task_id: str) -> None:
    assert statuses == Counter({200: 1, 409: RACERS - 1}), statuses
    assert all("完了" in m or "他の職員" in m or "更新" in m for m in messages), set(messages)
    completed = db_session.scalar(
        select(func.count()).select_from(Event).where(Event.kind == "task_completed", Event.task_id == task_id)
    )
    assert completed == 1
    assert db_session.scalar(select(func.count()).select_from(Document).where(Document.task_id == task_id)) == 1
    counts = consistency.check(db_session, runtime)
    assert counts["completed"] == 1 and counts["ready"] == 1  # the intake, then the assessment it led to


@pytest.mark.slow
def test_twenty_threads_complete_the_same_task_once(app, world, case, db_session, runtime):
    task = ready_task(db_session, case.id, "intake")
    token = bearer(app, world, "alpha.center")
    barrier = threading.Barrier(RACERS)
    results: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def race() -> None:
        client = app.test_client(use_cookies=False)
        barrier.wait()
        response = client.post(
            f"/api/tasks/{task.id}/complete", json=INTAKE, headers={"Authorization": f"Bearer {token}"}
        )
        with lock:
            results.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=race) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == RACERS
    statuses = Counter(status for status, _ in results)
    messages = [body["message"] for status, body in results if status == 409]
    check_outcome(statuses, messages, db_session, runtime, task.id)


@pytest.mark.slow
def test_twenty_processes_complete_the_same_task_once(app, world, case, db_session, runtime, web_services, tmp_path):
    task = ready_task(db_session, case.id, "intake")
    token = bearer(app, world, "alpha.center")
    go = tmp_path / "go"
    args = [ROOT, web_services.settings.database_url, WEBLIB, task.id, token, go, json.dumps(INTAKE)]
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", CLIENT, *map(str, args)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(RACERS)
    ]
    try:
        for process in processes:
            line = process.stdout.readline()
            assert line.strip() == "ready", process.stderr.read()
        go.touch()
        results = []
        for process in processes:
            out, err = process.communicate(timeout=180)
            assert process.returncode == 0, err
            results.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.communicate()
    statuses = Counter(r["status"] for r in results)
    messages = [r["body"]["message"] for r in results if r["status"] == 409]
    check_outcome(statuses, messages, db_session, runtime, task.id)
