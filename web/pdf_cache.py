"""A document's 帳票 PDF drawn once and kept in the database (`rendered_pdf`), then served from there.

Documents are immutable, but what their PDF shows is not only the document: the header prints the case's name and
insured number, the organisations and who recorded it, and templates and the style sheet change with releases. So
the stored PDF is keyed by a hash of everything it is drawn from — the HTML page (which holds all of the above),
the style sheet and the PDF engine's version — and drawn again when that hash differs. Drawing takes about a second
of CPU per 帳票 (WeasyPrint lays out CJK text and subsets the fonts); reading the stored one, a few milliseconds.
The rows live in the database, not on a host's disk, so every web host shares them, and retention deletes them
with the case (engine/store/retention.py).
"""

from __future__ import annotations

import hashlib
from importlib.metadata import version

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from engine.store.models import Case
from engine.store.models import Document
from engine.store.models import RenderedPdf
from web import wiring
from web.extensions import db
from web.pdf import STYLESHEET
from web.pdf import html_to_pdf
from web.pdf import render_document_pdf_html


def pdf_key(html: str) -> str:
    digest = hashlib.sha256(f"weasyprint {version('weasyprint')}\n".encode())
    digest.update(STYLESHEET.read_bytes())
    digest.update(html.encode("utf-8"))
    return digest.hexdigest()


def document_pdf(
    document: Document,
    case: Case,
    organisations: dict[str, str],
    *,
    municipality_name: str | None = None,
    recorded_by: str | None = None,
) -> bytes:
    """The document's PDF: the stored one when it was drawn from the same page, else drawn now and stored."""
    html = render_document_pdf_html(
        document, case, organisations, municipality_name=municipality_name, recorded_by=recorded_by
    )
    key = pdf_key(html)
    stored = db.session.get(RenderedPdf, document.id)
    if stored is not None and stored.key == key:
        return stored.pdf
    pdf = html_to_pdf(html)
    now = wiring.clock().now()
    try:
        with db.session.begin_nested():  # flushed here, committed by the caller's transaction
            if stored is None:
                row = RenderedPdf(document_id=document.id, case_id=document.case_id, key=key, pdf=pdf, rendered_at=now)
                db.session.add(row)
            else:
                stored.key, stored.pdf, stored.rendered_at = key, pdf, now
    except IntegrityError:
        pass  # another request stored it at the same moment: the same content, and only its savepoint is undone
    return pdf


def draw_missing(limit: int = 5, skip: set[int] | None = None) -> int:
    """Draw and store the PDFs of the newest documents that have none yet; return how many (needs an app context).

    Run by `kaigoflow worker` when nothing else is due (web/cli.py), so that staff opening a 帳票 or exporting a case
    find its PDF already drawn: drawing one takes a second of CPU, reading it milliseconds. A document that cannot
    be drawn is added to `skip` (the page shows the error when someone opens it) so the worker does not retry it.
    """
    from web.cases import _print_arguments

    skip = skip if skip is not None else set()
    query = (
        select(Document)
        .outerjoin(RenderedPdf, RenderedPdf.document_id == Document.id)
        .where(RenderedPdf.document_id.is_(None))
        .order_by(Document.id.desc())
        .limit(limit)
    )
    if skip:
        query = query.where(Document.id.not_in(sorted(skip)))
    drawn = 0
    for document in db.session.scalars(query).all():
        case = db.session.get(Case, document.case_id)
        try:
            if case is None:
                raise LookupError(document.case_id)
            arguments = _print_arguments(document, case)
            document_pdf(document, case, arguments.pop("organisations"), **arguments)
            db.session.commit()
        except (ImportError, OSError):
            raise  # no PDF engine here at all: the caller stops asking
        except Exception:
            db.session.rollback()
            skip.add(document.id)
            continue
        drawn += 1
    return drawn
