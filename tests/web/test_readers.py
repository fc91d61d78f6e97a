"""Finding 9 of the security issue: each party reads only its share of a case's 帳票 (engine/cases/readers.py).

On tests/fixtures/weblib: the center records the intake and the assessment (planners' documents), the insurer its
確認票. The provider reads none of them; the insurer reads its own; the office (a planner) reads all — on the case
page, the document page, its PDF and print view, the API, and the export ZIP (planners only).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.cases import readers
from engine.process_library.loader import Library
from engine.store.models import Document
from tests.web.conftest import INTAKE
from tests.web.conftest import PASSWORD
from tests.web.conftest import ready_task

PROCESSES = Path(__file__).resolve().parents[2] / "processes"


@pytest.fixture
def documents(db_session, runtime, case, world) -> dict[str, int]:
    center = world["alpha.center"].actor()
    runtime.complete(db_session, ready_task(db_session, case.id, "intake").id, INTAKE, center)
    assessment = {"visit_date": "2026-05-02", "findings": "入浴に介助が必要"}
    runtime.complete(db_session, ready_task(db_session, case.id, "assessment").id, assessment, center)
    check = ready_task(db_session, case.id, "insurer_check")
    runtime.complete(db_session, check.id, {"ok": True}, world["alpha.insurer"].actor())
    return {d.form: d.id for d in db_session.scalars(select(Document).where(Document.case_id == case.id))}


def bearer(app, world, key: str) -> dict[str, str]:
    token = app.test_client().post("/api/token", json={"login": world[key].login, "password": PASSWORD})
    return {"Authorization": f"Bearer {token.get_json()['token']}"}


def visible(app, login_as, world, key: str, case_id: int, documents: dict[str, int]) -> dict[str, set[str]]:
    """What one organisation reads of the case, route by route (form names)."""
    browser = login_as(key)
    headers = bearer(app, world, key)
    page = browser.get(f"/cases/{case_id}").get_data(as_text=True)
    seen: dict[str, set[str]] = {
        "case page": {form for form, ident in documents.items() if f'href="/documents/{ident}"' in page},
        "document page": set(),
        "pdf": set(),
        "print": set(),
        "api document": set(),
    }
    for form, ident in documents.items():
        for route, url in (
            ("document page", f"/documents/{ident}"),
            ("pdf", f"/documents/{ident}.pdf"),
            ("print", f"/documents/{ident}/print"),
        ):
            status = browser.get(url).status_code
            assert status in (200, 404, 503), (key, url, status)
            if status != 404:
                seen[route].add(form)
        api = browser.client.get(f"/api/documents/{ident}", headers=headers)
        assert api.status_code in (200, 404)
        if api.status_code == 200:
            seen["api document"].add(form)
    listed = browser.client.get(f"/api/cases/{case_id}/documents", headers=headers).get_json()["items"]
    seen["api list"] = {item["form"] for item in listed}
    export_page = browser.get(f"/cases/{case_id}/export.zip").status_code
    export_api = browser.client.get(f"/api/cases/{case_id}/export", headers=headers).status_code
    seen["export"] = {"zip"} if (export_page, export_api) == (200, 200) else set()
    assert (export_page, export_api) in ((200, 200), (404, 404)), key
    assert (f'action="/cases/{case_id}/exports"' in page) == bool(seen["export"]), key
    return seen


EVERYTHING = {"intake", "assessment", "check"}


def test_each_organisation_reads_only_its_share_everywhere(app, login_as, world, case, documents):
    assert set(documents) == EVERYTHING
    expected = {
        "alpha.center": EVERYTHING,
        "alpha.office": EVERYTHING,
        "alpha.insurer": {"check"},  # what it submitted itself
        "alpha.provider": set(),
    }
    for key, forms in expected.items():
        seen = visible(app, login_as, world, key, case.id, documents)
        export = seen.pop("export")
        assert export == ({"zip"} if key in ("alpha.center", "alpha.office") else set()), key
        for route, found in seen.items():
            assert found == forms, (key, route)


def test_a_form_the_table_opens_to_providers_is_read_by_them(app, login_as, world, case, documents, monkeypatch):
    monkeypatch.setitem(readers.READERS, "assessment", readers.PROVIDER)
    seen = visible(app, login_as, world, "alpha.provider", case.id, documents)
    assert seen.pop("export") == set()
    assert all(found == {"assessment"} for found in seen.values()), seen


def test_a_schema_may_name_its_readers_and_planners_always_read():
    plain = {"type": "object", "properties": {}}
    assert readers.reader_roles("assessment", plain) == {"center", "office"}
    assert readers.reader_roles("plan_draft", plain) == {"center", "office", "provider"}
    assert readers.reader_roles("plan_request_notification", plain) == {"center", "office", "insurer"}
    assert readers.reader_roles("toyokawa_internal_approval", plain) == {"center", "office"}
    opened = {**plain, "x-readers": ["insurer", "provider", "someone"]}
    assert readers.reader_roles("toyokawa_internal_approval", opened) == {"center", "office", "insurer", "provider"}
    closed = {**plain, "x-readers": []}
    assert readers.reader_roles("plan_draft", closed) == {"center", "office"}


def test_the_readers_table_names_only_forms_that_exist():
    library = Library(PROCESSES)
    forms = {p.name.removesuffix(".schema.json") for p in PROCESSES.glob("*/forms/*.schema.json")}
    assert set(readers.READERS) <= forms, set(readers.READERS) - forms
    for path in PROCESSES.glob("*/forms/*.schema.json"):
        declared = json.loads(path.read_text(encoding="utf-8")).get(readers.KEYWORD)
        assert declared is None or set(declared) <= {"insurer", "provider", "center", "office"}, path
    assert library.municipalities()
