"""Process owners' pages (web/processes.py): permission, saving the draft with lint, hostile uploads, publish,
history and migration; on tests/fixtures/versionlib (the `demo` municipality and an `other` one)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy import select

from engine.accounts.demo_staff import demo_organisations
from engine.accounts.demo_staff import demo_user
from engine.clock import FixedClock
from engine.config import Settings
from engine.execution.runtime import Actor
from engine.services import Services
from engine.store.models import Event
from engine.store.models import ProcessDraft
from engine.store.models import ProcessInstance
from engine.store.models import ProcessVersion
from engine.store.models import User
from tests.web.conftest import PASSWORD_HASH
from tests.web.conftest import Browser
from tests.web.conftest import made_app
from tests.web.conftest import sign_in

LIBRARY = Path(__file__).resolve().parent.parent / "fixtures" / "versionlib"
MINI = (LIBRARY / "common" / "mini.bpmn").read_text(encoding="utf-8")
XXE = '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'


@pytest.fixture
def svc(database_url, tmp_path):
    settings = Settings(
        database_url=database_url,
        processes_dir=LIBRARY,
        secret_key="test-secret-key-of-at-least-32-bytes",
        cache_dir=tmp_path / "bundles",
    )
    services = Services(settings, {}, {"score": lambda inputs, params: {"high": inputs["points"] >= 50}})
    yield services
    services.engine.dispose()


@pytest.fixture
def clock():
    from datetime import date

    return FixedClock(date(2026, 5, 1))


@pytest.fixture
def app(svc, clock):
    with made_app(svc, clock, TESTING=True) as app:
        yield app


@pytest.fixture
def people(svc):
    """demo.owner (process owner in demo), demo.center (staff), other.owner (process owner elsewhere)."""
    found = {}
    with svc.sessions() as session:
        for key in ("demo", "other"):
            orgs = demo_organisations(session, svc.library.municipality(key))
            owner = User(
                login=f"{key}-owner",
                display_name="業務フロー管理者",
                password_hash=PASSWORD_HASH,
                organisation_id=orgs["insurer"][0].id,
                is_process_owner=True,
            )
            session.add(owner)
            center = demo_user(session, orgs["center"][0], 1, password_hash=PASSWORD_HASH)
            session.flush()
            found[f"{key}.owner"] = owner.login
            found[f"{key}.center"] = center.login
            found[f"{key}.orgs"] = {role: [o.id for o in members] for role, members in orgs.items()}
            found[f"{key}.center_id"] = (center.id, orgs["center"][0].id)
        session.commit()
    return found


@pytest.fixture
def login(app, people):
    def make(key: str) -> Browser:
        client = app.test_client()
        assert sign_in(client, people[key]).status_code == 302
        browser = Browser(client, None)
        browser.refresh_token("/")
        return browser

    return make


def save_json(browser: Browser, path: str, content: str, version=None):
    return browser.client.post(
        "/processes/demo/draft/files",
        json={"path": path, "content": content, "draft_version": version},
        headers={"X-CSRFToken": browser.token},
    )


def count(svc, model, **where):
    with svc.sessions() as session:
        query = select(func.count()).select_from(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return session.scalar(query)


@pytest.mark.parametrize(
    "url",
    ["/processes/demo", "/processes/demo/edit/mini.bpmn", "/processes/demo/versions", "/processes/demo/migrate"],
)
def test_staff_and_other_municipalities_owners_get_not_found(login, svc, url):
    for key in ("demo.center", "other.owner"):
        assert login(key).get(url).status_code == 404
    assert count(svc, Event, kind="access_denied") == 2


def test_staff_cannot_save_a_draft(login, svc):
    staff = login("demo.center")
    assert save_json(staff, "mini.bpmn", MINI).status_code == 404
    assert count(svc, ProcessDraft) == 0


def test_the_owner_sees_the_flows_and_the_nav_link(login):
    owner = login("demo.owner")
    page = owner.get("/processes/demo").get_data(as_text=True)
    assert "業務フローの管理" in page and "mini" in page and "下書きはありません" in page
    assert owner.get("/processes/").status_code == 302


def test_the_modeler_page_carries_what_the_script_needs(login):
    page = login("demo.owner").get("/processes/demo/edit/mini.bpmn").get_data(as_text=True)
    assert 'id="modeler"' in page and "bpmn-modeler.production.min.js" in page and "js/modeler.js" in page
    assert "intake" in page  # the form names offered in the side panel
    assert 'data-csrf="' in page


def test_saving_lints_and_returns_problems_by_element(login, svc):
    owner = login("demo.owner")
    broken = MINI.replace("intake.schema.json", "nothing.schema.json")
    response = save_json(owner, "mini.bpmn", broken)
    body = response.get_json()
    assert response.status_code == 200 and body["ok"]
    assert any(p["element"] == "intake" and p["rule"] == "missing-form" for p in body["problems"])
    fixed = save_json(owner, "mini.bpmn", MINI.replace('name="受付"', 'name="相談受付"'), body["draft_version"])
    assert fixed.get_json()["problems"] == []
    stale = save_json(owner, "mini.bpmn", MINI, body["draft_version"])
    assert stale.status_code == 409 and "他の人" in stale.get_json()["error"]


def test_saving_without_the_csrf_token_is_refused(login, svc):
    owner = login("demo.owner")
    response = owner.client.post("/processes/demo/draft/files", json={"path": "mini.bpmn", "content": MINI})
    assert response.status_code == 400
    assert count(svc, ProcessDraft) == 0


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("evil.bpmn", XXE.encode(), "実体"),
        ("lol.bpmn", b'<!DOCTYPE l [<!ENTITY a "aa"><!ENTITY b "&a;&a;">]><r>&b;</r>', "実体"),
    ],
)
def test_hostile_uploads_are_refused_in_japanese_and_change_nothing(login, svc, name, content, message):
    import io

    owner = login("demo.owner")
    save_json(owner, "mini.bpmn", MINI.replace('name="受付"', 'name="相談受付"'))
    response = owner.client.post(
        "/processes/demo/draft/files",
        data={"path": "mini.bpmn", "csrf_token": owner.token, "upload": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with svc.sessions() as session:
        assert 'name="相談受付"' in session.get(ProcessDraft, "demo").files["mini.bpmn"]


def test_a_huge_file_is_refused_in_japanese_and_changes_nothing(login, svc):
    # Sent as JSON: werkzeug's test client leaves its temporary file open for multipart bodies this large.
    owner = login("demo.owner")
    response = save_json(owner, "mini.bpmn", "<r>" + " " * (3 * 1024 * 1024) + "</r>")
    assert response.status_code == 422 and "大きすぎ" in response.get_json()["error"]
    assert count(svc, ProcessDraft) == 0


def run_worker(svc, clock):
    """What `kaigoflow worker` does with the queued publish jobs."""
    with svc.sessions() as session:
        while svc.versions.run_next_publish_job(session, "test-worker", clock) is not None:
            pass


def publish(owner, svc, clock, reason: str):
    """Publish from the page as an owner does, with the worker running: the page the owner ends on."""
    queued = owner.post("/processes/demo/publish", {"reason": reason})
    assert queued.status_code == 302, queued.get_data(as_text=True)
    run_worker(svc, clock)
    return owner.get(queued.headers["Location"])


def test_publish_needs_a_reason_then_lists_the_version_with_who_and_why(login, svc, clock):
    owner = login("demo.owner")
    save_json(owner, "mini.bpmn", MINI.replace('name="受付"', 'name="相談受付"'))
    refused = owner.post("/processes/demo/publish", {"reason": ""}, follow_redirects=True)
    assert "公開の理由を入力してください" in refused.get_data(as_text=True)
    assert count(svc, ProcessVersion) == 0

    done = publish(owner, svc, clock, "受付の名称を変更")
    assert "版 2 を公開しました" in done.get_data(as_text=True)
    page = owner.get("/processes/demo/versions").get_data(as_text=True)
    assert "受付の名称を変更" in page and "demo-owner" in page
    assert count(svc, ProcessVersion) == 2  # the baseline from disk and the new one
    event = count(svc, Event, kind="process_published")
    assert event == 1


def test_publishing_answers_at_once_and_the_worker_publishes_with_progress_shown(login, svc, clock):
    owner = login("demo.owner")
    save_json(owner, "mini.bpmn", MINI.replace('name="受付"', 'name="相談受付"'))
    queued = owner.post("/processes/demo/publish", {"reason": "受付の名称を変更"})
    assert queued.status_code == 302
    waiting = owner.get(queued.headers["Location"]).get_data(as_text=True)
    assert "公開の確認を待っています" in waiting and "job_progress.js" in waiting
    status_url = queued.headers["Location"] + "/status"
    status = owner.get(status_url).get_json()
    assert status["status"] == "queued" and status["done"] == 0 and status["total"] >= 1
    assert count(svc, ProcessVersion) == 0  # nothing is published before the scenarios pass
    again = owner.post("/processes/demo/publish", {"reason": "二度目"}, follow_redirects=True)
    assert "公開の確認がすでに実行中です" in again.get_data(as_text=True)

    run_worker(svc, clock)
    status = owner.get(status_url).get_json()
    assert status == {**status, "status": "published", "done": status["total"], "number": 2, "failed": 0}
    assert count(svc, ProcessVersion) == 2 and count(svc, ProcessDraft) == 0
    assert "job_progress.js" not in owner.get(queued.headers["Location"]).get_data(as_text=True)


def test_a_failing_scenario_refuses_the_job_and_keeps_the_draft(login, svc, clock):
    owner = login("demo.owner")
    save_json(owner, "mini.bpmn", MINI.replace('value="ready+P3D"', 'value="ready+P5D"'))
    page = publish(owner, svc, clock, "期限を変更").get_data(as_text=True)
    assert "公開できませんでした" in page and "シナリオが通らないため公開しませんでした" in page
    assert "テスト市・高得点" in page
    assert count(svc, ProcessVersion) == 0 and count(svc, ProcessDraft) == 1


def test_a_draft_changed_while_waiting_is_not_published(login, svc, clock):
    owner = login("demo.owner")
    save_json(owner, "mini.bpmn", MINI.replace('name="受付"', 'name="相談受付"'))
    queued = owner.post("/processes/demo/publish", {"reason": "名称変更"})
    save_json(owner, "mini.bpmn", MINI.replace('name="受付"', 'name="受付窓口"'))
    run_worker(svc, clock)
    page = owner.get(queued.headers["Location"]).get_data(as_text=True)
    assert "公開を待つ間に下書きが変更または破棄されました" in page
    assert count(svc, ProcessVersion) == 0


def test_another_municipalitys_owner_cannot_see_the_job(login, svc, clock):
    owner = login("demo.owner")
    save_json(owner, "mini.bpmn", MINI.replace('name="受付"', 'name="相談受付"'))
    location = owner.post("/processes/demo/publish", {"reason": "名称変更"}).headers["Location"]
    other = login("other.owner")
    assert other.get(location).status_code in (403, 404)
    assert other.get(location + "/status").status_code in (403, 404)
    job_id = location.rsplit("/", 1)[1]
    assert owner.get(f"/processes/other/publish/{job_id}").status_code in (403, 404)


def test_a_draft_failing_its_check_is_not_published_and_the_page_says_why(login, svc):
    owner = login("demo.owner")
    save_json(owner, "mini.bpmn", MINI.replace("intake.schema.json", "nothing.schema.json"))
    response = owner.post("/processes/demo/publish", {"reason": "壊れた変更"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "公開できませんでした" in page and "nothing" in page
    assert count(svc, ProcessVersion) == 0


def test_check_runs_the_scenarios_on_the_draft(login):
    owner = login("demo.owner")
    save_json(owner, "mini.bpmn", MINI.replace('value="ready+P3D"', 'value="ready+P5D"'))
    page = owner.post("/processes/demo/draft/check").get_data(as_text=True)
    assert "失敗" in page and "テスト市・高得点" in page


def test_migrate_page_dry_run_then_confirm(login, svc, people, clock):
    runtime = svc.runtime(clock)
    with svc.sessions() as session:
        orgs = people["demo.orgs"]
        case = runtime.open_case(session, "demo", center_org_id=orgs["center"][0], office_org_id=orgs["office"][0])
        user_id, org_id = people["demo.center_id"]
        instance = runtime.start(
            session, case.id, "mini", actor=Actor(user_id=user_id, organisation_id=org_id, role="center")
        )
        old_hash = instance.spec_hash
    owner = login("demo.owner")
    save_json(owner, "mini.bpmn", MINI.replace('name="受付"', 'name="相談受付"'))
    publish(owner, svc, clock, "名称変更")

    dry = owner.post("/processes/demo/migrate", {"flow": "mini", "to": "2"}).get_data(as_text=True)
    assert "移行可" in dry and "相談受付" in dry
    with svc.sessions() as session:
        assert session.get(ProcessInstance, instance.id).spec_hash == old_hash
    done = owner.post("/processes/demo/migrate", {"flow": "mini", "to": "2", "confirm": "yes"})
    assert "移行しました" in done.get_data(as_text=True)
    with svc.sessions() as session:
        assert session.get(ProcessInstance, instance.id).spec_hash != old_hash
    assert count(svc, Event, kind="instance_migrated") == 1


def test_the_raw_file_for_the_modeler_is_the_drafts(login):
    owner = login("demo.owner")
    assert 'name="受付"' in owner.get("/processes/demo/draft/raw/mini.bpmn").get_data(as_text=True)
    save_json(owner, "mini.bpmn", MINI.replace('name="受付"', 'name="相談受付"'))
    assert 'name="相談受付"' in owner.get("/processes/demo/draft/raw/mini.bpmn").get_data(as_text=True)
    schema = owner.get("/processes/demo/draft/raw/forms/intake.schema.json").get_data(as_text=True)
    assert json.loads(schema)["title"] == "受付票"
    assert owner.get("/processes/demo/draft/raw/../secret.bpmn").status_code == 404


def test_a_common_form_opens_in_the_editor_and_saving_forks_it_into_the_draft(login, svc):
    owner = login("demo.owner")
    page = owner.get("/processes/demo/edit/forms/review.schema.json").get_data(as_text=True)
    schema = json.loads((LIBRARY / "common" / "forms" / "review.schema.json").read_text(encoding="utf-8"))
    assert 'class="file-editor"' in page and schema["title"] in page  # common's form, ready to be overridden
    schema["title"] = "確認票(テスト市)"
    saved = owner.post(
        "/processes/demo/draft/files",
        {"path": "forms/review.schema.json", "content": json.dumps(schema, ensure_ascii=False)},
    )
    assert saved.status_code == 200 and "下書きに保存しました" in saved.get_data(as_text=True)
    with svc.sessions() as session:
        assert (
            json.loads(session.get(ProcessDraft, "demo").files["forms/review.schema.json"])["title"]
            == "確認票(テスト市)"
        )
    listing = owner.get("/processes/demo").get_data(as_text=True)
    assert "forms/review.schema.json" in listing and "追加" in listing


def test_broken_json_from_the_form_editor_keeps_what_was_typed(login, svc):
    owner = login("demo.owner")
    typed = '{"title": "途中まで入力した様式", '
    response = owner.post("/processes/demo/draft/files", {"path": "forms/demo_new.schema.json", "content": typed})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "JSONとして読めません" in page
    assert "途中まで入力した様式" in page  # nothing the owner typed is lost
    assert count(svc, ProcessDraft) == 0


def test_the_owner_compares_two_versions_of_their_own_flow_and_nothing_else(login, svc, clock):
    owner = login("demo.owner")
    save_json(owner, "mini.bpmn", MINI.replace('name="受付"', 'name="相談受付"'))
    publish(owner, svc, clock, "受付の名称を変更")
    history = owner.get("/processes/demo/versions").get_data(as_text=True)
    assert "<title>版の履歴" in history and 'id="compare-versions"' in history
    assert '<option value="demo@1" selected>' in history and '<option value="mini">' in history
    compared = owner.get("/admin/compare?flow=mini&left=demo@1&right=demo@2")
    assert compared.status_code == 200
    page = compared.get_data(as_text=True)
    assert "相談受付" in page and "第2版" in page
    diagram = owner.get("/admin/compare/diagram.bpmn?flow=mini&side=demo@2&process=mini")
    assert diagram.status_code == 200 and "相談受付" in diagram.get_data(as_text=True)
    old = owner.get("/admin/compare/diagram.bpmn?flow=mini&side=demo@1&process=mini").get_data(as_text=True)
    assert "相談受付" not in old  # version 1 is what was there before
    assert owner.get("/admin/compare?flow=mini&left=demo@1&right=other@1").status_code == 404
    assert owner.get("/admin/matrix?flow=mini").status_code == 404
    assert login("other.owner").get("/admin/compare?flow=mini&left=demo@1&right=demo@2").status_code == 404
    missing = owner.get("/admin/compare?flow=mini&left=demo@1&right=demo@9")
    assert missing.status_code == 422 and "版" in missing.get_data(as_text=True)


def test_a_nul_or_a_100k_deep_json_in_the_modelers_save_gets_the_right_message(login, svc):
    owner = login("demo.owner")
    before = count(svc, Event, kind="process_draft_saved")
    nul = save_json(owner, "mini.bpmn", MINI.replace("受付", "受\x00付"))
    assert nul.status_code == 400
    assert "NUL" in nul.get_json()["error"] and "ファイル名" not in nul.get_json()["error"]
    deep_file = save_json(owner, "forms/deep.schema.json", "[" * 100_000 + "]" * 100_000)
    assert deep_file.status_code == 422 and "入れ子が深すぎます" in deep_file.get_json()["error"]
    deep_body = owner.client.post(
        "/processes/demo/draft/files",
        data='{"path": "mini.bpmn", "content": ' + "[" * 100_000 + "]" * 100_000 + "}",
        content_type="application/json",
        headers={"X-CSRFToken": owner.token},
    )
    assert deep_body.status_code == 400 and "入れ子が深すぎる" in deep_body.get_json()["error"]
    uploaded = owner.client.post(
        "/processes/demo/draft/files",
        data={"path": "mini.bpmn", "upload": (io.BytesIO(MINI.replace("受付", "受\x00付").encode()), "mini.bpmn")},
        content_type="multipart/form-data",
        headers={"X-CSRFToken": owner.token},
    )
    assert uploaded.status_code == 422 and "使えない文字(NUL)" in uploaded.get_data(as_text=True)
    assert count(svc, Event, kind="process_draft_saved") == before
