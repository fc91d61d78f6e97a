"""web/pdf_cache.py: a document's PDF is drawn once and then served from the database, until what it shows changes."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import select

from engine.store.models import Case
from engine.store.models import Document
from engine.store.models import RenderedPdf
from tests.web.conftest import INTAKE
from tests.web.conftest import ready_task
from web import pdf_cache


@pytest.fixture
def drawn(monkeypatch):
    """Every PDF drawn (the page it was drawn from), instead of running WeasyPrint."""
    pages: list[str] = []

    def draw(html: str) -> bytes:
        pages.append(html)
        return b"%PDF-1.7 " + str(len(pages)).encode()

    monkeypatch.setattr(pdf_cache, "html_to_pdf", draw)
    return pages


@pytest.fixture
def document(db_session, runtime, case, world) -> Document:
    task = ready_task(db_session, case.id, "intake")
    runtime.complete(db_session, task.id, {**INTAKE, "consultation_date": "2026-05-01"}, world["alpha.center"].actor())
    return db_session.scalars(select(Document).where(Document.case_id == case.id)).one()


def test_a_document_is_drawn_once_then_served_from_the_database(login_as, document, db_session, drawn):
    browser = login_as("alpha.center")
    first = browser.get(f"/documents/{document.id}.pdf")
    second = browser.get(f"/documents/{document.id}.pdf")
    assert first.status_code == second.status_code == 200
    assert first.data == second.data == b"%PDF-1.7 1"
    assert len(drawn) == 1
    db_session.expire_all()
    stored = db_session.get(RenderedPdf, document.id)
    assert stored.pdf == b"%PDF-1.7 1" and stored.case_id == document.case_id


def test_a_changed_header_fact_draws_it_again(login_as, document, db_session, drawn):
    browser = login_as("alpha.center")
    browser.get(f"/documents/{document.id}.pdf")
    case = db_session.get(Case, document.case_id)
    case.client_name = "山田 春子"  # printed in the header of every 帳票
    db_session.commit()
    again = browser.get(f"/documents/{document.id}.pdf")
    assert again.data == b"%PDF-1.7 2"
    assert "山田 春子" in drawn[1] and "山田 春子" not in drawn[0]
    assert browser.get(f"/documents/{document.id}.pdf").data == b"%PDF-1.7 2"
    assert len(drawn) == 2


def test_the_case_export_reuses_the_drawn_pdfs(login_as, document, drawn):
    browser = login_as("alpha.center")
    browser.get(f"/documents/{document.id}.pdf")
    exported = browser.get(f"/cases/{document.case_id}/export.zip")
    assert exported.status_code == 200, exported.get_data(as_text=True)[:300]
    with zipfile.ZipFile(io.BytesIO(exported.data)) as archive:
        pdfs = [name for name in archive.namelist() if name.endswith(".pdf")]
        assert [archive.read(name) for name in pdfs] == [b"%PDF-1.7 1"]
    assert len(drawn) == 1


def test_another_organisations_reader_gets_no_pdf_and_nothing_is_drawn(login_as, document, drawn):
    response = login_as("beta.center").get(f"/documents/{document.id}.pdf")
    assert response.status_code == 404
    assert drawn == []


def test_the_worker_draws_new_documents_ahead_and_the_page_then_draws_nothing(
    app, login_as, document, db_session, drawn
):
    with app.app_context():
        assert pdf_cache.draw_missing() == 1
        assert pdf_cache.draw_missing() == 0  # nothing left: the worker goes back to sleep
    assert len(drawn) == 1
    response = login_as("alpha.center").get(f"/documents/{document.id}.pdf")
    assert response.data == b"%PDF-1.7 1"
    assert len(drawn) == 1


def test_a_document_that_cannot_be_drawn_is_skipped_not_retried(app, document, monkeypatch):
    attempts = []

    def broken(html: str) -> bytes:
        attempts.append(html)
        raise ValueError("壊れた様式")

    monkeypatch.setattr(pdf_cache, "html_to_pdf", broken)
    skip: set[int] = set()
    with app.app_context():
        assert pdf_cache.draw_missing(skip=skip) == 0
        assert pdf_cache.draw_missing(skip=skip) == 0
    assert skip == {document.id} and len(attempts) == 1
