"""The demo data: staff in every organisation and a started 新規 case or two per municipality."""

from __future__ import annotations

from sqlalchemy import select

from engine.store.models import Case
from engine.store.models import ProcessInstance
from engine.store.models import Task
from tests.web.conftest import sign_in
from web import demo


def test_demo_cases_are_started_once_and_fill_the_inbox(app, web_services, db_session, runtime):
    logins = demo.seed(db_session, web_services.library)
    report = demo.seed_cases(db_session, web_services.library, runtime)
    assert len(report) == 4 and all("デモケース" in line for line in report)
    cases = db_session.scalars(select(Case).order_by(Case.id)).all()
    assert [(c.municipality, c.client_name) for c in cases] == [
        ("alpha", "デモ 花子"),
        ("alpha", "デモ 一郎"),
        ("beta", "デモ 花子"),
        ("beta", "デモ 一郎"),
    ]
    assert len(db_session.scalars(select(ProcessInstance)).all()) == 4
    assert demo.seed_cases(db_session, web_services.library, runtime) == []  # nothing twice
    center = next(login for login in logins if login.login == "alpha-center-1-1")
    client = app.test_client()
    assert sign_in(client, center.login, demo.DEMO_PASSWORD).status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "デモ 花子" in page and "デモ 一郎" in page
    assert db_session.scalar(select(Task.name).where(Task.case_id == cases[0].id)) == "相談受付・利用申込"


def test_the_demo_worker_tells_the_stories_then_ticks(web_services, db_session):
    """`kaigoflow demo`'s thread: the stories first (here on the small test library), then the worker's loop."""
    lines: list[str] = []
    worker = demo.DemoWorker(web_services, interval=60, say=lines.append)
    worker.stopping.set()  # one pass: the stories, then the loop sees the stop at once
    worker.run()
    assert lines[-1] == "デモのワーカーが期限の来たタイマー・定期業務を実行しています"
    told = db_session.scalars(select(Case.client_name).where(Case.insured_number.like("98%"))).all()
    assert "山本 和子" in told  # a 新規 story; the flows this library lacks are left out
    assert not [line for line in lines if "福祉用具" in line]
    assert worker.tick(web_services.runtime(), "test-worker") == 0  # nothing due
